"""Competitors' own books (simulation/competitors.py): their contracts and cash are written to
tables of their own and never reach the company's ledger, contracts or NPV. The money
identities with a competitor are in tests/test_books.py, its cash against its terms in
tests/test_reconcile.py."""

import pandas as pd
import pytest

from gridvalue.experiments.runner import COMPETITOR_TABLES, run_scenario, write_results
from gridvalue.simulation.model import GridValueModel

RIVAL = {"population.households": 300, "population.enterprises": 20,
         "population.microgrids": 0, "meta.days": 95, "market.initial_awareness_share": 1.0,
         "choice.self_finance": False,
         "services.pv_lease.innovation_p_per_year": 6.0,
         "services.pv_lease.contacts_per_month": 60,
         "competitors.solar_co.offer": "pv_lease",
         "competitors.solar_co.awareness_per_year": 12.0,
         "competitors.solar_co.terms.segments": ["household"],
         "competitors.solar_co.terms.lease_per_kwp_month": 20.0}


def test_competitor_contracts_and_cash_are_tables_of_their_own(tmp_path):
    result = run_scenario("pv_investment", seed=2, overrides=RIVAL)
    contracts, ledger = (result[name] for name in COMPETITOR_TABLES)
    assert len(contracts) > 5 and set(contracts["competitor"]) == {"solar_co"}
    assert (contracts["offer"] == "pv_lease").all()
    # its customers pay its lease on its terms: 20 CNY/kWp-month, pro rata in the first
    rival = next(iter(result.scenario.competitors.values()))
    assert rival.terms.lease_per_kwp_month == 20.0
    # the offer's own columns: each system's kWp, installed at the terms' cost per kWp
    assert contracts["capex"].to_numpy() == pytest.approx(
        contracts["kwp"].to_numpy() * rival.terms.capex_per_kwp)
    assert "npv_to_date" not in contracts
    assert ledger.query("item == 'revenue'")["amount"].sum() == pytest.approx(
        contracts["received"].sum())
    assert (contracts["bill_saving"] > 0).any()  # its PV takes kWh off their bills
    # none of it is the company's: no competitor line or customer in the company's books
    assert not result["ledger"]["service_line"].str.startswith("competitor").any()
    company = set(result["contracts"].query("service == 'pv_lease'")["customer"])
    assert company.isdisjoint(set(contracts["customer"]))
    out = write_results(result, tmp_path / "run", report=False)
    for name in COMPETITOR_TABLES:
        assert (out / f"{name}.parquet").exists()


def test_a_run_without_competitors_writes_no_competitor_tables():
    result = run_scenario("pv_investment", seed=2, overrides={
        k: v for k, v in RIVAL.items() if not k.startswith("competitors")})
    assert not set(COMPETITOR_TABLES) & set(result.tables)


def test_a_competitor_s_pv_generates_on_the_roof_once():
    """The competitor's system generates through its own contract, not as customer PV too:
    its customers have no PV of their own, and each system's metered output is what its kWp
    makes (tests/test_reconcile.py checks the kWh against the PV shape and weather)."""
    model = GridValueModel("pv_investment", seed=2, overrides=RIVAL).run()
    book = model.market.competitor_books.rivals[0].contracts
    assert len(book) > 5
    assert (model.customers["pv_kwp"][book["customer"]] == 0).all()
    made = book["self_kwh"] + book["export_kwh"]
    assert (made > 0).all()
    per_kwp = made / book["kwp"] / (model.days - book["start_day"])
    assert per_kwp.max() < 7.0  # kWh per kWp-day: one system's output, not two


def test_same_seed_gives_the_same_competitor_books():
    first, second = (run_scenario("pv_investment", seed=2, overrides=RIVAL)
                     for _ in range(2))
    for name in COMPETITOR_TABLES:
        pd.testing.assert_frame_equal(first[name], second[name])
