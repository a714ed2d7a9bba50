"""Customers who choose: the random-utility machinery, market ceilings, price response,
substitution, trust and churn (agents/choice.py, agents/experience.py, simulation/market.py)."""

import types

import numpy as np
import pytest
from scipy import stats

from gridvalue.agents.choice import (
    DGEN_MAX_SHARE,
    DGEN_PAYBACK_YEARS,
    NOTHING,
    Alternatives,
    dgen_max_market_share,
    logit_pick,
    stays_on_package,
    value_ceiling,
)
from gridvalue.agents.household import Household
from gridvalue.simulation.contracts import DEFAULTED, TERMINATED
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(1000, 120, 2, days=None)


def test_dgen_curve_reproduces_its_table_and_never_pays_back_gives_zero():
    np.testing.assert_allclose(dgen_max_market_share(DGEN_PAYBACK_YEARS), DGEN_MAX_SHARE)
    assert dgen_max_market_share(np.array([9.0]))[0] == pytest.approx((0.360 + 0.261) / 2)
    assert (dgen_max_market_share(np.array([np.inf, np.nan, -1.0])) == 0).all()
    assert (np.diff(dgen_max_market_share(np.linspace(0, 40, 81))) <= 0).all()


def test_value_ceiling_rises_with_utility_to_its_maximum():
    u = np.array([-1.0, 0.0, 0.5, 1.0, 5.0, 100.0])
    m = value_ceiling(u, 0.9, 1.0)
    assert m[0] == m[1] == 0.0
    assert (np.diff(m[1:]) > 0).all()
    assert m[-1] == pytest.approx(0.9)
    assert m[3] == pytest.approx(0.9 * (1 - np.exp(-1)))


def test_logit_pick_matches_the_closed_form_shares():
    """Shares of picks converge to exp(s U / |U|max) / sum; unavailable ones never."""
    n = 200_000
    rng = np.random.default_rng(0)
    utility = np.tile([1.0, 0.5, 0.9, 2.0], (n, 1))
    available = np.tile([True, True, True, False], (n, 1))
    pick = logit_pick(utility, available, 5.0, rng.random(n))
    weight = np.exp(5.0 * np.array([1.0, 0.5, 0.9]))
    np.testing.assert_allclose(np.bincount(pick, minlength=4)[:3] / n, weight / weight.sum(),
                               atol=0.005)
    assert (pick != 3).all()
    none = logit_pick(utility[:3], np.zeros((3, 4), bool), 5.0, rng.random(3))
    assert (none == NOTHING).all()


def test_package_inertia_is_geometric():
    """Power TAC's evaluator: with inertia 0.8, the share still on a package that keeps costing
    more after k months is 0.8^k."""
    rng = np.random.default_rng(1)
    on = np.ones(100_000, bool)
    for _ in range(6):
        on &= stays_on_package(np.ones(len(on), bool), 0.8, rng.random(len(on)))
    assert on.mean() == pytest.approx(0.8**6, abs=0.005)
    assert stays_on_package(np.zeros(5, bool), 0.8, np.full(5, 0.99)).all()


def _simulate_payback(paybacks, n=20_000, seed=0):
    """Share adopted each month of `n` households on a complete graph, all aware, with one
    self-financed PV alternative whose payback is paybacks[month]."""
    model = types.SimpleNamespace(scenario=load_scenario("baseline"))
    rng = np.random.default_rng(seed)
    u_ceiling = rng.random(n)
    adopted = np.zeros(n, bool)
    shares = []
    for payback in paybacks:
        rows = np.flatnonzero(~adopted)
        k = len(rows)
        alts = Alternatives(np.ones((k, 1)), np.ones((k, 1), bool), np.zeros((k, 1)),
                            np.zeros(1), np.zeros((k, 1)), np.full((k, 1), payback),
                            np.array([0.93]), np.array([1.0]), np.array([0.05]),
                            np.array([0.3]))
        decision = Household.decide(model, rows, alts, np.ones(k), np.full(k, adopted.mean()),
                                    1 / 12, (rng.random(k), rng.random(k), u_ceiling[rows]))
        adopted[rows[decision.chosen == 0]] = True
        shares.append(adopted.mean())
    return np.array(shares)


