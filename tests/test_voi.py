"""`gridvalue voi` as a user runs it: a real subprocess, real files, one-line errors."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from gridvalue.experiments.cli import main

TINY = ["--set", "population.households=30", "--set", "population.enterprises=60",
        "--set", "meta.days=60"]


def gridvalue(*args):
    return subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                          capture_output=True, text=True,
                          env=os.environ | {"PYTHONWARNINGS": "ignore"})


def test_voi_writes_table_chart_and_runs(tmp_path):
    out = tmp_path / "voi"
    proc = gridvalue("voi", "--replicates", "2", "--out", str(out), "--quiet", *TINY)
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 4 * 3  # seeds x data-quality levels x analytics levels
    assert set(runs["seed"]) == {42, 43} and set(runs["world"]) == {"always_on"}
    table = pd.read_csv(out / "uplift.csv")
    none = table[(table["analytics"] == "none") & table["kpi"].isin(
        ["gross_profit", "net_profit", "uptake_per_contact"])]
    assert (none["mean"] == 0).all()  # the reference against itself
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and "95 % CI" in page
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "uplift over analytics none" in proc.stdout and "predictive" in proc.stdout


def test_voi_runs_each_world_and_prints_json_rows(tmp_path):
    out = tmp_path / "voi"
    proc = gridvalue("voi", "--replicates", "2", "--out", str(out), "--quiet", "--format",
                     "json", "--world", "always_on,no_signature", *TINY)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {tuple(sorted(r)) for r in rows} == {tuple(sorted(
        ("world", "quality", "analytics", "kpi", "mean", "ci_low", "ci_high")))}
    assert {r["world"] for r in rows} == {"always_on", "no_signature"}
    kpis = {r["kpi"] for r in rows}
    assert {"gross_profit", "net_profit", "net_value_of_platform", "uptake_per_contact",
            "default_losses", "peak_reduction_kw", "corr_savings", "corr_flexibility",
            "corr_hazard"} <= kpis
    assert json.loads((out / "uplift.json").read_text()) == rows
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * 2 * 4 * 3


@pytest.mark.parametrize("args, message", [
    (["--replicates", "0"], "--replicates: must be at least 1, got 0"),
    (["--seed", "-1"], "--seed: must be at least 0, got -1"),
    (["baseline"], "services: the scenario offers no service"),
    (["--set", "data_platform.analytics=magic"], "data_platform.analytics: must be one of"),
    (["--world", "always_on,flat_earth"], "--world: must be one of always_on,"),
    (["--set", "data_platform.world=\"flat_earth\""], "data_platform.world: must be one of"),
    (["--set", "data_platform.predictive_cost_per_month=-5"],
     "data_platform.predictive_cost_per_month: must be at least 0, got -5"),
    (["--set", "data_platform.interval_meter_capex_per_meter=1e9"],
     "data_platform.interval_meter_capex_per_meter: must be at most"),
])
def test_voi_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "voi"
    assert main(["voi", "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.iterdir())


