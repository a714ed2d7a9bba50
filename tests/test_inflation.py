"""Nominal terms (general inflation) and income tax in lifetime values, against closed
forms."""

from collections import defaultdict

import numpy as np
import pytest

from gridvalue.simulation.inflation import nominal_rate
from gridvalue.simulation.lifetime import depreciation_shield, discount, expected_value, ramp
from gridvalue.simulation.model import GridValueModel

SMALL = {"population.households": 80, "population.enterprises": 20,
         "population.microgrids": 0}


def annuity(rate: float, months: int) -> float:
    """Closed form: sum_{k=1..N} v^k with v = (1 + r)^(-1/12)."""
    v = (1.0 + rate) ** (-1.0 / 12.0)
    return v * (1.0 - v**months) / (1.0 - v)


def test_fisher_a_real_flow_inflated_and_discounted_nominally_keeps_its_real_value():
    r, i, months, cash = 0.08, 0.03, 120, 1000.0
    nominal = cash * ramp(i, months, np.full(1, -1.0))  # (1 + i)^((k - 1) / 12), k = 1..N
    value = expected_value(nominal_rate(r, i), np.zeros(1), nominal)
    real = cash * annuity(r, months)
    # the nominal flow starts at `cash` in month 1 and grows monthly: value = real annuity
    # times (1 + i)^(-1/12) (one month's inflation the nominal discounting takes away)
    assert value[0] == pytest.approx(real * (1 + i) ** (-1 / 12), rel=1e-12)
    assert nominal_rate(r, i) == pytest.approx(0.1124, abs=1e-12)


def test_income_tax_in_a_lifetime_value_and_the_depreciation_shield():
    r, tau, months = 0.08, 0.25, 60
    net = np.full((1, months), 500.0)
    effect = np.full((1, months), -100.0)
    recovery = np.full((1, months), 2000.0)
    h = np.array([0.1])
    pre = expected_value(r, h, net, effect, recovery=recovery)
    post = expected_value(r, h, net, effect, recovery=recovery, tax_rate=tau)
    # the effect (margin on energy sales) is not the line's income: untaxed
    eff = expected_value(r, h, np.zeros((1, months)), effect)
    assert post[0] == pytest.approx((1 - tau) * (pre[0] - eff[0]) + eff[0], rel=1e-12)
    # depreciation: tau x capex / life a month over the months left, discounted
    shield = depreciation_shield(r, np.array([12000.0, 12000.0]), np.array([0, 100]), 120, tau)
    assert shield[0] == pytest.approx(tau * 100.0 * annuity(r, 120), rel=1e-12)
    assert shield[1] == pytest.approx(tau * 100.0 * annuity(r, 20), rel=1e-12)
    # a tax holiday: no tax in the first 24 months, half in the next 12
    rates = np.r_[np.zeros(24), np.full(12, tau / 2), np.full(84, tau)]
    held = depreciation_shield(r, np.array([12000.0]), np.array([0]), 120, rates)
    v = (1 + r) ** (-1 / 12)
    assert held[0] == pytest.approx(100.0 * (tau / 2 * v**24 * annuity(r, 12)
                                             + tau * v**36 * annuity(r, 84)), rel=1e-12)
    post_held = expected_value(r, np.zeros(1), net, tax_rate=rates[:months])
    assert post_held[0] == pytest.approx(500.0 * (annuity(r, 24) + (1 - tau / 2) * v**24
                                                  * annuity(r, 12) + (1 - tau) * v**36
                                                  * annuity(r, 24)), rel=1e-12)
    assert discount(r, 12)[0, -1] == pytest.approx(1 / (1 + r))


def test_nominal_run_inflates_energy_sales_and_leaves_year_one_alone():
    """Two years of the same town and weather: in nominal terms year 1's energy sales are the
    real run's, year 2's are (1 + i) times them (retail and wholesale prices and the
    capacity charge step on the anniversary); so are the platform's running costs."""
    i = 0.05
    over = SMALL | {"meta.days": 730, "meta.start_date": "2025-01-01"}
    real = GridValueModel("baseline", seed=3, overrides=over).run()
    nominal = GridValueModel("baseline", seed=3, overrides=over
                             | {"growth.inflation_per_year": i}).run()
    assert nominal.scenario.company.discount_rate_per_year == pytest.approx(
        nominal_rate(real.scenario.company.discount_rate_per_year, i))
    def item(model, line, name, year):
        frame = model.company.ledger.to_frame()
        rows = ((frame["service_line"] == line) & (frame["item"] == name)
                & frame["month"].str.startswith(str(year)))
        return frame.loc[rows, "amount"].sum()

    for year, factor in ((2025, 1.0), (2026, 1.0 + i)):
        for line, name in (("energy_sales", "wholesale_energy"), ("energy_sales", "capacity"),
                           ("data_platform", "platform_opex"), ("data_platform", "analytics")):
            assert item(nominal, line, name, year) == pytest.approx(
                item(real, line, name, year) * factor, rel=1e-9)
        # retail revenue: imports at (1 + i) times the price, PV exports at the export price
        # fixed in nominal money
        ratio = item(nominal, "energy_sales", "revenue", year) / item(
            real, "energy_sales", "revenue", year)
        assert ratio == pytest.approx(factor, abs=1e-3)
    # a fixed-nominal meter annuity at the nominal rate is dearer than the real one
    assert item(nominal, "data_platform", "meter_capex_annuity", 2026) < item(
        real, "data_platform", "meter_capex_annuity", 2026)


