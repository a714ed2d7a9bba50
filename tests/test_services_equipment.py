"""Equipment rental, instalment sale and the maintenance subscription against the baseline."""

import numpy as np
import pytest

from gridvalue.simulation.contracts import ACTIVE, COMPLETED, DEFAULTED
from gridvalue.simulation.model import GridValueModel


@pytest.fixture(scope="module")
def small_overrides(small, mechanics) -> dict:
    return small(150, 200, None, days=240, **{"market.initial_awareness_share": 0.5},
                 **mechanics)


@pytest.fixture(scope="module")
def run(small_overrides):
    def run(name: str | None, seed: int = 4, **extra):
        overrides = small_overrides | extra
        if name is not None:
            overrides |= {f"services.{name}.innovation_p_per_year": 2.0,
                          f"services.{name}.contacts_per_month": 40}
        return GridValueModel("baseline", seed=seed, overrides=overrides).run()
    return run


@pytest.fixture(scope="module")
def baseline(run):
    return run(None)


@pytest.fixture(scope="module", params=["equipment_rental", "equipment_instalments"])
def offered(request, run):
    return request.param, run(request.param)


def test_new_equipment_lowers_the_load_by_its_saving(baseline, offered):
    name, model = offered
    book = model.market.services[0].contracts
    who = book["customer"]
    c, cb = model.customers, baseline.customers
    assert len(book) >= 20
    assert (c["customer_type"][who] == 1).all()  # enterprises and farms
    assert (c["import_kwh"][who] < cb["import_kwh"][who]).all()
    assert (c["bill"][who] < cb["bill"][who]).all()
    others = np.setdiff1d(np.arange(len(c)), who)
    np.testing.assert_allclose(c["import_kwh"][others], cb["import_kwh"][others])
    # demand falls by the equipment's saving share: served share x efficiency gain
    started = (book["start_day"] < model.days - 31) & (book["status"] != DEFAULTED)
    ratio = c["month_demand_kwh"][who] / cb["month_demand_kwh"][who]
    np.testing.assert_allclose(ratio[started], 1 - book["saving_share"][started], rtol=1e-9)
    assert 0.03 < np.median(book["saving_share"]) < 0.12  # 0.5 x 0.15 on average


def test_ledger_lines_move(baseline, offered):
    name, model = offered
    ledger = model.company.ledger
    book = model.market.services[0].contracts
    assert ledger.total(name, "capex") == pytest.approx(-(book["equipment_kw"] * 1500.0).sum())
    assert ledger.total(name, "revenue") > 0
    assert ledger.total(name, "margin_lost") < 0
    assert ledger.total("energy_sales", "revenue") < baseline.company.ledger.total(
        "energy_sales", "revenue")
    if name == "equipment_rental":
        assert ledger.total(name, "opex") < 0  # the company keeps the rented kit up
        # the horizon (240 days) ends inside August: the live contracts' rent is pro-rated
        assert model.market.month_share == pytest.approx(28 / 31)
        live = book["status"] == ACTIVE
        months = book["months_settled"] - live * (1 - model.market.month_share)
        paid = book["status"] != DEFAULTED  # (a default may fall in the last month)
        np.testing.assert_allclose(book["received"][paid], (book["rent"] * months)[paid])
    else:
        assert ledger.total(name, "opex") == 0


def test_instalments_repay_principal_with_interest(run):
    model = run("equipment_instalments", seed=5,
                **{"services.equipment_instalments.term_months": 6,
                   "population.enterprise_default_hazard_mean": 0.0})
    service = model.market.services[0]
    book = service.contracts
    done = np.flatnonzero(book["status"] == COMPLETED)
    assert len(done) >= 10
    np.testing.assert_allclose(service.balance(done), 0.0, atol=1e-6)
    i = 0.06 / 12
    paid = book["received"][done]
    # six equal payments repay the price (cost + 10 %) with 6 %/yr interest
    np.testing.assert_allclose(paid, 6 * book["principal"][done] * i / (1 - (1 + i) ** -6))
    np.testing.assert_allclose(book["principal"], 1.1 * book["capex"])
    assert (paid > book["principal"][done]).all()
    # an instalment buyer owns the kit: the saving outlives the contract
    c = model.customers
    np.testing.assert_allclose(c["load_scale"][book["customer"][done]],
                               1 - book["saving_share"][done])


def test_rented_equipment_goes_back_at_term_end(run):
    model = run("equipment_rental", seed=5, **{"services.equipment_rental.term_months": 3,
                                               "population.enterprise_default_hazard_mean": 0.0})
    book = model.market.services[0].contracts
    done = book["status"] == COMPLETED
    assert done.sum() >= 10
    np.testing.assert_allclose(model.customers["load_scale"][book["customer"][done]], 1.0)


def test_defaults_repossess_and_lose_the_receivable_less_resale(run):
    name = "equipment_instalments"
    model = run(name, seed=3, **{"population.enterprise_default_hazard_mean": 0.5})
    book = model.market.services[0].contracts
    dead = book["status"] == DEFAULTED
    assert dead.sum() >= 5
    # repossessed: the old load returns
    np.testing.assert_allclose(model.customers["load_scale"][book["customer"][dead]], 1.0)
    loss = model.company.ledger.writeoff_total(name)  # the write-off, not cash
    service = model.market.services[0]
    rows = np.flatnonzero(dead)
    assert 0 < loss < service.balance(rows).sum()  # resale of the kit recovers some
    assert loss == pytest.approx(service.exposure(rows).sum(), rel=1e-9)
    # the resale comes in as cash
    assert model.company.ledger.total(name, "recoveries") == pytest.approx(
        service.resale_back(rows).sum(), rel=1e-9)
    assert model.company.ledger.total(name, "default_losses") == 0


def test_maintenance_subscription_sells_avoided_outages(baseline, run):
    name = "maintenance_subscription"
    model = run(name)
    service = model.market.services[0]
    book = service.contracts
    who = book["customer"]
    c, cb = model.customers, baseline.customers
    assert len(book) >= 20
    # no load effect; customers pay fees and avoid more outage loss than they pay
    np.testing.assert_allclose(c["import_kwh"], cb["import_kwh"])
    assert c["service_paid"][who].sum() == pytest.approx(book["received"].sum())
    assert book["loss_avoided_to_date"].sum() > book["received"].sum()
    ledger = model.company.ledger
    assert ledger.total(name, "revenue") > -ledger.total(name, "opex") > 0
    assert ledger.total(name, "capex") == 0
    # farms are offered it too, and the biggest value goes to those with the most load
    segments = model.market.segment[who]
    assert (segments == 3).any()
    value = service.customer_value(who)
    assert np.corrcoef(value, c["annual_kwh"][who])[0, 1] > 0.5


def test_households_can_buy_on_instalments(run):
    model = run("equipment_instalments", **{
        "services.equipment_instalments.segments": ["household"]})
    book = model.market.services[0].contracts
    assert len(book) >= 5
    assert (model.customers["customer_type"][book["customer"]] == 0).all()
