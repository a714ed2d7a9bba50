"""Weather-driven loads: the generator against its normals, when the peaks come, full-load
hours per class, the connected-load cap, transformer overloads, CPP on hot days, bad input."""

import datetime
import os
import subprocess
import sys

import numpy as np
import pytest

from gridvalue.simulation import metrics
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.profiles import CLASS_INDEX, load_shapes, year_shapes
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.scenario import ScenarioError, load_scenario
from gridvalue.simulation.weather import Weather, expected_excess, normals_for

HOT_MONTHS = (6, 7, 8)


def test_generated_weather_reproduces_its_normals():
    """30 years of Wuhan: monthly means within 0.5 K and 0.02 of the normals, anomalies with
    the normal's sd and lag-1 autocorrelation, clearness inside (0, 0.85)."""
    normals = normals_for(load_scenario("baseline").place)
    streams = Streams(11)
    w = Weather.generate(normals, datetime.date(2001, 1, 1), 365 * 30, 24,
                         streams.fresh("t"), streams.fresh("k"))
    months = np.array([d.month for d in w.dates])
    for m in range(1, 13):
        rows = months == m
        assert w.daily_mean_c[rows].mean() == pytest.approx(
            normals.monthly_mean_temperature_c[m - 1], abs=0.5)
        assert w.clearness_index[rows].mean() == pytest.approx(
            normals.clearness_index_mean[m - 1], abs=0.02)
        day_range = w.temperature_c[rows].max(axis=1) - w.temperature_c[rows].min(axis=1)
        assert day_range.mean() == pytest.approx(normals.diurnal_range_c[m - 1], rel=0.05)
    anomaly = w.daily_mean_c - np.array([normals.monthly_mean_temperature_c[m - 1]
                                         for m in months])
    anomaly -= np.convolve(anomaly, np.ones(31) / 31, mode="same")  # seasonal interpolation
    assert np.corrcoef(anomaly[:-1], anomaly[1:])[0, 1] == pytest.approx(0.75, abs=0.06)
    assert 0 < w.clearness_index.min() and w.clearness_index.max() < 0.85


def test_expected_excess_is_the_mean_of_the_truncated_normal():
    rng = np.random.default_rng(0)
    draws = rng.normal(0.0, 2.5, 400_000)
    for mu in (-4.0, -1.0, 0.0, 2.0, 6.0):
        assert expected_excess(np.array(mu), 2.5) == pytest.approx(
            np.maximum(mu + draws, 0).mean(), abs=0.01)


@pytest.fixture(scope="module")
def wuhan_year():
    model = GridValueModel("baseline", seed=1)
    loads = np.empty((len(model.customers), 365 * 24))
    for day in range(365):
        loads[:, day * 24:(day + 1) * 24] = model.loads.gross_kw(model.customers, day)
    return model, loads


def _peak(model, kw):
    day, hour = divmod(int(kw.argmax()), 24)
    return model.dates[day], hour


@pytest.mark.slow
def test_central_china_peaks_in_summer_households_in_the_evening(wuhan_year):
    model, loads = wuhan_year
    c = model.customers
    date, _ = _peak(model, loads.sum(axis=0))
    assert date.month in HOT_MONTHS
    date, hour = _peak(model, loads[c["customer_type"] == HOUSEHOLD].sum(axis=0))
    assert date.month in HOT_MONTHS and 18 <= hour <= 22
    commercial = (c["customer_type"] == ENTERPRISE) & (c["sector"] == 1)
    summer = np.array([d.month in HOT_MONTHS and d.weekday() < 5 for d in model.dates])
    profile = loads[commercial].sum(axis=0).reshape(365, 24)[summer].mean(axis=0)
    assert 12 <= int(profile.argmax()) <= 17  # the summer weekday's commercial peak
    # the company's noise-free day-ahead shapes agree
    energy = np.bincount(c["profile_class"][commercial], c["annual_kwh"][commercial],
                         minlength=len(CLASS_INDEX))
    expected = np.stack([energy @ model.loads.day_ahead_shapes(d) for d in range(365)])
    day, hour = np.unravel_index(expected.argmax(), expected.shape)
    assert model.dates[day].month in HOT_MONTHS and 12 <= hour <= 17


