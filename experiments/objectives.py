"""Objectives and constraints over paired-run KPIs: `KPI` or `KPI:max` (higher is better),
`KPI:min` (lower is better); constraints `KPI>=X` or `KPI<=X`.

A KPI is a figure of one run (`compare.run_kpis`), a paired figure against the baseline twin
(`compare.PAIRED_KPIS`), or a service line's figure `SERVICE.FIELD` with FIELD one of
`compare.SERVICE_FIELDS` (e.g. `pv_lease.npv_lifetime`). Unknown names and malformed
expressions raise ScenarioError naming the option.
"""

import math
import re
from dataclasses import dataclass

from gridvalue.simulation.schema import ScenarioError

RUN_KPIS = ("system_peak_kw", "household_peak_kw", "max_feeder_peak_kw",
            "max_transformer_utilisation", "load_factor", "energy_kwh",
            "transformer_hours_over_rating", "feeder_days_over_rating", "uptake", "company_npv",
            "company_npv_lifetime", "customer_bill_total")
PAIRED_KPIS = ("peak_reduction_kw", "deferral_value")
SERVICE_FIELDS = ("contracts", "uptake", "npv_horizon", "npv_lifetime")
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=)\s*([-+0-9.eE_,]+)\s*$")


def known_kpis() -> tuple[str, ...]:
    """Every KPI name an objective or constraint may use."""
    from gridvalue.simulation.services import registry

    lines = tuple(f"{name}.{field}" for name in sorted(registry()) for field in SERVICE_FIELDS)
    return RUN_KPIS + PAIRED_KPIS + lines


def check_kpi(name: str, field: str) -> str:
    if name not in known_kpis():
        raise ScenarioError(field, f"unknown KPI {name!r} (known: {', '.join(RUN_KPIS)}, "
                            f"{', '.join(PAIRED_KPIS)}, or SERVICE.FIELD with FIELD one of "
                            f"{', '.join(SERVICE_FIELDS)})")
    return name


@dataclass(frozen=True)
class Objective:
    kpi: str
    maximise: bool = True

    def __str__(self) -> str:
        return f"{self.kpi} ({'higher' if self.maximise else 'lower'} is better)"

    def better(self, value: float) -> float:
        """The value as a score where higher is better (NaN last)."""
        if math.isnan(value):
            return -math.inf
        return value if self.maximise else -value


@dataclass(frozen=True)
class Constraint:
    kpi: str
    at_least: bool  # KPI >= bound, else KPI <= bound
    bound: float

    def __str__(self) -> str:
        return f"{self.kpi} {'>=' if self.at_least else '<='} {self.bound:,g}"

    def violation(self, value: float) -> float:
        """How far a value is on the wrong side of the bound (<= 0: satisfied)."""
        if math.isnan(value):
            return math.inf
        return self.bound - value if self.at_least else value - self.bound


def parse_objective(text: str, field: str = "--objective") -> Objective:
    kpi, _, sense = str(text).strip().partition(":")
    if sense not in ("", "max", "min"):
        raise ScenarioError(field, f"expected KPI, KPI:max or KPI:min, got {text!r}")
    return Objective(check_kpi(kpi, field), sense != "min")


def parse_constraint(text: str, field: str = "--constraint") -> Constraint:
    match = _CONSTRAINT.match(str(text))
    if not match:
        raise ScenarioError(field, f"expected KPI>=NUMBER or KPI<=NUMBER, got {text!r}")
    kpi, op, number = match.groups()
    try:
        bound = float(number.replace(",", "").replace("_", ""))
    except ValueError:
        raise ScenarioError(field, f"{number!r} is not a number (in {text!r})") from None
    if not math.isfinite(bound):
        raise ScenarioError(field, f"the bound must be finite, got {number!r}")
    return Constraint(check_kpi(kpi, field), op == ">=", bound)
