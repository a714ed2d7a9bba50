"""The levers a stakeholder can pull on the page, declared as data.

One row per lever: a label with its unit, the scenario's dotted path, the kind of value, and
the range a control offers. `{service}` in a path stands for every service on offer that has
that field, so a lever appears only where the chosen scenario's schema has its path. A lever
for a parameter another module adds later (a tariff ratio, meter coverage, a PV price) is one
more row here. Values are validated by the scenario schema itself (`ScenarioError`).
"""

import dataclasses
import math
import tomllib
from dataclasses import dataclass
from typing import Any

from gridvalue.simulation.scenario import Scenario, load_scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.viz.catalogue import MAX_LEVER_CHARS

SERVICE = "{service}"


@dataclass(frozen=True)
class Lever:
    """A control on the page: `label` carries the unit; `{currency}` is filled in."""

    label: str
    path: str
    kind: str  # "int", "float" or "choice"
    low: float | None = None  # the range the view accepts (keeps it responsive); the scenario
    high: float | None = None  # schema still checks every value
    choices: tuple = ()
    group: str = "Scenario"


LEVERS: tuple[Lever, ...] = (
    Lever("Horizon (days)", "meta.days", "int", 1, 3660),
    Lever("Seed (-)", "meta.seed", "int", 0, None),
    Lever("Households (customers)", "population.households", "int", 0, 100_000,
          group="Population"),
    Lever("Enterprises (customers)", "population.enterprises", "int", 0, 10_000,
          group="Population"),
    Lever("Microgrids (customers)", "population.microgrids", "int", 0, 1_000,
          group="Population"),
    Lever("Households owning an EV (0-1)", "ev.share", "float", 0, 1, group="Population"),
    Lever("How EV owners charge (mode)", "ev.charging", "choice",
          choices=("uncontrolled", "price_responsive"), group="Population"),
    Lever("Tariff of the tariff segments (kind)", "tariff.kind", "choice",
          choices=("flat", "tou", "cpp", "rtp"), group="Tariff"),
    Lever("TOU peak/off-peak price ratio, summer (x)", "tariff.tou_peak_ratio_summer", "float",
          1, 10, group="Tariff"),
    Lever("TOU peak/off-peak price ratio, winter (x)", "tariff.tou_peak_ratio_winter", "float",
          1, 10, group="Tariff"),
    Lever("CPP event price (x flat price)", "tariff.cpp_price_ratio", "float", 1, 20,
          group="Tariff"),
    Lever("Analytics level (kind)", "data_platform.analytics", "choice",
          choices=("none", "segments", "predictive"), group="Data platform"),
    Lever("Smart-meter coverage, households (0-1)",
          "data_platform.household_meter_coverage_share", "float", 0, 1, group="Data platform"),
    Lever("Smart-meter coverage, enterprises (0-1)",
          "data_platform.enterprise_meter_coverage_share", "float", 0, 1, group="Data platform"),
    Lever("Meter data history (months)", "data_platform.history_months", "int", 0, 60,
          group="Data platform"),
    Lever("Company's share of savings, first month (0-1)", f"services.{SERVICE}.share_start",
          "float", 0, 1),
    Lever("Company's share of savings, last month (0-1)", f"services.{SERVICE}.share_end",
          "float", 0, 1),
    Lever("Contract term (months)", f"services.{SERVICE}.term_months", "int", 1, 360),
    Lever("Credit-score threshold (score 0-100)", f"services.{SERVICE}.score_threshold",
          "float", 0, 100),
    Lever("Marketing contacts (customers/month)", f"services.{SERVICE}.contacts_per_month",
          "int", 0, 10_000),
    Lever("Cost per contact ({currency}/contact)",
          f"services.{SERVICE}.marketing_cost_per_contact", "float", 0, None),
    Lever("PV system cost ({currency}/kWp)", f"services.{SERVICE}.capex_per_kwp", "float",
          0, 50_000),
    Lever("Discount on the tariff for PV power (0-1)", f"services.{SERVICE}.discount_share",
          "float", 0, 1),
    Lever("PV lease ({currency}/kWp/month)", f"services.{SERVICE}.lease_per_kwp_month",
          "float", 0, 1_000),
    Lever("Company's share of microgrid savings (0-1)", f"services.{SERVICE}.saving_share",
          "float", 0, 1),
)


@dataclass(frozen=True)
class BoundLever:
    """A lever resolved against one scenario: a concrete path and its current value."""

    lever: Lever
    path: str
    label: str
    value: Any
    group: str


def lookup(scenario: Scenario, path: str) -> Any:
    """The value at a dotted path of a scenario; KeyError if the schema has no such path."""
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, dict):
            node = node[part]
        elif dataclasses.is_dataclass(node) and part in {f.name for f in
                                                         dataclasses.fields(node)}:
            node = getattr(node, part)
        else:
            raise KeyError(path)
    if dataclasses.is_dataclass(node) or isinstance(node, dict):
        raise KeyError(path)  # a table, not a value
    return node


def levers_for(scenario: Scenario, levers: tuple[Lever, ...] = LEVERS) -> list[BoundLever]:
    """The levers whose path exists in `scenario`, `{service}` expanded per service: the
    scenario-wide ones first, then each service's, grouped by service."""
    currency = scenario.meta.currency
    plain = [(lever, lever.path, None) for lever in levers if SERVICE not in lever.path]
    per_service = [(lever, lever.path.replace(SERVICE, name), name)
                   for name in scenario.services for lever in levers if SERVICE in lever.path]
    bound = []
    for lever, path, service in plain + per_service:
        try:
            value = lookup(scenario, path)
        except KeyError:
            continue
        label = lever.label.replace("{currency}", currency)
        group = service.replace("_", " ") if service else lever.group  # shown in capitals
        bound.append(BoundLever(lever, path, label, value, group))
    return bound


def parse_text(lever: BoundLever, text: str | None) -> Any:
    """The typed value of what was typed into a lever's field, or ScenarioError."""
    text = "" if text is None else str(text).strip()
    if text == "":
        raise ScenarioError(lever.path, "is empty; type a value")
    if len(text) > MAX_LEVER_CHARS:
        raise ScenarioError(lever.path, f"longer than {MAX_LEVER_CHARS} characters")
    if lever.lever.kind == "choice":
        if text not in [str(c) for c in lever.lever.choices]:
            allowed = ", ".join(map(str, lever.lever.choices))
            raise ScenarioError(lever.path, f"must be one of {allowed}, got {text!r}")
        return next(c for c in lever.lever.choices if str(c) == text)
    try:
        value = tomllib.loads(f"v = {text.replace(',', '')}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        value = None
    if lever.lever.kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(lever.path, f"expected a whole number, got {text!r}")
    elif lever.lever.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(lever.path, f"expected a number, got {text!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ScenarioError(lever.path, f"must be a finite number, got {text!r}")
    return value


def check_range(lever: BoundLever, value: Any) -> None:
    """The view's own range (after the schema has accepted the value): ScenarioError."""
    low, high = lever.lever.low, lever.lever.high
    if low is not None and value < low:
        raise ScenarioError(lever.path, f"must be at least {low:g} in the view, got {value!r}")
    if high is not None and value > high:
        raise ScenarioError(lever.path, f"must be at most {high:g} in the view, got {value!r}")


def format_value(value: Any) -> str:
    """A value as the text a field shows (round-trips through `parse_text`)."""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def apply(ref: str, overrides: dict[str, Any]) -> Scenario:
    """The scenario `ref` with lever overrides, validated by the schema (ScenarioError)."""
    return load_scenario(ref, dict(overrides))
