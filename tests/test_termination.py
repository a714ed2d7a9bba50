"""Early termination of efficiency contracts on the scenario's terms (fee, notice), decided by
the customers in agents/."""

import dataclasses

import numpy as np
import pytest

from gridvalue.simulation.contracts import ACTIVE, TERMINATED
from gridvalue.simulation.model import GridValueModel

BASE = {"population.households": 100, "population.enterprises": 150, "meta.days": 300,
        "market.initial_awareness_share": 0.5, "choice.ceiling": "off",
        "choice.self_finance": False,
        "services.shared_savings.innovation_p_per_year": 1.0,
        "services.shared_savings.contacts_per_month": 40}
S = "services.shared_savings."


def run(**terms):
    return GridValueModel("baseline", seed=4, overrides=BASE | {
        S + k: v for k, v in terms.items()}).run()


def test_customers_leave_when_staying_is_worth_less_than_the_fee():
    free = run(early_termination=True, termination_fee_share=0.0)
    dear = run(early_termination=True, termination_fee_share=10.0)
    off = run()
    book = off.market.services[0].contracts  # no exit: nobody leaves, no fees
    assert len(book) > 10 and (book["status"] != TERMINATED).all()
    assert off.company.ledger.total("shared_savings", "termination_fees") == 0.0
    book = free.market.services[0].contracts
    gone = book["status"] == TERMINATED
    # free exit: every customer who re-evaluates (1 - inertia 0.8 a month) leaves
    assert gone.sum() > 0.3 * len(book)
    assert free.market.terminated[0] == gone.sum()
    # a fee of 10x the capex left: only customers who save far more than the company
    # estimated (and so pay far more) find leaving worth it
    dear_book = dear.market.services[0].contracts
    dear_gone = dear_book["status"] == TERMINATED
    assert dear_gone.sum() < 0.1 * gone.sum()
    est, real = dear_book["estimate_share"], dear_book["realised_share"]
    if dear_gone.any():
        assert np.median(real[dear_gone] - est[dear_gone]) > np.median(real - est)
    # the retrofit stays: a terminated customer's load stays lower than in the baseline
    who = book["customer"][gone]
    base = GridValueModel("baseline", seed=4, overrides=BASE | {
        S + "contacts_per_month": 0}).run()
    assert (free.customers["import_kwh"][who] <= base.customers["import_kwh"][who]).all()
    assert free.customers["import_kwh"][who].sum() < base.customers["import_kwh"][who].sum()


def test_the_fee_is_the_share_of_unrecovered_capex_and_is_booked():
    model = run(early_termination=True, termination_fee_share=0.3)
    service = model.market.services[0]
    book = service.contracts
    gone = np.flatnonzero(book["status"] == TERMINATED)
    assert len(gone) > 0
    fees = model.company.ledger.total("shared_savings", "termination_fees")
    left = book["term_months"][gone] - book["months_settled"][gone]
    expected = (0.3 * book["capex"][gone] * left / book["term_months"][gone]).sum()
    assert fees == pytest.approx(expected, rel=1e-9)
    assert fees > 0
    # who leaves gained more than the fee (re-evaluated at the month it left)
    live = np.flatnonzero(book["status"] == ACTIVE)
    assert len(live) > 0


def test_notice_keeps_the_contract_billing_through_the_notice_months():
    model = run(early_termination=True, termination_fee_share=0.0,
                termination_notice_months=3)
    book = model.market.services[0].contracts
    noticed = np.array(sorted(model.market.on_notice["shared_savings"]), dtype=np.int64)
    assert len(noticed) > 0
    # notice shortened the term to three more months: no one ends before serving them
    assert (book["term_months"][noticed] - book["months_settled"][noticed] <= 3).all()
    assert (book["status"][noticed] != TERMINATED).all()


# ---- the other contract services ------------------------------------------------------------
FAMILY = {"population.households": 120, "population.enterprises": 80, "meta.days": 240,
          "market.initial_awareness_share": 1.0, "choice.ceiling": "off",
          "choice.self_finance": False}
EXITS = ["pv_lease", "pv_ppa", "equipment_rental", "equipment_instalments",
         "maintenance_subscription", "energy_cost_trust"]


def run_service(name: str, seed: int = 3, **terms):
    over = FAMILY | {f"services.{name}.innovation_p_per_year": 6.0,
                     f"services.{name}.contacts_per_month": 60}
    return GridValueModel("baseline", seed=seed, overrides=over | {
        f"services.{name}.{k}": v for k, v in terms.items()})


def service_of(model, name):
    return next(s for s in model.market.services if s.name == name)


