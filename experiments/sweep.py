"""Sweeps: a design over scenario parameters × replicates, run on a process pool or on Dask.

A sweep file (TOML) has three tables:

    [sweep]       name, base scenario, design (grid, latin, sobol, morris), samples,
                  replicates, outputs to keep, seed
    [set]         fixed overrides of the base scenario (short horizons, small towns...)
    [parameters]  what varies, by dotted path: `levels = [...]` (grid) or `bounds = [lo, hi]`

The design and every run's seed derive from the sweep seed (`numpy.random.SeedSequence`), so
the same file gives the same runs with any executor. `run_sweep` streams each run's row into
a `SweepStore` as it finishes; nothing is held in memory.
"""

import contextlib
import dataclasses
import datetime
import functools
import hashlib
import itertools
import json
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridvalue.experiments import limits
from gridvalue.experiments.atomic import safe_name
from gridvalue.experiments.workers import die_with_parent
from gridvalue.simulation.scenario import (
    _merge,
    _read_toml,
    _resolve_raw,
    apply_overrides,
    scenario_from_dict,
)
from gridvalue.simulation.schema import ScenarioError, build, param, to_dict

# Numeric figures of `runner.summarise` a sweep can keep (a test keeps this list current).
SUMMARY_OUTPUTS = (
    "households", "enterprises", "microgrids", "feeders", "transformers", "days",
    "system_peak_kw", "energy_mwh", "load_factor", "household_peak_kw", "cpp_event_days",
    "microgrid_import_mwh", "microgrid_export_mwh", "max_feeder_peak_kw",
    "transformers_over_rating", "transformer_hours_over_rating", "energy_revenue",
    "wholesale_cost", "capacity_cost", "company_margin", "company_npv", "company_npv_lifetime",
    "contracts", "contracts_defaulted", "service_revenue", "default_losses",
    "recoveries", "taxes", "subsidies", "customer_bill_total", "customer_service_paid",
    "customer_service_received",
    "peak_interval",
)
# Paired outputs: each run against its baseline twin (viz/twin.py: the same scenario with the
# policy sections reset to the packaged baseline's) run with the same seed. `delta.NAME` is
# the run's summary figure NAME minus the twin's; a service line's `SERVICE.FIELD`
# (experiments/objectives.py) is the run's own (the twin offers no services).
PAIRED_OUTPUTS = ("peak_reduction_kw", "deferral_relief_kw", "deferral_value", "uptake")
DELTA_PREFIX = "delta."
DEFAULT_OUTPUTS = ("system_peak_kw", "energy_mwh", "company_margin", "company_npv",
                   "company_npv_lifetime", "contracts", "contracts_defaulted",
                   "service_revenue", "default_losses", "transformers_over_rating")
# The Ishigami function (Ishigami & Homma 1990), a = 7, b = 0.1, x_i ~ U(-pi, pi): a
# validation toy with known Sobol indices that runs through the same design, store and analysis.
ISHIGAMI_INPUTS = ("x1", "x2", "x3")
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1

# Fewest samples a design accepts, and the fewest advised (a warning below): sobol base
# samples N (bootstrap intervals are meaningless below a handful), morris trajectories r
# (sigma needs two; Morris 1991 and Campolongo et al. 2007 use about 10 or more).
MIN_SAMPLES = {"sobol": (8, 64, "base samples"), "morris": (2, 10, "trajectories")}
DESIGN_KEY, SEED_KEY = 0, 1  # SeedSequence spawn keys: the design's stream, the runs' seeds
SWEEP_PACKAGE = "gridvalue.experiments"


