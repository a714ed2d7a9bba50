"""Household services of the tariff engine: price packages and home energy management.

Price packages: the company reads each household's customer file (its metered energy by hour of
day, for households the data platform reads at interval granularity; the others are offered on
their class's standard shape) and offers the time-varying package (TOU, CPP or RTP) that bills
that load shape the least, before any response. Opt-in: households take it by the shared choice
rule. Default enrolment: every open household is moved onto its package in the first month and
a share opts out (Faruqui et al., "Smart by Default": default enrolment is 3-5x opt-in).
Enrolled households are billed on the package (simulation/tariffs.py) and respond to its prices
(simulation/response.py); the service line carries the billing cost and, as margin lost, the
difference between what the month's load would pay on flat prices and what it pays.

Home energy management: a subscription (the company pays the device) giving behavioural
savings and enabling technology, which raises the household's price response.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation import kernels
from gridvalue.simulation.lifetime import window
from gridvalue.simulation.population import HOUSEHOLD
from gridvalue.simulation.prefetch import shared_rows
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    Service,
    ServiceParams,
    discount_factors,
    register,
    unit_energy_cost,
)
from gridvalue.simulation.tariffs import FLAT, PACKAGE

A = "assumption"
SMART = "calibrated: default enrolment 3-5x opt-in (Faruqui et al. 2014, 'Smart by Default')"
FILE_MEMORY = 0.97  # daily decay of the customer file's energy by interval (about a month)


@dataclass(frozen=True)
class PricePackageParams(ServiceParams):
    packages: tuple[str, ...] = param(("tou", "cpp", "rtp"), "-", "-",
                                      "Packages the company may offer (each household gets the "
                                      "one that bills its metered load shape the least)",
                                      choices=("tou", "cpp", "rtp"))
    enrolment: str = param("opt_in", "-", "-", "Opt-in (households choose) or default "
                           "enrolment (households are moved and may opt out)",
                           choices=("opt_in", "default"))
    default_opt_out_share: float = param(0.2, "share", SMART,
                                         "Households that opt out of default enrolment",
                                         min=0, max=1)
    admin_cost_per_customer_month: float = param(0.5, "CNY/customer/month", A,
                                                 "Billing and service cost of a package",
                                                 min=0, max=10_000)
    contacts_per_month: int = param(200, "customers/month", A,
                                    "Households the company writes to each month",
                                    min=0, max=1_000_000)
    marketing_cost_per_contact: float = param(5.0, "CNY/contact", A,
                                              "Cost of one letter or app message",
                                              min=0, max=100_000)
    innovation_p_per_year: float = param(0.6, "1/yr", SMART + " (opt-in about 20 % a year "
                                         "under the market ceiling)",
                                         "Base rate at which aware households consider opting "
                                         "in", min=0, max=12)


@register
class PricePackages(Service):
    """Household time-varying price packages, chosen from the customer file."""

    name = "price_packages"
    family = "pricing"
    Params = PricePackageParams
    customer_types = (HOUSEHOLD,)
    exclusive_group = "tariff_package"

    def __init__(self, params, model):
        super().__init__(params, model)
        # households the scenario's tariff already puts on a time-varying tariff are not
        # offered a package (a package replaces flat prices and goes back to them)
        self.on_flat_tariff = model.customers["tariff_package"] == FLAT
        self.codes = np.array([PACKAGE[k] for k in params.packages])
        model.tariffs.offered.update(int(c) for c in self.codes)
        n, T = len(model.customers), model.scenario.meta.intervals_per_day
        # the customer file: decayed metered energy by interval of day, kept for the households
        # the data platform reads at interval granularity (the others: their class's shape)
        households = np.flatnonzero(model.customers["customer_type"] == HOUSEHOLD)
        self.households = households[model.platform.observations.interval[households]]
        self.file_kwh = np.zeros((n, T))
        self.month_flat_bill = np.zeros(n)
        self.month_bill = np.zeros(n)
        # since enrolment: what the package cost and what flat prices would have (churn)
        self.total_flat_bill = np.zeros(n)
        self.total_bill = np.zeros(n)

    def eligible(self) -> np.ndarray:
        return super().eligible() & self.on_flat_tariff

    def _day(self) -> int:
        return max(self.model.steps - 1, 0)

    def _shapes(self, customers: np.ndarray) -> np.ndarray:
        """(n, T) load shape of each customer from its file (the class shape until metered)."""
        c, day = self.model.customers, self._day()
        metered = self.file_kwh[customers]
        expected = self.model.loads.shapes_kw_per_kwh[c["profile_class"][customers], day, :]
        return np.where(metered.sum(axis=1, keepdims=True) > 0, metered, expected)

    def package_costs(self, customers: np.ndarray) -> np.ndarray:
        """(n, offered packages) bill of each customer's shape on each package, relative to
        flat prices (1 = the same bill)."""
        c = self.model.customers
        shape = self._shapes(customers)
        shape = shape / np.maximum(shape.sum(axis=1, keepdims=True), 1e-12)
        mult = self.model.tariffs.expected_multipliers(self._day())  # (packages, classes, T)
        per_class = mult[self.codes][:, c["profile_class"][customers], :]  # (k, n, T)
        return np.einsum("knt,nt->nk", per_class, shape)

    def best_package(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cheapest offered package of each customer and its saving share of the bill."""
        costs = self.package_costs(customers)
        pick = costs.argmin(axis=1)
        return self.codes[pick], 1.0 - costs[np.arange(len(customers)), pick]

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        _, saving = self.best_package(customers)
        monthly = saving * c["annual_kwh"][customers] * c["price_per_kwh"][customers] / 12.0
        rate = c["discount_rate_per_year"][customers]
        return monthly * discount_factors(rate, self.params.term_months).sum(axis=1)

    def enrol_by_default(self, open_: np.ndarray, day: int) -> np.ndarray:
        if self.params.enrolment != "default" or len(self.contracts) or day > 0:
            return np.zeros(0, dtype=np.int64)
        candidates = np.flatnonzero(open_)
        stay = self.model.streams[f"service:{self.name}"].random(len(candidates))
        return candidates[stay >= self.params.default_opt_out_share]

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The revenue the company gives up at the customer's present shape (the package's
        bill saving); the wholesale and peak savings of a response are not in this static
        estimate (peak_targeted values them). No capex."""
        c = self.model.customers
        _, saving = self.best_package(customers)
        lost = saving * c["annual_kwh"][customers] * c["price_per_kwh"][customers] / 12.0
        return -lost, np.zeros(len(customers))

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        package, saving = self.best_package(customers)
        self.model.customers["tariff_package"][customers] = package
        self.contracts.add(customers, day, self.params.term_months, np.zeros(len(customers)),
                           package=package, expected_saving_share=saving)
        return np.zeros(len(customers))

    def observe_day(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        """Meter the households' files; for enrolled customers, what today's load pays on
        the package and would pay on flat prices."""
        # file = file x FILE_MEMORY + max(net, 0) x dt on the metered rows: one compiled pass
        net, dt = np.ascontiguousarray(net_kw, dtype=float), self.model.hours_per_interval
        shared_rows(lambda s: kernels.decay_and_meter(self.file_kwh, self.households[s], net,
                                                      FILE_MEMORY, dt), len(self.households))
        if self.model.dates[day].day == 1 or day == 0:
            self.month_flat_bill[:] = 0.0
            self.month_bill[:] = 0.0
        active = self.contracts.active()
        if len(active) == 0:
            return
        who = self.contracts["customer"][active]
        all_imports_kwh, all_exports_kwh, bills = self.model.tariffs.day_bills(
            net_kw, prices)  # shared with settlement
        imports_kwh, exports_kwh = all_imports_kwh[who], all_exports_kwh[who]
        flat = (imports_kwh * prices.flat_price_per_kwh[who]
                - exports_kwh * prices.export_price_per_kwh)
        self.month_flat_bill[who] += flat
        self.month_bill[who] += bills[who]
        self.total_flat_bill[who] += flat
        self.total_bill[who] += bills[who]

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        who = self.contracts["customer"][rows]
        zero = np.zeros(len(rows))
        opex = np.full(len(rows), self.params.admin_cost_per_customer_month * month_share)
        margin_lost = self.month_flat_bill[who] - self.month_bill[who]
        return MonthFlows(zero, zero, opex, margin_lost)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Billing cost and the expected bill saving the package gives the household (the
        margin it takes), for the rest of the term."""
        c, book = self.model.customers, self.contracts
        left = self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        who = book["customer"][rows]
        saving = (book["expected_saving_share"][rows] * c["annual_kwh"][who]
                  * c["load_scale"][who] / 12.0)[:, None] * self.price_path(rows, months)
        in_term = window(np.zeros(len(rows)), left, months)
        net = self.inflated(-self.params.admin_cost_per_customer_month - saving,
                            self.params.admin_cost_per_customer_month, months)
        return self.company_value(
                              np.zeros(len(rows)), net * in_term)

    def costs_more_than_without(self, rows: np.ndarray) -> np.ndarray:
        """The package has cost the household more since it enrolled than the same load on
        flat prices (its bills show both)."""
        who = self.contracts["customer"][rows]
        return self.total_bill[who] > self.total_flat_bill[who] + 1e-9

    def _back_to_flat(self, rows: np.ndarray) -> None:
        self.model.customers["tariff_package"][self.contracts["customer"][rows]] = FLAT

    def on_end(self, rows: np.ndarray) -> None:
        self._back_to_flat(rows)

    def on_default(self, rows: np.ndarray) -> None:
        self._back_to_flat(rows)