@pytest.mark.parametrize("name", EXITS)
def test_a_contract_customer_leaves_when_staying_is_worth_less_than_the_fee(name):
    """Off: nobody leaves. A free exit: customers whose exit gain (from their own bills and
    payments) is positive leave; a fee of 10x the capex left (or a gain below it) keeps them."""
    off = run_service(name).run()
    book = service_of(off, name).contracts
    assert len(book) > 5 and (book["status"] != TERMINATED).all()
    assert off.company.ledger.total(name, "termination_fees") == 0.0
    free = run_service(name, early_termination=True, termination_fee_share=0.0)
    gains = []
    real_leave = free.market._terminate_early

    def spy(k, service, rows, u, day, date):  # the decision's inputs, as the market saw them
        if service.name == name and len(rows):
            gains.append(service.exit_gain(rows))
        return real_leave(k, service, rows, u, day, date)

    free.market._terminate_early = spy
    free.run()
    book = service_of(free, name).contracts
    gone = book["status"] == TERMINATED
    positive = np.concatenate(gains) > 0 if gains else np.zeros(0, bool)
    assert (gone.sum() > 0) == positive.any(), (gone.sum(), positive.sum())
    dear = run_service(name, early_termination=True, termination_fee_share=10.0).run()
    dear_gone = service_of(dear, name).contracts["status"] == TERMINATED
    assert dear_gone.sum() <= gone.sum()
    if name != "maintenance_subscription":  # no capex, so no fee
        assert dear_gone.sum() < max(gone.sum(), 1)


def test_a_free_exit_is_taken_and_the_assets_follow_their_terms():
    """Lease: the system is bought out and keeps generating on the roof. Rental: the kit
    goes back (the old load returns) and its resale is booked as a recovery. Instalments:
    the customer keeps the kit."""
    lease = run_service("pv_lease", early_termination=True, termination_fee_share=0.0)
    lease.run()
    book = service_of(lease, "pv_lease").contracts
    gone = book["status"] == TERMINATED
    assert gone.any()
    assert (book["self_kwh"][gone] + book["export_kwh"][gone]).min() > 0
    rental = run_service("equipment_rental", early_termination=True,
                         termination_fee_share=0.0).run()
    book = service_of(rental, "equipment_rental").contracts
    gone = book["status"] == TERMINATED
    if gone.any():
        assert (book["removed"][gone] == 1).all()
        assert rental.company.ledger.total("equipment_rental", "recoveries") == pytest.approx(
            book["recovered"][gone].sum())
    kit = run_service("equipment_instalments", early_termination=True,
                      termination_fee_share=0.0).run()
    book = service_of(kit, "equipment_instalments").contracts
    gone = book["status"] == TERMINATED
    assert gone.any() and (book["removed"][gone] == 0).all()


def test_guaranteed_savings_customers_never_gain_from_leaving():
    """The customer paid for its retrofit upfront: leaving only gives up the guarantee."""
    model = run_service("guaranteed_savings", early_termination=True,
                        termination_fee_share=0.0).run()
    service = service_of(model, "guaranteed_savings")
    rows = service.contracts.active()
    assert len(rows) > 0 and (service.exit_gain(rows) <= 0).all()
    assert (service.contracts["status"] != TERMINATED).all()


def test_the_value_after_notice_is_the_deferred_annuity_closed_form():
    """a for months notice+1..left at rate r: a v^(m+1) (1 - v^(n-m)) / (1 - v), v = (1+r)^(-1/12)
    (the textbook deferred annuity)."""
    model = run_service("pv_lease", early_termination=True, termination_fee_share=1.0,
                        termination_notice_months=2)
    model.market._terminate_early = lambda *a: None  # nobody leaves: the book stays whole
    model.run()
    service = service_of(model, "pv_lease")
    rows = service.contracts.active()
    assert len(rows) > 0
    got = service.value_after_notice(rows, np.full(len(rows), 100.0))
    r = model.customers["discount_rate_per_year"][service.contracts["customer"][rows]]
    n = service.remaining_months(rows)
    v = (1 + r) ** (-1 / 12)
    want = 100.0 * v**3 * (1 - v ** np.maximum(n - 2, 0)) / (1 - v)
    np.testing.assert_allclose(got, want, rtol=1e-10)


# ---- exit gains projected with the scenario's published growth --------------------------
NO_GROWTH = {"growth.pv_degradation_per_year": 0.0}
SEGMENTS = ("household", "industrial", "commercial", "agricultural", "microgrid")


def stopped(name: str, **over):
    """A run with early exit on where nobody leaves (the book stays whole)."""
    model = GridValueModel("baseline", seed=3, overrides=FAMILY | {
        f"services.{name}.innovation_p_per_year": 6.0,
        f"services.{name}.contacts_per_month": 60,
        f"services.{name}.early_termination": True,
        f"services.{name}.termination_notice_months": 2} | over)
    model.market._terminate_early = lambda *a: None
    return model.run()


