"""Running scenarios: the command line, the runner, sweeps, results on disk, reports.

The notebook API::

    from gridvalue.experiments import run, run_sweep
    result = run("baseline", seed=3, meta__days=90, population__households=500)
    result["daily"]; result["customers"]; result.summary["system_peak_kw"]
    store = run_sweep("short_runs", out="sweeps/short_runs")   # a sweep file or packaged name
    store.read()                                                 # one row per run (pandas)
"""


def run(scenario="baseline", seed: int | None = None, **overrides):
    """Run a scenario (packaged name, .toml path or `Scenario`) and return its `RunResult`:
    a DataFrame per table (`result["daily"]`, `result.tables`) and `result.summary`.
    Overrides are keywords with `__` for the dot (`meta__days=90` sets `meta.days`)."""
    from gridvalue.experiments.runner import run_scenario
    from gridvalue.simulation.scenario import Scenario, apply_overrides, scenario_from_dict

    flat = {key.replace("__", "."): value for key, value in overrides.items()}
    if isinstance(scenario, Scenario) and flat:
        scenario, flat = scenario_from_dict(apply_overrides(scenario.to_dict(), flat)), {}
    return run_scenario(scenario, seed=seed, overrides=flat or None)


def run_sweep(sweep, out=None, workers: int = 1, scheduler: str = "", dask_local: int = 0):
    """Run (or resume) a sweep on `workers` local processes, a Dask scheduler address or a
    Dask LocalCluster of `dask_local` workers; return its `SweepStore` (`.read()`,
    `.duckdb()`)."""
    from gridvalue.experiments.sweep import Executor
    from gridvalue.experiments.sweep import run_sweep as _run_sweep

    if scheduler:
        executor = Executor("dask", address=scheduler)
    elif dask_local:
        executor = Executor("dask", workers=dask_local)
    else:
        executor = Executor("pool", workers=workers)
    return _run_sweep(sweep, out, executor)