@pytest.mark.slow
def test_german_place_with_bdew_keeps_a_winter_peak():
    model = GridValueModel("baseline", seed=1, overrides={
        "place.name": "kassel", "profiles.household_profile": "h0_dyn"}).run()
    day, _ = np.unravel_index(model.system_kw.argmax(), model.system_kw.shape)
    assert model.dates[day].month in (11, 12, 1, 2)
    day, hour = np.unravel_index(model.household_kw.argmax(), model.household_kw.shape)
    assert model.dates[day].month in (11, 12, 1, 2) and 16 <= hour <= 21


@pytest.mark.slow
def test_full_load_hours_per_class_lie_in_their_ranges(wuhan_year):
    """Single customers: households about 1,200 h (SimBench H0-A 1,222 h); two- and
    three-shift plants 5,000-7,000 h (issue 14); others in the ranges of validate_loads.py."""
    model, loads = wuhan_year
    c = model.customers
    flh = np.array([metrics.full_load_hours(row, 1.0) for row in loads])
    households = c["customer_type"] == HOUSEHOLD
    assert 1100 < np.median(flh[households]) < 1350
    for name in ("two_shift", "three_shift"):
        rows = c["profile_class"] == CLASS_INDEX[name]
        assert rows.any() and 5000 <= np.median(flh[rows]) <= 7000, (name, np.median(flh[rows]))
    commercial = (c["customer_type"] == ENTERPRISE) & (c["sector"] == 1)
    assert 1500 <= np.median(flh[commercial]) <= 4500
    assert (loads <= c["connected_kw"][:, None] + 1e-9).all()  # never above the connected load


def test_noise_is_autocorrelated_and_carries_across_midnight():
    model = GridValueModel("baseline", seed=4, overrides={
        "population.households": 400, "population.enterprises": 0,
        "population.microgrids": 0, "meta.days": 60})
    days = [model.loads.gross_kw(model.customers, d) for d in range(60)]
    shapes = model.loads.day_ahead_shapes
    base = model.customers["annual_kwh"][:, None]
    resid = np.log(np.hstack([day / (shapes(d)[model.customers["profile_class"]] * base)
                              for d, day in enumerate(days)]))
    resid -= resid.mean(axis=1, keepdims=True)
    hourly = np.mean(resid[:, 1:] * resid[:, :-1]) / np.mean(resid**2)
    assert 0.5 < hourly < 0.9  # hour to hour (noise 0.6, the day level lifts it)
    midnight = np.mean([np.corrcoef(days[d][:, -1], days[d + 1][:, 0])[0, 1]
                        for d in range(59)])
    assert midnight > 0.3


def test_single_customer_transformers_never_overload_on_noise():
    """Own transformers are rated for the connected load, which caps the customer's load."""
    model = GridValueModel("baseline", seed=2, overrides={"meta.days": 60,
                                                          "meta.start_date": "2025-07-01"})
    model.run()
    topo = model.topology
    alone = np.bincount(topo.customer_transformer, minlength=topo.n_transformers) == 1
    assert alone.sum() > 20
    assert model.transformer_intervals_over[alone].sum() == 0
    tight = model.transformer_peak_kw / topo.transformer_rating_kw > 1.0
    assert tight.mean() < 0.2  # some shared transformers are tight, not most


def test_same_seed_same_weather_and_loads():
    a = GridValueModel("baseline", seed=9, overrides={"meta.days": 5})
    b = GridValueModel("baseline", seed=9, overrides={"meta.days": 5})
    np.testing.assert_array_equal(a.loads.weather.temperature_c, b.loads.weather.temperature_c)
    np.testing.assert_array_equal(a.loads.gross_kw(a.customers, 0),
                                  b.loads.gross_kw(b.customers, 0))
    c = GridValueModel("baseline", seed=10, overrides={"meta.days": 5})
    assert not np.array_equal(a.loads.weather.temperature_c, c.loads.weather.temperature_c)


def test_bdew_2025_shapes_are_an_option():
    shapes = year_shapes(2025, 24, "bdew2025")
    old = year_shapes(2025, 24, "bdew1999")
    for name in ("h0", "g0", "g4", "l0"):
        k = CLASS_INDEX[name]
        assert shapes[k].sum() == pytest.approx(1.0, rel=1e-9)
        assert not np.allclose(shapes[k], old[k])
    assert np.array_equal(shapes[CLASS_INDEX["g0"]], shapes[CLASS_INDEX["g5"]])  # one G25
    np.testing.assert_array_equal(load_shapes(datetime.date(2025, 1, 1), 365, 24)[0],
                                  old[0])  # hourly: kW per annual kWh = share per hour
    model = GridValueModel("baseline", seed=1, overrides={
        "profiles.standard_profiles": "bdew2025", "meta.days": 3,
        "population.households": 50, "population.enterprises": 10})
    model.run()
    assert model.system_kw.max() > 0