@dataclass(frozen=True)
class SweepMeta:
    """The `[sweep]` table."""

    name: str = param("sweep", "-", "-", "Sweep name (default results folder sweeps/NAME)")
    description: str = param("", "-", "-", "What the sweep asks")
    model: str = param("gridvalue", "-", "-", "What a run evaluates: the gridvalue model, or the "
                       "Ishigami test function (validates the pipeline)",
                       choices=("gridvalue", "ishigami"))
    scenario: str = param("baseline", "-", "-", "Base scenario: packaged name, or a .toml path "
                          "relative to the sweep file")
    seed: int = param(0, "-", "-", "Sweep seed: the design and every run's seed derive from it",
                      min=0, max=2**63 - 1)
    design: str = param("grid", "-", "EMA Workbench, SALib",
                        "grid: every combination of levels; latin: Latin hypercube; sobol: "
                        "Saltelli's scheme for Sobol indices; morris: Morris trajectories",
                        choices=("grid", "latin", "sobol", "morris"))
    samples: int = param(16, "-", "-", "latin: points; sobol: base samples N, a power of 2 "
                         "(N·(D+2) points); morris: trajectories (N·(D+1) points)", min=1,
                         max=1_000_000)
    morris_levels: int = param(4, "levels", "Morris (1991), SALib default",
                               "Grid levels of the Morris design", min=2, max=100)
    replicates: int = param(1, "runs/point", "-", "Runs per design point, each its own seed",
                            min=1, max=100_000)
    common_random_numbers: bool = param(
        True, "-", "Law (2015), variance reduction", "Replicate r uses the same seed at every "
        "point, so points differ by their parameters only, not by noise")
    outputs: tuple[str, ...] = param((), "-", "-", "Summary figures to keep (empty: the "
                                     "default set; `ishigami` keeps y)")


@dataclass(frozen=True)
class Parameter:
    path: str
    kind: type  # int, float, bool or str
    levels: tuple = ()
    bounds: tuple[float, float] | None = None

    def scale(self, unit: np.ndarray) -> list:
        """Values for points in [0, 1] (integers rounded)."""
        low, high = self.bounds
        values = low + np.asarray(unit, dtype=float) * (high - low)
        if self.kind is int:
            return [int(v) for v in np.rint(values)]
        return [float(v) for v in values]


@dataclass(frozen=True)
class Sweep:
    meta: SweepMeta
    fixed: dict  # the [set] table, nested like a scenario
    parameters: tuple[Parameter, ...]
    base: dict  # the resolved raw base scenario, [set] merged in
    source: str  # the sweep file

    @property
    def outputs(self) -> tuple[str, ...]:
        if self.meta.model == "ishigami":
            return ("y",)
        return self.meta.outputs or DEFAULT_OUTPUTS

    def problem(self) -> dict:
        """The SALib problem of the design's parameters."""
        return {"num_vars": len(self.parameters),
                "names": [p.path for p in self.parameters],
                "bounds": [list(p.bounds) for p in self.parameters]}

    def hash(self) -> str:
        """SHA-256 of what the runs depend on: same hash, same runs."""
        meta = to_dict(dataclasses.replace(self.meta, description=""))
        spec = {"meta": meta, "base": self.base,
                "parameters": [dataclasses.asdict(p) | {"kind": p.kind.__name__}
                               for p in self.parameters]}
        text = json.dumps(spec, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def points(self) -> int:
        """How many design points, computed without building the design."""
        m, d = self.meta, len(self.parameters)
        if m.design == "grid":
            return math.prod(len(p.levels) for p in self.parameters)
        return m.samples * {"latin": 1, "sobol": d + 2, "morris": d + 1}[m.design]

    def size(self) -> int:
        """How many runs: points × replicates."""
        return self.points() * self.meta.replicates

    def warnings(self) -> list[str]:
        """Why the design may say little (it still runs)."""
        found = []
        m = self.meta
        if self.points() == 1:
            found.append("design: one point, so no parameter varies")
        minimum = MIN_SAMPLES.get(m.design)
        if minimum is not None and m.samples < minimum[1]:
            found.append(f"sweep.samples: {m.samples} {minimum[2]} give wide intervals on the "
                         f"indices; {minimum[1]} or more are advised")
        for p in self.parameters:
            if p.kind is int and p.bounds and p.bounds[1] - p.bounds[0] < 3:
                found.append(f"parameters.{p.path}: an integer over only "
                             f"{p.bounds[1] - p.bounds[0] + 1} values")
        return found

    def largest(self) -> dict:
        """The base scenario with each swept size (population, horizon, resolution, history)
        at its largest value: what the memory of one run is estimated on."""
        sizes = ("population.households", "population.enterprises", "population.microgrids",
                 "meta.days", "meta.intervals_per_day", "data_platform.history_months")
        biggest = {p.path: max(p.levels) if p.levels else p.bounds[1]
                   for p in self.parameters if p.path in sizes}
        return apply_overrides(self.base, biggest)

    def design(self) -> list[dict[str, Any]]:
        """The design points, in order: one {dotted path: value} per point."""
        params, m = self.parameters, self.meta
        if m.design == "grid":
            return [dict(zip((p.path for p in params), combo, strict=True))
                    for combo in itertools.product(*(p.levels for p in params))]
        seed = np.random.SeedSequence(m.seed, spawn_key=(DESIGN_KEY,))
        if m.design == "latin":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed)).random(
                m.samples)
        else:
            problem = self.problem() | {"bounds": [[0.0, 1.0]] * len(params)}
            salib_seed = int(seed.generate_state(1)[0])
            if m.design == "sobol":
                from SALib.sample import sobol

                unit = sobol.sample(problem, m.samples, calc_second_order=False, seed=salib_seed)
            else:
                from SALib.sample import morris

                unit = morris.sample(problem, m.samples, num_levels=m.morris_levels,
                                     seed=salib_seed)
        columns = [p.scale(unit[:, j]) for j, p in enumerate(params)]
        return [dict(zip((p.path for p in params), row, strict=True))
                for row in zip(*columns, strict=True)]

    def manifest(self) -> pd.DataFrame:
        """Every run of the sweep: run, point, replicate, seed and the point's parameters."""
        points = self.design()
        reps = self.meta.replicates
        crn = self.meta.common_random_numbers
        rows = []
        for point, values in enumerate(points):
            for rep in range(reps):
                rows.append({"run": point * reps + rep, "point": point, "replicate": rep,
                             "seed": run_seed(self.meta.seed, 0 if crn else point, rep)}
                            | values)
        frame = pd.DataFrame(rows)
        for p in self.parameters:  # one dtype per column, whatever the values
            frame[p.path] = frame[p.path].astype({int: "int64", float: "float64",
                                                  bool: "bool", str: "object"}[p.kind])
        return frame

    def task(self, row: dict) -> dict:
        """What a worker needs for one run (plain data: picklable, no files)."""
        return {"model": self.meta.model, "base": self.base, "run": int(row["run"]),
                "seed": int(row["seed"]), "outputs": self.outputs,
                "overrides": {p.path: _plain(row[p.path]) for p in self.parameters}}