def test_real_terms_and_pre_tax_lifetime_are_the_default():
    over = SMALL | {"meta.days": 60}
    base = GridValueModel("baseline", seed=1, overrides=over)
    assert base.scenario.growth.inflation_per_year == 0.0
    assert not base.scenario.taxes.income_tax_in_lifetime
    same = GridValueModel("baseline", seed=1, overrides=over | {
        "growth.inflation_per_year": 0.0})
    assert same.scenario == base.scenario


def test_income_tax_in_lifetime_changes_the_valuation_only():
    over = {"population.households": 100, "population.enterprises": 120, "meta.days": 180,
            "market.initial_awareness_share": 0.5, "choice.ceiling": "off",
            "choice.self_finance": False,
            "services.shared_savings.innovation_p_per_year": 1.0,
            "services.shared_savings.contacts_per_month": 40}
    pre = GridValueModel("baseline", seed=4, overrides=over).run()
    post = GridValueModel("baseline", seed=4, overrides=over | {
        "taxes.income_tax_in_lifetime": True}).run()
    a, b = pre.market.contract_lifetime_values(), post.market.contract_lifetime_values()
    assert len(a) > 5
    np.testing.assert_array_equal(a["npv_to_date"], b["npv_to_date"])  # same cash
    assert not np.allclose(a["remaining_value"], b["remaining_value"])
    # the EPC holiday: no tax in the first three calendar years of the run, half in the next
    service = post.market.services[0]
    rates = service.lifetime_tax_rates(120)
    assert rates[:12].max() == 0.0 and rates.max() == pytest.approx(0.25)
    assert 0.125 in set(np.round(rates, 6))


def test_nominal_upkeep_and_marketing_follow_the_price_level_in_cash_and_value():
    """In nominal terms every service's upkeep and marketing contacts are booked at the
    month's price level (1 in the first year, 1 + i after the anniversary), and the value
    after the horizon lets the upkeep grow with inflation: discounted at the Fisher rate, a
    maintenance contract is worth fee x annuity(nominal rate) - cost x level x
    annuity(real rate), the closed form of a real cost."""
    i = 0.05
    over = {"population.households": 40, "population.enterprises": 120,
            "population.microgrids": 0, "meta.days": 400, "meta.start_date": "2025-01-01",
            "market.initial_awareness_share": 0.2, "choice.ceiling": "off",
            "choice.self_finance": False, "growth.inflation_per_year": i}
    over |= {f"services.{name}.contacts_per_month": 4 for name in (
        "equipment_rental", "equipment_instalments", "maintenance_subscription")}
    model = GridValueModel("equipment_services", seed=2, overrides=over)
    upkeep, marketing = defaultdict(float), defaultdict(float)  # in start-date money

    def month():
        return model.dates[model.steps - 1].strftime("%Y-%m")

    for service in model.market.services:
        def settle(rows, share, service=service, settle=service.settle_month):
            flows = settle(rows, share)
            upkeep[(service.name, month())] += flows.opex.sum()
            return flows
        service.settle_month = settle
    strategy = model.company.strategy

    def contacts(k, service, pool, priority, date, pick=strategy.contacts):
        picked = pick(k, service, pool, priority, date)
        marketing[(service.name, date.strftime("%Y-%m"))] += (
            len(picked) * service.params.marketing_cost_per_contact)
        return picked
    strategy.contacts = contacts
    model.run()
    assert model.company.price_level == pytest.approx(1.0 + i)
    frame = model.company.ledger.to_frame()
    for item, real in (("opex", upkeep), ("marketing", marketing)):
        booked = -frame[frame["item"] == item].groupby(["service_line", "month"])["amount"].sum()
        later = [key for key in real if key[1] >= "2026" and real[key] > 0]
        assert len({line for line, _ in later}) >= 2, (item, later)  # several lines in year 2
        for (line, m), amount in real.items():
            level = 1.0 + i if m >= "2026" else 1.0
            assert booked.get((line, m), 0.0) == pytest.approx(amount * level, rel=1e-12)
    care = next(s for s in model.market.services if s.name == "maintenance_subscription")
    rows = care.contracts.active()
    assert len(rows) > 5
    left = care.remaining_months(rows)
    nominal = model.scenario.company.discount_rate_per_year
    real_rate = (1.0 + nominal) / (1.0 + i) - 1.0
    book = care.contracts
    expected = [fee * care.revenue_kept_share() * annuity(nominal, n)
                - cost * (1.0 + i) * annuity(real_rate, n)
                for fee, cost, n in zip(book["fee"][rows], book["cost"][rows], left, strict=True)]
    np.testing.assert_allclose(care.remaining_value(rows), expected, rtol=1e-9)
