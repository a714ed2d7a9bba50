"""Validation cases as data, and `gridvalue validate`.

A case is a folder `tests/cases/NAME/` with
- `scenario.toml`: the scenario the case runs (usually `extends` a packaged one);
- `expect.toml`: `metric` (a name in METRICS), the bounds `low` and `high` the figure must lie
  in, `seeds`, `source` (where the bound comes from, and whether it was checked or recalled),
  `description`, `slow` (true when it runs for more than a few seconds), the metric's own
  parameters under `[params]` and, for a paired metric, the policy's dotted overrides of the
  scenario under `[variant]`.

`gridvalue validate [--out docs/validation.md]` runs every case and writes the report: each
case's figure, its bounds, its source and pass or fail. `tests/test_validation_cases.py` runs
each case as a test and checks that the report is current.
"""

import dataclasses
import functools
import tomllib
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gridvalue.simulation.files import write_atomic
from gridvalue.simulation.schema import ScenarioError

CASES = Path(__file__).resolve().parents[1] / "tests" / "cases"
REPORT = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
EXPECT_KEYS = {"description", "metric", "low", "high", "seeds", "source", "slow", "unit",
               "params", "variant"}


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    description: str
    metric: str
    low: float
    high: float
    seeds: tuple[int, ...]
    source: str
    slow: bool
    unit: str
    params: dict
    variant: dict

    @property
    def scenario(self) -> Path:
        return self.folder / "scenario.toml"


