"""Search a scenario's terms with Optuna over the simulation, on common random numbers.

Every trial runs the same seeds (seed, seed+1, ... for `replicates`), so two trials differ by
their terms only, not by noise; a paired KPI (peak reduction, deferral value) is measured
against the scenario's baseline twin with the same seed. Optuna's TPE sampler (seeded)
proposes the terms; constraints go to it through `Trial.set_constraint` (<= 0 is feasible).
After the search the best few feasible points (or the Pareto front's, with two objectives)
are run again on more seeds and given means with 95 % t-intervals.

The results are stored like a sweep's, one Parquet file per evaluation written atomically:

    OUT/optimise.json        the search's spec and its hash
    OUT/evaluations/PHASE-tNNNNNN-rNNNN.parquet   one row: trial, phase, replicate, seed,
                             the terms, each KPI, wall_seconds

Running the same command again resumes: the seeded sampler proposes the same terms in the
same order, and every evaluation already stored for those terms is read, not run.
"""

import dataclasses
import hashlib
import json
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gridvalue.experiments.compare import kpi_pair, run_kpis, service_kpis, t_interval
from gridvalue.experiments.objectives import PAIRED_KPIS, Constraint, Objective
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import Scenario, apply_overrides, scenario_from_dict
from gridvalue.simulation.schema import ScenarioError

MAX_BUDGET = 10_000
# Random trials before TPE models the results (Optuna's default is 10); fixed, not a share of
# the budget, so a larger budget on resume proposes the same first trials.
STARTUP_TRIALS = 5
# The budget counts distinct points: a point proposed again is told its stored result and
# costs no run. On a small grid the sampler may keep proposing known points: it gets at most
# this many proposals per point of budget.
ASKS_PER_POINT = 5


@dataclass(frozen=True)
class Term:
    """One term searched: a numeric scenario parameter between low and high (step: a grid)."""

    path: str
    kind: type  # int or float
    low: float
    high: float
    step: float | None = None

    def suggest(self, trial):
        if self.kind is int:
            return trial.suggest_int(self.path, int(self.low), int(self.high),
                                     step=int(self.step or 1))
        return trial.suggest_float(self.path, self.low, self.high, step=self.step)


def parse_term(text: str, scenario: Scenario, field: str = "--over") -> Term:
    """`path=low:high` or `path=low:high:step`, checked against the scenario's parameters."""
    from gridvalue.experiments.sweep import _check_values, _current_value

    path, eq, spec = str(text).partition("=")
    path = path.strip()
    parts = spec.split(":")
    if not eq or not path or len(parts) not in (2, 3):
        raise ScenarioError(field, f"expected PATH=LOW:HIGH or PATH=LOW:HIGH:STEP, got {text!r}")
    try:
        numbers = [float(p.replace(",", "").replace("_", "")) for p in parts]
    except ValueError:
        raise ScenarioError(field, f"{path}: LOW, HIGH and STEP must be numbers, got "
                            f"{spec!r}") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ScenarioError(field, f"{path}: bounds must be finite, got {spec!r}")
    low, high = numbers[:2]
    step = numbers[2] if len(numbers) == 3 else None
    if not low < high:
        raise ScenarioError(field, f"{path}: low must be below high, got {low:g}:{high:g}")
    if step is not None and not 0 < step <= high - low:
        raise ScenarioError(field, f"{path}: step must be above 0 and at most high - low, "
                            f"got {step:g}")
    raw = scenario.to_dict()
    current = _current_value(raw, path)
    if isinstance(current, bool) or not isinstance(current, int | float):
        what = "not a scenario parameter" if current is None else \
            f"not numeric ({type(current).__name__})"
        raise ScenarioError(field, f"{path}: {what}")
    kind = type(current)
    if kind is int and (low != int(low) or high != int(high) or (step or 1) != int(step or 1)):
        raise ScenarioError(field, f"{path}: an integer parameter needs whole bounds and step")
    if step is not None and abs((high - low) / step - round((high - low) / step)) > 1e-9:
        raise ScenarioError(field, f"{path}: high - low must be a whole number of steps")
    values = [int(low), int(high)] if kind is int else [low, high]
    try:
        _check_values(raw, path, values)
    except ScenarioError as exc:
        raise ScenarioError(field, f"{exc.field.removeprefix('parameters.')}: "
                            f"{exc.problem}") from None
    return Term(path, kind, low, high, step)


