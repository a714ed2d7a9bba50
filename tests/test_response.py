"""Demand response: shifting conserves energy except the daily-elasticity term; directions by
customer type and enabling technology."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.response import shift_and_scale

ROWS, T = 4, 24


@settings(max_examples=80, deadline=None)
@given(load=arrays(np.float64, (ROWS, T), elements=st.floats(0.0, 50.0)),
       price=arrays(np.float64, (ROWS, T), elements=st.floats(0.05, 5.0)),
       flat=st.floats(0.1, 2.0), substitution=st.floats(-1.0, 0.0),
       daily=st.floats(-0.5, 0.0), flexibility=st.floats(0.0, 1.0))
def test_shifting_conserves_energy_except_the_daily_term(load, price, flat, substitution, daily,
                                                         flexibility):
    flat_price = np.full(ROWS, flat)
    sub, day = np.full(ROWS, substitution), np.full(ROWS, daily)
    flex = np.full(ROWS, flexibility)
    new, factor = shift_and_scale(load, price, flat_price, sub, day, flex)
    energy = load.sum(axis=1)
    # daily energy changes by the daily-elasticity factor only ...
    np.testing.assert_allclose(new.sum(axis=1), energy * factor, rtol=1e-9, atol=1e-9)
    # ... which is (mean price after the shift / flat price) ^ daily elasticity
    shifted, one = shift_and_scale(load, price, flat_price, sub, np.zeros(ROWS), flex)
    np.testing.assert_allclose(one, 1.0)
    np.testing.assert_allclose(shifted.sum(axis=1), energy, rtol=1e-9, atol=1e-9)
    mean_price = np.divide((shifted * price).sum(axis=1), energy, out=np.zeros(ROWS),
                           where=energy > 0)
    expected = np.where(energy > 0, (np.maximum(mean_price, 1e-12) / flat) ** daily, factor)
    np.testing.assert_allclose(factor, expected, rtol=1e-9)
    # no load goes negative, and the energy moved is within the shiftable share
    assert (shifted >= -1e-12).all()
    moved = np.maximum(shifted - load, 0).sum(axis=1)
    assert (moved <= flexibility * energy + 1e-9).all()


def test_load_moves_from_dear_to_cheap_intervals():
    load = np.ones((1, 24))
    price = np.where(np.arange(24) >= 17, 3.0, 1.0)[None, :]
    new, _ = shift_and_scale(load, price, np.array([1.5]), np.array([-0.095]), np.zeros(1),
                             np.array([1.0]))
    assert (new[0, 17:] < 1).all() and (new[0, :17] > 1).all()
    # PRISM: the ratio of peak to off-peak use moves by the price ratio ^ substitution
    assert new[0, 20] / new[0, 0] == pytest.approx(3.0**-0.095, rel=1e-12)
    flat, _ = shift_and_scale(load, np.ones((1, 24)), np.ones(1), np.array([-0.5]),
                              np.array([-0.3]), np.ones(1))
    np.testing.assert_allclose(flat, load)  # flat prices: no response


def test_response_by_sector_and_enabling_technology():
    """Farms shift most, industry little, commerce not at all without enabling technology;
    enabling technology raises a household's response."""
    model = GridValueModel("realtime_pricing", seed=5, overrides={
        "population.households": 40, "population.enterprises": 90, "meta.days": 1})
    c = model.customers
    c["enabling_technology"][:20] = True
    sub, _ = model.response.elasticities(np.arange(len(c)), False)
    households, enterprises = sub[:40], sub[40:130]
    assert (households[:20] < households[20:].min()).all()
    sector = c["sector"][40:130]
    assert enterprises[sector == 2].max() < enterprises[sector == 0].min()  # farms
    assert (enterprises[sector == 0] < 0).all() and (enterprises[sector == 1] == 0).all()


def test_enabling_technology_doubles_the_household_peak_cut():
    overrides = {"population.households": 1000, "population.enterprises": 0,
                 "population.microgrids": 0, "meta.days": 31}
    base = GridValueModel("baseline", seed=1, overrides=overrides).run()
    plain = GridValueModel("tou_pricing", seed=1, overrides=overrides).run()
    smart = GridValueModel("tou_pricing", seed=1, overrides=overrides)
    smart.customers["enabling_technology"][:] = True
    smart.run()
    cut_plain = 1 - plain.system_kw.max() / base.system_kw.max()
    cut_smart = 1 - smart.system_kw.max() / base.system_kw.max()
    assert 1.5 * cut_plain < cut_smart < 2.5 * cut_plain