# Moved to the validation cases tests/cases/dgen_ceiling_payback_* (run by
# tests/test_validation_cases.py and `gridvalue validate`).


def test_better_economics_mid_run_continue_from_the_current_share():
    """Payback 10 years for 20 years, then 3: the share never falls, does not restart from
    zero, and heads for the new curve's share (dGen's equivalent time, in effect)."""
    share = _simulate_payback([10.0] * 240 + [3.0] * 360, seed=7)
    assert (np.diff(share) >= 0).all()
    assert abs(share[239] - 0.261) < 0.05
    assert share[240] >= share[239]
    assert abs(share[-1] - 0.783) < 0.05


def _contracts(model, name):
    return len(next(s for s in model.market.services if s.name == name).contracts)


@pytest.fixture(scope="module")
def paired(small_overrides):
    def paired(scenario, levels, path, seeds, days, extra=None, count=None):
        out = np.zeros((len(seeds), len(levels)))
        for i, seed in enumerate(seeds):
            for j, level in enumerate(levels):
                model = GridValueModel(scenario, seed=seed, overrides={
                    **small_overrides, "meta.days": days, path: level, **(extra or {})}).run()
                out[i, j] = count(model)
        return out
    return paired


def _significant_fall(higher, lower) -> bool:
    """Paired one-sided t test at 5 % that `higher` exceeds `lower` (or all differences
    positive and equal)."""
    d = higher - lower
    if (d > 0).all() and d.std() == 0:
        return True
    return bool(d.mean() > 0 and stats.ttest_rel(higher, lower, alternative="greater").pvalue
                < 0.05)


@pytest.mark.slow
def test_pv_leases_fall_strictly_with_the_lease_price(paired):
    prices = [15.0, 25.0, 35.0, 45.0, 55.0]
    leases = paired("pv_investment", prices, "services.pv_lease.lease_per_kwp_month",
                    [0, 1, 2, 3], 730, count=lambda m: _contracts(m, "pv_lease"),
                    extra={"population.households": 1500, "population.enterprises": 30})
    for j in range(len(prices) - 1):
        assert _significant_fall(leases[:, j], leases[:, j + 1]), (prices[j], leases)


@pytest.mark.slow
def test_lower_company_share_of_savings_sells_more_contracts(small_overrides):
    shares = [0.4, 0.8]
    contracts = np.zeros((3, 2))
    for i, seed in enumerate([0, 1, 2]):
        for j, share in enumerate(shares):
            model = GridValueModel("ee_shared_savings", seed=seed, overrides={
                **small_overrides, "population.enterprises": 240, "meta.days": 1095,
                "services.shared_savings.share_start": share,
                "services.shared_savings.share_end": share}).run()
            contracts[i, j] = _contracts(model, "shared_savings")
    assert _significant_fall(contracts[:, 0], contracts[:, 1]), contracts


@pytest.mark.slow
def test_ten_years_of_each_packaged_service_stay_under_their_ceilings():
    """Every packaged service's share of its eligible customers stays under its family's
    maximum share, and a low-value offer (maintenance) stays far below it."""
    small = {"population.households": 300, "population.enterprises": 80,
             "population.microgrids": 3, "meta.days": 3650}
    for scenario in ("pv_investment", "ee_shared_savings", "equipment_services",
                     "microgrid_services"):
        model = GridValueModel(scenario, seed=0, overrides=small).run()
        choice = model.scenario.choice
        for service in model.market.services:
            from gridvalue.simulation.market import _curve

            cap = getattr(choice, f"max_share_{_curve(service.family)}")
            eligible = service.eligible().sum()
            held = model.market.adopted[model.market.services.index(service)].sum()
            assert held <= cap * max(eligible, 1) + 2, (scenario, service.name, held, eligible)
            if service.name == "maintenance_subscription":
                assert held < 0.5 * eligible, (held, eligible)


@pytest.mark.slow
def test_a_ppa_beside_the_lease_takes_households_from_it(small_overrides):
    base = {**small_overrides, "meta.days": 730}
    alone = GridValueModel("pv_investment", seed=0, overrides=base).run()
    both = GridValueModel("pv_investment", seed=0, overrides={
        **base, "services.pv_ppa.segments": ["household", "industrial", "commercial",
                                              "agricultural"]}).run()
    assert _contracts(both, "pv_lease") < _contracts(alone, "pv_lease")
    assert _contracts(both, "pv_ppa") > _contracts(alone, "pv_ppa")


