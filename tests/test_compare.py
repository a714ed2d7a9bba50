"""`gridvalue compare`: paired replicates, t-intervals of paired differences, JSON, report,
bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gridvalue.experiments.cli import main
from gridvalue.experiments.compare import (
    COLUMNS,
    paired_replicates,
    summarise_pairs,
    t_interval,
)
from gridvalue.simulation.scenario import load_scenario


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(300, 40, 2, days=20)


@pytest.fixture(scope="module")
def small_args(small_overrides, as_set_args) -> list[str]:
    return as_set_args(small_overrides)


class Proc:
    def __init__(self, returncode, captured):
        self.returncode, self.stdout, self.stderr = returncode, captured.out, captured.err


@pytest.fixture
def gridvalue(capsys, monkeypatch, tmp_path):
    """The command in-process (the CLI's subprocess behaviour is tested in test_cli.py)."""
    monkeypatch.chdir(tmp_path)

    def call(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        return Proc(code, capsys.readouterr())

    return call


def test_t_interval_of_paired_differences():
    d = np.array([1.0, 2.0, 4.0, 3.0])
    low, high = t_interval(d)
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2.0
    assert (low, high) == pytest.approx((2.5 - half, 2.5 + half))
    assert all(np.isnan(t_interval(np.array([1.0]))))


def test_paired_replicates_share_seeds_and_a_policy_shows_up(small_overrides):
    base = load_scenario("baseline", small_overrides)
    other = load_scenario("tou_pricing", small_overrides)
    frame = paired_replicates(base, other, [5, 6])
    summary = summarise_pairs(frame).set_index("kpi")
    assert list(summary.reset_index().columns) == list(COLUMNS)
    assert set(frame["seed"]) == {5, 6}
    # the households' peak falls in every replicate; a baseline against itself is exactly 0
    peak = frame[frame["kpi"] == "household_peak_kw"]
    assert (peak["scenario"] < peak["baseline"]).all() and summary.loc[
        "household_peak_kw", "delta"] < 0
    same = summarise_pairs(paired_replicates(base, base, [5, 6])).set_index("kpi")
    assert (same["delta"] == 0).all()
    assert same.loc["deferral_value", "scenario"] == 0


def test_compare_cli_json_and_report(tmp_path, gridvalue, small_args):
    out = tmp_path / "cmp"
    proc = gridvalue("compare", "baseline", "tou_pricing", "--replicates", "2", "--seed", "3",
                     "--format", "json", "--out", str(out), "--quiet", *small_args)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert all(set(r) == set(COLUMNS) for r in rows)
    kpis = {r["kpi"]: r for r in rows}
    for kpi in ("system_peak_kw", "energy_kwh", "load_factor", "uptake", "company_npv",
                "customer_bill_total", "peak_reduction_kw", "deferral_value"):
        assert kpi in kpis
    row = kpis["household_peak_kw"]
    assert row["delta"] == pytest.approx(row["scenario"] - row["baseline"])
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]
    assert kpis["peak_reduction_kw"]["delta_pct"] is None
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert json.loads((out / "compare.json").read_text()) == rows
    table = gridvalue("compare", "baseline", "tou_pricing", "--replicates", "1",
                      "--out", str(tmp_path / "t"), "--quiet", *small_args)
    assert table.returncode == 0 and "household_peak_kw" in table.stdout


@pytest.mark.parametrize("args, message", [
    (["--replicates", "0"], "--replicates: must be at least 1"),
    (["--seed", "-1"], "--seed: must be at least 0"),
    (["--format", "xml"], "invalid choice"),
    (["--set", "tariff.tou_peak_ratio_winter=0.5"], "tariff.tou_peak_ratio_winter: must be"),
])
def test_compare_bad_input_is_one_line_exit_2_nothing_written(tmp_path, gridvalue, args,
                                                             message):
    proc = gridvalue("compare", "baseline", "tou_pricing", "--out", str(tmp_path / "x"), *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_compare_refuses_unpaired_scenarios(tmp_path, gridvalue):
    other = tmp_path / "bigger.toml"
    other.write_text('extends = "baseline"\n[population]\nhouseholds = 100\n')
    proc = gridvalue("compare", "baseline", str(other))
    assert proc.returncode == 2 and "differs from the baseline" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bigger.toml"]
    longer = gridvalue("compare", "baseline", "credit_screening")
    assert longer.returncode == 2 and "meta.days differs" in longer.stderr
    unknown = gridvalue("compare", "baseline", "no_such_thing")
    assert unknown.returncode == 2 and "no packaged scenario named" in unknown.stderr


def test_three_scenario_compare_prints_and_writes_per_service_lines(tmp_path, gridvalue,
                                                                    small_args):
    out = tmp_path / "three"
    args = ("compare", "baseline", "tou_pricing", "pv_investment", "--replicates", "2",
            "--seed", "3", "--quiet", *small_args)
    proc = gridvalue(*args, "--format", "json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert json.loads((out / "compare.json").read_text()) == doc
    assert doc["baseline"] == "baseline" and doc["seeds"] == [3, 4]
    by_name = {s["scenario"]: {r["kpi"]: r for r in s["kpis"]} for s in doc["scenarios"]}
    assert list(by_name) == ["tou_pricing", "pv_investment"]
    pv = by_name["pv_investment"]
    for line in ("pv_lease", "pv_ppa"):
        for field in ("contracts", "uptake", "npv_horizon", "npv_lifetime"):
            row = pv[f"{line}.{field}"]
            assert row["baseline"] == 0  # the baseline offers no PV
            assert row["delta"] == pytest.approx(row["scenario"])
    assert not any(k.endswith(".npv_lifetime") for k in by_name["tou_pricing"])
    # the ranking orders the scenarios by the objective's mean, best first
    ranked = doc["ranking"]
    values = [by_name[r["scenario"]]["company_npv_lifetime"]["scenario"] for r in ranked]
    assert values == sorted(values, reverse=True) and [r["rank"] for r in ranked] == [1, 2]
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert len(list(out.glob("report-*.html"))) == 2
    page = (out / "report-2-pv_investment.html").read_text()
    assert "<th>pv_investment</th>" in page and "<th>unit</th>" in page
    assert "e+0" not in page.split("<h2>Charts</h2>")[0]  # no scientific notation in tables
    table = gridvalue(*args, "--out", str(tmp_path / "t"), "--objective", "system_peak_kw:min")
    assert table.returncode == 0, table.stderr
    text = table.stdout
    assert "pv_investment against baseline" in text and "tou_pricing against baseline" in text
    headers = [line.split() for line in text.splitlines() if line.startswith("kpi ")]
    assert [h[2:4] for h in headers] == [["baseline", "tou_pricing"],
                                         ["baseline", "pv_investment"]]  # named columns
    assert "service line (pv_investment)" in text and "lifetime NPV (CNY)" in text
    assert "ranking by system_peak_kw (lower is better)" in text
    assert "e+0" not in text


@pytest.mark.slow
def test_parallel_seeds_give_the_same_comparison(tmp_path, gridvalue, small_args):
    args = ("compare", "baseline", "tou_pricing", "cpp_events", "--replicates", "2",
            "--format", "json", "--quiet", *small_args)
    one = gridvalue(*args, "--out", str(tmp_path / "a"))
    two = gridvalue(*args, "--out", str(tmp_path / "b"), "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert one.stdout == two.stdout


def test_sign_notes_say_why_horizon_and_lifetime_values_differ():
    from gridvalue.experiments.compare import sign_notes

    def summary(rows):
        return pd.DataFrame([{"kpi": k, "baseline": 0.0, "scenario": s, "delta": d}
                             for k, s, d in rows])

    notes = sign_notes(summary([("company_npv", -512_257.0, -10.0),
                                ("company_npv_lifetime", 511_025.0, -5.0),
                                ("pv_lease.npv_horizon", 100.0, 100.0),
                                ("pv_lease.npv_lifetime", -50.0, -50.0)]), "pv", "CNY")
    assert len(notes) == 2
    assert "-512,257 CNY over the horizon but +511,025 CNY" in notes[0]
    assert "upfront costs" in notes[0]
    assert notes[1].startswith("note: pv_lease: NPV is +100 CNY") and "outweighs" in notes[1]
    assert sign_notes(summary([("company_npv", 5.0, 1.0), ("company_npv_lifetime", 9.0, 2.0)]),
                      "x", "CNY") == []


@pytest.mark.parametrize("args, message", [
    (["--objective", "profit"], "--objective: unknown KPI 'profit'"),
    (["--objective", "company_npv:sideways"], "--objective: expected KPI, KPI:max or KPI:min"),
    (["--workers", "0"], "--workers: must be between 1"),
])
def test_compare_bad_objective_or_workers(tmp_path, gridvalue, args, message):
    proc = gridvalue("compare", "baseline", "tou_pricing", "cpp_events",
                     "--out", str(tmp_path / "x"), *args)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and message in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_objective_kpis_list_every_run_kpi(small_model):
    from gridvalue.experiments.compare import run_kpis
    from gridvalue.experiments.objectives import RUN_KPIS, known_kpis

    assert tuple(run_kpis(small_model)) == RUN_KPIS
    assert {"pv_lease.npv_lifetime", "shared_savings.uptake"} <= set(known_kpis())