def run_seed(sweep_seed: int, point: int, replicate: int) -> int:
    """The seed of a run, derived from the sweep seed (a 31-bit integer)."""
    sequence = np.random.SeedSequence(sweep_seed, spawn_key=(SEED_KEY, point, replicate))
    return int(sequence.generate_state(1)[0] >> 1)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ---- loading and validating a sweep file ---------------------------------------------------

def packaged_sweeps() -> dict[str, Path]:
    folder = resources.files(SWEEP_PACKAGE) / "sweeps"
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def _nest(table: dict) -> dict:
    """Split dotted keys ("meta.days" = 30) into nested tables, like TOML's own dotted keys."""
    nested: dict = {}
    for key, value in table.items():
        if isinstance(value, dict):
            value = _nest(value)
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = _merge(node[parts[-1]], value)
        else:
            node[parts[-1]] = value
    return nested


def _flatten_parameters(table: dict, prefix: str = "") -> dict[str, Any]:
    """`[parameters]` as {dotted path: spec}; a spec is a table with `levels` or `bounds`."""
    flat = {}
    for key, value in table.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and not ({"levels", "bounds"} & set(value)):
            flat |= _flatten_parameters(value, path)
        else:
            flat[path] = value
    return flat


def _lookup(tree: dict, path: str) -> Any:
    node = tree
    for part in path.split("."):
        node = node[part]
    return node


def _current_value(base: dict, path: str) -> Any:
    """The base scenario's value at `path` (a service's default if the base lacks it)."""
    try:
        return _lookup(to_dict(scenario_from_dict(base)), path)
    except (KeyError, TypeError):
        pass
    parent = path.rpartition(".")[0]
    if parent.startswith("services."):
        try:  # a service the base does not offer: its defaults
            return _lookup(to_dict(scenario_from_dict(apply_overrides(base, {parent: {}}))), path)
        except (KeyError, TypeError, ScenarioError):
            pass
    return None


