"""Enterprise CCHP: the degree-day heat and cooling model, the plant's energy balance as a
property, heat-led vs price-led operation, the service's books, bad input."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridvalue.simulation.cchp import dispatch_plants, thermal_demand_kw
from gridvalue.simulation.model import GridValueModel


def test_degree_day_demand_closed_form():
    """100 kWh/day of electricity, 5 K below the heating base, 0.05 + 0.03/K: 20 kWh of heat
    a day, shaped like the load; no cooling."""
    load = np.zeros((1, 24))
    load[0, 8:18] = 10.0
    heat, cool = thermal_demand_kw(np.array([100.0]), load, 7.0, 12.0, 24.0, np.array([0.05]),
                                   np.array([0.03]), np.array([0.08]), 1.0)
    assert heat.sum() == pytest.approx(20.0) and heat[0, 8] == pytest.approx(2.0)
    assert heat[0, :8].sum() == 0 and cool.sum() == 0


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["heat_led", "price_led"]), st.floats(0.2, 0.45), st.floats(0.0, 0.5),
       st.floats(0.5, 1.3), st.integers(0, 2**31 - 1))
def test_fuel_is_electricity_plus_heat_plus_chiller_heat_plus_losses(mode, eta_e, eta_h, cop,
                                                                      seed):
    eta_h = min(eta_h, 1.0 - eta_e)
    rng = np.random.default_rng(seed)
    n, T = 5, 24
    load, heat, cool = (rng.uniform(0, 50, (n, T)) for _ in range(3))
    cap = rng.uniform(1, 40, n)
    f = dispatch_plants(mode, cap, load, heat, cool, rng.uniform(0.3, 1.5, (n, T)), 0.3,
                        0.33, eta_e, eta_h, cop)
    assert f.fuel == pytest.approx(f.electricity + f.heat_used + f.chiller_heat + f.losses)
    assert (f.losses >= f.fuel * (1 - eta_e - eta_h) - 1e-9).all()
    assert f.cooling == pytest.approx(cop * f.chiller_heat)
    assert (f.heat_used <= heat + 1e-9).all() and (f.cooling <= cool + 1e-9).all()
    assert (f.electricity <= np.minimum(cap[:, None], load) + 1e-9).all()
    assert (f.fuel >= 0).all()


def test_heat_led_follows_heat_and_price_led_follows_price():
    load = np.full((1, 24), 100.0)
    heat = np.zeros((1, 24))
    heat[0, 6:10] = 45.0  # 45 kW of heat needs 100 kW of fuel at 0.45
    prices = np.full((1, 24), 0.3)
    prices[0, 18:22] = 1.2
    args = (np.array([50.0]), load, heat, np.zeros((1, 24)), prices, 0.3, 0.33, 0.35, 0.45, 0.7)
    heat_led = dispatch_plants("heat_led", *args)
    assert heat_led.fuel[0, 6:10] == pytest.approx([100.0] * 4) and heat_led.fuel[0, 10:].sum() == 0
    price_led = dispatch_plants("price_led", *args)
    # 0.35 x 1.2 = 0.42 > 0.3 per kWh of gas at the peak; 0.35 x 0.3 + 0 < 0.3 otherwise
    # (except where the heat is used too: 0.105 + 0.45 x 0.33 = 0.25 < 0.3)
    assert price_led.electricity[0, 18:22] == pytest.approx([50.0] * 4)
    assert price_led.electricity[0, :18].sum() == 0


def test_the_service_signs_runs_and_books_gas():
    m = GridValueModel("cchp_services", overrides={
        "population.households": 20, "population.enterprises": 40, "population.microgrids": 0,
        "meta.days": 62, "meta.start_date": "2025-11-01",
        "services.cchp.contacts_per_month": 40, "services.cchp.innovation_p_per_year": 12.0,
        "choice.ceiling": "off"})
    while m.running:
        m.step()
    svc = m.market.services[0]
    assert len(svc.contracts) > 0
    t = svc.totals
    assert t["fuel"] > 0 and t["heat_used"] > 0
    assert t["fuel"] == pytest.approx(t["electricity"] + t["heat_used"] + t["chiller_heat"]
                                      + t["losses"])
    ledger = m.company.ledger
    assert ledger.total("cchp", "revenue") > 0 and ledger.total("cchp", "opex") < 0


def test_efficiencies_above_one_are_one_line_exit_2_and_nothing_written(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "gridvalue.experiments.cli", "run", "cchp_services", "--set",
         "services.cchp.electric_efficiency=0.6", "--set",
         "services.cchp.heat_recovery_efficiency=0.5", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=tmp_path,
        env=os.environ | {"PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "services.cchp.heat_recovery_efficiency" in lines[0], proc.stderr
    assert "sum to 1.1" in lines[0] and list(tmp_path.iterdir()) == []
