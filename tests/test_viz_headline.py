"""The view's headline: the NPV over the contracts' life with the horizon's beside it, and
households' peak where households face a time-varying price."""

import dataclasses

import pytest

from gridvalue.simulation.scenario import load_scenario
from gridvalue.viz import charts, snapshot
from gridvalue.viz.components import comparison_html, npv_card
from gridvalue.viz.twin import Twin

SMALL = {"population.households": 300, "population.enterprises": 40,
         "population.microgrids": 0, "meta.days": 40}


@pytest.fixture(scope="module")
def tou():
    twin = Twin(load_scenario("tou_pricing", SMALL))
    twin.advance(40)
    return snapshot.take(twin)


def test_tou_shows_the_households_peak(tou):
    assert tou.households_on_time_varying_tariff and tou.shows_households
    assert tou.household_peak_reduction_pct > 1.0  # households shift out of the peak hours
    row = next(r for r in tou.rows if r.label == "Households' peak (kW)")
    assert row.policy < row.baseline
    assert "Households&#x27; peak (kW)" in comparison_html(tou)
    figure = charts.peak_day(tou)
    labels = [line.get_label() for line in figure.axes[0].lines]
    assert labels == ["baseline twin", "tou_pricing", "households, baseline",
                      "households, tou_pricing"]
    legend = figure.axes[0].get_legend()
    figure.canvas.draw()
    assert legend.get_window_extent().x0 >= figure.axes[0].get_window_extent().x1  # off data


def test_flat_baseline_hides_households():
    twin = Twin(load_scenario("baseline", SMALL | {"meta.days": 10}))
    twin.advance(10)
    snap = snapshot.take(twin)
    assert not snap.shows_households
    labels = [line.get_label() for line in charts.peak_day(snap).axes[0].lines]
    assert labels == ["baseline twin", "baseline"]


def test_headline_is_the_lifetime_npv_with_the_horizon_beside_it(tou):
    running = dataclasses.replace(tou, npv_delta=-512_257.0, npv_lifetime_delta=None)
    value, note, tone = npv_card(running)
    assert value == "-512,257 CNY" and "shows when the run ends" in note and tone == "bad"
    ended = dataclasses.replace(tou, npv_delta=-512_257.0, npv_lifetime_delta=511_025.0)
    value, note, tone = npv_card(ended)
    assert value == "+511,025 CNY" and tone == "good"
    assert note == ("over the contracts' life, vs baseline · over the 40 days: -512,257 CNY "
                    "(costs paid up front, income after the horizon)")
    agree = dataclasses.replace(tou, npv_delta=1_000.0, npv_lifetime_delta=3_000.0)
    assert npv_card(agree)[1] == ("over the contracts' life, vs baseline · over the 40 days: "
                                  "+1,000 CNY")