def _check_values(base: dict, path: str, values: Iterable) -> None:
    """Each value, set in the base scenario, must pass the scenario's own validation."""
    for value in values:
        try:
            scenario_from_dict(apply_overrides(base, {path: value}))
        except ScenarioError as exc:
            where = "" if exc.field == path else f" ({exc.field})"
            raise ScenarioError(f"parameters.{path}", f"{exc.problem}{where}") from None


def _parameter(path: str, spec: Any, meta: SweepMeta, base: dict | None) -> Parameter:
    where = f"parameters.{path}"
    if path == "meta.seed" and base is not None:
        raise ScenarioError(where, "every run's seed overrides meta.seed, so every point would "
                            "be the same; vary replicates or sweep.seed instead")
    if not isinstance(spec, dict):
        raise ScenarioError(where, "expected a table with levels = [...] or bounds = [low, high]")
    unknown = set(spec) - {"levels", "bounds"}
    if unknown:
        raise ScenarioError(f"{where}.{sorted(unknown)[0]}", "unknown key (allowed: levels, "
                            "bounds)")
    if ("levels" in spec) == ("bounds" in spec):
        raise ScenarioError(where, "give levels = [...] or bounds = [low, high], one of them")
    if meta.design == "grid" and "levels" not in spec:
        raise ScenarioError(where, "a grid design needs levels = [...]")
    if meta.design != "grid" and "bounds" not in spec:
        raise ScenarioError(where, f"a {meta.design} design needs bounds = [low, high]")
    if base is None:  # the Ishigami toy
        if path not in ISHIGAMI_INPUTS:
            raise ScenarioError(where, f"unknown input (ishigami has {', '.join(ISHIGAMI_INPUTS)})")
        current = 0.0
    else:
        current = _current_value(base, path)
        if current is None:
            first = spec["levels"][0] if spec.get("levels") else (spec.get("bounds") or [0])[0]
            _check_values(base, path, [first])  # raises the scenario's own message
            raise ScenarioError(where, "not a scenario parameter")
        if isinstance(current, dict | list):
            raise ScenarioError(where, "is a table or list, not one value; name a field in it")
    kind = type(current) if isinstance(current, bool | int | float | str) else str
    if "levels" in spec:
        levels = spec["levels"]
        if not isinstance(levels, list) or not levels:
            raise ScenarioError(f"{where}.levels", "expected a non-empty list")
        if len(set(map(repr, levels))) != len(levels):
            raise ScenarioError(f"{where}.levels", "has a level twice")
        if kind is float:
            levels = [float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                      for v in levels]
        if base is not None:
            _check_values(base, path, levels)
        return Parameter(path, kind, levels=tuple(levels))
    bounds = spec["bounds"]
    if (not isinstance(bounds, list) or len(bounds) != 2
            or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
            or not all(math.isfinite(b) for b in bounds)):
        raise ScenarioError(f"{where}.bounds",
                            f"expected [low, high] (two numbers), got {bounds!r}")
    if not bounds[0] < bounds[1]:
        raise ScenarioError(f"{where}.bounds", f"low must be below high, got {bounds!r}")
    if kind not in (int, float):
        raise ScenarioError(where, f"bounds need a numeric parameter; this one is "
                            f"{kind.__name__} (give levels)")
    low, high = (int(round(b)) for b in bounds) if kind is int else map(float, bounds)
    if not low < high:
        raise ScenarioError(f"{where}.bounds", f"an integer parameter: {bounds!r} rounds to "
                            f"the single value {low}, so nothing would vary")
    if base is not None:
        _check_values(base, path, [low, high])
    return Parameter(path, kind, bounds=(low, high))


