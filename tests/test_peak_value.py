"""Price-driven batteries, company batteries at transformers, peak KPIs and deferral value."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.peaks import deferral_relief_kw, paired_peak_value, peak_kpis
from gridvalue.simulation.storage import Batteries, dispatch_price


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(400, 80, 3, days=45)


@settings(max_examples=60, deadline=None)
@given(net=arrays(np.float64, (3, 24), elements=st.floats(-300, 800)),
       price=arrays(np.float64, (3, 24), elements=st.floats(0.05, 3.0)),
       power=st.floats(1, 200), hours=st.floats(0.5, 6), soc_share=st.floats(0, 1),
       efficiency=st.floats(0.6, 1.0), days=st.integers(1, 3))
def test_price_dispatch_keeps_soc_limits_and_closes_the_energy_balance(
        net, price, power, hours, soc_share, efficiency, days):
    energy = power * hours
    b = Batteries(power_kw=np.full(3, power), energy_kwh=np.full(3, energy),
                  soc_kwh=np.full(3, energy * (0.1 + 0.85 * soc_share)),
                  roundtrip_efficiency=efficiency, soc_min_share=0.1, soc_max_share=0.95)
    for _ in range(days):
        start = b.soc_kwh.copy()
        battery_kw, losses = dispatch_price(b, net, price, 1.0)
        assert (b.soc_kwh >= b.soc_min_kwh - 1e-9).all()
        assert (b.soc_kwh <= b.soc_max_kwh + 1e-9).all()
        assert (np.abs(battery_kw) <= power + 1e-9).all()
        assert (-battery_kw <= np.maximum(net, 0) + 1e-9).all()  # no export from the battery
        # energy in minus energy out equals the storage gain plus the stated losses
        np.testing.assert_allclose(battery_kw.sum(axis=1), b.soc_kwh - start + losses,
                                   atol=1e-6)
        loss_share = 1 - np.sqrt(efficiency)
        charged = np.maximum(battery_kw, 0).sum(axis=1)
        discharged = np.maximum(-battery_kw, 0).sum(axis=1)
        np.testing.assert_allclose(losses, charged * loss_share
                                   + discharged * (1 / np.sqrt(efficiency) - 1), atol=1e-9)


def test_price_dispatch_charges_cheap_and_discharges_dear():
    price = np.where(np.arange(24) >= 17, 1.2, 0.4)[None, :]
    net = np.full((1, 24), 50.0)
    b = Batteries(power_kw=np.array([20.0]), energy_kwh=np.array([40.0]),
                  soc_kwh=np.array([4.0]), roundtrip_efficiency=0.9,
                  soc_min_share=0.1, soc_max_share=0.95)
    battery_kw, _ = dispatch_price(b, net, price, 1.0)
    assert battery_kw[0, :17].max() > 0 and battery_kw[0, 17:].min() < 0
    assert (battery_kw[0, 17:] <= 0).all() and (battery_kw[0, :17] >= 0).all()
    flat = Batteries(power_kw=np.array([20.0]), energy_kwh=np.array([40.0]),
                     soc_kwh=np.array([20.0]), roundtrip_efficiency=0.9,
                     soc_min_share=0.1, soc_max_share=0.95)
    idle, _ = dispatch_price(flat, net, np.full((1, 24), 0.6), 1.0)
    assert (idle == 0).all()  # no spread, no trade


def test_deferral_counts_only_where_a_limit_binds():
    base = np.array([90.0, 120.0, 130.0, 150.0])
    other = np.array([70.0, 110.0, 90.0, 160.0])
    rating = np.array([100.0, 100.0, 100.0, 100.0])
    relief = deferral_relief_kw(base, other, rating)
    # within rating: nothing; binding: the cut, up to the excess; a rise: nothing
    np.testing.assert_allclose(relief, [0.0, 10.0, 30.0, 0.0])


def test_deferral_value_is_zero_where_no_limit_binds(small_overrides):
    """Generous transformers and feeders: TOU still cuts the peak, but defers nothing."""
    roomy = small_overrides | {"network.transformer_sizing_margin": 6.0,
                               "network.transformer_sizing_spread": 0.0,
                               "network.feeder_rating_kva": 1e6}
    base = GridValueModel("baseline", seed=8, overrides=roomy).run()
    tou = GridValueModel("tou_pricing", seed=8, overrides=roomy).run()
    assert base.transformer_intervals_over.sum() == 0
    value = paired_peak_value(base, tou)
    assert tou.household_kw.max() < base.household_kw.max()
    assert value["deferral_value"] == 0.0 and value["deferral_relief_kw"] == 0.0


def test_company_batteries_relieve_their_transformers_and_defer_upgrades(small_overrides):
    """Scheduled on the day's realised load (perfect foresight, the upper bound) every
    battery's transformer gets relief; on the company's forecast (the default) the
    transformers over rating still fall, though a missed peak day can leave a site's
    annual peak where it was."""
    base = GridValueModel("baseline", seed=8, overrides=small_overrides).run()
    batteries = small_overrides | {"storage.grid_batteries": 5}
    forecast = GridValueModel("battery_peak_shaving", seed=8, overrides=batteries).run()
    assert forecast.transformer_intervals_over.sum() < base.transformer_intervals_over.sum()
    sites = forecast.grid_battery_sites
    assert forecast.transformer_peak_kw[sites].sum() < base.transformer_peak_kw[sites].sum()
    model = GridValueModel("battery_peak_shaving", seed=8, overrides=batteries | {
        "storage.grid_battery_forecast": "perfect"}).run()
    sites = model.grid_battery_sites
    assert len(sites) == 5
    # the company picked transformers it expected to be tight, and they got relief
    utilisation = base.transformer_peak_kw / base.topology.transformer_rating_kw
    assert np.median(utilisation[sites]) > np.median(utilisation)
    assert (model.transformer_peak_kw[sites] < base.transformer_peak_kw[sites]).all()
    others = np.setdiff1d(np.arange(base.topology.n_transformers), sites)
    np.testing.assert_allclose(model.transformer_peak_kw[others], base.transformer_peak_kw[others])
    assert model.transformer_intervals_over.sum() < base.transformer_intervals_over.sum()
    value = paired_peak_value(base, model)
    assert value["deferral_value"] > 0
    # customers see nothing; the ledger carries the batteries' capital charge
    np.testing.assert_array_equal(model.customers["bill"], base.customers["bill"])
    assert model.company.ledger.total("grid_storage", "capex_annuity") < 0
    kpis, base_kpis = peak_kpis(model), peak_kpis(base)
    assert kpis["energy_kwh"] > base_kpis["energy_kwh"]  # battery losses
    assert kpis["transformer_hours_over_rating"] < base_kpis["transformer_hours_over_rating"]


def test_microgrid_batteries_can_trade_against_prices(small_overrides):
    overrides = small_overrides | {"population.microgrids": 4}
    peak = GridValueModel("realtime_pricing", seed=3, overrides=overrides | {
        "storage.microgrid_dispatch": "site_peak"}).run()
    price = GridValueModel("realtime_pricing", seed=3, overrides=overrides).run()
    rows = price._microgrid_rows
    assert price.scenario.storage.microgrid_dispatch == "price"
    # trading against the price lowers the microgrids' bills against peak shaving
    assert price.customers["bill"][rows].sum() < peak.customers["bill"][rows].sum()
