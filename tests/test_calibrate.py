"""`gridvalue calibrate` and the competitor section: recovery of known values, bad input."""

import os
import subprocess
import sys
import tomllib

import numpy as np
import pandas as pd
import pytest

from gridvalue.experiments.calibrate import bass_share, fit, read_series
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError


def gridvalue(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                          capture_output=True, text=True, cwd=cwd,
                          env=os.environ | {"PYTHONWARNINGS": "ignore"})


def _series(path, rows):
    pd.DataFrame(rows, columns=["date", "adopters", "eligible"]).to_csv(path, index=False)
    return path


def test_bass_share_is_the_closed_form():
    t = np.array([0.0, 1.0, 5.0, 100.0])
    f = bass_share(t, 0.03, 0.38, 0.6)
    assert f[0] == 0.0 and f[-1] == pytest.approx(0.6)
    p, q = 0.03, 0.38
    e = np.exp(-(p + q) * 5.0)
    assert f[2] == pytest.approx(0.6 * (1 - e) / (1 + q / p * e))


def test_fit_recovers_a_noise_free_curve():
    dates = pd.date_range("2020-02-01", periods=60, freq="MS")
    t = ((dates - pd.Timestamp("2020-01-01")).days / 365.25).to_numpy()
    frame = pd.DataFrame({"date": dates, "adopters": 10_000 * bass_share(t, 0.02, 0.5, 0.4),
                          "eligible": 10_000.0})
    result = fit(frame)
    for key, true in (("p", 0.02), ("q", 0.5), ("ceiling", 0.4)):
        assert result[key]["value"] == pytest.approx(true, rel=0.01)
        assert result[key]["ci_low"] <= result[key]["value"] <= result[key]["ci_high"]


@pytest.mark.slow
def test_calibrate_recovers_p_q_and_the_ceiling_from_a_model_run(tmp_path):
    """The model generates five years of uptake of 3,000 enterprises on a complete graph with
    p = 0.1, q = 0.8 and a ceiling of 0.6 (value curve flat above zero utility, no taste
    spread); the fit from
    the noisy monthly series is within 10 % of each."""
    p, q, ceiling = 0.1, 0.8, 0.6
    model = GridValueModel("ee_shared_savings", seed=5, overrides={
        "population.households": 0, "population.enterprises": 3000,
        "population.microgrids": 0, "meta.days": 1826, "market.social_graph": "complete",
        "market.initial_awareness_share": 1.0, "choice.self_finance": False,
        "choice.max_share_efficiency": ceiling, "choice.scale_efficiency_bill_years": 1e-6,
        "choice.taste_sd_enterprise": 0.0,
        "services.shared_savings.innovation_p_per_year": p,
        "services.shared_savings.imitation_q_per_year": q}).run()
    uptake = model.market.uptake_frame().groupby("date")[["contracts_total", "eligible"]].sum()
    series = uptake.reset_index().rename(columns={"contracts_total": "adopters"})
    series.to_csv(tmp_path / "uptake.csv", index=False)
    out = tmp_path / "fragment.toml"
    proc = gridvalue("calibrate", str(tmp_path / "uptake.csv"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "95 % CI" in proc.stdout
    fragment = tomllib.loads(out.read_text())
    fitted = fragment["services"]["shared_savings"]
    assert fitted["innovation_p_per_year"] == pytest.approx(p, rel=0.1)
    assert fitted["imitation_q_per_year"] == pytest.approx(q, rel=0.1)
    assert fragment["choice"]["max_share_efficiency"] == pytest.approx(ceiling, rel=0.1)
    # the fragment is a valid scenario overlay
    load_scenario("ee_shared_savings", {"services.shared_savings.innovation_p_per_year":
                                        fitted["innovation_p_per_year"],
                                        "choice.max_share_efficiency":
                                        fragment["choice"]["max_share_efficiency"]})


GOOD = [("2024-01-01", 1, 100), ("2024-02-01", 3, 100), ("2024-03-01", 6, 100),
        ("2024-04-01", 10, 100), ("2024-05-01", 15, 100)]


@pytest.mark.parametrize("rows, columns, message", [
    (GOOD, ["date", "adopters"], "missing column 'eligible'"),
    ([GOOD[0], GOOD[2], GOOD[1], *GOOD[3:]], None, "dates must increase"),
    ([*GOOD[:3], ("2024-04-01", 120, 100), GOOD[4]], None, "120 adopters above 100 eligible"),
    ([*GOOD[:3], ("soon", 10, 100), GOOD[4]], None, "not a date"),
])
def test_bad_series_is_one_line_exit_2_nothing_written(tmp_path, rows, columns, message):
    frame = pd.DataFrame(rows, columns=["date", "adopters", "eligible"])
    if columns:
        frame = frame[columns]
    frame.to_csv(tmp_path / "s.csv", index=False)
    out = tmp_path / "fragment.toml"
    proc = gridvalue("calibrate", str(tmp_path / "s.csv"), "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.startswith("gridvalue: error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert not out.exists() and sorted(os.listdir(tmp_path)) == ["s.csv"]


def test_read_series_accepts_a_good_series(tmp_path):
    frame = read_series(_series(tmp_path / "s.csv", GOOD))
    assert list(frame["adopters"]) == [1, 3, 6, 10, 15]
    with pytest.raises(ScenarioError, match="no such file"):
        read_series(tmp_path / "missing.csv")


@pytest.mark.parametrize("setting, message", [
    ('competitors.rival.offer="nope"', "competitors.rival.offer: unknown service 'nope'"),
    ("competitors.rival.colour=1", "competitors.rival.colour: unknown key"),
    ("competitors.rival.awareness_per_year=-1", "competitors.rival.awareness_per_year: must "
     "be at least 0"),
    ('competitors.rival.terms.lease_per_kwp_month="cheap"',
     "competitors.rival.terms.lease_per_kwp_month: expected a number"),
    ("competitors.rival.terms.discount_share=0.1", "competitors.rival.terms.discount_share: "
     "unknown key"),
])
def test_bad_competitor_section_is_one_line_exit_2_nothing_written(tmp_path, setting, message):
    out = tmp_path / "run"
    proc = gridvalue("run", "pv_investment", "--set", setting, "--set", "meta.days=5",
                     "--out", str(out), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"gridvalue: error: {message}" or (
        proc.stderr.startswith(f"gridvalue: error: {message}")
        and len(proc.stderr.strip().splitlines()) == 1), proc.stderr
    assert not out.exists()


def test_a_competitor_section_round_trips_through_the_resolved_scenario():
    scenario = load_scenario("pv_investment", {
        "competitors.solar_co.offer": "pv_lease",
        "competitors.solar_co.terms.lease_per_kwp_month": 28.0})
    rival = scenario.competitors["solar_co"]
    assert rival.terms.lease_per_kwp_month == 28.0
    assert rival.terms.capex_per_kwp == 3200.0  # the service's default
    again = load_scenario("pv_investment", {})
    assert again.competitors == {}
    from gridvalue.simulation.scenario import scenario_from_dict

    assert scenario_from_dict(tomllib.loads(scenario.to_toml())) == scenario