def load_sweep(ref: "str | Path") -> Sweep:
    """Read and validate a sweep file (packaged name or path); every dotted path is checked
    against the scenario schema before anything runs."""
    ref = str(ref)
    if ref.endswith(".toml") or "/" in ref:
        path = Path(ref)
    else:
        packaged = packaged_sweeps()
        if ref not in packaged:
            raise ScenarioError("sweep", f"no packaged sweep named {ref!r} (packaged: "
                                f"{', '.join(sorted(packaged))}); give a .toml path")
        path = packaged[ref]
    raw = _read_toml(path)
    unknown = set(raw) - {"sweep", "set", "parameters"}
    if unknown:
        raise ScenarioError(sorted(unknown)[0], "unknown table (allowed: sweep, set, parameters)")
    meta_raw = raw.get("sweep", {})
    if isinstance(meta_raw, dict):
        meta_raw = {"name": path.stem} | meta_raw
    meta = build(SweepMeta, meta_raw, "sweep")
    fixed = raw.get("set", {})
    if not isinstance(fixed, dict):
        raise ScenarioError("set", "expected a table of scenario overrides")
    fixed = _nest(fixed)
    if meta.model == "ishigami":
        base = None
        if fixed:
            raise ScenarioError("set", "the ishigami model has no scenario to set")
        outputs_allowed = ("y",)
    else:
        scenario_ref = meta.scenario
        relative = path.parent if (scenario_ref.endswith(".toml") or "/" in scenario_ref) \
            else None
        try:
            base = _resolve_raw(scenario_ref, relative, ())
            scenario_from_dict(base)
        except ScenarioError as exc:
            where = "" if exc.field == "scenario" else f": {exc.field}"
            raise ScenarioError(f"sweep.scenario{where}", exc.problem) from None
        base = _merge(base, fixed)
        try:
            scenario_from_dict(base)
        except ScenarioError as exc:
            raise ScenarioError(f"set.{exc.field}", exc.problem) from None
        outputs_allowed = SUMMARY_OUTPUTS
    for i, name in enumerate(meta.outputs):
        if meta.model == "gridvalue" and paired_output(name):
            continue
        if name not in outputs_allowed:
            raise ScenarioError(f"sweep.outputs[{i}]", f"unknown output {name!r} (known: "
                                f"{', '.join(outputs_allowed)}; paired against the baseline "
                                f"twin: {', '.join(PAIRED_OUTPUTS)}, delta.NAME for a known "
                                "NAME, SERVICE.contracts|uptake|npv_horizon|npv_lifetime)")
    if "parameters" not in raw:
        raise ScenarioError("parameters", "missing: name at least one parameter to vary")
    if not isinstance(raw["parameters"], dict):
        raise ScenarioError("parameters", "expected a table of parameters by dotted path")
    specs = _flatten_parameters(raw["parameters"])
    if not specs:
        raise ScenarioError("parameters", "empty: name at least one parameter to vary")
    params = tuple(_parameter(p, s, meta, base) for p, s in specs.items())
    if meta.design == "sobol" and meta.samples & (meta.samples - 1):
        raise ScenarioError("sweep.samples", f"a sobol design needs a power of 2, got "
                            f"{meta.samples}")
    minimum = MIN_SAMPLES.get(meta.design)
    if minimum is not None and meta.samples < minimum[0]:
        raise ScenarioError("sweep.samples", f"a {meta.design} design needs at least "
                            f"{minimum[0]} {minimum[2]}, got {meta.samples}: fewer give "
                            "meaningless indices")
    sweep = Sweep(meta=meta, fixed=fixed, parameters=params, base=base or {}, source=str(path))
    runs = sweep.size()
    if runs > limits.MAX_SWEEP_RUNS:
        raise ScenarioError("sweep", f"the design has {runs:,} runs; at most "
                            f"{limits.MAX_SWEEP_RUNS:,} (one result file each)")
    limits.check_memory(runs * limits.MANIFEST_BYTES_PER_RUN, f"the manifest of {runs:,} runs",
                        "sweep")
    return sweep


# ---- evaluating one run (in a worker) ------------------------------------------------------

def ishigami(x1: float, x2: float, x3: float) -> float:
    return math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * math.sin(x1)


def paired_output(name: str) -> bool:
    """Whether `name` is an output measured against the baseline twin (or a service line)."""
    from gridvalue.experiments.objectives import SERVICE_FIELDS
    from gridvalue.simulation.services import registry

    if name in PAIRED_OUTPUTS:
        return True
    if name.startswith(DELTA_PREFIX):
        return name.removeprefix(DELTA_PREFIX) in SUMMARY_OUTPUTS
    line, _, field = name.rpartition(".")
    return field in SERVICE_FIELDS and line in registry()


_TWINS: dict[tuple[str, int], Any] = {}  # the last twin run in this process, by (hash, seed)


