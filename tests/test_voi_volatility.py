"""Round 6b of the value of information (docs/voi.md): the predictive volatility feature net
of each customer's own weather response, so that weather-sensitive load does not read as
erratic behaviour to the credit model."""


import numpy as np
import pytest

from gridvalue.simulation.dataplatform import _erratic_feature
from gridvalue.simulation.population import ENTERPRISE


class _Obs:
    """The fields `_erratic_feature` reads (weak-referenceable, as Observations are)."""

    def __init__(self, daily_kwh, degree_days):
        self.daily_kwh = daily_kwh
        self.meter_degree_days = degree_days
        self.class_daily_kwh_per_kwh = np.ones((1, daily_kwh.shape[1]))
        self.profile_class = np.zeros(len(daily_kwh), dtype=np.int64)


def test_weather_response_is_not_volatility_but_noise_is():
    """Customer 0 follows the degree-days exactly (its own slope, no noise), customer 1 has
    no weather response and log-sd 0.1 of noise, customer 2 has both (and 40 more like
    customer 1, so that the day's mean over customers is mostly noise-free): raw volatility
    ranks the weather-follower above the noisy customer; net of each one's own slope it has
    almost none, and the others keep about their noise's sd."""
    rng = np.random.default_rng(3)
    days = 400
    dd = np.abs(12.0 * np.sin(np.arange(days) * 2 * np.pi / 365) + rng.normal(0, 2, days))
    noise = rng.normal(0.0, 0.1, (42, days))
    weather = 0.06 * (dd - dd.mean())
    log_kwh = np.vstack([weather, noise[0], weather + noise[1], noise[2:]])
    obs = _Obs(np.exp(log_kwh), dd)
    rows = np.arange(len(log_kwh))
    raw = np.exp(_erratic_feature(obs, rows))
    net = np.exp(_erratic_feature(obs, rows, weather_adjusted=True))
    assert raw[0] > raw[1]  # the weather reads as erratic behaviour
    assert net[0] < 0.3 * net[1]  # not once the customer's own slope is removed
    np.testing.assert_allclose(net[1:3], 0.1, rtol=0.15)


@pytest.mark.slow
def test_adjusted_volatility_restores_the_credit_signal_in_the_weather_sensitive_world():
    """Construction only, seed 9 (not a tuning or evaluation seed of docs/voi.md): at high
    data quality in `weather_sensitive`, the credit model's hazard estimates correlate better
    with the hidden hazard with the adjusted volatility than with the raw one (the truth is
    read here only to score)."""
    from gridvalue.experiments.voi import with_platform
    from gridvalue.simulation.model import GridValueModel
    from gridvalue.simulation.scenario import load_scenario

    r = {}
    for adjusted in (False, True):
        scenario = load_scenario("value_of_information", {
            "population.households": 0, "meta.days": 31,
            "data_platform.volatility_weather_adjusted": adjusted})
        model = GridValueModel(with_platform(scenario, "high", "predictive",
                                             "weather_sensitive"), seed=9)
        c = model.customers
        ent = np.flatnonzero(c["customer_type"] == ENTERPRISE)
        r[adjusted] = np.corrcoef(c["default_hazard_estimate_per_year"][ent],
                                  c["default_hazard_per_year"][ent])[0, 1]
    assert r[True] > r[False] + 0.1, r


TRUTH = {"efficiency_estimate_share": "efficiency_potential_share",
         "default_hazard_estimate_per_year": "default_hazard_per_year"}


def _true_value_of_positive_contacts(model) -> float:
    """The true expected value (CNY) of contacting every screened customer whose expected
    contact value is above 0 at the start: the service's own contact value with the estimates
    of those customers set to the hidden truth (as benchmarks/voi_pool.py scores them)."""
    svc, c = model.market.services[0], model.customers
    pool = np.flatnonzero(svc.eligible() & (c["credit_score"] >= svc.params.score_threshold))
    who = pool[svc.expected_contact_value(pool) > 0]
    for k, truth in TRUTH.items():
        c[k][who] = np.clip(c[truth][who], 0.0, 0.9)
    return float(svc.expected_contact_value(who).sum())


@pytest.mark.slow
def test_data_quality_raises_the_true_value_of_whom_the_company_contacts_in_every_world():
    """Issue #16's claim without a run's noise (construction only, seeds 11-13: neither the
    tuning seeds 1-6 nor the evaluation seeds of docs/voi.md): in every informative world,
    the customers whose expected contact value is positive at high data quality are worth
    more by the truth, summed over the seeds, than those on bills only (`no_signature` is
    checked on runs by tests/test_dataplatform.py). Before round 6b's weather-adjusted
    volatility, `weather_sensitive` at seeds 1-6 summed 3,434 k against 3,451 k on bills
    only (docs/voi.md, round 6b)."""
    from gridvalue.experiments.voi import with_platform
    from gridvalue.simulation.model import GridValueModel
    from gridvalue.simulation.scenario import load_scenario

    scenario = load_scenario("value_of_information",
                             {"population.households": 0, "meta.days": 31})
    total = {}
    for world in ("always_on", "operating_hours", "weather_sensitive", "mixed"):
        for quality in ("bills only", "high"):
            total[world, quality] = sum(
                _true_value_of_positive_contacts(GridValueModel(
                    with_platform(scenario, quality, "predictive", world), seed=seed))
                for seed in (11, 12, 13))
    for world in ("always_on", "operating_hours", "weather_sensitive", "mixed"):
        assert total[world, "high"] > total[world, "bills only"], (world, total)
