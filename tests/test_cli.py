"""The `gridvalue` command as a user runs it: real subprocesses, real files."""

import json
import os
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from gridvalue.experiments.runner import TABLES


@pytest.fixture(scope="module")
def small_args(small, as_set_args) -> list[str]:
    return as_set_args(small(200, 30, 2, days=10))


def gridvalue(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                          capture_output=True, text=True, cwd=cwd,
                          env=os.environ | {"PYTHONWARNINGS": "ignore"})


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, small_args):
    """The same small scenario twice with seed 7, once with seed 8."""
    root = tmp_path_factory.mktemp("runs")
    outs = {}
    for label, seed in (("a", 7), ("b", 7), ("c", 8)):
        out = root / label
        proc = gridvalue("run", "baseline", "--seed", str(seed), "--out", str(out), "--quiet",
                         *small_args)
        assert proc.returncode == 0, proc.stderr
        outs[label] = (out, proc)
    return outs


def test_run_writes_the_results_folder(two_runs):
    out, proc = two_runs["a"]
    for name in TABLES:
        assert (out / f"{name}.parquet").is_file()
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 7 and meta["scenario"] == "baseline"
    assert len(meta["scenario_hash"]) == 64 and meta["wall_seconds"] > 0
    for key in ("gridvalue_version", "started_utc", "finished_utc"):
        assert meta[key]
    resolved = tomllib.loads((out / "scenario.toml").read_text())
    assert resolved["meta"]["seed"] == 7 and resolved["population"]["households"] == 200
    assert f"results: {out}" in proc.stdout and "System peak (kW)" in proc.stdout
    daily = pd.read_parquet(out / "daily.parquet")
    assert len(daily) == 10 and (daily["system_peak_kw"] > 0).all()
    customers = pd.read_parquet(out / "customers.parquet")
    assert len(customers) == 232
    assert set(customers["customer_type"]) == {"household", "enterprise", "microgrid"}


def test_same_seed_gives_byte_identical_tables(two_runs):
    (a, _), (b, _), (c, _) = two_runs["a"], two_runs["b"], two_runs["c"]
    for name in TABLES:
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name
    assert (a / "scenario.toml").read_bytes() == (b / "scenario.toml").read_bytes()
    differs = [n for n in TABLES if (a / f"{n}.parquet").read_bytes()
               != (c / f"{n}.parquet").read_bytes()]
    assert {"daily", "system_load", "customers", "ledger"} <= set(differs)


@pytest.mark.parametrize("args, message", [
    (["run", "--set", "population.households=-1"], "population.households: must be at least 0"),
    (["run", "--set", "meta.dayz=3"], "meta.dayz: unknown key"),
    (["run", "--set", "profiles.customer_day_sigma=nan"], "must be a finite number"),
    (["run", "--set", 'meta.start_date="yesterday"'], "meta.start_date: not a date"),
    (["run", "nosuch"], "scenario: no packaged scenario named 'nosuch'"),
    (["run", "missing/file.toml"], "file not found"),
    (["run", "--seed", "-3"], "--seed: must be at least 0"),
    (["run", "--seed", "abc"], "arguments: argument --seed: invalid int value"),
    (["frobnicate"], "arguments: argument command: invalid choice"),
    (["run", "--set", "meta.days=9132"], "meta.days: must be at most 9131"),
    (["run", "--set", "growth.wholesale_escalation_per_year=0.3"],
     "growth.wholesale_escalation_per_year: must be at most 0.2"),
])
def test_bad_input_is_one_line_exit_2_and_no_folder(tmp_path, args, message):
    proc = gridvalue(*args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gridvalue: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_malformed_file_and_occupied_out(tmp_path, small_args):
    bad = tmp_path / "bad.toml"
    bad.write_text("[meta\n")
    proc = gridvalue("run", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "malformed TOML" in proc.stderr
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    proc = gridvalue("run", "--out", str(occupied), *small_args)
    assert proc.returncode == 2 and "--out:" in proc.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]


def test_scenarios_lists_packaged_with_descriptions():
    proc = gridvalue("scenarios")
    assert proc.returncode == 0
    assert proc.stdout.startswith("baseline") and "flat prices" in proc.stdout


def test_params_table_covers_every_parameter():
    proc = gridvalue("params", "--format", "csv")
    assert proc.returncode == 0
    rows = proc.stdout.strip().splitlines()
    assert rows[0] == "parameter,default,unit,range,source,description"
    assert any(r.startswith("population.households,2000,customers,") for r in rows)
