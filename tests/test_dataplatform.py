"""The data platform: estimates come from observations only, get better with coverage,
granularity and history, and what they are worth rises with data quality."""

import dataclasses

import numpy as np
import pytest

from gridvalue.experiments.voi import run_grid, uplift_table, with_platform
from gridvalue.simulation.credit import auc
from gridvalue.simulation.dataplatform import Observations, acquire, estimate
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario

POPULATION = {"population.households": 300, "population.enterprises": 1500,
              "population.microgrids": 0, "meta.days": 1}
HIDDEN = ("default_hazard_per_year", "efficiency_potential_share")


@pytest.fixture(scope="module")
def model():
    """A model built (not run): the platform acquires its history at construction."""
    return GridValueModel("baseline", seed=5, overrides=POPULATION)


def observe(model, **platform) -> Observations:
    """What the platform holds for this model's customers under other platform settings."""
    scenario = dataclasses.replace(model.scenario, data_platform=dataclasses.replace(
        model.scenario.data_platform, **platform))
    return acquire(scenario, model.customers, model.type_column("flexibility_share"), model.streams)


def enterprises(model) -> np.ndarray:
    return np.flatnonzero(model.customers["customer_type"] == 1)


def coverage(share: float) -> dict:
    return {"household_meter_coverage_share": share, "enterprise_meter_coverage_share": share}


def test_estimates_never_read_the_hidden_truth(model):
    """Perturbing the hidden truths after acquisition leaves every estimate as it was; the
    observations share no memory with the customer table; acquiring again sees the change."""
    obs = observe(model)
    before = estimate(obs, "predictive", 6, 0).columns()
    c = model.customers
    saved = {name: c[name].copy() for name in HIDDEN}
    try:
        rng = np.random.default_rng(0)
        for name in HIDDEN:
            c[name] = rng.permutation(c[name])
        after = estimate(obs, "predictive", 6, 0).columns()
        for name, values in before.items():
            np.testing.assert_array_equal(after[name], values, err_msg=name)
        for field in dataclasses.fields(obs):
            value = getattr(obs, field.name)
            if isinstance(value, np.ndarray):
                assert not any(np.shares_memory(value, c[col]) for col in c.columns), field.name
        again = estimate(observe(model), "predictive", 6, 0)
        assert not np.array_equal(again.credit_score, before["credit_score"])
        assert not np.array_equal(again.efficiency_estimate_share,
                                  before["efficiency_estimate_share"])
    finally:
        for name, values in saved.items():
            c[name] = values


def expected_auc(score: np.ndarray, hazard: np.ndarray, years: float = 5.0) -> float:
    """AUC of the score against actual defaults over `years`, averaged over 50 draws of who
    defaults (the same draws for every score)."""
    rng = np.random.default_rng(11)
    pd_ = 1.0 - (1.0 - hazard) ** years
    return float(np.mean([auc(score, rng.random(len(hazard)) < pd_) for _ in range(50)]))


def test_screening_auc_rises_with_coverage_and_history(model):
    rows = enterprises(model)
    hazard = model.customers["default_hazard_per_year"][rows]

    def score_auc(**platform) -> float:
        return expected_auc(estimate(observe(model, **platform), "predictive").credit_score[rows],
                            hazard)

    by_coverage = [score_auc(**coverage(s)) for s in (0.0, 0.5, 1.0)]
    by_history = [score_auc(history_months=m) for m in (2, 6, 24)]
    assert 0.6 < by_coverage[0] < by_coverage[1] < by_coverage[2], by_coverage
    assert 0.6 < by_history[0] < by_history[1] < by_history[2], by_history
    # payment records alone rank the few high-hazard customers well; meters add the rest
    assert by_coverage[2] - by_coverage[0] > 0.005 and by_history[2] - by_history[0] > 0.003


def test_savings_estimates_improve_with_coverage_granularity_and_history(model):
    rows = enterprises(model)
    truth = model.customers["efficiency_potential_share"][rows]
    flex_truth = model.type_column("flexibility_share")[rows]

    def error(**platform) -> tuple[float, float]:
        est = estimate(observe(model, **platform), "predictive")
        return (float(np.mean((est.efficiency_estimate_share[rows] - truth) ** 2)),
                float(np.mean((est.flexibility_estimate_share[rows] - flex_truth) ** 2)))

    none, half, full = (error(**coverage(s)) for s in (0.0, 0.5, 1.0))
    monthly = error(granularity="monthly")
    short, long_ = error(history_months=1), error(history_months=24)
    for k in (0, 1):  # savings potential, flexibility
        assert full[k] < 0.7 * half[k] < 0.7 * none[k]
        assert monthly[k] == pytest.approx(none[k])  # monthly totals show no load shape
        assert long_[k] < short[k]
    # estimates are not the truth itself
    assert full[0] > 1e-4


def test_zero_coverage_predictive_equals_none(model):
    """Information not acquired creates no value: without meters every analytics level makes
    the same estimates, so paired runs are identical."""
    obs = observe(model, **coverage(0.0))
    none = estimate(obs, "none").columns()
    for level in ("segments", "predictive"):
        for name, values in estimate(obs, level).columns().items():
            np.testing.assert_array_equal(values, none[name], err_msg=f"{level} {name}")
    scenario = load_scenario("value_of_information", {"population.households": 50,
                                                      "population.enterprises": 150,
                                                      "meta.days": 120})
    runs = run_grid(scenario, [1], qualities=("bills only",))
    metrics = runs.drop(columns=["analytics"]).set_index("quality")
    assert (metrics.nunique() == 1).all()
    assert runs["contracts"].iloc[0] > 0


@pytest.fixture(scope="module")
def uplift():
    """The packaged scenario, smaller and 18 months, three paired seeds."""
    scenario = load_scenario("value_of_information", {"population.households": 50,
                                                      "population.enterprises": 400,
                                                      "meta.days": 540})
    runs = run_grid(scenario, [0, 1, 2], qualities=("bills only", "medium", "high"),
                    analytics=("none", "predictive"))
    table = uplift_table(runs)
    return table[table["analytics"] == "predictive"].set_index(["metric", "quality"])


def test_uptake_per_contact_rises_with_data_quality_and_profit_falls(uplift):
    """Better data sign more contracts per contact; on books that count the margin a
    retrofit takes for its whole measure life each shared-savings contract at these terms
    loses money, so the extra contracts lower the company's lifetime profit."""
    for metric, sign in (("uptake_per_contact", 1.0), ("profit", -1.0)):
        bills, medium, high = (uplift.loc[(metric, q), "uplift"]
                               for q in ("bills only", "medium", "high"))
        assert bills == 0.0
        assert sign * medium > 0 and sign * high > 0, (metric, medium, high)


def test_with_platform_sets_every_type_and_analytics():
    scenario = with_platform(load_scenario("value_of_information"), "low", "segments")
    p = scenario.data_platform
    assert p.analytics == "segments" and p.history_months == 3
    assert p.household_meter_coverage_share == p.enterprise_meter_coverage_share == 0.3