def load_case(folder: Path) -> Case:
    """One case from its folder; a missing file or a bad field is a ScenarioError naming it."""
    where = f"{folder.name}/expect.toml"
    for name in ("scenario.toml", "expect.toml"):
        if not (folder / name).is_file():
            raise ScenarioError(f"{folder.name}/{name}", "missing")
    try:
        raw = tomllib.loads((folder / "expect.toml").read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(where, f"not valid TOML: {exc}") from None
    unknown = set(raw) - EXPECT_KEYS
    if unknown:
        raise ScenarioError(f"{where}: {sorted(unknown)[0]}", "unknown key")
    for key in ("metric", "low", "high", "source", "description"):
        if key not in raw:
            raise ScenarioError(f"{where}: {key}", "missing")
    if raw["metric"] not in METRICS:
        raise ScenarioError(f"{where}: metric", f"unknown metric {raw['metric']!r} (known: "
                            f"{', '.join(sorted(METRICS))})")
    if not raw["low"] <= raw["high"]:
        raise ScenarioError(f"{where}: low", "must be at most high")
    return Case(folder.name, folder, raw["description"], raw["metric"], float(raw["low"]),
                float(raw["high"]), tuple(int(s) for s in raw.get("seeds", [0])),
                raw["source"], bool(raw.get("slow", False)), raw.get("unit", ""),
                dict(raw.get("params", {})), dict(raw.get("variant", {})))


def load_cases(root: Path = CASES) -> list[Case]:
    """Every case under `root`, by name."""
    if not root.is_dir():
        raise ScenarioError(str(root), "no such folder of validation cases")
    return [load_case(folder) for folder in sorted(root.iterdir()) if folder.is_dir()]


# ---- metrics: each takes a case and returns its figure ----------------------------------------
_RUNS: dict = {}


def _run(case: Case, seed: int, variant: dict):
    """Summary figures of one run of the case's scenario with `variant` overrides, cached by
    the resolved scenario's hash and the seed, so cases that share a run (a baseline) run it
    once per process."""
    from gridvalue.simulation.model import GridValueModel
    from gridvalue.simulation.scenario import load_scenario

    scenario = load_scenario(case.scenario, variant or None)
    key = (scenario.hash(), seed)
    if key not in _RUNS:
        model = GridValueModel(scenario, seed=seed).run()
        day, interval = np.unravel_index(model.system_kw.argmax(), model.system_kw.shape)
        _RUNS[key] = types.SimpleNamespace(
            system_peak_kw=float(model.system_kw.max()),
            peak_hour=float(interval * model.hours_per_interval),
            energy_kwh=float(model.system_kw.sum() * model.hours_per_interval),
            households=len(model.tables["households"]),
            contracts={s.name: len(s.contracts) for s in model.market.services})
    return _RUNS[key]


def _pair(case: Case, seed: int):
    return _run(case, seed, {}), _run(case, seed, case.variant)


def peak_cut(case: Case) -> float:
    """Seed-mean share by which the policy (`[variant]`) cuts the system peak of the scenario."""
    cuts = []
    for seed in case.seeds:
        base, policy = _pair(case, seed)
        cuts.append(1.0 - policy.system_peak_kw / base.system_peak_kw)
    return float(np.mean(cuts))


def energy_change(case: Case) -> float:
    """Seed-mean relative change of the system's energy under the policy (`[variant]`)."""
    changes = []
    for seed in case.seeds:
        base, policy = _pair(case, seed)
        changes.append(policy.energy_kwh / base.energy_kwh - 1.0)
    return float(np.mean(changes))


def peak_hour(case: Case) -> float:
    """Hour of day at which the scenario's system load peaks (its `[variant]`, if any), the
    earliest over the seeds (`params.latest` true: the latest)."""
    hours = [_run(case, seed, case.variant).peak_hour for seed in case.seeds]
    return float(max(hours) if case.params.get("latest") else min(hours))


def household_uptake(case: Case) -> float:
    """Seed-mean contracts of service `params.service` per household under the policy."""
    service = case.params["service"]
    shares = []
    for seed in case.seeds:
        _, policy = _pair(case, seed)
        shares.append(policy.contracts[service] / policy.households)
    return float(np.mean(shares))


def contracts_ratio(case: Case) -> float:
    """Seed-mean ratio of the policy's contracts of service `params.service` to the
    scenario's."""
    service = case.params["service"]
    ratios = []
    for seed in case.seeds:
        base, policy = _pair(case, seed)
        ratios.append(policy.contracts[service] / base.contracts[service])
    return float(np.mean(ratios))


def bass_max_gap(case: Case) -> float:
    """Largest gap between the seed-mean adoption share of service `params.service` and the
    discrete Bass map F[k+1] = F[k] + (p + q F[k]) (1 - F[k]) dt of its p and q."""
    from gridvalue.simulation.model import GridValueModel
    from gridvalue.simulation.scenario import load_scenario

    service = case.params["service"]
    params = load_scenario(case.scenario).services[service]
    p, q = params.innovation_p_per_year, params.imitation_q_per_year
    curves = []
    for seed in case.seeds:
        model = GridValueModel(str(case.scenario), seed=seed).run()
        uptake = model.market.uptake_frame()
        uptake = uptake[uptake["service"] == service].groupby("date")
        curves.append((uptake["contracts_total"].sum() / uptake["eligible"].sum()).to_numpy())
    mean = np.mean(curves, axis=0)
    expected, f = [], 0.0
    for _ in range(len(mean)):
        f += (p + q * f) * (1.0 - f) / 12.0
        expected.append(f)
    return float(np.abs(mean - np.array(expected)).max())


def dgen_long_run_share(case: Case) -> float:
    """Share of `params.households` households (complete graph, all aware) that hold one
    self-financed PV alternative at a fixed `params.payback_years` after `params.months`."""
    from gridvalue.agents.choice import Alternatives
    from gridvalue.agents.household import Household
    from gridvalue.simulation.scenario import load_scenario

    n, payback = int(case.params["households"]), float(case.params["payback_years"])
    model = types.SimpleNamespace(scenario=load_scenario(case.scenario))
    shares = []
    for seed in case.seeds:
        rng = np.random.default_rng(seed)
        u_ceiling = rng.random(n)
        adopted = np.zeros(n, bool)
        for _ in range(int(case.params["months"])):
            rows = np.flatnonzero(~adopted)
            k = len(rows)
            alts = Alternatives(np.ones((k, 1)), np.ones((k, 1), bool), np.zeros((k, 1)),
                                np.zeros(1), np.zeros((k, 1)), np.full((k, 1), payback),
                                np.array([0.93]), np.array([1.0]), np.array([0.05]),
                                np.array([0.3]))
            decision = Household.decide(model, rows, alts, np.ones(k),
                                        np.full(k, adopted.mean()), 1 / 12,
                                        (rng.random(k), rng.random(k), u_ceiling[rows]))
            adopted[rows[decision.chosen == 0]] = True
        shares.append(adopted.mean())
    return float(np.mean(shares))


@functools.lru_cache(maxsize=8)
def _base_case(source: str) -> dict:
    import warnings

    from gridvalue.simulation.powerflow import base_case

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return base_case(source, "network.source")


def _network_source(case: Case) -> str:
    from gridvalue.simulation.scenario import load_scenario

    return load_scenario(case.scenario).network.source


def grid_losses_kw(case: Case) -> float:
    """Real losses of the scenario's published network in its own base case (AC power flow)."""
    return float(_base_case(_network_source(case))["losses_kw"])


def grid_min_voltage_pu(case: Case) -> float:
    """Lowest bus voltage of the scenario's published network in its own base case; with
    `params.bus` (1-based), 0 unless the lowest voltage is at that bus."""
    result = _base_case(_network_source(case))
    if "bus" in case.params and result["min_voltage_bus"] != int(case.params["bus"]):
        return 0.0
    return float(result["min_voltage_pu"])


def shape_full_load_hours(case: Case) -> float:
    """Full-load hours of standard load class `params.class` over the scenario's first year,
    at its interval length."""
    from gridvalue.simulation import metrics
    from gridvalue.simulation.profiles import CLASS_INDEX, load_shapes
    from gridvalue.simulation.scenario import load_scenario

    meta = load_scenario(case.scenario).meta
    shapes = load_shapes(meta.start_date, 365, meta.intervals_per_day)
    return float(metrics.full_load_hours(shapes[CLASS_INDEX[case.params["class"]]].ravel(),
                                         24.0 / meta.intervals_per_day))


def household_full_load_hours(case: Case) -> float:
    """Median full-load hours of single households' gross demand over the scenario's horizon
    (all customers of the scenario must be households), mean over seeds."""
    from gridvalue.simulation import metrics
    from gridvalue.simulation.model import GridValueModel

    medians = []
    for seed in case.seeds:
        model = GridValueModel(str(case.scenario), seed=seed)
        dt = model.hours_per_interval
        loads = np.hstack([model.loads.gross_kw(model.customers, day)
                           for day in range(model.days)])
        medians.append(np.median([metrics.full_load_hours(row, dt) for row in loads]))
    return float(np.mean(medians))


def pv_clear_sky_month_share(case: Case) -> float:
    """Share of a clear-sky year's PV output (the place and module plane of the scenario) in
    calendar month `params.month`."""
    import datetime

    from gridvalue.simulation import solar
    from gridvalue.simulation.scenario import load_scenario
    from gridvalue.simulation.weather import normals_for

    scenario = load_scenario(case.scenario)
    normals, prof = normals_for(scenario.place), scenario.profiles
    start = scenario.meta.start_date
    dates = [start + datetime.timedelta(days=d) for d in range(365)]
    sky = solar.sky(normals, dates, 24)
    pv = solar.pv_kw_per_kwp(sky, prof.pv_tilt_deg, prof.pv_azimuth_deg, None,
                             np.full((365, 24), 25.0), 0.0).sum(axis=1)
    months = np.array([d.month for d in dates])
    return float(pv[months == int(case.params["month"])].sum() / pv.sum())


def ev_kw_per_ev_at_household_peak(case: Case) -> float:
    """Seed-mean diversified EV charging kW per EV owned at the interval of each day's
    household peak (the households' load without their EVs, so the EVs do not pick the
    hour), averaged over the weekdays of calendar months `params.months`."""
    from gridvalue.simulation.model import GridValueModel

    months = set(case.params.get("months", [6, 7, 8]))
    means = []
    for seed in case.seeds:
        model = GridValueModel(str(case.scenario), seed=seed).run()
        fleet = model.ev
        days = [d for d, date in enumerate(model.dates[:model.days])
                if date.month in months and date.weekday() < 5]
        if not days or fleet.count == 0:
            return float("nan")
        without = model.household_kw[days] - fleet.day_kw[days]
        at_peak = fleet.day_kw[days, without.argmax(axis=1)]
        means.append(at_peak.mean() / fleet.count)
    return float(np.mean(means))


METRICS: dict[str, Callable[[Case], float]] = {
    f.__name__: f for f in (peak_cut, energy_change, peak_hour, household_uptake,
                            contracts_ratio, bass_max_gap, dgen_long_run_share,
                            grid_losses_kw, grid_min_voltage_pu, shape_full_load_hours,
                            household_full_load_hours, pv_clear_sky_month_share,
                            ev_kw_per_ev_at_household_peak)}


@dataclasses.dataclass(frozen=True)
class Result:
    case: Case
    figure: float

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.figure) and self.case.low <= self.figure <= self.case.high)


