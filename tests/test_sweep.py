"""Sweeps: sweep files and their errors, seeds, executors, the results store, resume after a
SIGKILL, sensitivity with a known answer, the sweep report, the notebook API and batch_run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import mesa
import numpy as np
import pandas as pd
import pytest

from gridvalue.experiments import run
from gridvalue.experiments import sensitivity as sa
from gridvalue.experiments.runner import model_tables, run_scenario, summarise
from gridvalue.experiments.store import SweepStore
from gridvalue.experiments.sweep import (
    SUMMARY_OUTPUTS,
    Executor,
    load_sweep,
    packaged_sweeps,
    run_seed,
    run_sweep,
)
from gridvalue.experiments.sweep_report import write_sweep_report
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.schema import ScenarioError

TINY = """
[set]
"meta.days" = 7
"population.households" = 60
"population.enterprises" = 12
"population.microgrids" = 0
"""

GRID = """
[sweep]
name = "tiny_grid"
design = "grid"
replicates = 2
seed = 5
outputs = ["system_peak_kw", "energy_revenue", "company_margin"]
""" + TINY + """
[parameters]
"tariff.residential_price_per_kwh" = { levels = [0.5, 0.6] }
"population.households" = { levels = [40, 80] }
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def results(store: SweepStore) -> pd.DataFrame:
    return store.read().drop(columns="wall_seconds")


def gridvalue(*args, cwd=None, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                            cwd=cwd, env=os.environ | {"PYTHONWARNINGS": "ignore"}, **kwargs)


# ---- sweep files ---------------------------------------------------------------------------

def test_packaged_sweeps_load():
    expected = {"ishigami", "short_runs", "screening_grid", "market_sobol", "price_latin"}
    assert expected <= set(packaged_sweeps())
    runs = {name: len(load_sweep(name).manifest()) for name in expected}
    assert runs["short_runs"] == 200
    assert runs["ishigami"] == 512 * (3 + 2)  # Saltelli without second order: N (D + 2)
    assert runs["market_sobol"] == 32 * (5 + 2)


@pytest.mark.parametrize("body, message", [
    ('[parameters]\n"meta.dayz" = { levels = [1, 2] }',
     "parameters.meta.dayz: unknown key (allowed: name, description"),
    ('[parameters]\n"population.households" = { levels = [10, -5] }',
     "parameters.population.households: must be at least 0, got -5"),
    ('[parameters]\n"meta.days" = { bounds = [1, 30] }',
     "parameters.meta.days: a grid design needs levels = [...]"),
    ('[parameters]\n"tariff.kind" = { levels = ["flat", "dynamic"] }',
     "parameters.tariff.kind: must be one of 'flat', 'tou', 'cpp', 'rtp', got 'dynamic'"),
    ('[parameters]\n"meta.days" = { levels = [1, 1] }', "parameters.meta.days.levels: has a "
     "level twice"),
    ('[parameters]\n"population" = { levels = [1] }', "parameters.population: is a table"),
    ('[parameters]\n"meta.days" = { levels = [7], step = 2 }',
     "parameters.meta.days.step: unknown key"),
    ('[parameters]', "parameters: empty"),
    ('[set]\n"meta.days" = -1\n[parameters]\n"meta.seed" = { levels = [1] }',
     "set.meta.days: must be at least 1"),
    ('[sweep]\noutputs = ["peak"]\n[parameters]\n"meta.days" = { levels = [7] }',
     "sweep.outputs[0]: unknown output 'peak'"),
    ('[sweep]\ndesign = "sobol"\nsamples = 10\n[parameters]\n'
     '"meta.days" = { bounds = [7, 14] }', "sweep.samples: a sobol design needs a power of 2"),
    ('[sweep]\ndesign = "latin"\n[parameters]\n"meta.name" = { bounds = [1, 2] }',
     "parameters.meta.name: bounds need a numeric parameter"),
    ('[sweep]\ndesign = "latin"\n[parameters]\n"meta.days" = { bounds = [9, 3] }',
     "parameters.meta.days.bounds: low must be below high"),
    ('[sweep]\ndesign = "taguchi"\n[parameters]\n"meta.days" = { levels = [7] }',
     "sweep.design: must be one of 'grid', 'latin', 'sobol', 'morris', got 'taguchi'"),
    ('[sweep]\nreplicates = 0\n[parameters]\n"meta.days" = { levels = [7] }',
     "sweep.replicates: must be at least 1, got 0"),
    ('[sweep]\nscenario = "nowhere"\n[parameters]\n"meta.days" = { levels = [7] }',
     "sweep.scenario: no packaged scenario named 'nowhere'"),
    ('[sweep]\nscenario = "missing.toml"\n[parameters]\n"meta.days" = { levels = [7] }',
     "missing.toml: file not found"),
    ('[set]\n"meta.dayz" = 3\n[parameters]\n"meta.days" = { levels = [7] }',
     "set.meta.dayz: unknown key"),
    ('[runs]\nx = 1', "runs: unknown table"),
    ('[sweep]\nmodel = "ishigami"\n[parameters]\nx4 = { levels = [1.0] }',
     "parameters.x4: unknown input (ishigami has x1, x2, x3)"),
])
def test_bad_sweep_files_name_the_field(tmp_path, body, message):
    with pytest.raises(ScenarioError) as info:
        load_sweep(write(tmp_path, body))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_service_parameter_the_base_lacks_is_checked_against_its_schema(tmp_path):
    ok = load_sweep(write(tmp_path, '[parameters]\n'
                          '"services.shared_savings.score_threshold" = { levels = [10, 90] }'))
    assert ok.parameters[0].kind is float and ok.parameters[0].levels == (10.0, 90.0)
    with pytest.raises(ScenarioError, match="score_threshold: must be at most 100"):
        load_sweep(write(tmp_path, '[parameters]\n'
                         '"services.shared_savings.score_threshold" = { levels = [10, 190] }'))


