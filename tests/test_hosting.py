"""PV hosting capacity and the PV what-if on an LV grid, checked with pandapower's solver."""

import warnings

import numpy as np
import pytest

from gridvalue.simulation.grids import load_grid, pandapower_net
from gridvalue.simulation.hosting import feeders_of, hosting_capacity
from gridvalue.simulation.powerflow import AcPowerFlow

VMAX, LOADING = 1.07, 1.0


@pytest.fixture(scope="module")
def dorf():
    grid = load_grid("kerber_dorfnetz")
    ac = AcPowerFlow(grid)
    bus_feeder, _ = feeders_of(grid)
    load_feeder = bus_feeder[grid.load_bus]
    p, q = 0.25 * grid.load_p_kw, 0.25 * grid.load_q_kvar
    frame = hosting_capacity(ac, p, q, load_feeder, np.ones(len(load_feeder)), VMAX, LOADING,
                             rel_tol=0.01)
    return grid, load_feeder, p, q, frame


def test_feeders_are_the_cables_leaving_the_transformer(dorf):
    grid, load_feeder, *_ = dorf
    assert len(np.unique(load_feeder)) == 6 and (load_feeder >= 0).all()


def _pandapower_worst(net, pv_bus_kw: dict) -> tuple[float, float]:
    import pandapower as pp

    for bus, kw in pv_bus_kw.items():
        pp.create_sgen(net, bus, p_mw=kw / 1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(net, numba=False)
    loading = max(net.res_line.loading_percent.max(), net.res_trafo.loading_percent.max()) / 100
    return float(net.res_bus.vm_pu.max()), float(loading)


def test_hosting_capacity_is_where_pandapower_sees_a_limit_bind(dorf):
    """PV at the hosting capacity keeps pandapower's solution within the limits; 3 % more
    breaks one (every feeder, PV spread equally over its load buses, at 25 % of base load)."""
    grid, load_feeder, _, _, frame = dorf
    for row in frame.itertuples():
        results = []
        for factor in (1.0, 1.03):
            net = pandapower_net("kerber_dorfnetz")
            net.load["scaling"] = 0.25
            rows = np.flatnonzero(load_feeder == row.feeder)
            buses = net.load["bus"].to_numpy()[rows]
            results.append(_pandapower_worst(net, {int(b): row.hosting_kw * factor / len(rows)
                                                   for b in buses}))
        (v_at, l_at), (v_over, l_over) = results
        assert v_at <= VMAX + 1e-4 and l_at <= LOADING + 0.005
        assert v_over > VMAX or l_over > LOADING
        assert row.binding in ("voltage", "loading")


def test_pv_raises_voltage_and_reverses_flow(dorf):
    grid, _, p, q, _ = dorf
    ac = AcPowerFlow(grid)
    pv = np.array([0.0, 2.0, 4.0, 6.0])[:, None]
    res = ac.solve(p[None, :] - pv, np.repeat(q[None, :], 4, axis=0))
    peak_v = res.vm_pu[:, 1:].max(axis=1)
    assert np.all(np.diff(peak_v[1:]) > 0) and peak_v[-1] > 1.02
    assert res.source_kw[0] > 0 > res.source_kw[-1]


def test_shaving_the_peak_cuts_losses_by_the_square():
    """I^2 R: shaving every load by 10 % cuts series losses to 0.9^2 = 0.81 of the base case
    (case33bw has no iron losses; voltages rise a little, so slightly less than that)."""
    grid = load_grid("case33bw")
    ac = AcPowerFlow(grid)
    k = np.array([1.0, 0.9])[:, None]
    res = ac.solve(k * grid.load_p_kw, k * grid.load_q_kvar)
    assert res.losses_kw[1] / res.losses_kw[0] == pytest.approx(0.81, abs=0.015)