def paired_values(scenario, seed: int, outputs: tuple[str, ...]) -> dict[str, float]:
    """A run's summary figures and paired outputs against its baseline twin (same seed); the
    twin is run once per seed in a process (common random numbers: every point shares it)."""
    from gridvalue.experiments.compare import service_kpis, uptake_share
    from gridvalue.experiments.runner import model_tables, summarise
    from gridvalue.simulation.model import GridValueModel
    from gridvalue.simulation.peaks import paired_peak_value
    from gridvalue.viz.twin import baseline_twin

    model = GridValueModel(scenario, seed=seed).run()
    summary = summarise(model, model_tables(model))
    values = {k: summary[k] for k in outputs if k in summary}
    values |= {"uptake": uptake_share(model)} | service_kpis(model)
    if any(k in PAIRED_OUTPUTS[:3] or k.startswith(DELTA_PREFIX) for k in outputs):
        twin = baseline_twin(scenario)
        key = (twin.hash(), int(seed))
        if key not in _TWINS:
            _TWINS.clear()
            twin_model = GridValueModel(twin, seed=seed).run()
            _TWINS[key] = (twin_model, summarise(twin_model, model_tables(twin_model)))
        twin_model, twin_summary = _TWINS[key]
        values |= paired_peak_value(twin_model, model)
        values |= {f"{DELTA_PREFIX}{k}": float(summary[k]) - float(twin_summary[k])
                   for k in SUMMARY_OUTPUTS}
    return {k: values.get(k, 0.0) for k in outputs}  # a line not offered: 0


def evaluate(task: dict) -> dict:
    """Run one task and return its result row; an error is recorded, never raised."""
    clock = time.perf_counter()
    row: dict[str, Any] = {"run": task["run"]}
    try:
        if task["model"] == "ishigami":
            values = {"y": ishigami(**{k: task["overrides"].get(k, 0.0)
                                       for k in ISHIGAMI_INPUTS})}
        else:
            from gridvalue.experiments.runner import run_scenario

            scenario = scenario_from_dict(apply_overrides(task["base"], task["overrides"]))
            if any(paired_output(k) for k in task["outputs"]):
                values = paired_values(scenario, task["seed"], tuple(task["outputs"]))
            else:
                summary = run_scenario(scenario, seed=task["seed"]).summary
                values = {k: summary[k] for k in task["outputs"]}
        row |= {k: float(v) for k, v in values.items()} | {"status": "ok", "error": ""}
    except Exception as exc:  # noqa: BLE001 - a failed run is data, the sweep goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        row |= {k: math.nan for k in task["outputs"]} | {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"}
    row["wall_seconds"] = round(time.perf_counter() - clock, 4)
    return row


def failed_row(task: dict, error: str) -> dict:
    return ({"run": task["run"]} | {k: math.nan for k in task["outputs"]}
            | {"status": "failed", "error": error, "wall_seconds": math.nan})


# ---- executors --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Executor:
    """Where runs go: `inline` (this process), `pool` (local processes), `dask` (a scheduler
    address, or a LocalCluster of `workers` processes when `address` is empty)."""

    kind: str = "pool"
    workers: int = 1
    address: str = ""

    def describe(self) -> str:
        if self.kind == "dask":
            return f"dask scheduler {self.address}" if self.address else \
                f"dask LocalCluster of {self.workers} workers"
        return "this process" if self.kind == "inline" else f"{self.workers} local processes"

    @contextlib.contextmanager
    def open(self) -> Iterator[Callable[[Iterable[dict]], Iterator[dict]]]:
        """Start the workers (or connect to the scheduler); yield a `map(tasks)` that gives
        result rows in completion order, with a few tasks per worker in flight."""
        if self.kind == "inline":
            yield lambda tasks: map(evaluate, tasks)
        elif self.kind == "pool":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                     initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
                yield functools.partial(_pool_map, pool, self.workers)
        else:
            with _dask_client(self.workers, self.address) as client:
                yield functools.partial(_dask_map, client)


def _pool_map(pool, workers: int, tasks: Iterable[dict]) -> Iterator[dict]:
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    todo = iter(tasks)
    pending = {pool.submit(evaluate, t) for t in itertools.islice(todo, 4 * workers)}
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            try:
                yield future.result()
            except BrokenProcessPool:
                raise RuntimeError("a worker process died (out of memory?); finished runs are "
                                   "stored: run the same command again to resume") from None
            for task in itertools.islice(todo, 1):
                pending.add(pool.submit(evaluate, task))


