"""Home batteries: the company's fleet dispatch (state-of-charge limits and energy balance as
properties), the service's contracts, and fleet vs owner dispatch on tight transformers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridvalue.simulation.home_battery import dispatch_fleet
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.storage import Batteries


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**31 - 1),
       st.sampled_from([1.0, 0.25]))
def test_fleet_dispatch_keeps_soc_limits_power_and_energy_balance(n, sites, seed, dt):
    rng = np.random.default_rng(seed)
    T = int(round(24 / dt))
    energy = rng.uniform(2, 20, n)
    b = Batteries(rng.uniform(1, 8, n), energy, energy * rng.uniform(0.1, 0.95, n), 0.9, 0.1,
                  0.95)
    soc0 = b.soc_kwh.copy()
    site = rng.integers(0, sites, n)
    site_kw = rng.uniform(-5, 60, (sites, T))
    power, losses = dispatch_fleet(b, site, site_kw, dt)
    eta = np.sqrt(0.9)
    assert (np.abs(power) <= b.power_kw[:, None] + 1e-9).all()
    assert (b.soc_kwh >= b.soc_min_kwh - 1e-9).all() and (b.soc_kwh <= b.soc_max_kwh + 1e-9).all()
    charge, discharge = np.maximum(power, 0) * dt, np.maximum(-power, 0) * dt
    assert b.soc_kwh - soc0 == pytest.approx((charge * eta - discharge / eta).sum(axis=1),
                                             abs=1e-6)
    # what went in = what came out + what is stored + losses
    assert charge.sum(axis=1) == pytest.approx(discharge.sum(axis=1) + b.soc_kwh - soc0
                                               + losses, abs=1e-6)


def test_fleet_dispatch_shaves_a_transformer_peak():
    """One transformer, a 10 kW hour over a flat 2 kW: the batteries discharge in it."""
    b = Batteries(np.full(3, 2.0), np.full(3, 10.0), np.full(3, 5.0), 0.9, 0.1, 0.95)
    load = np.full((1, 24), 2.0)
    load[0, 19] = 10.0
    power, _ = dispatch_fleet(b, np.zeros(3, dtype=np.int64), load, 1.0)
    assert power[:, 19].sum() == pytest.approx(-6.0)  # all three at full power
    assert (power[:, :19] >= 0).all()


SMALL = {"population.households": 200, "population.enterprises": 10,
         "population.microgrids": 0, "meta.days": 40, "tariff.kind": "tou",
         "tariff.segments": ["household"], "network.transformer_sizing_margin": 0.8,
         "services.home_battery.contacts_per_month": 200,
         "services.home_battery.innovation_p_per_year": 12.0,
         "services.home_battery.lease_fee_per_month": 110.0, "choice.ceiling": "off"}


def run(**extra):
    m = GridValueModel("baseline", overrides=SMALL | extra)
    while m.running:
        m.step()
    return m


@pytest.mark.parametrize("dispatch", ["household", "company"])
def test_leased_batteries_are_signed_dispatched_and_within_limits(dispatch):
    m = run(**{"services.home_battery.dispatch": dispatch})
    svc = m.market.services[0]
    assert len(svc.contracts) > 5 and svc.discharge_kwh > 0
    b = svc.batteries
    assert (b.soc_kwh >= b.soc_min_kwh - 1e-9).all() and (b.soc_kwh <= b.soc_max_kwh + 1e-9).all()
    ledger = m.company.ledger
    fees = ledger.total("home_battery", "revenue")
    assert fees > 0 and ledger.total("home_battery", "capex") == pytest.approx(
        -svc.capex * len(svc.contracts))


def test_flexibility_enrols_devices_and_hands_them_to_the_company():
    m = GridValueModel("flexibility_fleet", overrides={
        "population.households": 200, "population.enterprises": 20, "population.microgrids": 0,
        "meta.days": 70, "services.home_battery.innovation_p_per_year": 12.0,
        "services.flexibility.innovation_p_per_year": 12.0, "choice.ceiling": "off",
        "ev.share": 0.5})
    while m.running:
        m.step()
    by_name = {s.name: s for s in m.market.services}
    flex, batteries = by_name["flexibility"], by_name["home_battery"]
    assert len(flex.contracts) > 0 and (flex.contracts["enrolled_kw"] > 0).all()
    who = flex.contracts["customer"]
    ev_owners = who[(who < m.ev.n)]
    ev_owners = ev_owners[m.ev.owns[ev_owners]]
    assert m.ev.managed[ev_owners].all()
    handed = batteries.company_run[np.isin(batteries.contracts["customer"], who)
                                   & batteries.installed]
    assert handed.all()
    paid = -m.company.ledger.total("flexibility", "payments_to_customers")
    assert paid > 0


@pytest.mark.parametrize("ending", ["flexibility", "ev_smart_charging"])
def test_ending_one_ev_contract_keeps_the_other_managing_the_ev(ending):
    m = GridValueModel("flexibility_fleet", overrides={
        "population.households": 60, "population.enterprises": 4, "population.microgrids": 0,
        "meta.days": 2, "ev.share": 0.5, "services.ev_smart_charging.contacts_per_month": 0})
    m.step()
    by_name = {s.name: s for s in m.market.services}
    owners = np.flatnonzero(m.ev.owns)[:3]
    assert len(owners) == 3
    for name in ("ev_smart_charging", "flexibility"):
        by_name[name].sign(owners, 1)
    assert m.ev.managed[owners].all()
    book = by_name[ending].contracts
    by_name[ending].terminate(np.flatnonzero(np.isin(book["customer"], owners)), 1)
    assert m.ev.managed[owners].all()  # the other contract still lets the company charge
    other = by_name[({"flexibility", "ev_smart_charging"} - {ending}).pop()]
    other.terminate(np.flatnonzero(np.isin(other.contracts["customer"], owners)
                                   & (other.contracts["status"] == 0)), 1)
    assert not m.ev.managed[owners].any()


def test_same_weekday_forecast_reads_only_the_metered_past():
    """Closed form: nothing on day 0, yesterday's profile in the first week, then the mean of
    the same weekday over the last `weeks` weeks."""
    from gridvalue.simulation.forecast import SameWeekdayForecast

    f = SameWeekdayForecast(1, 2, weeks=2)
    assert f.predict(0) is None
    for day in range(22):
        if day:
            expected = ([[day - 1.0] * 2] if day < 7 else
                        [[np.mean([d for d in (day - 7, day - 14) if d >= 0])] * 2])
            assert f.predict(day).tolist() == expected, day
        f.observe(day, np.full((1, 2), float(day)))
    assert f.predict(22).tolist() == [[(15 + 8) / 2] * 2]  # 1 is over two weeks ago


def test_the_company_schedules_its_fleet_on_its_forecast():
    """Company dispatch on the forecast: idle on the first day (nothing metered), within the
    batteries' limits after it, and different from the same batteries with perfect
    foresight; the company's own batteries run on the forecast too by default."""
    forecast = run(**{"services.home_battery.dispatch": "company"})
    perfect = run(**{"services.home_battery.dispatch": "company",
                     "services.home_battery.fleet_forecast": "perfect"})
    svc = forecast.market.services[0]
    assert not np.any(svc.fleet_day_kw.get(0, 0.0))
    assert svc.discharge_kwh > 0
    b = svc.batteries
    assert (b.soc_kwh >= b.soc_min_kwh - 1e-9).all() and (b.soc_kwh <= b.soc_max_kwh + 1e-9).all()
    assert not np.array_equal(forecast.system_kw, perfect.system_kw)
    grid = GridValueModel("baseline", overrides=SMALL | {"storage.grid_batteries": 3})
    assert grid.scenario.storage.grid_battery_forecast == "same_weekday"
    planned = GridValueModel("baseline", overrides=SMALL | {
        "storage.grid_batteries": 3, "storage.grid_battery_forecast": "same_weekday"})
    site_kw = np.ones((3, planned.scenario.meta.intervals_per_day))
    assert not planned._grid_battery_plan(0, site_kw).any()  # day 0: nothing metered
    assert planned._grid_battery_plan(1, 2 * site_kw).tolist() == site_kw.tolist()