def growing_annuity(amount, rate, growth, notice, left, offset=0.0):
    """a sum_{k=m+1..n} (1+g)^((k+o)/12) (1+r)^(-k/12): the textbook growing annuity,
    a (1+g)^(o/12) x^(m+1) (1 - x^(n-m)) / (1 - x), x = ((1+g)/(1+r))^(1/12)."""
    x = ((1 + growth) / (1 + rate)) ** (1 / 12)
    n = np.maximum(left - notice, 0)
    return amount * (1 + growth) ** (offset / 12) * x ** (notice + 1) * (1 - x**n) / (1 - x)


def test_the_value_after_notice_of_an_escalating_amount_is_the_growing_annuity():
    g = 0.04
    model = stopped("pv_lease", **{"growth.tariff_escalation_per_year": g} | NO_GROWTH)
    service = service_of(model, "pv_lease")
    rows = service.contracts.active()
    assert len(rows) > 0
    r = model.customers["discount_rate_per_year"][service.contracts["customer"][rows]]
    left = service.remaining_months(rows)
    for average in (False, True):
        growth = service.expected_growth(rows, tariff=True, from_average=average)
        got = service.value_after_notice(rows, np.full(len(rows), 100.0), growth)
        offset = service.contracts["months_settled"][rows] / 2 if average else 0.0
        np.testing.assert_allclose(got, growing_annuity(100.0, r, g, 2, left, offset),
                                   rtol=1e-10)


def test_a_ppa_exit_gain_projects_degradation_and_the_tariff():
    """The PPA customer's gain: its average payment to date, the tariff-linked share of it
    escalating at the tariff's rate and all of it falling with the output, from the middle
    of the months it averages; the export share (at the fixed export price) does not
    escalate. Closed form with no export share check: a growing annuity at
    (1+g)(1-d) - 1 for a payment wholly at the tariff."""
    g, d = 0.05, 0.01
    model = stopped("pv_ppa", **{"growth.tariff_escalation_per_year": g,
                                 "growth.pv_degradation_per_year": d})
    service = service_of(model, "pv_ppa")
    book = service.contracts
    rows = book.active()
    assert len(rows) > 0
    r = model.customers["discount_rate_per_year"][book["customer"][rows]]
    left, half = service.remaining_months(rows), book["months_settled"][rows] / 2
    pays = book["received"][rows] / book["months_settled"][rows]
    export = np.clip(model.scenario.tariff.export_price_per_kwh * book["export_kwh"][rows]
                     / book["received"][rows], 0, 1)
    grown = (1 + g) * (1 - d) - 1
    want = (pays * (1 - export) * growing_annuity(1.0, r, grown, 2, left, half)
            + pays * export * growing_annuity(1.0, r, -d, 2, left, half))
    np.testing.assert_allclose(service.exit_gain(rows), want, rtol=1e-9)
    flat = stopped("pv_ppa", **NO_GROWTH)
    assert service_of(flat, "pv_ppa").expected_growth(rows[:1], tariff=True, pv=True) is None


@pytest.mark.parametrize("name", ["energy_cost_trust", "equipment_rental", "guaranteed_savings",
                                  "maintenance_subscription", "shared_savings"])
def test_exit_gains_move_with_the_customers_expected_growth(name):
    """With no growth every exit gain is what it was (the averages to date, flat: byte for
    byte the formula before projections); with the tariff and loads rising, the bills and
    savings the customer expects move: leaving a trust (the company pays rising bills) or a
    guarantee is worth less, leaving a rental (its saving rises) is worth less, leaving a
    shared-savings contract (its share of a rising saving) is worth more."""
    flat = stopped(name, **NO_GROWTH)
    service = service_of(flat, name)
    rows = service.contracts.active()
    assert len(rows) > 0
    assert service.expected_growth(rows, tariff=True, load=True, pv=True) is None
    book = service.contracts
    if name == "energy_cost_trust":  # the formula before projections, exactly
        net = service.observed_monthly(rows, book["received"][rows] - book["paid_out"][rows])
        assert np.array_equal(service.exit_gain(rows), service.value_after_notice(rows, net))
    rising = dataclasses.replace(flat.scenario.growth, tariff_escalation_per_year=0.05,
                                 **{f"{s}_load_growth_per_year": 0.05 for s in SEGMENTS})
    before = service.exit_gain(rows)
    flat.scenario = dataclasses.replace(flat.scenario, growth=rising)  # the same book
    after = service.exit_gain(rows)
    if name == "shared_savings":
        assert (after >= before).all() and (after > before).any()
    else:
        assert (after <= before).all() and (after < before).any()
