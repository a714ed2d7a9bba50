"""Levers as data: which levers a scenario shows, and how typed values are checked."""

import re

import pytest

from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.viz.levers import (
    LEVERS,
    Lever,
    apply,
    check_range,
    format_value,
    levers_for,
    parse_text,
)


def paths(scenario):
    return {lever.path for lever in levers_for(scenario)}


def test_every_lever_label_carries_a_unit():
    for lever in LEVERS:
        assert re.search(r"\([^)]+\)$", lever.label), lever.label


def test_service_levers_appear_only_when_the_service_is_on_offer():
    base, offer = paths(load_scenario("baseline")), paths(load_scenario("ee_shared_savings"))
    assert not any(p.startswith("services.") for p in base)
    assert {"meta.days", "population.households"} <= base
    assert {"services.shared_savings.share_start", "services.shared_savings.share_end",
            "services.shared_savings.term_months", "services.shared_savings.score_threshold",
            "services.shared_savings.contacts_per_month",
            "services.shared_savings.marketing_cost_per_contact"} <= offer


def test_a_field_only_one_service_has_appears_only_for_that_service():
    scenario = load_scenario("baseline", {"services.guaranteed_savings.contacts_per_month": 9})
    found = paths(scenario)
    assert "services.guaranteed_savings.contacts_per_month" in found
    assert not any(p.endswith("share_start") for p in found)  # shared savings only


def test_a_lever_whose_path_the_schema_lacks_is_not_shown():
    later = LEVERS + (Lever("Peak/off-peak price ratio (-)", "tariff.no_such_ratio", "float"),
                      Lever("Scenario table (-)", "population.sector_shares", "float"))
    assert paths(load_scenario("baseline")) == {
        lever.path for lever in levers_for(load_scenario("baseline"), later)}


def test_labels_name_the_scenario_currency_and_values_are_current():
    bound = {b.path: b for b in levers_for(load_scenario("ee_shared_savings"))}
    cost = bound["services.shared_savings.marketing_cost_per_contact"]
    assert cost.label == "Cost per contact (CNY/contact)"
    assert cost.value == 200.0
    assert bound["services.shared_savings.share_start"].value == 0.8


@pytest.fixture
def bound():
    return {b.path: b for b in levers_for(load_scenario("ee_shared_savings"))}


@pytest.mark.parametrize("path, text, value", [
    ("population.households", "2,500", 2500),
    ("population.households", " 300 ", 300),
    ("population.households", "3e3", 3000),
    ("services.shared_savings.share_start", "0.7", 0.7),
    ("services.shared_savings.share_start", "1", 1.0),
])
def test_typed_values_parse(bound, path, text, value):
    parsed = parse_text(bound[path], text)
    assert parsed == value and type(parsed) is type(value)
    assert parse_text(bound[path], format_value(parsed)) == parsed


@pytest.mark.parametrize("path, text, problem", [
    ("population.households", "", "is empty"),
    ("population.households", "   ", "is empty"),
    ("population.households", "many", "expected a whole number, got 'many'"),
    ("population.households", "2.5", "expected a whole number, got '2.5'"),
    ("services.shared_savings.share_start", "abc", "expected a number, got 'abc'"),
    ("services.shared_savings.share_start", "nan", "must be a finite number"),
    ("services.shared_savings.share_start", "true", "expected a number"),
])
def test_bad_text_is_one_line_naming_the_field(bound, path, text, problem):
    with pytest.raises(ScenarioError) as err:
        parse_text(bound[path], text)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message


@pytest.mark.parametrize("path, value, problem", [
    ("population.households", -5, "population.households: must be at least 0, got -5"),
    ("services.shared_savings.share_start", 1.5,
     "services.shared_savings.share_start: must be at most 1, got 1.5"),
    ("services.shared_savings.score_threshold", -1.0, "must be at least 0"),
    ("meta.days", 0, "meta.days: must be at least 1, got 0"),
])
def test_the_schema_rejects_out_of_range_values(path, value, problem):
    with pytest.raises(ScenarioError, match=re.escape(problem)):
        apply("ee_shared_savings", {path: value})


def test_valid_overrides_reach_the_scenario():
    scenario = apply("ee_shared_savings", {"services.shared_savings.contacts_per_month": 123,
                                           "population.households": 500})
    assert scenario.services["shared_savings"].contacts_per_month == 123
    assert scenario.population.households == 500


def test_a_choice_lever_accepts_only_its_choices():
    lever = Lever("Social graph (-)", "market.social_graph", "choice",
                  choices=("feeder", "transformer", "complete"))
    bound = levers_for(load_scenario("baseline"), (lever,))
    assert [b.path for b in bound] == ["market.social_graph"]
    assert parse_text(bound[0], "complete") == "complete"
    with pytest.raises(ScenarioError, match="must be one of feeder, transformer, complete"):
        parse_text(bound[0], "ring")


def test_the_view_keeps_sizes_it_can_redraw_quickly(bound):
    households = bound["population.households"]
    value = parse_text(households, "200000")
    apply("ee_shared_savings", {households.path: value})  # the schema takes it
    with pytest.raises(ScenarioError, match="population.households: must be at most 100000 "
                                            "in the view, got 200000"):
        check_range(households, value)
    check_range(households, 100_000)


def test_pv_price_levers_appear_for_the_pv_services():
    found = {b.path: b for b in levers_for(load_scenario("pv_investment"))}
    assert found["services.pv_ppa.capex_per_kwp"].label == "PV system cost (CNY/kWp)"
    assert found["services.pv_lease.capex_per_kwp"].value == 3200.0
    assert found["services.pv_lease.lease_per_kwp_month"].value == 35.0
    assert "services.pv_ppa.discount_share" in found
    assert "services.pv_lease.discount_share" not in found  # the lease has no tariff discount
    assert not any(p.endswith("share_start") for p in found)


def test_levers_are_grouped_scenario_first_then_by_service():
    groups = [b.group for b in levers_for(load_scenario("pv_investment"))]
    assert groups[:2] == ["Scenario", "Scenario"]
    runs = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]
    assert runs == ["Scenario", "Population", "Tariff", "Data platform", "pv ppa",
                    "pv lease"]  # each group once
