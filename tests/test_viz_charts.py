"""Charts draw from snapshots, and redraw only when the data they show changes."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from gridvalue.simulation.scenario import load_scenario, packaged_scenarios
from gridvalue.viz import charts, snapshot
from gridvalue.viz.layout import radial_layout
from gridvalue.viz.twin import Twin

DRAW = [(charts.peak_day, ()), (charts.uptake, ()), (charts.pnl, ()), (charts.bills, ()),
        (charts.network, ("uptake",)), (charts.network, ("loading",))]


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(300, 100, 2, days=62, **{"services.shared_savings.contacts_per_month": 60,
                                           "services.shared_savings.innovation_p_per_year": 0.6})


@pytest.fixture(scope="module")
def snaps(small_overrides):
    twin = Twin(load_scenario("ee_shared_savings", small_overrides))
    topo = twin.policy.topology
    layout = radial_layout(twin.policy.graph, topo.n_transformers, topo.n_feeders)
    out = [snapshot.take(twin)]
    for days in (33, 1, 28):  # 33 and 34 days stepped (both after 1 February), then 62
        twin.advance(days)
        out.append(snapshot.take(twin))
    return layout, out


@pytest.mark.parametrize("draw, extra", DRAW)
def test_every_chart_draws_before_and_after_a_run(snaps, draw, extra):
    layout, snaps = snaps
    extra = (layout, *extra) if draw is charts.network else extra
    for snap in (snaps[0], snaps[-1]):
        figure = draw(snap, *extra)
        assert isinstance(figure, Figure) and figure.axes
    assert charts.key(draw, snaps[0], *extra) != charts.key(draw, snaps[-1], *extra)


def test_keys_follow_the_data(snaps):
    layout, (start, day33, day34, end) = snaps
    same = snapshot.Snapshot(**{**vars(end)})  # another object, same data
    for draw, extra in DRAW:
        extra = (layout, *extra) if draw is charts.network else extra
        assert charts.key(draw, same, *extra) == charts.key(draw, end, *extra)
    # offers are made on the first of the month: uptake is unchanged within February
    assert charts.key(charts.uptake, day33) == charts.key(charts.uptake, day34)
    assert charts.key(charts.network, day33, layout, "uptake") != charts.key(
        charts.network, day33, layout, "loading")


@pytest.mark.parametrize("name", sorted(packaged_scenarios()))
def test_every_packaged_scenario_draws(name):
    twin = Twin(load_scenario(name, {"population.households": 200,
                                     "population.enterprises": 60, "meta.days": 40}))
    twin.advance(40)
    snap = snapshot.take(twin)
    topo = twin.policy.topology
    layout = radial_layout(twin.policy.graph, topo.n_transformers, topo.n_feeders)
    for draw, extra in DRAW:
        extra = (layout, *extra) if draw is charts.network else extra
        assert draw(snap, *extra).axes
    assert snap.peak_reduction_pct == pytest.approx(
        100 * (1 - twin.policy.system_kw.max() / twin.baseline.system_kw.max()))


def test_network_drawing_shows_solved_voltages():
    """With power flow on, each transformer carries the lowest voltage solved at it."""
    twin = Twin(load_scenario("baseline", {"population.households": 200,
                                           "population.enterprises": 20,
                                           "population.microgrids": 0, "meta.days": 5,
                                           "network.power_flow": "peak_min"}))
    topo = twin.policy.topology
    layout = radial_layout(twin.policy.graph, topo.n_transformers, topo.n_feeders)
    before = snapshot.take(twin)
    twin.advance(5)
    after = snapshot.take(twin)
    vm = after.transformer_vm_min
    assert len(vm) == topo.n_transformers and np.nanmax(vm) <= 1.0 and np.nanmin(vm) > 0.85
    assert np.isnan(before.transformer_vm_min).all()
    figure = charts.network(after, layout, "voltage")
    assert isinstance(figure, Figure) and figure.axes
    assert charts.key(charts.network, before, layout, "voltage") != charts.key(
        charts.network, after, layout, "voltage")


def test_peak_day_shows_the_company_s_fleet_and_the_pnl_its_line(snaps):
    _, (start, *_, end) = snaps
    assert end.peak_day_fleet_kw == {}  # no fleet service: no fleet lines
    twin = Twin(load_scenario("flexibility_fleet", {
        "population.households": 200, "population.enterprises": 20, "population.microgrids": 0,
        "meta.days": 35, "ev.share": 0.5, "services.flexibility.innovation_p_per_year": 12.0,
        "services.home_battery.innovation_p_per_year": 12.0, "choice.ceiling": "off"}))
    twin.advance(35)
    snap = snapshot.take(twin)
    fleet = snap.peak_day_fleet_kw
    assert {"managed EVs", "home batteries", "CCHP"} <= set(fleet)
    managed = twin.policy.ev.managed & twin.policy.ev.owns
    assert managed.any() and fleet["managed EVs"].sum() > 0
    labels = [line.get_label() for line in charts.peak_day(snap).axes[0].get_lines()]
    assert "fleet: managed EVs" in labels
    assert "flexibility" in snap.pnl_delta.index