@pytest.mark.slow
def test_cheap_own_capital_moves_customers_to_self_finance(small_overrides):
    base = {**small_overrides, "meta.days": 730}

    def outcome(rate):
        model = GridValueModel("pv_investment", seed=0, overrides={
            **base, "choice.self_finance_rate_household_per_year": rate}).run()
        own = model.market.self_financed["pv"]
        households = model.customers["customer_type"] == 0
        return int((own & households).sum()), _contracts(model, "pv_lease")

    dear, cheap = outcome(0.08), outcome(0.0)
    assert cheap[0] > dear[0] + 5, (cheap, dear)
    assert cheap[1] < dear[1], (cheap, dear)


@pytest.mark.slow
def test_a_competitor_with_a_better_offer_takes_share(small_overrides):
    base = {**small_overrides, "meta.days": 730}
    alone = GridValueModel("pv_investment", seed=0, overrides=base).run()
    rival = GridValueModel("pv_investment", seed=0, overrides={
        **base, "competitors.solar_co.offer": "pv_lease",
        "competitors.solar_co.awareness_per_year": 2.0,
        "competitors.solar_co.terms.segments": ["household"],
        "competitors.solar_co.terms.lease_per_kwp_month": 25.0}).run()
    taken = int(rival.market.competitor_adopted[0].sum())
    assert taken > 10
    assert _contracts(rival, "pv_lease") < _contracts(alone, "pv_lease") - 5


@pytest.mark.slow
def test_defaults_on_a_feeder_lower_later_uptake_there(small_overrides):
    """Same seed, twice; in one run every lease on the feeder with the most leases defaults
    after six months. The neighbours hear of it: later uptake on that feeder falls, elsewhere
    it does not."""
    overrides = {**small_overrides, "meta.days": 730}
    runs = []
    for shock in (False, True):
        model = GridValueModel("pv_investment", seed=4, overrides=overrides)
        service = next(s for s in model.market.services if s.name == "pv_lease")
        feeder = model.topology.customer_feeder
        for _ in range(181):
            model.step()
        before = len(service.contracts)
        rows = service.contracts.active()
        hit = np.bincount(feeder[service.contracts["customer"][rows]]).argmax()
        if shock:
            rows = rows[feeder[service.contracts["customer"][rows]] == hit]
            assert len(rows) >= 3  # 4 at this seed and size (2026-12-02)
            service.contracts["status"][rows] = DEFAULTED
            service.on_default(rows)
        while model.running:
            model.step()
        later = service.contracts["customer"][before:]
        runs.append(((feeder[later] == hit).sum(), (feeder[later] != hit).sum()))
    (calm_here, calm_else), (hit_here, hit_else) = runs
    assert hit_here < calm_here, runs
    assert hit_else >= calm_else - 3, runs


def test_customers_leave_a_package_that_costs_them_more():
    """Default enrolment on TOU only. Each month a household whose package has cost it more
    than flat since it enrolled leaves with probability 1 - inertia = 0.2 (Power TAC), so one
    it keeps costing more has left within 3 / 6 months with probability 0.49 / 0.74; one it
    saves money never leaves. The books record the terminations."""
    model = GridValueModel("price_packages", seed=0, overrides={
        "population.households": 2000, "population.enterprises": 20, "meta.days": 273,
        "services.price_packages.packages": ["tou"]})
    service = next(s for s in model.market.services if s.name == "price_packages")
    at_risk = left = safe_left = 0
    while model.running:
        day = model.steps
        if day > 0 and model.dates[day].day == 1:  # just before a month's decisions
            rows = service.contracts.active()
            more = service.costs_more_than_without(rows)
            model.step()
            gone = service.contracts["status"][rows] == TERMINATED
            at_risk += more.sum()
            left += (gone & more).sum()
            safe_left += (gone & ~more).sum()
        else:
            model.step()
    assert at_risk >= 100
    assert left / at_risk == pytest.approx(0.2, abs=3 * np.sqrt(0.16 / at_risk)), (left, at_risk)
    assert safe_left == 0
    ledger = model.company.ledger.to_frame()
    assert "termination_fees" in set(ledger["item"])
    assert model.market.terminated[0] == left
