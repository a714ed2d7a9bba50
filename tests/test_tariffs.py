"""Tariffs: revenue-neutral TOU, CPP events from the company's forecast, RTP, flat unchanged.
The residential TOU peak reduction (Faruqui & Sergici: 3-6 % at 2:1-4:1, no enabling
technology) is the validation cases tests/cases/tou_residential_*."""

import numpy as np
import pytest

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.simulation.tariffs import CPP, FLAT, RTP, TOU, hour_mask, tou_multipliers


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(300, 60, 3, days=40)


def test_tou_is_revenue_neutral_for_each_class_shape():
    rng = np.random.default_rng(0)
    shapes = rng.random((5, 24)) + 0.1
    peak = hour_mask((10, 11, 12, 13, 17, 18, 19, 20), 24)
    mult = tou_multipliers(shapes, peak, 3.0)
    np.testing.assert_allclose((shapes * mult).sum(axis=1), shapes.sum(axis=1))
    np.testing.assert_allclose(mult[:, peak] / mult[:, ~peak][:, :1], 3.0)


def test_no_segment_on_the_tariff_is_the_flat_run_bit_for_bit(small_overrides):
    flat = GridValueModel("baseline", seed=3, overrides=small_overrides).run()
    empty = GridValueModel("tou_pricing", seed=3,
                           overrides=small_overrides | {"tariff.segments": []}).run()
    assert np.array_equal(flat.system_kw, empty.system_kw)
    assert np.array_equal(flat.customers["bill"], empty.customers["bill"])
    assert (empty.customers["tariff_package"] == FLAT).all()


def test_segments_pick_who_is_on_the_package(small_overrides):
    model = GridValueModel("realtime_pricing", seed=1,
                           overrides=small_overrides | {"tariff.segments": ["agricultural"]})
    c = model.customers
    farms = (c["customer_type"] == 1) & (c["sector"] == 2)
    assert (c["tariff_package"][farms] == RTP).all()
    assert (c["tariff_package"][~farms] == FLAT).all()


def test_cpp_events_follow_the_forecast_and_stay_within_the_yearly_limit():
    overrides = {"meta.days": 120, "meta.start_date": "2025-06-01",  # default population
                 "tariff.cpp_max_events_per_year": 8}
    base = GridValueModel("baseline", seed=2, overrides=overrides).run()
    model = GridValueModel("cpp_events", seed=2, overrides=overrides).run()
    events = model.tariffs.event_days
    assert 1 <= len(events) <= 8
    # the company calls events on high-load days: their baseline peaks sit in the top quarter
    daily_peak = base.system_kw.max(axis=1)
    assert np.median(daily_peak[events]) > np.quantile(daily_peak, 0.75)
    assert len(events) == 8  # hot summer days are high: the year's budget is used
    # on event days households use less in the event window than in the baseline
    households = model.household_kw[events].sum()
    assert households < base.household_kw[events].sum()
    assert (model.customers["tariff_package"][:2000] == CPP).all()


def test_rtp_prices_follow_the_forecast_load_and_average_to_flat(small_overrides):
    model = GridValueModel("realtime_pricing", seed=4, overrides=small_overrides)
    model.tariffs.start_day(0)
    forecast = model.tariffs.forecast_today
    shape = model.tariffs.wholesale_shape(forecast, 0)
    assert (shape * forecast).sum() == pytest.approx(forecast.sum())
    assert np.corrcoef(shape, forecast)[0, 1] > 0.8
    m = model.tariffs.multipliers(0, ("tou",))
    assert (m[TOU] != 1).any() and (m[RTP] == 1).all()


def test_bad_tariff_input_is_refused():
    with pytest.raises(ScenarioError, match=r"tariff.kind: must be one of"):
        load_scenario("baseline", ["tariff.kind=\"dynamic\""])
    with pytest.raises(ScenarioError, match=r"tariff.tou_peak_hours_winter\[0\]: must be at most"):
        load_scenario("tou_pricing", ["tariff.tou_peak_hours_winter=[25]"])
    with pytest.raises(ScenarioError, match=r"tariff.segments: lists a segment twice"):
        load_scenario("tou_pricing", ['tariff.segments=["household", "household"]'])


# Moved to the validation cases tests/cases/tou_residential_winter_* (run by
# tests/test_validation_cases.py and `gridvalue validate`).


@pytest.mark.parametrize("name", ["tou_pricing", "cpp_events", "realtime_pricing",
                                  "battery_peak_shaving", "price_packages",
                                  "home_energy_management"])
def test_pricing_what_ifs_are_reproducible(name, small_overrides):
    a = GridValueModel(name, seed=11, overrides=small_overrides).run()
    b = GridValueModel(name, seed=11, overrides=small_overrides).run()
    assert np.array_equal(a.system_kw, b.system_kw)
    assert np.array_equal(a.customers["bill"], b.customers["bill"])
    assert a.company.ledger.to_frame().equals(b.company.ledger.to_frame())


def test_the_day_prices_are_a_read_only_value(small_overrides):
    """start_day returns the day's prices as a record: the arrays it builds are read-only,
    and `of` gives flat customers their flat price and the others their package's prices."""
    model = GridValueModel("tou_pricing", seed=4, overrides=small_overrides)
    prices = model.tariffs.start_day(0)
    assert prices is model.tariffs.latest and len(prices.rows) > 0
    with pytest.raises(ValueError):
        prices.import_price_per_kwh[0, 0] = 0.0
    flat = np.setdiff1d(np.arange(len(model.customers)), prices.rows)[:3]
    rows = np.concatenate([flat, prices.rows[:3]])
    got = prices.of(rows)
    np.testing.assert_array_equal(got[:len(flat)],
                                  np.repeat(model.customers["price_per_kwh"][flat, None],
                                            got.shape[1], axis=1))
    np.testing.assert_array_equal(got[len(flat):], prices.import_price_per_kwh[:3])
    assert (got[len(flat):].std(axis=1) > 0).all()


def test_the_days_priced_rows_follow_the_columns_changed_in_place(small_overrides):
    """The priced rows and their factors are kept from day to day, and rebuilt when a
    service enrols a customer, a new year raises the price or the columns change otherwise
    (in place, as services write them)."""
    model = GridValueModel("tou_pricing", seed=2, overrides=small_overrides)
    c, engine = model.customers, model.tariffs
    first = engine.start_day(0)
    assert engine.start_day(1).rows is first.rows  # nothing changed: kept
    on = first.rows[:5]
    c["tariff_package"][on] = FLAT
    c["price_per_kwh"][first.rows[-1]] *= 1.5
    later = engine.start_day(2)
    assert np.array_equal(later.rows, np.flatnonzero(c["tariff_package"] != FLAT))
    assert not np.isin(on, later.rows).any()
    expected = c["price_per_kwh"][later.rows, None] * engine.multipliers(2, [TOU])[
        c["tariff_package"][later.rows], c["profile_class"][later.rows]]
    assert np.array_equal(later.import_price_per_kwh, expected)