def evaluate(case: Case) -> Result:
    return Result(case, METRICS[case.metric](case))


def _number(x: float) -> str:
    """Six significant digits (thousands separated)."""
    return f"{x:,.6g}"


def _cell(text: str) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


def report(results: list[Result]) -> str:
    """The validation report (markdown): one row per case."""
    passed = sum(r.passed for r in results)
    lines = ["# Validation report", "",
             "Every published figure the model is checked against is a case in `tests/cases/` "
             "(`scenario.toml` and `expect.toml`: the metric, its bounds, seeds and the source "
             "of the bound). Generated by `gridvalue validate --out docs/validation.md` "
             "(`make validate`); `tests/test_validation_cases.py` runs every case and checks "
             "that this page is current. The metrics are defined in "
             "`experiments/validate.py`.", "",
             f"**{passed} of {len(results)} cases pass.**", "",
             "| case | what | figure | bounds | seeds | source | result |",
             "|---|---|---:|---|---|---|---|"]
    for r in results:
        c = r.case
        unit = f" {c.unit}" if c.unit else ""
        lines.append(
            f"| `{c.name}` | {_cell(c.description)} (`{c.metric}`) | {_number(r.figure)}{unit} "
            f"| {_number(c.low)} – {_number(c.high)}{unit} "
            f"| {', '.join(map(str, c.seeds))} | {_cell(c.source)} "
            f"| {'pass' if r.passed else '**FAIL**'} |")
    return "\n".join(lines) + "\n"