def test_cli_bad_sweep_exits_2_with_one_line_and_writes_nothing(tmp_path):
    path = write(tmp_path, '[parameters]\n"population.households" = { levels = [-5] }')
    proc = gridvalue("sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1",
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == ["gridvalue: error: parameters.population.households: "
                                        "must be at least 0, got -5"]
    assert not (tmp_path / "out").exists()


# ---- design and seeds ----------------------------------------------------------------------

def test_seeds_derive_from_the_sweep_seed_and_are_stored(tmp_path):
    sweep = load_sweep(write(tmp_path, GRID))
    plan = sweep.manifest()
    assert len(plan) == 4 * 2 and list(plan["run"]) == list(range(8))
    assert list(plan["seed"]) == [run_seed(5, 0, r) for _ in range(4) for r in range(2)]
    # common random numbers: replicate r has one seed at every point, replicates differ
    assert plan.groupby("replicate")["seed"].nunique().tolist() == [1, 1]
    assert plan["seed"].nunique() == 2
    independent = load_sweep(write(tmp_path, GRID.replace(
        "seed = 5", "seed = 5\ncommon_random_numbers = false"))).manifest()
    assert independent["seed"].nunique() == 8
    assert sweep.hash() != load_sweep(write(tmp_path, GRID.replace("seed = 5", "seed = 6"))).hash()


def test_sampled_designs_are_seeded_and_within_bounds(tmp_path):
    text = GRID.replace('design = "grid"', 'design = "latin"\nsamples = 20').replace(
        "levels = [0.5, 0.6]", "bounds = [0.4, 0.7]").replace("levels = [40, 80]",
                                                              "bounds = [40, 80]")
    a = load_sweep(write(tmp_path, text)).manifest()
    b = load_sweep(write(tmp_path, text)).manifest()
    c = load_sweep(write(tmp_path, text.replace("seed = 5", "seed = 6"))).manifest()
    pd.testing.assert_frame_equal(a, b)
    assert not a["tariff.residential_price_per_kwh"].equals(c["tariff.residential_price_per_kwh"])
    price = a["tariff.residential_price_per_kwh"].drop_duplicates()
    assert len(price) == 20 and price.between(0.4, 0.7).all()
    # Latin hypercube: one point in each of the 20 equal strata of each parameter
    assert sorted(np.floor((price - 0.4) / 0.3 * 20).astype(int)) == list(range(20))
    assert a["population.households"].dtype == np.int64
    assert a["population.households"].between(40, 80).all()


# ---- executors and the store -------------------------------------------------------------------

@pytest.fixture(scope="module")
def grid_stores(tmp_path_factory):
    """The same small sweep on a 1-process pool, a 2-process pool and a Dask LocalCluster."""
    root = tmp_path_factory.mktemp("executors")
    path = write(root, GRID)
    return {label: run_sweep(path, root / label, executor) for label, executor in (
        ("pool1", Executor("pool", workers=1)), ("pool2", Executor("pool", workers=2)),
        ("dask", Executor("dask", workers=2)))}


def test_results_are_identical_on_every_executor(grid_stores):
    frames = {label: results(store) for label, store in grid_stores.items()}
    assert len(frames["pool1"]) == 8 and (frames["pool1"]["status"] == "ok").all()
    pd.testing.assert_frame_equal(frames["pool1"], frames["pool2"])
    pd.testing.assert_frame_equal(frames["pool1"], frames["dask"])
    # and each run equals the same scenario run on its own with its stored seed
    row = frames["pool1"].iloc[5]
    alone = run("baseline", seed=int(row["seed"]), meta__days=7, population__households=int(
        row["population.households"]), population__enterprises=12, population__microgrids=0,
        tariff__residential_price_per_kwh=float(row["tariff.residential_price_per_kwh"]))
    assert alone.summary["system_peak_kw"] == row["system_peak_kw"]
    assert alone.summary["company_margin"] == row["company_margin"]


def test_outputs_respond_to_the_parameters(grid_stores):
    frame = results(grid_stores["pool1"])
    by = frame.groupby(["tariff.residential_price_per_kwh", "population.households",
                        "replicate"])["energy_revenue"].first()
    # a higher household price raises energy revenue at every size and replicate
    assert (by.loc[0.6] > by.loc[0.5]).all()
    # common random numbers: the price does not touch the loads, so peaks match exactly
    peaks = frame.groupby(["population.households", "replicate"])["system_peak_kw"].nunique()
    assert (peaks == 1).all()


def test_store_reads_with_pandas_and_duckdb(grid_stores):
    store = grid_stores["pool2"]
    files = sorted(p.name for p in store.runs_dir.iterdir())
    assert files == [f"r{i:06d}.parquet" for i in range(8)]
    frame = pd.read_parquet(store.runs_dir)
    assert len(frame) == 8
    rel = store.duckdb()
    con = duckdb.connect()
    mean = con.sql(f"""select avg(system_peak_kw) from '{store.runs_dir}/*.parquet'
                       where "population.households" = 80""").fetchall()[0][0]
    assert mean == pytest.approx(frame.loc[frame["population.households"] == 80,
                                           "system_peak_kw"].mean(), rel=1e-12)
    assert len(rel.df()) == 8
    assert store.status() == {"runs": 8, "ok": 8, "failed": 0, "missing": 0}


def test_summary_outputs_list_every_numeric_summary_figure(small_model):
    summary = summarise(small_model, model_tables(small_model))
    numeric = [k for k, v in summary.items() if isinstance(v, int | float)]
    assert list(SUMMARY_OUTPUTS) == numeric


def test_failed_runs_are_recorded_and_retried_not_duplicated(tmp_path):
    # each level is a valid town, but no households and no enterprises is not
    text = GRID.replace('"tariff.residential_price_per_kwh" = { levels = [0.5, 0.6] }',
                        '"population.enterprises" = { levels = [0, 12] }').replace(
        "levels = [40, 80]", "levels = [0, 40]")
    path = write(tmp_path, text)
    store = run_sweep(path, tmp_path / "out", Executor("inline"))
    frame = store.read()
    failed = frame[frame["status"] == "failed"]
    assert list(failed["run"]) == [0, 1]  # point 0: enterprises 0, households 0
    assert failed["error"].str.contains("the population has no customers").all()
    assert failed["system_peak_kw"].isna().all()
    assert (frame.loc[frame["status"] == "ok", "system_peak_kw"] > 0).all()
    stamps = {p.name: p.stat().st_mtime_ns for p in store.runs_dir.iterdir()}
    again = run_sweep(path, tmp_path / "out", Executor("inline"), resume=True)
    after = {p.name: p.stat().st_mtime_ns for p in again.runs_dir.iterdir()}
    assert sorted(after) == sorted(stamps)
    rerun = {name for name in after if after[name] != stamps[name]}
    assert rerun == {"r000000.parquet", "r000001.parquet"}  # only the failed ones ran again
    pd.testing.assert_frame_equal(results(again), results(store))


def test_an_out_folder_of_another_sweep_is_refused(tmp_path):
    run_sweep(write(tmp_path, GRID.replace("replicates = 2", "replicates = 1").replace(
        "levels = [40, 80]", "levels = [40]")), tmp_path / "out", Executor("inline"))
    other = write(tmp_path, GRID, "other.toml")
    with pytest.raises(ScenarioError, match="--out: .* holds a different sweep"):
        run_sweep(other, tmp_path / "out", Executor("inline"))
    with pytest.raises(ScenarioError, match="--resume: no sweep to resume"):
        run_sweep(other, tmp_path / "fresh", Executor("inline"), resume=True)


def test_sigkill_halfway_then_rerun_completes_every_run_once(tmp_path):
    text = GRID.replace("replicates = 2", "replicates = 4").replace(
        "levels = [40, 80]", "levels = [40, 60, 80]")  # 24 runs
    path = write(tmp_path, text)
    out = tmp_path / "out"
    proc = gridvalue("sweep", str(path), "--out", str(out), "--workers", "2", "--quiet",
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = list((out / "runs").glob("r*.parquet")) if out.exists() else []
        if len(done) >= 8:
            break
        assert proc.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes
    proc.wait()
    killed_with = len(list((out / "runs").glob("r*.parquet")))
    assert 8 <= killed_with < 24
    proc = gridvalue("sweep", str(path), "--out", str(out), "--workers", "2",
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    assert "runs:    24 ok, 0 failed of 24" in stdout
    assert f"resuming: {killed_with} of 24 runs already done" in stderr
    assert "24/24" in stderr and "failed=0" in stderr  # the progress bar
    store = SweepStore(out)
    frame = store.read()
    assert sorted(frame["run"]) == list(range(24))  # every run, exactly once
    assert (frame["status"] == "ok").all()
    assert not [p for p in (out / "runs").iterdir() if not p.name.endswith(".parquet")]
    assert len(store.info["sessions"]) == 1  # the killed session never logged
    assert (out / "report.html").exists()
    # the resumed runs equal runs never interrupted
    reference = run_sweep(path, tmp_path / "reference", Executor("inline"))
    pd.testing.assert_frame_equal(results(store), results(reference))


# ---- sensitivity ------------------------------------------------------------------------------

ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def test_sobol_indices_of_ishigami_come_out_right(tmp_path):
    text = Path(packaged_sweeps()["ishigami"]).read_text()
    path = write(tmp_path, text.replace("samples = 512", "samples = 256"))  # 1,280 runs
    store = run_sweep(path, tmp_path / "ishigami", Executor("inline"))
    table = sa.analyse(store).set_index("parameter")
    for name in ("x1", "x2", "x3"):
        for index, truth in (("S1", ISHIGAMI_S1[name]), ("ST", ISHIGAMI_ST[name])):
            assert table.loc[name, index] == pytest.approx(truth, abs=0.05)
            assert abs(table.loc[name, index] - truth) <= table.loc[name, f"{index}_conf"]


@pytest.mark.parametrize("design, samples", [("sobol", 16), ("morris", 4)])
def test_a_parameter_without_effect_gets_index_zero(tmp_path, design, samples):
    # the baseline offers no service, so the meter noise the platform sees changes nothing
    text = f"""
[sweep]
design = "{design}"
samples = {samples}
seed = 3
outputs = ["energy_revenue", "system_peak_kw"]
""" + TINY + """
[parameters]
"tariff.residential_price_per_kwh" = { bounds = [0.4, 0.7] }
"data_platform.measurement_noise_sd" = { bounds = [0.0, 1.0] }
"""
    store = run_sweep(write(tmp_path, text), tmp_path / "out", Executor("inline"))
    table, files = sa.write(store, ["energy_revenue"])
    table = table.set_index("parameter")
    noise, price = "data_platform.measurement_noise_sd", "tariff.residential_price_per_kwh"
    if design == "sobol":
        assert table.loc[noise, "ST"] == pytest.approx(0.0, abs=1e-9)
        assert table.loc[noise, "S1"] == pytest.approx(0.0, abs=1e-9)
        assert table.loc[price, "ST"] > 0.7 and table.loc[price, "S1"] > 0.7
    else:
        assert table.loc[noise, "mu_star"] == 0.0
        assert table.loc[price, "mu_star"] > 0
    assert all(f.stat().st_size > 0 for f in files)
    page = write_sweep_report(store).read_text()
    assert page.count("<img") == 2  # each output against each parameter
    with pytest.raises(ScenarioError, match="--output: 'system_peak' is not an output"):
        sa.analyse(store, ["system_peak"])


def test_sensitivity_command_writes_tables_and_plot(tmp_path):
    path = write(tmp_path, Path(packaged_sweeps()["ishigami"]).read_text().replace(
        "samples = 512", "samples = 32"))
    proc = gridvalue("sensitivity", str(path), "--out", str(tmp_path / "out"), "--workers",
                     "1", "--quiet", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "parameter" in stdout and "S1" in stdout and "ST" in stdout
    for name in ("sensitivity.csv", "sensitivity.md", "sensitivity.png", "report.html"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    proc = gridvalue("sensitivity", "short_runs", "--out", str(tmp_path / "grid"),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "sweep.design: sensitivity needs" in stderr
    assert not (tmp_path / "grid").exists()


# ---- report, notebook API, batch_run -----------------------------------------------------------

def test_sweep_report_shows_curves_and_surfaces(grid_stores):
    store = grid_stores["pool1"]
    path = write_sweep_report(store, store.root / "report.html")
    page = path.read_text()
    assert page.count("<img") == 2 * 3  # a curve and a surface per output
    # labels with units, not snake_case keys (the formatting change of issue 18)
    assert "System peak (kW) against Tariff · residential price per kwh (CNY/kWh)" in page
    assert "response surface" in page and "spread over replicates" in page
    assert "http://" not in page and "https://" not in page  # self-contained


def test_notebook_api_returns_dataframes(small_overrides):
    result = run("baseline", seed=4, **{k.replace(".", "__"): v
                                        for k, v in small_overrides.items()})
    assert isinstance(result["daily"], pd.DataFrame) and len(result["daily"]) == 14
    reference = run_scenario("baseline", seed=4, overrides=small_overrides)
    for name in ("daily", "customers", "ledger"):
        pd.testing.assert_frame_equal(result[name], reference[name])
    again = run(reference.scenario, seed=4, meta__days=7)
    assert len(again["daily"]) == 7


def test_mesa_batch_run_works_with_flat_keywords():
    rows = mesa.batch_run(GridValueModel, parameters={
        "scenario": "baseline", "seed": range(2), "meta__days": 5,
        "population__households": [50, 100], "population__enterprises": 10,
        "population__microgrids": 0}, number_processes=1, max_steps=100,
        data_collection_period=-1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert len(frame) == 4 and (frame["Step"] == 4).all()  # the last of 5 days
    direct = GridValueModel("baseline", seed=1, overrides={
        "meta.days": 5, "population.households": 100, "population.enterprises": 10,
        "population.microgrids": 0}).run()
    row = frame[(frame["seed"] == 1) & (frame["population__households"] == 100)].iloc[0]
    assert row["system_peak_kw"] == direct.datacollector.model_vars["system_peak_kw"][-1]
    assert frame.groupby("seed")["energy_kwh"].nunique().tolist() == [2, 2]
