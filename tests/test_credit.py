"""Credit: the AUC of a score, and screening trades default losses against uptake."""

import numpy as np
import pytest

from gridvalue.experiments.screening import screening_curve
from gridvalue.simulation.credit import auc, monthly_default_probability
from gridvalue.simulation.scenario import load_scenario


def test_auc_is_the_share_of_good_bad_pairs_ranked_right():
    rng = np.random.default_rng(0)
    hazard = rng.beta(0.05, 1.95, 400)
    defaulted = rng.random(400) < hazard
    for noise in (3.0, 1.0, 0.3):
        score = -np.log(hazard) + noise * rng.standard_normal(400)  # higher is safer
        pairs = score[~defaulted][:, None] > score[defaulted][None, :]
        assert auc(score, defaulted) == pytest.approx(pairs.mean())
    assert auc(np.where(defaulted, 0.0, 1.0), defaulted) == 1.0
    assert auc(np.where(defaulted, 1.0, 0.0), defaulted) == 0.0
    assert np.isnan(auc(np.ones(3), np.zeros(3, bool)))
    assert monthly_default_probability(np.array([0.12]))[0] == pytest.approx(
        1 - 0.88 ** (1 / 12))


@pytest.fixture(scope="module")
def curve():
    """The packaged credit_screening scenario with 1,000 enterprises, three seeds, and interval
    data for every enterprise (12 months): bills alone rank defaults with an AUC of about
    0.7, too weakly for screening to pay at these terms (threshold 0 is then best: 9.0 M
    against 7.8 M CNY at 20, seeds 0-2); with meters' volatility it is about 0.86."""
    scenario = load_scenario("credit_screening", {
        "population.households": 200, "population.enterprises": 1000,
        "data_platform.enterprise_meter_coverage_share": 1.0,
        "data_platform.history_months": 12})
    thresholds = scenario.report.screening_thresholds
    frames = [screening_curve(scenario, seed, "shared_savings", thresholds) for seed in range(3)]
    return thresholds, sum(f.set_index("threshold") for f in frames) / len(frames)


def test_tighter_screening_cuts_default_risk_and_uptake(curve):
    """Each step of the screen signs fewer customers, and riskier ones are the first to go:
    the signers' lifetime default probability (their hidden hazards, read here by the test
    only) falls with the threshold. Write-offs, a few large enterprises' at three seeds, are
    too noisy to fall at every step; they are zero when nobody passes the screen."""
    _, mean = curve
    assert (np.diff(mean["contracts"]) < 0).all()
    risk = mean["lifetime_default_share"].dropna().to_numpy()
    assert (risk[1:] < risk[0]).all() and risk[-1] < risk[0] / 2, risk
    assert mean["default_losses"].iloc[0] > 0 and mean["default_losses"].iloc[-1] == 0


def test_shared_savings_lose_over_their_life_at_every_threshold(curve):
    """With the margin the retrofit takes for its whole measure life in the books, a
    shared-savings contract at the default terms loses money for the grid company whatever
    the screen: the line's lifetime NPV is below zero at every threshold that signs anyone
    and rises as fewer are signed (the screening optimum is not to sell). Screening still
    cuts write-offs (above)."""
    thresholds, mean = curve
    profit = mean["line_npv_lifetime"]
    assert (profit.iloc[:-1] < 0).all() and profit.iloc[-1] == 0
    assert (np.diff(profit.to_numpy()) > 0).all()


def test_screened_borrowers_lifetime_default_within_published_range(curve):
    """ACEEE U115: default over programme life of EE loans 0-3 %."""
    _, mean = curve
    assert mean.loc[60.0, "lifetime_default_share"] < 0.03
    assert mean.loc[0.0, "lifetime_default_share"] > mean.loc[60.0, "lifetime_default_share"]
