"""Measurement and verification (IPMVP Option C): the baseline model, and measured savings
on the model's own pre/post series with a known 10 % saving."""

import datetime

import numpy as np
import pytest

from gridvalue.simulation.measurement import fit_baseline, predict_baseline
from gridvalue.simulation.model import GridValueModel


def test_baseline_recovers_exact_coefficients_and_drops_weak_weather():
    rng = np.random.default_rng(0)
    calendar = rng.uniform(0.07, 0.1, (3, 12))
    dd = rng.uniform(50, 400, 12)
    kwh = 1000.0 * calendar + np.array([[2.0], [0.0], [-1.0]]) * dd
    coef = fit_baseline(kwh, calendar, dd)
    np.testing.assert_allclose(coef[0], [1000.0, 2.0], rtol=1e-9)
    # no weather term, or a negative one: the calendar-only model (CalTRACK's rule)
    assert coef[1, 1] == 0.0 and coef[2, 1] == 0.0
    np.testing.assert_allclose(coef[1, 0], 1000.0, rtol=1e-9)
    a_calendar = (calendar[2] * kwh[2]).sum() / (calendar[2] ** 2).sum()  # least squares
    np.testing.assert_allclose(predict_baseline(coef, calendar[:, 0], dd[0]),
                               [kwh[0, 0], kwh[1, 0], a_calendar * calendar[2, 0]])


def measured_shares(world: str, saving: float = 0.10, seed: int = 2):
    """A year of the model's own loads: a random half of the enterprises save `saving` from
    the first day (a known saving); each month the platform's Option C measures every
    enterprise against the baseline fitted on its 12 months of bills before the start.
    Returns the measured annual saving share of the savers and of the others."""
    model = GridValueModel("baseline", seed=seed, overrides={
        "population.households": 50, "population.enterprises": 400,
        "population.microgrids": 0, "meta.days": 365, "data_platform.world": world,
        "data_platform.history": "always"})  # no service reads it; the test does
    c = model.customers
    ent = np.flatnonzero(c["customer_type"] == 1)
    savers = ent[np.random.default_rng(seed).random(len(ent)) < 0.5]
    c["load_scale"][savers] *= 1.0 - saving
    m = model.platform.measurement
    for day in range(model.days):
        model.step()
        tomorrow = model.dates[day] + datetime.timedelta(days=1)
        if tomorrow.day == 1 or day == model.days - 1:
            true = np.where(np.isin(ent, savers),
                            c["month_demand_kwh"][ent] * saving / (1 - saving), 0.0)
            m.measure(ent, true)
    share = m.saved_kwh[ent] / m.baseline_kwh[ent]
    return share[np.isin(ent, savers)], share[~np.isin(ent, savers)], m.error_shares()


@pytest.mark.parametrize("world", ["always_on", "weather_sensitive"])
def test_option_c_measures_a_known_ten_percent_saving_within_two_points(world):
    savers, others, errors = measured_shares(world)
    assert savers.mean() == pytest.approx(0.10, abs=0.02)
    assert others.mean() == pytest.approx(0.0, abs=0.02)
    # the distribution of measured minus true (per customer-month, share of the baseline)
    assert abs(errors.mean()) < 0.02
    assert 0.005 < errors.std() < 0.15
    # single customers' annual figures scatter: measurement risk, not measurement bias
    assert savers.std() > 0.005
