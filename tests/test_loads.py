"""Loads: energy balance in every interval, annual energy, shapes, and the smoothing of peaks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridvalue.simulation import metrics
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.profiles import CLASS_INDEX, load_shapes


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), households=st.integers(0, 120),
       enterprises=st.integers(1, 40), microgrids=st.integers(0, 4),
       intervals=st.sampled_from([24, 96]), start_day=st.integers(0, 364))
def test_system_load_is_the_sum_of_customer_net_loads(seed, households, enterprises,
                                                      microgrids, intervals, start_day):
    """In every interval the system load equals the sum of customer net loads."""
    model = GridValueModel("baseline", seed=seed, overrides={
        "population.households": households, "population.enterprises": enterprises,
        "population.microgrids": microgrids, "meta.intervals_per_day": intervals,
        "meta.days": 3, "meta.start_date": str(np.datetime64("2025-01-01") + start_day)})
    for day in range(3):
        model.steps += 1
        net_kw, _ = model.operate(day, model.tariffs.start_day(day))
        transformer_kw, feeder_kw, system_kw = model.topology.aggregate(net_kw)
        np.testing.assert_allclose(system_kw, net_kw.sum(axis=0), rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(feeder_kw.sum(axis=0), system_kw, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(transformer_kw.sum(axis=0), system_kw, rtol=1e-10, atol=1e-9)


def test_bdew_h0_full_load_hours_match_the_published_figure():
    shapes = load_shapes(np.datetime64("2025-01-01").item(), 365, 96)
    flh = metrics.full_load_hours(shapes[CLASS_INDEX["h0"]].ravel(), 0.25)
    assert flh == pytest.approx(4700, rel=0.02)  # REFERENCES.md: aggregate BDEW h0 about 4,700 h
    for k in range(shapes.shape[0]):  # every shape delivers exactly one annual kWh per kWh
        assert shapes[k].sum() * 0.25 == pytest.approx(1.0, rel=1e-9)


def test_bdew_years_of_one_calendar_have_the_same_shares():
    """demandlib's BDEW 1999 profiles depend on the year only through its calendar (weekday
    of 1 January, leap year), so `_bdew_year` computes them once per calendar; other
    calendars differ."""
    from gridvalue.simulation import profiles

    a, b = profiles._bdew_profiles(2025), profiles._bdew_profiles(2031)  # both Wednesday
    c = profiles._bdew_profiles(2026)
    assert profiles._calendar(2025) == profiles._calendar(2031) != profiles._calendar(2026)
    assert all(np.array_equal(a[name], b[name]) for name in a)
    assert not all(np.array_equal(a[name], c[name]) for name in a)
    assert profiles._bdew_year(2031) is profiles._bdew_year(2025)


def test_bdew_profiles_kept_on_disk_are_demandlibs(tmp_path, monkeypatch):
    """The disk cache gives demandlib's arrays bit for bit without calling it; a file that
    is broken or of another shape is computed again and replaced; `GRIDVALUE_CACHE_DIR=""`
    keeps nothing, and a folder that cannot be written is passed over."""
    from gridvalue.simulation import profiles

    computed = profiles._bdew_profiles(2025)
    monkeypatch.setenv("GRIDVALUE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(profiles, "_BDEW_BY_CALENDAR", {})
    key = profiles._calendar(2025)
    path = profiles.bdew_cache_path(key)
    assert path.parent == tmp_path / "cache" and "demandlib" in path.name
    first = profiles._bdew_year(2025)
    assert path.is_file() and not list(path.parent.glob(".*.tmp-*"))

    def no_demandlib(year):
        raise AssertionError("demandlib called with the cache warm")

    with monkeypatch.context() as m:
        m.setattr(profiles, "_bdew_profiles", no_demandlib)
        m.setattr(profiles, "_BDEW_BY_CALENDAR", {})
        loaded = profiles._bdew_year(2031)  # the same calendar, read from disk
    assert loaded is not first
    for name in profiles.BDEW_CLASSES:
        assert loaded[name].dtype == np.float64
        assert np.array_equal(loaded[name], computed[name])
        assert np.array_equal(first[name], computed[name])

    np.savez(path, **{name: computed[name][:10] for name in profiles.BDEW_CLASSES})
    for broken in (None, b"not a zip file"):
        if broken is not None:
            path.write_bytes(broken)
        monkeypatch.setattr(profiles, "_BDEW_BY_CALENDAR", {})
        again = profiles._bdew_year(2025)
        assert all(np.array_equal(again[n], computed[n]) for n in profiles.BDEW_CLASSES)
        with np.load(path) as stored:  # replaced by the whole arrays
            assert stored["h0"].shape == computed["h0"].shape

    monkeypatch.setenv("GRIDVALUE_CACHE_DIR", "")
    assert profiles.bdew_cache_path(key) is None
    blocked = tmp_path / "a file"
    blocked.write_text("")
    monkeypatch.setenv("GRIDVALUE_CACHE_DIR", str(blocked / "cache"))
    monkeypatch.setattr(profiles, "_BDEW_BY_CALENDAR", {})
    kept = profiles._bdew_year(2025)
    assert all(np.array_equal(kept[n], computed[n]) for n in profiles.BDEW_CLASSES)
    assert not list(tmp_path.glob(".*.tmp-*"))


@pytest.fixture(scope="module")
def household_year():
    """One year of hourly loads of 1,000 households without PV: (1000, 8760)."""
    model = GridValueModel("baseline", seed=3, overrides={
        "population.households": 1000, "population.enterprises": 0,
        "population.microgrids": 0, "population.household_pv_share": 0.0})
    loads = np.empty((1000, 365 * 24))
    for day in range(365):
        loads[:, day * 24:(day + 1) * 24] = model.loads.gross_kw(model.customers, day)
    return model, loads


def test_expected_annual_energy_is_the_annual_kwh(household_year):
    model, loads = household_year
    ratio = loads.sum() / model.customers["annual_kwh"].sum()
    assert ratio == pytest.approx(1.0, abs=0.01)


def test_aggregation_smooths_peaks(household_year):
    """A household's full-load hours are far below those of many households summed (REFERENCES:
    about 1,200 h single vs about 4,700 h aggregate for static h0; h0_dyn aggregates lower)."""
    _, loads = household_year
    single = np.median([metrics.full_load_hours(row, 1.0) for row in loads])
    aggregate = metrics.full_load_hours(loads.sum(axis=0), 1.0)
    assert 1000 < single < 1450
    assert aggregate > 3000 and aggregate > 2.5 * single
    # mean coincidence factor over disjoint groups of n households
    factors = [np.mean([metrics.coincidence_factor(loads[i:i + n]) for i in range(0, 1000, n)])
               for n in (1, 3, 10, 30, 100)]
    assert factors[0] == 1.0
    assert all(b < a for a, b in zip(factors, factors[1:], strict=False)), factors
    assert metrics.coincidence_factor(loads) < 0.45


def test_pv_lowers_midday_net_load_and_follows_the_seasons():
    model = GridValueModel("baseline", overrides={"meta.days": 365})
    pv = model.loads.pv_kw(np.array([1.0]), 0)  # 1 kWp on 1 January
    assert pv[0, :5].max() == 0.0 and pv[0, 12] > 0
    yearly = sum(model.loads.pv_kw(np.array([1.0]), d).sum() for d in range(365))
    assert yearly == pytest.approx(1100, rel=0.1)  # kWh/kWp/yr default yield, this year's sky
    normal = model.loads.pv_kw_per_kwp.sum()  # the shape of normal cloudiness, degraded
    assert normal == pytest.approx(1100 * (1 - 0.005 * 0.5), rel=0.01)
    june = model.loads.pv_kw_per_kwp[170].sum()
    assert june > 1.3 * model.loads.pv_kw_per_kwp[0].sum()


def test_compiled_day_equals_the_filter_matrix_form():
    """The kernel's AR(1) recurrence and lognormal factor equal the closed form: the unit
    noise as a product of the draws with the AR(1) filter matrix plus yesterday's carry."""
    from gridvalue.simulation.kernels import gross_day

    rng = np.random.default_rng(1)
    n, T, rho = 500, 24, 0.7
    z, last = rng.standard_normal((T, n)), rng.standard_normal(n)
    sigma, amp = rng.uniform(0.1, 0.6, n), rng.uniform(0.5, 2.0, n)
    shape, klass = rng.uniform(0.5, 1.5, (3, T)), rng.integers(0, 3, n)
    cap = rng.uniform(1.0, 3.0, n)
    lag = np.arange(T)[None, :] - np.arange(T)[:, None]
    filt = np.where(lag >= 0, np.sqrt(1 - rho**2) * rho ** np.maximum(lag, 0), 0.0)
    x = z.T @ filt + last[:, None] * rho ** (np.arange(T) + 1.0)[None, :]
    expected = np.minimum(np.exp(sigma[:, None] * x) * shape[klass] * amp[:, None], cap[:, None])
    out, carry = np.empty((n, T)), last.copy()
    gross_day(z, carry, rho, sigma, amp, shape, klass, cap, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(carry, x[:, -1], rtol=1e-12, atol=1e-13)
    assert (out < cap[:, None]).any() and (out == cap[:, None]).any()  # the cap binds somewhere


def test_table_noise_has_the_normal_moments_and_keeps_the_energy():
    """The table of normal quantiles has mean 0 and variance 1, tails near the 16-bit
    quantile (4.33 sd); a year of loads drawn with it keeps the energy of the standard
    normal draws within 1 % (the lognormal's mean, exp(sigma^2 / 2), is kept)."""
    from gridvalue.simulation.kernels import normal_table

    table = normal_table()
    assert abs(table.mean()) < 1e-12 and abs(table.var() - 1.0) < 1e-12
    assert 4.2 < table.max() < 4.4
    energy = {}
    for noise in ("normal", "table"):
        model = GridValueModel("baseline", seed=3, overrides={
            "population.households": 400, "population.enterprises": 40,
            "population.microgrids": 0, "meta.days": 60, "profiles.interval_noise": noise})
        model.run()
        energy[noise] = model.system_kw.sum()
        if noise == "table":
            again = GridValueModel("baseline", seed=3, overrides={
                "population.households": 400, "population.enterprises": 40,
                "population.microgrids": 0, "meta.days": 60,
                "profiles.interval_noise": noise}).run()
            np.testing.assert_array_equal(again.system_kw, model.system_kw)  # reproducible
    assert energy["table"] != energy["normal"]
    assert abs(energy["table"] / energy["normal"] - 1.0) < 0.01