@pytest.mark.slow
def test_cpp_events_land_on_the_hot_days_of_the_system_peak():
    model = GridValueModel("cpp_events", seed=3).run()
    events = model.tariffs.event_days
    assert 8 <= len(events) <= 12
    temperature = model.loads.weather.daily_mean_c
    assert all(model.dates[d].month in (6, 7, 8, 9) for d in events)
    assert np.mean(temperature[events]) > np.quantile(temperature, 0.9)
    baseline = GridValueModel("baseline", seed=3).run()
    peak_day = int(baseline.system_kw.max(axis=1).argmax())
    assert min(abs(peak_day - d) for d in events) <= 3


@pytest.mark.parametrize("overrides, field, problem", [
    ({"place.name": "atlantis"}, "place.name", "must be one of"),
    ({"place.monthly_mean_temperature_c": [4, 7, 11, 17, 22, 26, 80, 28, 24, 18, 12, 6]},
     "place.monthly_mean_temperature_c[6]", "must be at most 40"),
    ({"place.clearness_index_mean": [0.4] * 11 + [1.2]}, "place.clearness_index_mean[11]",
     "must be at most 1"),
    ({"place.clearness_index_mean": [0.4] * 11 + [0.84]}, "place.clearness_index_mean[11]",
     "not a distribution"),
    ({"place.diurnal_range_c": [8.0] * 11}, "place.diurnal_range_c", "expected 12"),
    ({"place.latitude_deg": [30.0, 31.0]}, "place.latitude_deg", "expected one value"),
])
def test_bad_place_input_names_the_field(overrides, field, problem):
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", overrides)
    assert err.value.field == field and problem in err.value.problem


def test_bad_place_on_the_command_line_is_one_line_and_writes_nothing(tmp_path):
    for setting, message in (
            ('place.name="atlantis"', "place.name: must be one of 'beijing', 'guangzhou', "
             "'kassel', 'wuhan', got 'atlantis'"),
            ("place.monthly_mean_temperature_c=[4,7,11,17,22,26,80,28,24,18,12,6]",
             "place.monthly_mean_temperature_c[6]: must be at most 40, got 80.0"),
            ("place.clearness_index_mean=[0.4,0.4,0.4,0.4,0.4,0.4,1.2,0.4,0.4,0.4,0.4,0.4]",
             "place.clearness_index_mean[6]: must be at most 1, got 1.2")):
        proc = subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", "run",
                               "--set", setting, "--out", str(tmp_path / "out")],
                              capture_output=True, text=True, cwd=tmp_path,
                              env=os.environ | {"PYTHONWARNINGS": "ignore"})
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        assert lines[0] == f"gridvalue: error: {message}", lines[0]
        assert list(tmp_path.iterdir()) == []


def test_overriding_a_normal_moves_the_weather():
    hot = GridValueModel("baseline", seed=1, overrides={
        "meta.days": 31, "meta.start_date": "2025-07-01",
        "place.monthly_mean_temperature_c": [4, 7, 11, 17, 22, 26, 33, 28, 24, 18, 12, 6]})
    normal = GridValueModel("baseline", seed=1, overrides={
        "meta.days": 31, "meta.start_date": "2025-07-01"})
    assert hot.loads.weather.daily_mean_c.mean() > normal.loads.weather.daily_mean_c.mean() + 2
    h = np.flatnonzero(hot.customers["customer_type"] == HOUSEHOLD)
    hot_kwh = sum(hot.loads.gross_kw(hot.customers, d)[h].sum() for d in range(31))
    normal_kwh = sum(normal.loads.gross_kw(normal.customers, d)[h].sum() for d in range(31))
    assert hot_kwh > 1.1 * normal_kwh  # air conditioners


# Moved to the validation cases tests/cases/tou_residential_summer_3to1 and
# residential_summer_peak_hour_* (run by
# tests/test_validation_cases.py and `gridvalue validate`).
