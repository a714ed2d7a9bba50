"""Household EVs: charging sessions (closed forms and properties), ownership, the model hook,
managed charging as a service, bad input."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridvalue.simulation.ev import charging_kw
from gridvalue.simulation.model import GridValueModel

SMALL = {"population.households": 150, "population.enterprises": 10,
         "population.microgrids": 0, "meta.days": 21}


def test_uncontrolled_charges_at_full_power_from_arrival():
    """10 kWh at 7 kW from interval 18: 7 kWh, then 3 kWh, then nothing (closed form)."""
    kw = charging_kw(np.array([0]), np.array([18]), np.array([31]), np.array([10.0]),
                     np.zeros((1, 48)), 7.0, 1.0)[0]
    assert kw[18] == pytest.approx(7.0) and kw[19] == pytest.approx(3.0)
    assert kw.sum() == pytest.approx(10.0) and kw[:18].sum() == 0 and kw[20:].sum() == 0


def tou_prices(n: int, peak_hours=(17, 18, 19, 20)) -> np.ndarray:
    day = np.ones(24)
    day[list(peak_hours)] = 3.0
    return np.tile(np.concatenate([day, day]), (n, 1))


def test_price_responsive_waits_for_the_off_peak_and_managed_spreads():
    """Arrive at 18 h in a 17-21 h peak: price-responsive cars all start at 21 h at full
    power (the rebound), managed ones spread over the off-peak hours of the window."""
    n = 3
    args = (np.full(n, 18), np.full(n, 31), np.full(n, 14.0), tou_prices(n), 7.0, 1.0)
    responsive = charging_kw(np.full(n, 1), *args)
    managed = charging_kw(np.full(n, 2), *args)
    assert responsive[:, :21].sum() == 0 and responsive[:, 21] == pytest.approx([7.0] * n)
    assert managed[:, :21].sum() == 0
    assert managed[:, 21:31] == pytest.approx(np.full((n, 10), 1.4))
    assert responsive.sum() == pytest.approx(managed.sum()) == pytest.approx(14.0 * n)


def test_price_responsive_starts_early_when_waiting_would_leave_it_short():
    """40 kWh at 7 kW needs 6 h: with only 4 off-peak hours before departure at 25 h, it
    starts at 19 h, the latest start that still fills the car."""
    kw = charging_kw(np.array([1]), np.array([18]), np.array([25]), np.array([40.0]),
                     tou_prices(1), 7.0, 1.0)[0]
    assert kw[:19].sum() == 0 and kw[19] == pytest.approx(7.0)
    assert kw.sum() == pytest.approx(40.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(12, 23), st.integers(1, 20),
                          st.floats(0, 80), st.floats(1, 11)), min_size=1, max_size=20),
       st.sampled_from([1.0, 0.25]), st.integers(0, 2**31 - 1))
def test_every_session_is_feasible_bounded_and_full_when_it_can_be(sessions, dt, seed):
    mode, arrival_h, dwell_h, energy, power = (np.array(x) for x in zip(*sessions, strict=True))
    T = int(round(24 / dt))
    arrival = (arrival_h / dt).astype(np.int64)
    departure = np.minimum(arrival + (dwell_h / dt).astype(np.int64), 2 * T)
    prices = np.random.default_rng(seed).choice([0.3, 0.6, 1.2], size=(len(mode), 2 * T))
    for p in np.unique(power):  # one charger power per call
        on = power == p
        kw = charging_kw(mode[on], arrival[on], departure[on], energy[on], prices[on], p, dt)
        k = np.arange(2 * T)[None, :]
        outside = (k < arrival[on, None]) | (k >= departure[on, None])
        assert (kw >= -1e-12).all() and (kw <= p + 1e-9).all()
        assert np.abs(kw[outside]).max(initial=0) == 0
        feasible = np.minimum(energy[on], p * dt * (departure[on] - arrival[on]))
        assert kw.sum(axis=1) * dt == pytest.approx(feasible, abs=1e-6)


def small(**extra):
    return GridValueModel("baseline", overrides=SMALL | extra)


def run(model):
    while model.running:
        model.step()
    return model


def test_share_zero_changes_nothing_and_evs_leave_enterprises_alone():
    base = run(small())
    zero = run(small(**{"ev.share": 0.0, "ev.charging": "price_responsive"}))
    assert np.array_equal(base.system_kw, zero.system_kw)
    ev = run(small(**{"ev.share": 0.4}))
    assert ev.ev.count > 0
    assert not np.array_equal(base.household_kw, ev.household_kw)
    # the EVs' draws come from their own stream: everything else is the same
    assert np.allclose(ev.system_kw - ev.household_kw, base.system_kw - base.household_kw)
    assert np.allclose(ev.household_kw - base.household_kw, ev.ev.day_kw)
    assert ev.ev.day_kw.sum() * ev.hours_per_interval == pytest.approx(ev.ev.delivered_kwh)


def test_ownership_follows_income_and_grows_each_year():
    m = GridValueModel("baseline", overrides=SMALL | {
        "population.households": 2000, "ev.share": 0.2, "ev.share_growth_per_year": 0.1,
        "meta.days": 1})
    fleet = m.ev
    fleet._update_ownership(0)
    first = fleet.owns.copy()
    fleet._update_ownership(365 * 2)
    assert first.mean() == pytest.approx(0.2, abs=0.03)
    assert fleet.owns.mean() == pytest.approx(0.4, abs=0.04) and (fleet.owns >= first).all()
    hh = m.tables["households"]
    income = hh["income_per_year"] / hh["size_persons"]
    rich = income > np.median(income)
    assert first[rich].mean() > 1.5 * first[~rich].mean()


def test_managed_charging_is_a_service_households_choose():
    m = run(small(**{"ev.share": 0.5, "ev.charging": "price_responsive",
                     "tariff.kind": "tou", "tariff.segments": ["household"],
                     "services.ev_smart_charging.contacts_per_month": 200,
                     "services.ev_smart_charging.innovation_p_per_year": 6.0,
                     "meta.days": 40}))
    svc = m.market.services[0]
    assert len(svc.contracts) > 0
    who = svc.contracts["customer"]
    assert m.ev.owns[who].all() and m.ev.managed[who].all()


def gridvalue(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                          capture_output=True, text=True, cwd=cwd,
                          env=os.environ | {"PYTHONWARNINGS": "ignore"})


@pytest.mark.parametrize("setting, message", [
    ("ev.share=1.5", "ev.share: must be at most 1"),
    ("ev.departure_hour_mean=7.5", "ev.departure_hour_mean: 7.5 is before the arrival"),
])
def test_bad_ev_input_is_one_line_exit_2_and_nothing_written(tmp_path, setting, message):
    proc = gridvalue("run", "--set", setting, "--out", str(tmp_path / "out"),
                     cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_same_seed_same_loads_and_flat_prices_leave_nothing_to_wait_for():
    """Common random numbers: the same draws whatever the mode; on flat prices a
    price-responsive driver has no cheaper hour, so it charges as on arrival."""
    a = run(small(**{"ev.share": 0.3, "meta.days": 7}))
    b = run(small(**{"ev.share": 0.3, "meta.days": 7}))
    c = run(small(**{"ev.share": 0.3, "meta.days": 7, "ev.charging": "price_responsive"}))
    assert a.ev.day_kw.sum() > 0
    assert np.array_equal(a.system_kw, b.system_kw) and np.array_equal(a.system_kw, c.system_kw)


def test_weekend_arrivals_are_earlier_and_sessions_never_overlap():
    """Saturday and Sunday plug-ins follow the daytime hours (My Electric Avenue), weekday
    ones the evening return (NHTS); every arrival is after 10:00 and every departure by
    10:00 next day, so a car's sessions never overlap (each home draws at most the charger's
    power)."""
    m = small(**{"ev.share": 0.5})
    fleet = m.ev
    weekday = fleet.draws(weekend=False)
    weekend = fleet.draws(weekend=True)
    assert weekend[0].mean() < weekday[0].mean() - 2.5
    for arrival, departure, _, _ in (weekday, weekend):
        assert (arrival >= 10.0).all() and (departure <= 34.0).all()
        assert (departure >= np.maximum(arrival + 1.0, 24.0)).all()
    m = run(small(**{"ev.share": 0.5, "meta.days": 14}))
    noon = slice(int(11 / m.hours_per_interval), int(16 / m.hours_per_interval))
    days = np.array([d.weekday() >= 5 for d in m.dates[:m.days]])
    assert m.ev.day_kw[days][:, noon].mean() > 2 * m.ev.day_kw[~days][:, noon].mean()
    assert (m.ev.day_kw <= m.scenario.ev.charger_kw * m.ev.count + 1e-9).all()
