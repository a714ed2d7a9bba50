"""Microgrid energy management and backup against the baseline with the same seed."""

import numpy as np
import pytest

from gridvalue.simulation.contracts import ACTIVE
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError

EMS = "microgrid_energy_management"


@pytest.fixture(scope="module")
def small_overrides(small, mechanics) -> dict:
    return small(100, 20, 30, days=200, **{
        "meta.start_date": "2025-03-01", "market.initial_awareness_share": 1.0,
        "population.enterprise_default_hazard_mean": 0.0,  # no defaults: exact comparisons
    }, **mechanics)


@pytest.fixture(scope="module")
def run(small_overrides):
    def run(name: str | None, seed: int = 4, **extra):
        overrides = small_overrides | extra
        if name is not None:
            overrides |= {f"services.{name}.innovation_p_per_year": 3.0}
        return GridValueModel("baseline", seed=seed, overrides=overrides).run()
    return run


@pytest.fixture(scope="module")
def baseline(run):
    return run(None)


@pytest.fixture(scope="module")
def managed(run):
    return run(EMS, **{f"services.{EMS}.added_battery_share": 0.5})


def test_managed_storage_shaves_peaks_and_saves_on_bills(baseline, managed):
    book = managed.market.services[0].contracts
    who = book["customer"]
    c, cb = managed.customers, baseline.customers
    assert len(book) >= 10
    assert (c["customer_type"][who] == 2).all()
    # more storage in a wider window: lower site peaks, more PV kept, lower grid bills
    assert (c["peak_kw"][who] <= cb["peak_kw"][who] + 1e-9).all()
    first = who[book["start_day"] == 0]  # managed all along
    assert len(first) >= 5
    assert c["peak_kw"][first].sum() < 0.99 * cb["peak_kw"][first].sum()
    assert c["export_kwh"][who].sum() < cb["export_kwh"][who].sum()
    assert c["bill"][who].sum() < cb["bill"][who].sum()
    others = np.setdiff1d(np.arange(len(c)), who)
    np.testing.assert_allclose(c["import_kwh"][others], cb["import_kwh"][others])


def test_measured_saving_is_the_saving_against_the_baseline(baseline, managed):
    """The shadow dispatch of each site's original battery reproduces the baseline run: the
    saving the contract bills on is exactly the bill the baseline would have sent."""
    book = managed.market.services[0].contracts
    who = book["customer"]
    assert (book["status"] == ACTIVE).all()
    saving = baseline.customers["bill"][who] - managed.customers["bill"][who]
    np.testing.assert_allclose(book["saving_to_date"], saving, rtol=1e-9, atol=1e-6)
    # the customer pays the fee plus half the positive monthly savings
    months = book["months_settled"] - (1 - managed.market.month_share)  # all live to the end
    assert (book["received"] >= 300.0 * months - 1e-9).all()
    assert book["received"].sum() > 300.0 * months.sum()


def test_measured_saving_holds_on_time_varying_prices_and_price_dispatch(run):
    """The shadow bill uses the site's own prices and the scenario's dispatch rule."""
    tou = {"tariff.kind": "tou", "tariff.segments": ["microgrid"],
           "storage.microgrid_dispatch": "price", "meta.days": 90}
    base = run(None, **tou)
    managed = run(EMS, **tou, **{f"services.{EMS}.added_battery_share": 0.5})
    book = managed.market.services[0].contracts
    who = book["customer"]
    assert len(book) >= 10 and (managed.tariffs.latest.import_price_per_kwh.std(axis=1) > 0).all()
    saving = base.customers["bill"][who] - managed.customers["bill"][who]
    np.testing.assert_allclose(book["saving_to_date"], saving, rtol=1e-9, atol=1e-6)
    assert saving.sum() > 0


def test_company_books_storage_capex_and_gains_capacity(baseline, managed):
    ledger, base = managed.company.ledger, baseline.company.ledger
    book = managed.market.services[0].contracts
    battery = baseline.batteries
    site = managed.customers["type_row"][book["customer"]]
    np.testing.assert_allclose(book["added_kwh"], 0.5 * battery.energy_kwh[site])
    assert ledger.total(EMS, "capex") == pytest.approx(-1000.0 * book["added_kwh"].sum())
    assert ledger.total(EMS, "revenue") > 0 and ledger.total(EMS, "opex") < 0
    # the managed sites' lower peaks lower the company's capacity cost
    assert ledger.total("energy_sales", "capacity") > base.total("energy_sales", "capacity")
    np.testing.assert_allclose(managed.batteries.power_kw[site], 1.5 * battery.power_kw[site])
    # the microgrid agents see their bigger batteries
    agent = managed.customer_agent(int(book["customer"][0]))
    assert agent.battery_energy_kwh == pytest.approx(managed.batteries.energy_kwh[site[0]])


def test_operations_only_contract_adds_no_storage(baseline, run):
    model = run(EMS)
    book = model.market.services[0].contracts
    assert len(book) >= 10 and (book["capex"] == 0).all()
    site = model.customers["type_row"][book["customer"]]
    np.testing.assert_allclose(model.batteries.energy_kwh, baseline.batteries.energy_kwh)
    assert (model.batteries.soc_min_share[site] == 0.05).all()
    # the wider window alone saves a little
    who = book["customer"]
    assert model.customers["bill"][who].sum() < baseline.customers["bill"][who].sum()


def test_backup_sells_avoided_outage_cost(baseline, run):
    name = "microgrid_backup"
    model = run(name)
    service = model.market.services[0]
    book = service.contracts
    who = book["customer"]
    assert len(book) >= 10
    np.testing.assert_allclose(model.customers["import_kwh"], baseline.customers["import_kwh"])
    months = book["months_settled"] - (book["status"] == ACTIVE) * (1 - model.market.month_share)
    np.testing.assert_allclose(book["received"], 12.0 * book["backup_kw"] * months)
    assert (book["loss_avoided_to_date"] > book["received"]).all()  # worth more than it costs
    ledger = model.company.ledger
    assert ledger.total(name, "revenue") > -ledger.total(name, "opex") > 0
    np.testing.assert_allclose(model.customers["service_paid"][who], book["received"])


def test_bad_microgrid_parameters_are_refused():
    with pytest.raises(ScenarioError, match=f"services.{EMS}.managed_soc_min_share: must be "
                                            "below managed_soc_max_share"):
        load_scenario("microgrid_services", [f"services.{EMS}.managed_soc_min_share=0.99"])
    with pytest.raises(ScenarioError, match="services.microgrid_backup.avoided_outage_share: "
                                            "must be at most 1"):
        load_scenario("microgrid_services", ["services.microgrid_backup.avoided_outage_share=2"])
