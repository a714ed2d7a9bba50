"""Household price packages and home energy management against the baseline, same seed."""

import numpy as np
import pytest

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.tariffs import FLAT

HOUSEHOLDS = 600


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(HOUSEHOLDS, 60, 2, days=120, **{"market.initial_awareness_share": 0.5})


@pytest.fixture(scope="module")
def run(small_overrides):
    def run(services: dict | None = None, seed: int = 4, **extra):
        overrides = small_overrides | extra
        for name, params in (services or {}).items():
            overrides |= {f"services.{name}.{k}": v for k, v in params.items()}
        return GridValueModel("baseline", seed=seed, overrides=overrides).run()
    return run


@pytest.fixture(scope="module")
def baseline(run):
    return run()


@pytest.fixture(scope="module")
def packages(run):
    return run({"price_packages": {"innovation_p_per_year": 2.0}})


def test_packages_enrol_bill_and_shift(baseline, packages):
    service = packages.market.services[0]
    book = service.contracts
    who = book["customer"]
    c, b = packages.customers, baseline.customers
    assert 50 <= len(book) < HOUSEHOLDS
    assert (c["tariff_package"][who] != FLAT).all()
    # each got the package that bills its metered shape least: it expects to save
    assert (book["expected_saving_share"] > 0).all()
    # enrolled households pay less than on flat prices with the same seed
    assert c["bill"][who].sum() < b["bill"][who].sum()
    # the others see exactly what they saw
    others = np.setdiff1d(np.arange(HOUSEHOLDS), who)
    np.testing.assert_array_equal(c["import_kwh"][others], b["import_kwh"][others])
    # energy barely changes (shifting conserves it; only the daily term moves it)
    assert c["import_kwh"][who].sum() == pytest.approx(b["import_kwh"][who].sum(), rel=0.01)


def test_packages_are_chosen_from_interval_meter_data_only(packages, run):
    """Without interval metering the company has no load shape of its own for a household:
    every household of a class gets the same offer, from the class's standard shape."""
    blind = run({"price_packages": {"innovation_p_per_year": 2.0}},
                **{"data_platform.household_meter_coverage_share": 0.0})
    service = blind.market.services[0]
    assert service.file_kwh.sum() == 0.0
    book = service.contracts
    assert len(book) >= 50
    assert len(set(zip(book["start_day"], book["expected_saving_share"], strict=True))) == len(
        set(book["start_day"]))  # one offer per decision day
    metered = packages.market.services[0]
    assert metered.file_kwh.sum() > 0
    assert len(np.unique(metered.contracts["expected_saving_share"])) > len(
        np.unique(metered.contracts["start_day"]))


def test_packages_ledger(baseline, packages):
    ledger = packages.company.ledger
    assert ledger.total("price_packages", "opex") < 0
    assert ledger.total("price_packages", "marketing") < 0
    assert ledger.total("price_packages", "revenue") == 0.0
    # energy sales lose what the enrolled pay less, and the line carries it as margin lost
    lost = -ledger.total("price_packages", "margin_lost")
    assert lost > 0
    assert ledger.total("energy_sales", "margin_lost_to_services") == pytest.approx(lost)
    assert ledger.total("energy_sales", "revenue") < baseline.company.ledger.total(
        "energy_sales", "revenue")


# Moved to the validation cases tests/cases/default_vs_opt_in_enrolment and
# default_enrolment_uptake (run by
# tests/test_validation_cases.py and `gridvalue validate`).


def test_home_energy_management(baseline, run):
    model = run({"home_energy_management": {"innovation_p_per_year": 3.0}})
    book = model.market.services[0].contracts
    who = book["customer"]
    c, b = model.customers, baseline.customers
    assert len(book) >= 20
    live = book.active()  # a defaulted subscription loses its device and its savings
    assert c["enabling_technology"][who[live]].all()
    assert not c["enabling_technology"][np.setdiff1d(who, who[live])].any()
    # subscribers use about the behavioural savings share less (those signed in month 1)
    early = who[live][book["start_day"][live] == 0]
    ratio = c["import_kwh"][early].sum() / b["import_kwh"][early].sum()
    assert ratio == pytest.approx(0.94, abs=0.01)
    ledger = model.company.ledger
    assert ledger.total("home_energy_management", "revenue") == pytest.approx(
        c["service_paid"].sum())
    assert ledger.total("home_energy_management", "capex") == pytest.approx(-300.0 * len(book))
    assert ledger.total("home_energy_management", "margin_lost") < 0


def test_home_energy_management_raises_the_price_response(baseline, run):
    """On a TOU tariff, subscribers (enabling technology) shift more: their bills fall by
    more than the behavioural savings alone bring on flat prices."""
    tou = {"tariff.kind": "tou", "tariff.segments": ["household"]}
    hem = {"home_energy_management": {"innovation_p_per_year": 3.0}}
    flat_hem, tou_hem, tou_plain = run(hem), run(hem, **tou), run(**tou)
    who = flat_hem.market.services[0].contracts["customer"]
    assert np.array_equal(who, tou_hem.market.services[0].contracts["customer"])

    def bills(model):
        return model.customers["bill"][who].sum()

    flat_ratio = bills(flat_hem) / bills(baseline)
    tou_ratio = bills(tou_hem) / bills(tou_plain)
    assert tou_ratio < flat_ratio - 0.002


def test_households_on_a_time_varying_tariff_are_not_offered_a_package(run):
    model = run({"price_packages": {"innovation_p_per_year": 2.0}},
                **{"tariff.kind": "tou", "tariff.segments": ["household"]})
    service = model.market.services[0]
    assert not service.eligible().any() and len(service.contracts) == 0
    households = model.customers["customer_type"] == 0
    assert (model.customers["tariff_package"][households] != FLAT).all()
