"""Equipment management for enterprises and farms: rental, instalment sale, and the on-site
maintenance subscription ("electric nanny").

Rental and instalments replace old motors, pumps and fans with efficient ones. The equipment
is sized to the energy it serves: kW = served share x annual kWh / operating hours; it costs
`cost_per_kw` and saves `efficiency_gain_share` of the energy it serves, which lowers the
customer's load. Each customer's served share is its own (drawn once from the service's
stream; the customer knows it, the company prices per kW). One equipment deal per customer.

The maintenance subscription lowers the customer's expected on-site outage losses:
avoided loss = outage hours/yr x avoided share x mean load kW x the customer's outage cost
per kWh unserved; the customer's value is the avoided loss minus the fee.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gridvalue.simulation.contracts import COMPLETED
from gridvalue.simulation.lifetime import window
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    RepossessedAsset,
    Service,
    ServiceParams,
    discount_factors,
    in_segments,
    register,
    segment_codes,
    unit_energy_cost,
)

A = "assumption"
ENTERPRISE_SEGMENTS = ("industrial", "commercial", "agricultural")
SEGMENTS = ("household",) + ENTERPRISE_SEGMENTS
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class EquipmentParams(ServiceParams):
    segments: tuple[str, ...] = param(ENTERPRISE_SEGMENTS, "-", "-",
                                      "Customer segments offered the deal", choices=SEGMENTS)
    served_share_mean: float = param(
        0.5, "share of energy", "IEA (Waide & Brunner 2011): motor systems use about 70 % of "
        "industry's electricity, 45 % of all (recalled)",
        "Mean share of a customer's energy that the replaced equipment serves", min=0, max=1)
    operating_hours_per_year: float = param(4000.0, "h/yr", A,
                                            "Full-load hours of the equipment (sizes its kW)",
                                            min=0, max=8784, min_exclusive=True)
    cost_per_kw: float = param(1500.0, "CNY/kW", A + " (efficient motor with drive, installed)",
                               "What the company pays for the equipment", min=0, max=1e6)
    efficiency_gain_share: float = param(
        0.15, "share", A + " (motor upgrades save 2-5 %, variable-speed drives on pumps and "
        "fans 20-50 %)", "Share of the served energy the new equipment saves", min=0, max=0.9)
    life_years: float = param(15.0, "yr", A, "Equipment life (book value falls linearly)",
                              min=0, max=100, min_exclusive=True)
    recovery_share: float = param(0.5, "share", A + " (movable equipment resells)",
                                  "Share of book value recovered when equipment is repossessed",
                                  min=0, max=1)


class EquipmentDeal(RepossessedAsset, Service):
    """Sizing, efficiency gain and repossession shared by rental and instalments."""

    family = "equipment"
    customer_types = (ENTERPRISE, HOUSEHOLD)
    exclusive_group = "equipment"
    credit_exposed = True

    def __init__(self, params, model):
        super().__init__(params, model)
        n, mean = len(model.customers), params.served_share_mean
        rng = model.streams[f"service:{self.name}"]  # own stream: shifts no other draws
        self.served_share = (rng.beta(mean * 10.0, (1.0 - mean) * 10.0, n)
                             if 0.0 < mean < 1.0 else np.full(n, mean))

    def eligible(self) -> np.ndarray:
        return in_segments(self.model.customers, self.params.segments)

    def _at_mean_served_share(self, estimate, customers: np.ndarray) -> np.ndarray:
        """`estimate(customers)` with every site's served share at `served_share_mean`: the
        company sizes a site's kit at signing; before that it knows only the mean."""
        own = self.served_share[customers].copy()
        self.served_share[customers] = self.params.served_share_mean
        try:
            return estimate(customers)
        finally:
            self.served_share[customers] = own

    def contract_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        return self._at_mean_served_share(super().contract_value_estimate, customers)

    def offer_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        return self._at_mean_served_share(super().offer_value_estimate, customers)

    def _equipment_kw(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        return (self.served_share[customers] * c["annual_kwh"][customers]
                * c["load_scale"][customers] / self.params.operating_hours_per_year)

    def _saving_share(self, customers: np.ndarray) -> np.ndarray:
        return self.served_share[customers] * self.params.efficiency_gain_share

    def _annual_savings_value(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        return (self._saving_share(customers) * c["annual_kwh"][customers]
                * c["load_scale"][customers] * c["price_per_kwh"][customers])

    def _install(self, customers: np.ndarray, day: int, **extra) -> np.ndarray:
        kw = self._equipment_kw(customers)
        capex = kw * self.params.cost_per_kw
        saving = self._saving_share(customers)
        self.model.customers["load_scale"][customers] *= 1.0 - saving
        self.contracts.add(customers, day, self.params.term_months, capex, equipment_kw=kw,
                           saving_share=saving, removed=np.zeros(len(customers)), **extra)
        return capex

    def _remove(self, rows: np.ndarray) -> None:
        """Take the equipment back: the customer's old load returns."""
        book = self.contracts
        rows = rows[book["removed"][rows] == 0]
        who = book["customer"][rows]
        self.model.customers["load_scale"][who] /= 1.0 - book["saving_share"][rows]
        book["removed"][rows] = 1.0

    def _month_savings(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """kWh the equipment saved this month, and the energy-sales margin they cost."""
        c, book = self.model.customers, self.contracts
        who = book["customer"][rows]
        s = book["saving_share"][rows]
        saved_kwh = c["month_demand_kwh"][who] * s / (1.0 - s)
        return saved_kwh, saved_kwh * (c["price_per_kwh"][who] - unit_energy_cost(self.model))

    def _expected_margin_per_month(self, rows: np.ndarray) -> np.ndarray:
        """Energy-sales margin the equipment's saving takes in an average month."""
        c, book = self.model.customers, self.contracts
        who = book["customer"][rows]
        s = book["saving_share"][rows]
        saved_kwh = c["annual_kwh"][who] * c["load_scale"][who] / (1.0 - s) * s / 12.0
        return saved_kwh * (c["price_per_kwh"][who] - unit_energy_cost(self.model))

    def on_default(self, rows: np.ndarray) -> None:
        self._remove(rows)  # repossessed

    def _margin_estimate(self, customers: np.ndarray) -> np.ndarray:
        """Energy-sales margin the equipment's saving would take in an average month."""
        c = self.model.customers
        saved_kwh = (self._saving_share(customers) * c["annual_kwh"][customers]
                     * c["load_scale"][customers] / 12.0)
        return saved_kwh * (c["price_per_kwh"][customers] - unit_energy_cost(self.model))

    def _equipment_value(self, rows: np.ndarray, contract_net: np.ndarray,
                         kit_months: np.ndarray, upkeep: "float | np.ndarray" = 0.0
                         ) -> np.ndarray:
        """Value after the horizon (simulation/lifetime.py): `contract_net` (n, 1) a month for
        the rest of the term, repossession on default (risk from the company's estimate), and
        the margin the saving takes while the kit is with the customer (`kit_months` from
        the horizon); `upkeep` the part of `contract_net` that is upkeep (it grows with
        inflation)."""
        left = self.remaining_months(rows)
        months = int(max(kit_months.max(initial=0), left.max(initial=0), 1))
        contract_net = self.inflated(contract_net, upkeep, months)
        zeros = np.zeros(len(rows))
        in_term = window(zeros, left, months)
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        s = book["saving_share"][rows]
        saved_kwh = (c["annual_kwh"][who] * c["load_scale"][who] / (1.0 - s) * s / 12.0)
        effect = (-saved_kwh[:, None] * self.margin_path(rows, months)
                  * window(zeros, kit_months, months))
        return self.company_value(
                              self.hazard_estimate(rows), contract_net * in_term, effect,
                              effect_survives_default=False,
                              recovery=self.recovery_path(rows, months) * in_term,
                              term_months=left)


@dataclass(frozen=True)
class RentalParams(EquipmentParams):
    signed_terms: ClassVar[tuple[str, ...]] = ("rent_share_per_year",)  # fixed in the contract
    rent_share_per_year: float = param(
        0.28, "share of cost/yr", A + " (recovers the cost in about 4 years)",
        "Annual rent as a share of the equipment's cost (maintenance included)", min=0, max=10)
    maintenance_share_per_year: float = param(
        0.03, "share of cost/yr", A, "Upkeep the company pays on rented equipment; the "
        "customer saves as much on its old equipment", min=0, max=10)
    term_months: int = param(60, "months", A, "Rental term; the equipment then goes back",
                             min=1, max=360)


@register
class EquipmentRental(EquipmentDeal):
    """The company owns and maintains the equipment; the customer pays a monthly rent."""

    name = "equipment_rental"
    Params = RentalParams

    def _rent(self, customers: np.ndarray) -> np.ndarray:
        return (self._equipment_kw(customers) * self.params.cost_per_kw
                * self.term("rent_share_per_year", customers) / 12.0)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        p = self.params
        upkeep_saved = self._equipment_kw(customers) * p.cost_per_kw * p.maintenance_share_per_year
        monthly = (self._annual_savings_value(customers) + upkeep_saved) / 12.0 \
            - self._rent(customers)
        rate = self.model.customers["discount_rate_per_year"][customers]
        return monthly * discount_factors(rate, p.term_months).sum(axis=1)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        return self._install(customers, day, rent=self._rent(customers))

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rent after VAT less upkeep and the margin the saving takes; the kit's cost."""
        capex = self._equipment_kw(customers) * self.params.cost_per_kw
        net = (self._rent(customers) * self.revenue_kept_share()
               - capex * self.params.maintenance_share_per_year / 12.0
               - self._margin_estimate(customers))
        return net, capex

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        book = self.contracts
        saved_kwh, margin = self._month_savings(rows)
        opex = book["capex"][rows] * self.params.maintenance_share_per_year / 12.0
        return MonthFlows(book["rent"][rows] * month_share, np.zeros(len(rows)),
                          opex * month_share, margin, saved_kwh)

    def on_end(self, rows: np.ndarray) -> None:
        self._remove(rows)  # returned at the end of the term (or on leaving early)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """Leaving returns the kit: the rent ends and so does its saving, which the customer
        sees as the drop in its metered use (its load with the kit against without) at its
        tariff; the gain is rent less that saving for the rest of the term after notice."""
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        s = book["saving_share"][rows]
        saved_kwh = c["annual_kwh"][who] * c["load_scale"][who] / (1.0 - s) * s / 12.0
        # the saving (a current level) moves with the tariff and the load; the rent is fixed
        return self.net_value_after_notice(
            rows, book["rent"][rows], saved_kwh * c["price_per_kwh"][who],
            self.expected_growth(rows, tariff=True, load=True, from_average=False))

    def exit_recovery(self, rows: np.ndarray) -> np.ndarray:
        """The kit taken back early is resold (RepossessedAsset)."""
        return self.resale_back(rows)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Rent (after VAT) less upkeep and the margin the saving takes, for the rest of the
        term; the kit then comes back (its residual value is not counted)."""
        if len(rows) == 0:
            return np.zeros(0)
        book = self.contracts
        upkeep = (book["capex"][rows] * self.params.maintenance_share_per_year / 12)[:, None]
        net = (book["rent"][rows] * self.revenue_kept_share())[:, None] - upkeep
        return self._equipment_value(rows, net, self.remaining_months(rows), upkeep)


@dataclass(frozen=True)
class InstalmentParams(EquipmentParams):
    signed_terms: ClassVar[tuple[str, ...]] = ("markup_share",)
    segments: tuple[str, ...] = param(ENTERPRISE_SEGMENTS, "-", "-",
                                      "Customer segments offered the deal (households buy "
                                      "efficient appliances)", choices=SEGMENTS)
    markup_share: float = param(0.10, "share", A, "Company's markup on the equipment's cost",
                                min=0, max=10)
    interest_rate_per_year: float = param(
        0.06, "1/yr", A + " (a little above China's 1-yr loan prime rate, 3.45 % in 2024)",
        "Interest the instalments carry", min=0, max=1)
    term_months: int = param(36, "months", A, "Instalment period", min=1, max=360)


@register
class EquipmentInstalments(EquipmentDeal):
    """The company sells the equipment on equal monthly instalments; the customer owns it and
    keeps its savings for the equipment's life. The unpaid balance is a credit exposure."""

    name = "equipment_instalments"
    Params = InstalmentParams

    def _instalment(self, principal: np.ndarray) -> np.ndarray:
        i, n = self.params.interest_rate_per_year / 12.0, self.params.term_months
        return principal / n if i == 0 else principal * i / (1.0 - (1.0 + i) ** -n)

    def _price(self, customers: np.ndarray) -> np.ndarray:
        return (self._equipment_kw(customers) * self.params.cost_per_kw
                * (1.0 + self.term("markup_share", customers)))

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        p = self.params
        rate = self.model.customers["discount_rate_per_year"][customers]
        life = int(round(p.life_years * 12))
        savings = self._annual_savings_value(customers) / 12.0 * discount_factors(
            rate, life).sum(axis=1)
        payments = self._instalment(self._price(customers)) * discount_factors(
            rate, p.term_months).sum(axis=1)
        return savings - payments

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        price = self._price(customers)
        return self._install(customers, day, principal=price,
                             instalment=self._instalment(price))

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Instalments after VAT less the margin the saving takes in the term (the margin
        it takes after the term is left out); the kit's cost."""
        net = (self._instalment(self._price(customers)) * self.revenue_kept_share()
               - self._margin_estimate(customers))
        return net, self._equipment_kw(customers) * self.params.cost_per_kw

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        saved_kwh, margin = self._month_savings(rows)
        zero = np.zeros(len(rows))
        return MonthFlows(self.contracts["instalment"][rows], zero, zero, margin, saved_kwh)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """Leaving is prepaying: the customer pays the fee, keeps the kit and its saving, and
        the instalments (its bills) end after the notice."""
        return self.value_after_notice(rows, self.contracts["instalment"][rows])

    def balance(self, rows: np.ndarray) -> np.ndarray:
        """Unpaid principal after the instalments settled so far."""
        book = self.contracts
        i = self.params.interest_rate_per_year / 12.0
        k = book["months_settled"][rows]
        p, a = book["principal"][rows], book["instalment"][rows]
        if i == 0:
            return np.maximum(p - a * k, 0.0)
        grown = (1.0 + i) ** k
        return np.maximum(p * grown - a * (grown - 1.0) / i, 0.0)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        """The receivable less what the repossessed equipment brings back."""
        return np.maximum(self.balance(rows) - self.resale_back(rows), 0.0)

    def _kit_months_left(self, rows: np.ndarray) -> np.ndarray:
        return np.maximum(int(round(self.params.life_years * 12)) - self.age_months(rows), 0)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """The rest of the instalments (after VAT) and the margin the saving takes to the end
        of the equipment's life (the customer owns it after the term)."""
        if len(rows) == 0:
            return np.zeros(0)
        net = (self.contracts["instalment"][rows] * self.revenue_kept_share())[:, None]
        return self._equipment_value(rows, net, self._kit_months_left(rows))

    # ---- after the term: the customer's own kit saves until the end of its life -----------
    def after_rows(self) -> np.ndarray:
        book = self.contracts
        if len(book) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero((book["status"] == COMPLETED) & (book["removed"] == 0))

    def settle_after(self, rows: np.ndarray) -> np.ndarray:
        """The margin the saving takes this month; at the end of its life the kit is worn
        out and the customer's old load returns."""
        _, margin = self._month_savings(rows)
        worn = rows[self.age_months(rows) >= int(round(self.params.life_years * 12))]
        self._remove(worn)
        return margin


@dataclass(frozen=True)
class MaintenanceParams(ServiceParams):
    signed_terms: ClassVar[tuple[str, ...]] = ("fee_per_site_month", "fee_per_kw_month")
    segments: tuple[str, ...] = param(ENTERPRISE_SEGMENTS, "-", "-",
                                      "Customer segments offered the subscription",
                                      choices=SEGMENTS)
    outage_hours_per_year: float = param(
        10.0, "h/yr", A + " (on-site faults; rural supply interruptions in China run about "
        "10 h/yr, recalled)", "Expected outage hours a year from faults on the customer's own "
        "installation", min=0, max=8784)
    avoided_outage_share: float = param(0.5, "share", A,
                                        "Share of those outage hours the care avoids",
                                        min=0, max=1)
    outage_cost_industrial_per_kwh: float = param(
        30.0, "CNY/kWh unserved", A + " (C&I interruption costs run tens of times the "
        "energy price, LBNL ICE calculator, recalled)", "Industrial customers' cost of "
        "energy not served", min=0, max=10_000)
    outage_cost_commercial_per_kwh: float = param(
        40.0, "CNY/kWh unserved", A, "Commercial customers' cost of energy not served",
        min=0, max=10_000)
    outage_cost_agricultural_per_kwh: float = param(
        25.0, "CNY/kWh unserved", A + " (irrigation, cold chain, livestock ventilation)",
        "Farms' cost of energy not served", min=0, max=10_000)
    outage_cost_household_per_kwh: float = param(
        10.0, "CNY/kWh unserved", A, "Households' cost of energy not served", min=0, max=10_000)
    fee_per_site_month: float = param(10.0, "CNY/month", A, "Fixed part of the monthly fee",
                                      min=0, max=1e6)
    fee_per_kw_month: float = param(5.0, "CNY/kW/month", A,
                                    "Fee per kW of the customer's mean load", min=0, max=1e6)
    cost_per_site_month: float = param(8.0, "CNY/month", A,
                                       "Company's cost per site (inspections, travel)",
                                       min=0, max=1e6)
    cost_per_kw_month: float = param(2.0, "CNY/kW/month", A,
                                     "Company's cost per kW of mean load (repairs, parts)",
                                     min=0, max=1e6)
    term_months: int = param(36, "months", A, "Subscription term (then it ends)",
                             min=1, max=360)


@register
class MaintenanceSubscription(Service):
    """On-site care ("electric nanny"): a monthly fee for fewer on-site outages. No capex, no
    credit exposure (a customer that stops paying loses the care)."""

    name = "maintenance_subscription"
    family = "equipment"
    Params = MaintenanceParams
    customer_types = (ENTERPRISE, HOUSEHOLD)

    def eligible(self) -> np.ndarray:
        return in_segments(self.model.customers, self.params.segments)

    def _mean_kw(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        return c["annual_kwh"][customers] * c["load_scale"][customers] / HOURS_PER_YEAR

    def avoided_loss_per_month(self, customers: np.ndarray) -> np.ndarray:
        """The customer's expected outage loss the care avoids (currency/month)."""
        p = self.params
        cost = np.array([p.outage_cost_household_per_kwh, p.outage_cost_industrial_per_kwh,
                         p.outage_cost_commercial_per_kwh, p.outage_cost_agricultural_per_kwh,
                         0.0])[segment_codes(self.model.customers)[customers]]
        return (p.outage_hours_per_year * p.avoided_outage_share * self._mean_kw(customers)
                * cost / 12.0)

    def _fee(self, customers: np.ndarray) -> np.ndarray:
        return (self.term("fee_per_site_month", customers)
                + self.term("fee_per_kw_month", customers) * self._mean_kw(customers))

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        rate = self.model.customers["discount_rate_per_year"][customers]
        monthly = self.avoided_loss_per_month(customers) - self._fee(customers)
        return monthly * discount_factors(rate, self.params.term_months).sum(axis=1)

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fee after VAT less the cost of care; no capex."""
        cost = self.params.cost_per_site_month + self.params.cost_per_kw_month * self._mean_kw(
            customers)
        return self._fee(customers) * self.revenue_kept_share() - cost, np.zeros(len(customers))

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        cost = self.params.cost_per_site_month + self.params.cost_per_kw_month * self._mean_kw(
            customers)
        self.contracts.add(customers, day, self.params.term_months, np.zeros(len(customers)),
                           fee=self._fee(customers), cost=cost,
                           avoided_loss=self.avoided_loss_per_month(customers),
                           loss_avoided_to_date=np.zeros(len(customers)))
        return np.zeros(len(customers))

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        book = self.contracts
        book["loss_avoided_to_date"][rows] += book["avoided_loss"][rows]
        zero = np.zeros(len(rows))
        return MonthFlows(book["fee"][rows] * month_share, zero,
                          book["cost"][rows] * month_share, zero, zero)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """Leaving ends the fee and the care: the gain is the average monthly fee paid to date
        less the outage loss the care avoided per month, after the notice."""
        book = self.contracts
        # the fee is fixed; the outage loss avoided (an average to date) moves with the load
        return self.net_value_after_notice(
            rows, self.observed_monthly(rows, book["received"][rows]),
            self.observed_monthly(rows, book["loss_avoided_to_date"][rows]),
            self.expected_growth(rows, load=True))

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Fees (after VAT) less the cost of care for the rest of the term."""
        book = self.contracts
        left = self.remaining_months(rows)
        net = (book["fee"][rows] * self.revenue_kept_share() - book["cost"][rows])[:, None]
        months = int(max(left.max(initial=0), 1))
        net = self.inflated(net, book["cost"][rows][:, None], months)
        return self.company_value(
                              np.zeros(len(rows)),
                              net * window(np.zeros(len(rows)), left, months))
