"""Scenario loading, inheritance, overrides, and one clear error for every kind of bad input."""

import datetime

import pytest

from gridvalue.simulation.scenario import load_scenario, packaged_scenarios
from gridvalue.simulation.schema import ScenarioError


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_baseline_loads_with_documented_sizes():
    s = load_scenario("baseline")
    assert s.meta.name == "baseline"
    assert s.meta.days == 365
    assert s.meta.start_date == datetime.date(2025, 1, 1)
    assert s.n_customers >= 2000
    assert "baseline" in packaged_scenarios()


def test_extends_inherits_and_overrides(tmp_path):
    path = write(tmp_path, 'extends = "baseline"\n[meta]\ndescription = "more homes"\n'
                           '[population]\nhouseholds = 10\n')
    s = load_scenario(path)
    assert s.population.households == 10
    assert s.population.enterprises == load_scenario("baseline").population.enterprises
    assert s.meta.name == "s"
    assert s.meta.description == "more homes"


def test_extends_a_relative_file_and_cycles_are_caught(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="extends: circular"):
        load_scenario(tmp_path / "a.toml")


def test_set_overrides_parse_toml_values():
    s = load_scenario("baseline", ["population.households=5000", "meta.days=30",
                                   "meta.start_date=2024-06-01", "meta.name=probe",
                                   "population.sector_shares.industrial=0.2",
                                   "population.sector_shares.commercial=0.55"])
    assert s.population.households == 5000
    assert s.meta.days == 30
    assert s.meta.start_date == datetime.date(2024, 6, 1)
    assert s.meta.name == "probe"
    assert s.population.sector_shares.industrial == 0.2


def test_hash_is_stable_and_sensitive():
    a, b = load_scenario("baseline"), load_scenario("baseline")
    c = load_scenario("baseline", ["meta.days=10"])
    assert a.hash() == b.hash() != c.hash()


def test_resolved_scenario_round_trips_through_toml(tmp_path):
    s = load_scenario("baseline", ["population.households=77"])
    path = write(tmp_path, s.to_toml(), "resolved.toml")
    assert load_scenario(path) == s


BAD_VALUES = [
    ("population.households=-5", "population.households: must be at least 0"),
    ("population.households=2.5", "population.households: expected an integer"),
    ('population.households="many"', "population.households: expected an integer"),
    ("population.households=true", "population.households: expected an integer"),
    ("profiles.customer_day_sigma=nan", "profiles.customer_day_sigma: must be a finite"),
    ("company.discount_rate_per_year=inf", "company.discount_rate_per_year: must be a finite"),
    ("population.sector_shares.industrial=1.5", "population.sector_shares.industrial: must be "
                                                "at most 1"),
    ("population.sector_shares.industrial=0.5", "population.sector_shares: shares must sum to 1"),
    ('meta.start_date="2025-13-01"', "meta.start_date: not a date"),
    ("meta.start_date=12", "meta.start_date: not a date"),
    ("meta.intervals_per_day=48", "meta.intervals_per_day: must be one of 24, 96"),
    ("meta.dayz=3", "meta.dayz: unknown key"),
    ("nosuch.field=3", "nosuch: unknown key"),
    ("meta.days.x=3", "meta.days: is a value, not a table"),
    ("meta=3", "--set meta: expected a dotted path"),
    ("no-equals-sign", "--set: expected section.field=value"),
    ("population.households=0", None),  # still valid: enterprises remain
]


@pytest.mark.parametrize("override, message", BAD_VALUES)
def test_bad_overrides_name_field_and_problem(override, message):
    if message is None:
        load_scenario("baseline", [override])
        return
    with pytest.raises(ScenarioError) as err:
        load_scenario("baseline", [override])
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_empty_population_is_refused():
    with pytest.raises(ScenarioError, match="population.households: the population has no"):
        load_scenario("baseline", ["population.households=0", "population.enterprises=0",
                                   "population.microgrids=0"])


@pytest.mark.parametrize("text, message", [
    ("[meta\nname = 1", "malformed TOML"),
    ("[meta]\nname = 3\n", "meta.name: expected a string"),
    ("[population]\nunknown = 1\n", "population.unknown: unknown key"),
    ("meta = 5\n", "meta: expected a table"),
    ('extends = "nosuchscenario"\n', "scenario: no packaged scenario named 'nosuchscenario'"),
    ("extends = 3\n", "extends: expected a scenario name or path"),
    ("[meta]\nstart_date = 2025-02-30\n", "malformed TOML"),
])
def test_bad_files(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, text))


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "absent.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(binary)
