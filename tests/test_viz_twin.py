"""The policy run and its baseline twin: same seed, same customers, differences only where
the policy acts; snapshots; the session's commands; the network layout."""

import dataclasses

import numpy as np
import pytest

from gridvalue.simulation.scenario import load_scenario
from gridvalue.viz import snapshot
from gridvalue.viz.layout import radial_layout
from gridvalue.viz.session import Session
from gridvalue.viz.twin import Twin, baseline_twin


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(400, 120, 2, days=90, **{
        "services.shared_savings.contacts_per_month": 60,
        "services.shared_savings.innovation_p_per_year": 0.6,
        "choice.self_finance": False})  # only contract holders' bills move


@pytest.fixture(scope="module")
def offer_twin(small_overrides):
    twin = Twin(load_scenario("ee_shared_savings", small_overrides))
    twin.advance(90)
    return twin


def test_the_twin_keeps_everything_but_the_policy(small_overrides):
    scenario = load_scenario("ee_shared_savings", small_overrides)
    twin = baseline_twin(scenario)
    assert twin.services == {}
    assert twin.tariff == load_scenario("baseline").tariff
    for section in ("population", "network", "profiles", "company", "market"):
        assert getattr(twin, section) == getattr(scenario, section)
    assert dataclasses.replace(twin.meta, name=scenario.meta.name) == scenario.meta


def test_baseline_against_itself_differs_nowhere(small_overrides):
    twin = Twin(load_scenario("baseline", {k: v for k, v in small_overrides.items()
                                           if not k.startswith("services")}))
    twin.advance(40)
    np.testing.assert_array_equal(twin.policy.system_kw, twin.baseline.system_kw)
    snap = snapshot.take(twin)
    assert snap.day == 40 and snap.peak_reduction_pct == 0.0 and snap.npv_delta == 0.0
    assert all(row.delta == 0 for row in snap.rows)
    assert snap.uptake_share is None and snap.default_losses == 0.0


def test_retrofits_only_lower_the_load(offer_twin):
    pol, base = offer_twin.policy.system_kw, offer_twin.baseline.system_kw
    assert offer_twin.day == 90
    assert np.all(pol <= base + 1e-6)  # common random numbers: only savings differ
    assert (base - pol).sum() > 0
    snap = snapshot.take(offer_twin)
    assert snap.contracts > 0 and 0 < snap.uptake_share < 1
    assert snap.peak_reduction_pct >= 0
    energy = next(r for r in snap.rows if r.label.startswith("Energy delivered"))
    assert energy.delta < 0


def test_the_snapshot_adds_up(offer_twin):
    snap = snapshot.take(offer_twin)
    pol, base = offer_twin.policy, offer_twin.baseline
    rate = pol.scenario.company.discount_rate_per_year
    assert snap.npv_delta == pytest.approx(pol.company.ledger.npv(rate)
                                           - base.company.ledger.npv(rate))
    assert snap.npv_delta < 0  # retrofits are paid up front, repaid over years
    assert snap.npv_lifetime_delta == pytest.approx(
        snap.npv_delta + sum(pol.market.remaining_value().values()))  # finished: included
    holders = (snap.transformer_uptake_share * snap.transformer_customers).sum()
    assert holders == pytest.approx(snap.holds_contract.sum())
    assert snap.holds_contract.sum() == snap.contracts  # one efficiency contract each
    # the P&L change by line and item sums to the change of the company's cash
    margin = next(r for r in snap.rows if r.label.startswith("Company margin"))
    assert snap.pnl_delta.to_numpy().sum() == pytest.approx(margin.delta, abs=1.0)
    # bill change: contract holders' cost moved; nobody else's did
    moved = np.abs(snap.bill_change_pct) > 1e-9
    np.testing.assert_array_equal(moved, snap.holds_contract)
    peak = snap.peak_day_baseline_kw.max()
    assert peak == pytest.approx(base.system_kw[:90].max())


def test_session_publishes_and_stops(small_overrides):
    shown = []
    session = Session(publish_every_s=0.0)
    scenario = load_scenario("ee_shared_savings", small_overrides)
    session.rebuild(scenario, 5, lambda: True, lambda s, lay: shown.append(s.day))
    assert session.twin.day == 5 and shown[-1] == 5
    layout = session.layout
    session.advance(10, lambda: True, lambda s, lay: shown.append(s.day))
    assert session.twin.day == 15 and shown[-1] == 15
    assert shown == sorted(shown)
    session.advance(10, lambda: False, lambda s, lay: shown.append(s.day))
    assert session.twin.day == 15  # told to stop: no step, nothing published
    session.rebuild(scenario, 3, lambda: True, lambda s, lay: None)
    assert session.layout is layout  # same network: layout not recomputed
    session.advance(10_000, lambda: True, lambda s, lay: None)
    assert session.twin.day == session.twin.days == 90


def test_radial_layout_places_every_transformer_once(offer_twin):
    model = offer_twin.policy
    topo = model.topology
    layout = radial_layout(model.graph, topo.n_transformers, topo.n_feeders)
    radius = np.hypot(*layout.transformer_xy.T)
    assert np.all(radius >= 2 - 1e-9)  # substation 0, feeder heads 1, transformers beyond
    np.testing.assert_allclose(np.hypot(*layout.feeder_xy.T), 1.0)
    assert len(np.unique(layout.transformer_xy.round(9), axis=0)) == topo.n_transformers
    assert len(layout.segments) == topo.n_feeders + topo.n_transformers