# ---- the subcommand ---------------------------------------------------------------------------
def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="run every validation case (tests/cases/) and report "
                       "each figure against its published bound")
    p.add_argument("--out", type=Path, help="write the report (markdown) here, e.g. "
                   "docs/validation.md")
    p.add_argument("--cases", type=Path, default=CASES, help="folder of cases (default: "
                   "tests/cases of the source tree)")
    p.add_argument("--case", action="append", default=[], metavar="NAME",
                   help="run only this case (repeatable)")
    p.add_argument("--fast", action="store_true", help="leave out the cases marked slow")


def run(args) -> int:
    if args.out is not None and not args.out.parent.is_dir():
        raise ScenarioError("--out", f"no such folder: {args.out.parent}")
    cases = load_cases(args.cases)
    if args.case:
        known = {c.name for c in cases}
        for name in args.case:
            if name not in known:
                raise ScenarioError("--case", f"unknown case {name!r}")
        cases = [c for c in cases if c.name in args.case]
    if args.fast:
        cases = [c for c in cases if not c.slow]
    if args.out is not None and (args.case or args.fast):
        raise ScenarioError("--out", "the report covers every case: no --case or --fast")
    results = []
    for case in cases:
        result = evaluate(case)
        results.append(result)
        print(f"{'pass' if result.passed else 'FAIL'}  {case.name:<36} {_number(result.figure)}"
              f"  [{_number(case.low)}, {_number(case.high)}]", flush=True)
    if args.out is not None:
        text = report(results)
        write_atomic(args.out, lambda f: f.write(text.encode("utf-8")))
        print(f"report: {args.out}")
    return 0 if all(r.passed for r in results) else 1