@dataclass(frozen=True)
class HomeEnergyParams(ServiceParams):
    monthly_fee: float = param(4.0, "CNY/month", A, "Subscription fee", min=0, max=1_000_000)
    device_capex: float = param(300.0, "CNY/customer", A + " (gateway, smart plugs, app)",
                                "What the company pays to equip a home", min=0, max=1_000_000)
    opex_per_month: float = param(0.5, "CNY/customer/month", A,
                                  "Platform and support cost per subscriber", min=0, max=1_000_000)
    behavioural_savings_share: float = param(
        0.06, "share of energy", "Ehrhardt-Martinez et al. (ACEEE 2010): feedback saves "
        "4-12 % (recalled)", "Energy a subscriber saves through real-time advice", min=0,
        max=0.5)
    term_months: int = param(36, "months", A, "Subscription term", min=1, max=360)
    contacts_per_month: int = param(100, "customers/month", A,
                                    "Households the company contacts each month",
                                    min=0, max=1_000_000)
    marketing_cost_per_contact: float = param(10.0, "CNY/contact", A,
                                              "Cost of one marketing contact", min=0, max=100_000)


@register
class HomeEnergyManagement(Service):
    """A subscription: behavioural savings, and enabling technology for price response."""

    name = "home_energy_management"
    family = "pricing"
    Params = HomeEnergyParams
    customer_types = (HOUSEHOLD,)
    exclusive_group = "home_energy_management"
    credit_exposed = True

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        c, p = self.model.customers, self.params
        saving = (p.behavioural_savings_share * c["annual_kwh"][customers]
                  * c["price_per_kwh"][customers] / 12.0)
        rate = c["discount_rate_per_year"][customers]
        return (saving - p.monthly_fee) * discount_factors(rate, p.term_months).sum(axis=1)

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fee after VAT less upkeep and the margin the behavioural saving takes; the
        device."""
        c, p = self.model.customers, self.params
        saved_kwh = p.behavioural_savings_share * c["annual_kwh"][customers] \
            * c["load_scale"][customers] / 12.0
        margin = saved_kwh * (c["price_per_kwh"][customers] - unit_energy_cost(self.model))
        net = p.monthly_fee * self.revenue_kept_share() - p.opex_per_month - margin
        return net, np.full(len(customers), p.device_capex)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        c, s = self.model.customers, self.params.behavioural_savings_share
        had_technology = c["enabling_technology"][customers].astype(float)
        c["load_scale"][customers] *= 1.0 - s
        c["enabling_technology"][customers] = True
        capex = np.full(len(customers), self.params.device_capex)
        self.contracts.add(customers, day, self.params.term_months, capex,
                           savings_share=np.full(len(customers), s),
                           had_technology=had_technology)
        return capex

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        s = book["savings_share"][rows]
        saved_kwh = c["month_demand_kwh"][who] * s / (1.0 - s)
        unit_cost = unit_energy_cost(self.model)
        fee = np.full(len(rows), self.params.monthly_fee * month_share)
        opex = np.full(len(rows), self.params.opex_per_month * month_share)
        return MonthFlows(fee, np.zeros(len(rows)), opex,
                          saved_kwh * (c["price_per_kwh"][who] - unit_cost), saved_kwh)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        return np.maximum(self.contracts["capex"][rows] - self.contracts["received"][rows], 0.0)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Fees (after VAT) less upkeep, and the margin the behavioural saving takes, for the
        rest of the term (risk from the company's estimate; the device goes on default)."""
        c, book, p = self.model.customers, self.contracts, self.params
        left = self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        who = book["customer"][rows]
        s = book["savings_share"][rows]
        saved_kwh = c["annual_kwh"][who] * c["load_scale"][who] / 12.0 * s / (1.0 - s)
        in_term = window(np.zeros(len(rows)), left, months)
        net = self.inflated(np.full((len(rows), 1), p.monthly_fee * self.revenue_kept_share()
                                    - p.opex_per_month), p.opex_per_month, months)
        effect = -saved_kwh[:, None] * self.margin_path(rows, months) * in_term
        return self.company_value(
                              self.hazard_estimate(rows), net * in_term, effect,
                              effect_survives_default=False, term_months=left)

    def _remove(self, rows: np.ndarray) -> None:
        c = self.model.customers
        who = self.contracts["customer"][rows]
        c["load_scale"][who] /= 1.0 - self.contracts["savings_share"][rows]
        c["enabling_technology"][who] = self.contracts["had_technology"][rows] > 0  # as before

    def on_end(self, rows: np.ndarray) -> None:
        self._remove(rows)

    def on_default(self, rows: np.ndarray) -> None:
        self._remove(rows)
