"""Energy-efficiency contracts against the baseline with the same seed."""

import numpy as np
import pytest

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError

ENTERPRISES = slice(200, 350)


@pytest.fixture(scope="module")
def small_overrides(small, mechanics) -> dict:
    return small(200, 150, None, days=240, **{"market.initial_awareness_share": 0.5},
                 **mechanics)


@pytest.fixture(scope="module")
def run(small_overrides):
    def run(name: str | None, seed: int = 4, **extra):
        overrides = small_overrides | extra
        if name is not None:
            overrides |= {f"services.{name}.innovation_p_per_year": 1.0,
                          f"services.{name}.contacts_per_month": 40}
        return GridValueModel("baseline", seed=seed, overrides=overrides).run()
    return run


@pytest.fixture(scope="module")
def baseline(run):
    return run(None)


@pytest.fixture(scope="module", params=["shared_savings", "guaranteed_savings",
                                        "energy_cost_trust"])
def offered(request, run):
    return request.param, run(request.param)


def signed(model, name):
    book = model.market.services[0].contracts
    assert model.market.services[0].name == name
    return book


def test_uptake_loads_and_bills_move(baseline, offered):
    name, model = offered
    book = signed(model, name)
    who = book["customer"]
    assert len(book) >= 10
    # adopters draw less energy and their grid bills fall; nobody else changes
    assert (model.customers["import_kwh"][who] < baseline.customers["import_kwh"][who]).all()
    assert (model.customers["bill"][who] < baseline.customers["bill"][who]).all()
    others = np.setdiff1d(np.arange(len(model.customers)), who)
    np.testing.assert_allclose(model.customers["import_kwh"][others],
                               baseline.customers["import_kwh"][others])
    assert model.system_kw.sum() < baseline.system_kw.sum()
    # the saving matches the realised savings share of each retrofit
    before = baseline.customers["month_demand_kwh"][who]
    after = model.customers["month_demand_kwh"][who]
    last_month_started = book["start_day"] < model.days - 31
    np.testing.assert_allclose((after / before)[last_month_started],
                               (1 - book["realised_share"])[last_month_started], rtol=1e-9)


def test_ledger_lines_move_as_each_contract_says(baseline, offered):
    name, model = offered
    ledger = model.company.ledger
    assert ledger.total(name, "capex") < 0
    assert ledger.total(name, "revenue") > 0
    assert ledger.total(name, "margin_lost") < 0
    assert ledger.total(name, "marketing") < 0
    # the margin the line gives up is exactly what energy sales attribute to it
    assert ledger.total("energy_sales", "margin_lost_to_services") == pytest.approx(
        -ledger.total(name, "margin_lost"))
    assert ledger.total("energy_sales", "revenue") < baseline.company.ledger.total(
        "energy_sales", "revenue")
    if name == "energy_cost_trust":  # the company pays the customers' bills
        assert ledger.total(name, "payments_to_customers") < 0


def test_shared_savings_payment_is_the_share_of_measured_savings(run):
    """The company bills its share of the saving measured by IPMVP Option C (baseline on
    the pre-period's bills, weather and calendar) against the metered demand; the customer's
    own saving and the margin lost are the true ones."""
    model = run("shared_savings", seed=5)
    service = model.market.services[0]
    book = service.contracts
    rows = book.active()[:5]
    c = model.customers
    who = book["customer"][rows]
    s = book["realised_share"][rows]
    saved = c["month_demand_kwh"][who] * s / (1 - s)
    month = book["months_settled"][rows] + 1
    share = 0.8 + (0.6 - 0.8) * (month - 1) / (84 - 1)
    m = model.platform.measurement
    before = m.saved_kwh[who].copy()
    flows = service.settle_month(rows, 1.0)
    measured = m.saved_kwh[who] - before
    np.testing.assert_allclose(flows.customer_pays,
                               share * np.maximum(measured, 0) * c["price_per_kwh"][who])
    np.testing.assert_allclose(flows.saved_kwh, saved)
    # measured and true savings differ (measurement risk), by a few points of the baseline
    assert not np.allclose(measured, saved)
    errors = m.error_shares()
    # in the run's own weather (simulation/weather.py) the fixed 18.3 degC degree-day
    # baseline was biased by +2.61 points of the baseline here; the change-point baseline
    # (balance points fitted from the bills) by -0.06 points (measured 2026-12-02,
    # data_platform.mv_baseline); what is left is the company's measurement risk
    assert abs(errors.mean()) < 0.01 and 0.005 < errors.std() < 0.1


def test_guaranteed_savings_pays_shortfalls_only(run):
    model = run("guaranteed_savings", seed=6,
                **{"services.guaranteed_savings.realisation_sd": 0.6})
    book = model.market.services[0].contracts
    shortfall_paid = book["paid_out"]
    # the guarantee is settled on measured savings: clear shortfalls are paid, clear
    # surpluses are not (measurement error decides near the guarantee)
    margin = book["realised_share"] - 0.9 * book["estimate_share"]
    low, high = margin < -0.1, margin > 0.1
    assert low.any() and high.any()
    assert (shortfall_paid[high] == 0).all()
    assert (shortfall_paid[low & (book["months_settled"] > 0)] > 0).all()
    assert (model.customers["service_paid"][book["customer"]] >= book["capex"]).all()


def test_contract_numbers_sit_in_published_ranges(run):
    """LBNL/NAESCO: median savings 23 % of the bill; median simple payback 3 years (private)."""
    model = run("shared_savings", seed=7, **{"population.enterprises": 600})
    book = model.market.services[0].contracts
    c = model.customers
    who = book["customer"]
    savings_value = (c["annual_kwh"][who] * book["realised_share"] * c["price_per_kwh"][who])
    payback_years = book["capex"] / savings_value
    assert 0.15 < np.median(book["realised_share"]) < 0.30
    assert 2.0 < np.median(payback_years) < 4.5


def test_bad_service_parameters_are_refused():
    with pytest.raises(ScenarioError, match="services.shared_savings.share_start: must be at most"):
        load_scenario("ee_shared_savings", ["services.shared_savings.share_start=1.5"])
    with pytest.raises(ScenarioError, match=r"services.shared_savings.sectors\[0\]: must be one"):
        load_scenario("ee_shared_savings", ['services.shared_savings.sectors=["mining"]'])
    with pytest.raises(ScenarioError, match="services.solar_coffee: unknown name"):
        load_scenario("baseline", ["services.solar_coffee.price=1"])


def test_every_efficiency_service_targets_by_expected_value(offered):
    """Each contract kind values a contact from the company's estimates (never the truth):
    values are finite and differ between customers."""
    name, model = offered
    service = model.market.services[0]
    ent = np.flatnonzero(service.eligible())
    value = service.expected_contact_value(ent)
    assert value is not None and value.shape == ent.shape and np.isfinite(value).all()
    assert value.std() > 0, name
    c = model.customers
    hidden = c["efficiency_potential_share"].copy()
    try:
        c["efficiency_potential_share"] = np.random.default_rng(0).permutation(hidden)
        np.testing.assert_array_equal(service.expected_contact_value(ent), value)
    finally:
        c["efficiency_potential_share"] = hidden