@contextlib.contextmanager
def _dask_client(workers: int, address: str):
    import logging

    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address
            raise ScenarioError("--scheduler", f"cannot reach {address!r}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    quiet = logging.getLogger("distributed")
    level = quiet.level
    try:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            try:
                yield client
            finally:  # heartbeats racing the shutdown log closed streams: not news
                quiet.setLevel(logging.CRITICAL)
    finally:
        quiet.setLevel(level)


def _dask_map(client, tasks: Iterable[dict]) -> Iterator[dict]:
    from distributed import as_completed

    todo = iter(tasks)
    window = 4 * max(1, len(client.scheduler_info()["workers"]))
    by_key: dict[str, dict] = {}
    queue = as_completed()

    def submit(task: dict) -> None:
        future = client.submit(evaluate, task, pure=False)
        by_key[future.key] = task
        queue.add(future)

    for task in itertools.islice(todo, window):
        submit(task)
    for future in queue:
        task = by_key.pop(future.key)
        try:
            row = future.result()
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: record it and go on
            row = failed_row(task, f"{type(exc).__name__}: {exc}")
        future.release()
        yield row
        for task in itertools.islice(todo, 1):
            submit(task)


# ---- running a sweep ------------------------------------------------------------------------

def default_root(sweep: Sweep) -> Path:
    """sweeps/NAME, the name made safe (a sweep's name is never a path)."""
    return Path("sweeps") / safe_name(sweep.meta.name)


def preflight(sweep: Sweep, root: Path, executor: "Executor", resume: bool = False,
              repair: bool = False) -> None:
    """Everything checked before a worker starts (ScenarioError): the folder (writable, room
    for the result files, not another sweep's, not damaged unless `repair`) and the memory of
    the local workers."""
    from gridvalue.experiments import atomic
    from gridvalue.experiments.store import SweepStore

    atomic.preflight(root, sweep.size() * limits.SWEEP_BYTES_PER_RUN + limits.FOLDER_BASE_BYTES,
                     allow_existing=True)
    SweepStore.check(root, sweep, resume, repair)
    local = 1 if executor.kind == "inline" else (0 if executor.address else executor.workers)
    if sweep.meta.model == "gridvalue" and local:  # a remote cluster's memory is its own
        paired = any(paired_output(k) for k in sweep.outputs)  # a run and its twin
        limits.check_run(scenario_from_dict(sweep.largest()), processes=local * (1 + paired))


def run_sweep(sweep: "Sweep | str | Path", out: "Path | str | None" = None,
              executor: Executor | None = None, resume: bool = False,
              progress: Callable[[int, int, int], None] | None = None, repair: bool = False):
    """Run every run of the sweep not yet finished in `out` (default sweeps/NAME); return the
    store. `progress(done, total, failed)` is called after each run. A damaged store (an
    unreadable sweep.json, manifest or run file) is refused with a one-line diagnosis unless
    `repair`: then the sweep's own files are rewritten from the sweep file and the damaged
    runs are run again."""
    from gridvalue.experiments.atomic import output_lock
    from gridvalue.experiments.store import SweepStore

    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep)
    executor = executor or Executor()
    if executor.kind != "dask" and executor.workers > limits.MAX_WORKERS:
        raise ScenarioError("--workers", f"must be at most {limits.MAX_WORKERS}, got "
                            f"{executor.workers}")
    root = Path(out) if out else default_root(sweep)
    preflight(sweep, root, executor, resume, repair)  # before starting workers
    with output_lock(root), executor.open() as evaluate_all:
        store = SweepStore.open(root, sweep, resume=resume, repair=repair)
        manifest = store.manifest()
        finished = store.finished_runs()
        todo = manifest[~manifest["run"].isin(finished)]
        total, done, failed = len(manifest), len(finished), 0
        if progress is not None:
            progress(done, total, failed)
        tasks = (sweep.task(row) for row in todo.to_dict("records"))
        started = datetime.datetime.now(datetime.UTC)
        for row in evaluate_all(tasks):
            store.write(row)
            done += row["status"] == "ok"
            failed += row["status"] != "ok"
            if progress is not None:
                progress(done, total, failed)
        store.log_session(started, executor.describe(), done, failed)
    return store