def check_kpis_offered(kpis: list[str], scenario: Scenario, field: str) -> None:
    """A service line's KPI needs the scenario to offer that service."""
    offered = set(scenario.to_dict().get("services", {}))
    for kpi in kpis:
        line, dot, _ = kpi.rpartition(".")
        if dot and line not in offered:
            raise ScenarioError(field, f"{kpi}: the scenario does not offer {line} (it offers "
                                f"{', '.join(sorted(offered)) or 'no services'})")


@dataclass
class Search:
    """What an optimisation needs; `hash` covers everything the evaluations depend on."""

    scenario: Scenario
    terms: tuple[Term, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    budget: int = 20
    replicates: int = 2
    final_replicates: int = 6
    top: int = 3
    seed: int = 0

    @property
    def kpis(self) -> list[str]:
        return list(dict.fromkeys([o.kpi for o in self.objectives]
                                  + [c.kpi for c in self.constraints]))

    def spec(self) -> dict:
        return {"scenario": self.scenario.to_dict(), "seed": self.seed,
                "terms": [dataclasses.asdict(t) | {"kind": t.kind.__name__} for t in self.terms],
                "objectives": [dataclasses.asdict(o) for o in self.objectives],
                "constraints": [dataclasses.asdict(c) for c in self.constraints],
                "replicates": self.replicates}

    def hash(self) -> str:
        """Budget, top and final replicates may change between sessions: a resume extends."""
        text = json.dumps(self.spec(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def seeds(self, n: int) -> list[int]:
        return list(range(self.seed, self.seed + n))


class Evaluator:
    """Runs one point on one seed and returns the search's KPIs; the baseline twin of each
    seed runs once (only when a paired KPI is asked for)."""

    def __init__(self, search: Search):
        self.search = search
        self.paired = any(k in PAIRED_KPIS for k in search.kpis)
        self._twins: dict[tuple[str, int], GridValueModel] = {}

    def point_scenario(self, params: dict) -> Scenario:
        raw = apply_overrides(self.search.scenario.to_dict(), params)
        return scenario_from_dict(raw)

    def __call__(self, params: dict, seed: int) -> dict[str, float]:
        scenario = self.point_scenario(params)
        model = GridValueModel(scenario, seed=seed).run()
        if self.paired:
            from gridvalue.viz.twin import baseline_twin

            twin_scenario = baseline_twin(scenario)
            key = (twin_scenario.hash(), seed)
            if key not in self._twins:
                self._twins = {key: GridValueModel(twin_scenario, seed=seed).run()} | {
                    k: v for k, v in self._twins.items() if k[1] == seed}
            values = {k: y for k, (_, y) in kpi_pair(self._twins[key], model).items()}
        else:
            values = run_kpis(model) | service_kpis(model)
        return {k: float(values.get(k, 0.0)) for k in self.search.kpis}


class Store:
    """The optimisation's results folder (see the module docstring)."""

    def __init__(self, root: Path, search: Search):
        self.root = Path(root)
        self.search = search
        self.folder = self.root / "evaluations"
        self.cache: dict[tuple[str, int, int], dict] = {}

    @staticmethod
    def check(root: Path, search: Search) -> None:
        """Refuse a folder holding something other than this search (before any work)."""
        marker = Path(root) / "optimise.json"
        if Path(root).exists() and any(Path(root).iterdir()):
            if not marker.is_file():
                raise ScenarioError("--out", f"{root} holds something other than an "
                                    "optimisation; give a new folder")
            try:
                info = json.loads(marker.read_text())
            except (OSError, ValueError) as exc:
                raise ScenarioError(str(marker), f"damaged ({type(exc).__name__})") from None
            if info.get("hash") != search.hash():
                raise ScenarioError("--out", f"{root} holds a different optimisation (another "
                                    "scenario, terms, objectives, seed or replicates); give a "
                                    "new folder")

    def open(self) -> "Store":
        from gridvalue.simulation.files import write_atomic

        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.root / "optimise.json"
        if not marker.exists():
            text = json.dumps({"hash": self.search.hash()} | self.search.spec(), indent=2,
                              default=str) + "\n"
            write_atomic(marker, lambda f: f.write(text.encode()))
        for path in sorted(self.folder.glob("*.parquet")):
            try:
                row = pd.read_parquet(path).iloc[0].to_dict()
            except Exception:  # noqa: BLE001 - a damaged file is run again
                continue
            self.cache[(row["phase"], int(row["trial"]), int(row["replicate"]))] = row
        return self

    def get(self, phase: str, trial: int, replicate: int, params: dict) -> dict | None:
        row = self.cache.get((phase, trial, replicate))
        if row is None or any(not math.isclose(float(row[k]), float(v), rel_tol=1e-12,
                                               abs_tol=1e-12) for k, v in params.items()):
            return None
        return row

    def put(self, row: dict) -> None:
        from gridvalue.simulation.files import write_atomic

        path = self.folder / f"{row['phase']}-t{row['trial']:06d}-r{row['replicate']:04d}.parquet"
        frame = pd.DataFrame([row])
        write_atomic(path, lambda f: frame.to_parquet(f, index=False))
        self.cache[(row["phase"], row["trial"], row["replicate"])] = row

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.cache.values()))


def _evaluate_one(store: Store, evaluate: Callable, phase: str, trial: int, replicate: int,
                  seed: int, params: dict, ran: list[int]) -> dict:
    """The stored evaluation of a point on one seed, or a new one (then stored)."""
    row = store.get(phase, trial, replicate, params)
    if row is None:
        clock = time.perf_counter()
        values = evaluate(params, seed)
        row = {"trial": trial, "phase": phase, "replicate": replicate, "seed": seed} | \
            params | values | {"wall_seconds": round(time.perf_counter() - clock, 4)}
        store.put(row)
    return row


def _means(rows: list[dict], kpis: list[str]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in kpis}


def pareto_front(points: list[dict], objectives: tuple[Objective, ...]) -> list[dict]:
    """The points no other point beats on every objective (scores: higher is better)."""
    def scores(p):
        return [o.better(p["means"][o.kpi]) for o in objectives]

    front, seen = [], set()
    for p in points:
        key = tuple(sorted(p.get("params", {}).items()))
        if key in seen:
            continue  # the same terms proposed again
        s = scores(p)
        dominated = any(all(a >= b for a, b in zip(scores(q), s, strict=True))
                        and any(a > b for a, b in zip(scores(q), s, strict=True))
                        for q in points if q is not p)
        if not dominated:
            seen.add(key)
            front.append(p)
    return sorted(front, key=lambda p: -objectives[0].better(p["means"][objectives[0].kpi]))


def run_search(search: Search, root: Path, evaluate: Callable | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict:
    """Run (or resume) the search and the re-evaluation; return the result document."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = Store(root, search).open()
    evaluate = evaluate or Evaluator(search)
    terms, kpis = search.terms, search.kpis
    seeds = search.seeds(search.replicates)
    ran = [0]
    memo: dict[tuple, dict] = {  # a point proposed again (or stored) is not run again
        (tuple(sorted((t.path, row[t.path]) for t in terms)), int(row["seed"])):
            {k: row[k] for k in kpis}
        for row in store.cache.values() if all(k in row for k in kpis)}

    def evaluate_once(params: dict, seed: int) -> dict:
        key = (tuple(sorted(params.items())), seed)
        if key not in memo:
            memo[key] = evaluate(params, seed)
            ran[0] += 1
        return memo[key]

    total = search.budget * search.replicates + search.top * search.final_replicates

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=search.seed % 2**32,
                                             n_startup_trials=STARTUP_TRIALS)
    study = optuna.create_study(sampler=sampler, directions=[
        "maximize" if o.maximise else "minimize" for o in search.objectives])
    trials = []
    distinct: set[tuple] = set()
    number = 0
    while len(distinct) < search.budget and number < ASKS_PER_POINT * search.budget:
        trial = study.ask()
        params = {t.path: t.suggest(trial) for t in terms}
        distinct.add(tuple(sorted(params.items())))
        rows = [_evaluate_one(store, evaluate_once, "search", number, r, seed, params, ran)
                for r, seed in enumerate(seeds)]
        means = _means(rows, kpis)
        violations = [c.violation(means[c.kpi]) for c in search.constraints]
        for c, v in zip(search.constraints, violations, strict=True):
            trial.set_constraint(str(c), min(v, 1e300))
        study.tell(trial, [means[o.kpi] for o in search.objectives])
        trials.append({"trial": number, "params": params, "means": means,
                       "feasible": all(v <= 0 for v in violations)})
        number += 1
        if progress is not None:
            progress(len(distinct) * search.replicates, total)
    candidates = _candidates(trials, search)
    final_seeds = search.seeds(search.final_replicates)
    for i, point in enumerate(candidates):
        rows = []  # the search's seeds first (already run), then new ones
        for r, seed in enumerate(final_seeds):
            phase = "search" if r < search.replicates else "final"
            rows.append(_evaluate_one(store, evaluate_once, phase, point["trial"], r, seed,
                                      point["params"], ran))
        point["final"] = {k: _summary([row[k] for row in rows]) for k in kpis}
        point["final_feasible"] = all(c.violation(point["final"][c.kpi]["mean"]) <= 0
                                      for c in search.constraints)
        if progress is not None:
            progress(search.budget * search.replicates + (i + 1) * search.final_replicates,
                     total)
    first = search.objectives[0]
    ranked = sorted(candidates, key=lambda p: (not p["final_feasible"],
                                               -first.better(p["final"][first.kpi]["mean"])))
    feasible = [t for t in trials if t["feasible"]]
    return {"scenario": search.scenario.meta.name, "seed": search.seed,
            "replicates": search.replicates, "final_replicates": search.final_replicates,
            "budget": search.budget, "objectives": [str(o) for o in search.objectives],
            "constraints": [str(c) for c in search.constraints],
            "terms": [{"path": t.path, "low": t.low, "high": t.high, "step": t.step}
                      for t in terms],
            "best": ranked[0] if ranked and ranked[0]["final_feasible"] else None,
            "candidates": ranked, "trials": trials,
            "pareto_front": pareto_front(feasible, search.objectives)
            if len(search.objectives) > 1 else [],
            "runs_this_session": ran[0]}


def _summary(values: list[float]) -> dict[str, float]:
    low, high = t_interval(np.asarray(values))
    return {"mean": float(np.mean(values)), "ci_low": low, "ci_high": high, "n": len(values)}


def _candidates(trials: list[dict], search: Search) -> list[dict]:
    """The best `top` distinct feasible points of the search (the Pareto front's first ones
    with two objectives)."""
    feasible = [t for t in trials if t["feasible"]]
    if len(search.objectives) > 1:
        pool = pareto_front(feasible, search.objectives)
    else:
        first = search.objectives[0]
        pool = sorted(feasible, key=lambda t: -first.better(t["means"][first.kpi]))
    out, seen = [], set()
    for t in pool:
        key = tuple(sorted(t["params"].items()))
        if key not in seen:
            seen.add(key)
            out.append(dict(t))
        if len(out) == search.top:
            break
    return out


def _num(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if v == 0:
        return "0"
    return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.0f}"


def format_result(result: dict, currency: str = "CNY") -> str:
    """The search as text: the best terms with 95 % CIs, the re-run candidates, the Pareto
    front with two objectives."""
    from gridvalue.experiments.compare import kpi_unit

    paths = [t["path"] for t in result["terms"]]
    kpis = list(result["candidates"][0]["final"]) if result["candidates"] else []
    lines = [f"optimise {result['scenario']}: {result['budget']} distinct points "
             f"({len(result['trials'])} proposals) x {result['replicates']} seeds (the same "
             "seeds for every point), best "
             f"{len(result['candidates'])} re-run on {result['final_replicates']} seeds",
             "objectives: " + "; ".join(result["objectives"])
             + ("; constraints: " + "; ".join(result["constraints"])
                if result["constraints"] else "")]
    best = result["best"]
    if best is None:
        lines.append("no feasible point: no trial met the constraints on its mean")
    else:
        lines.append("best terms:")
        lines += [f"  {p} = {best['params'][p]:,.6g}" for p in paths]
        for kpi, s in best["final"].items():
            lines.append(f"  {kpi} = {_num(s['mean'])} {kpi_unit(kpi, currency)}  95 % CI "
                         f"[{_num(s['ci_low'])}, {_num(s['ci_high'])}] ({s['n']} seeds)")
    if result["candidates"]:
        lines.append("re-run candidates (mean over the re-run seeds):")
        header = ["trial", *paths, *kpis, "feasible"]
        rows = [[str(c["trial"]), *(f"{c['params'][p]:,.6g}" for p in paths),
                 *(_num(c["final"][k]["mean"]) for k in kpis),
                 "yes" if c["final_feasible"] else "no"] for c in result["candidates"]]
        widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
        for row in [header, *rows]:
            lines.append("  " + "  ".join(x.rjust(w) for x, w in zip(row, widths,
                                                                      strict=True)))
    if result["pareto_front"]:
        objectives = [o.split(" (")[0] for o in result["objectives"]]
        lines.append(f"Pareto front of {' against '.join(objectives)} (search means):")
        for p in result["pareto_front"]:
            terms = ", ".join(f"{k} = {v:,.6g}" for k, v in p["params"].items())
            values = ", ".join(f"{k} {_num(p['means'][k])} {kpi_unit(k, currency)}"
                               for k in objectives)
            lines.append(f"  {terms}: {values}")
    return "\n".join(lines)
