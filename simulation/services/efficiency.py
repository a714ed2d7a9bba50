"""Energy-efficiency contracts for enterprises: shared savings, guaranteed savings, and
energy-cost trust.

Each customer has a hidden savings potential (share of its energy); the company offers on its
own noisy estimate. A retrofit's cost is the estimated annual savings value times the simple
payback. Realised savings scatter around the true potential and lower the customer's load for
the life of the measures; one efficiency contract per customer.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.agents.choice import expected_acceptance
from gridvalue.simulation.population import ENTERPRISE
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    Service,
    ServiceParams,
    discount_factors,
    register,
    self_financed_npv,
    unit_energy_cost,
    unrecovered_capex,
)

A = "assumption"
LBNL = "LBNL/NAESCO ESCO database"


@dataclass(frozen=True)
class EfficiencyParams(ServiceParams):
    sectors: tuple[str, ...] = param(("industrial", "commercial", "agricultural"), "-", "-",
                                     "Enterprise sectors offered the contract",
                                     choices=("industrial", "commercial", "agricultural"))
    simple_payback_years: float = param(3.0, "yr", LBNL + ": median 3 yr, private sector",
                                        "Retrofit cost over estimated annual savings value",
                                        min=0, min_exclusive=True)
    measure_life_years: float = param(15.0, "yr", A, "How long realised savings last",
                                      min=0, min_exclusive=True)
    realisation_sd: float = param(0.25, "log-sd", A,
                                  "Scatter of realised savings around the true potential", min=0)
    term_months: int = param(84, "months", "IEA: performance contracts run 2-20 years",
                             "Contract term", min=1, max=360)


class EfficiencyService(Service):
    """What the three contract kinds share: eligibility, estimates, retrofit and savings."""

    family = "efficiency"
    customer_types = (ENTERPRISE,)
    exclusive_group = "efficiency"

    def eligible(self) -> np.ndarray:
        c = self.model.customers
        codes = [("industrial", "commercial", "agricultural").index(s)
                 for s in self.params.sectors]
        return (c["customer_type"] == ENTERPRISE) & np.isin(c["sector"], codes)

    def _annual_bill(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        return c["annual_kwh"][customers] * c["price_per_kwh"][customers]

    def _estimate(self, customers: np.ndarray) -> np.ndarray:
        return self.model.customers["efficiency_estimate_share"][customers]

    def _savings_npv(self, customers: np.ndarray, from_month: int,
                     rate: np.ndarray | None = None) -> np.ndarray:
        """Customer's NPV of estimated savings from `from_month` to the end of measure life
        (at the customers' own discount rates unless `rate` is given)."""
        life = int(round(self.params.measure_life_years * 12))
        if rate is None:
            rate = self.model.customers["discount_rate_per_year"][customers]
        factors = discount_factors(rate, life)[:, from_month:]
        monthly = self._estimate(customers) * self._annual_bill(customers) / 12.0
        return monthly * factors.sum(axis=1)

    def _retrofit(self, customers: np.ndarray, day: int, **extra) -> np.ndarray:
        """Do the retrofit: realised savings lower the load; record the contracts."""
        c = self.model.customers
        capex = (self._estimate(customers) * self._annual_bill(customers)
                 * self.params.simple_payback_years)
        sd = self.params.realisation_sd
        realised = np.clip(c["efficiency_potential_share"][customers]
                           * np.exp(sd * self._realisation_draws()[customers] - 0.5 * sd**2),
                           0.0, 0.8)
        c["load_scale"][customers] *= 1.0 - realised
        self.contracts.add(customers, day, self.params.term_months, capex,
                           realised_share=realised,
                           estimate_share=self._estimate(customers), **extra)
        return capex

    # ---- choice and experience --------------------------------------------------------------
    def self_finance(self, customers: np.ndarray, rate_per_year: np.ndarray):
        """Doing the retrofit itself at the ESCO's cost plus a markup, with a loan at
        `rate_per_year`: the estimated savings over the measures' life (no dGen payback
        curve: the efficiency value curve applies)."""
        choice = self.model.scenario.choice
        yearly = self._estimate(customers) * self._annual_bill(customers)
        cost = (yearly * self.params.simple_payback_years
                * (1.0 + choice.self_finance_efficiency_cost_markup))
        npv, _ = self_financed_npv(self.model, customers, yearly,
                                   self.params.measure_life_years, cost, rate_per_year)
        return npv, np.full(len(customers), np.nan)

    def self_install(self, customers: np.ndarray) -> None:
        """The customer's own retrofit realises its savings as the company's would."""
        c = self.model.customers
        sd = self.params.realisation_sd
        realised = np.clip(c["efficiency_potential_share"][customers]
                           * np.exp(sd * self._realisation_draws()[customers] - 0.5 * sd**2),
                           0.0, 0.8)
        c["load_scale"][customers] *= 1.0 - realised

    def realised_vs_promised(self, rows: np.ndarray) -> np.ndarray:
        """Measured savings share over the share the offer was priced on."""
        book = self.contracts
        return book["realised_share"][rows] / np.maximum(book["estimate_share"][rows], 1e-9)

    def _realisation_draws(self) -> np.ndarray:
        """One standard-normal draw per customer (common random numbers: a customer's
        realised savings do not depend on who else signed before it)."""
        if not hasattr(self, "_realisation"):
            rng = self.model.streams[f"service:{self.name}"]
            self._realisation = rng.standard_normal(len(self.model.customers))
        return self._realisation

    def _month_savings(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measured kWh saved this month and their value at the customer's price."""
        c = self.model.customers
        who = self.contracts["customer"][rows]
        s = self.contracts["realised_share"][rows]
        saved_kwh = c["month_demand_kwh"][who] * s / (1.0 - s)
        return saved_kwh, saved_kwh * c["price_per_kwh"][who]

    def _margin_lost(self, rows: np.ndarray, saved_kwh: np.ndarray) -> np.ndarray:
        c = self.model.customers
        who = self.contracts["customer"][rows]
        return saved_kwh * (c["price_per_kwh"][who] - unit_energy_cost(self.model))

    def _remaining_months(self, rows: np.ndarray) -> np.ndarray:
        return self.contracts["term_months"][rows] - self.contracts["months_settled"][rows]


@dataclass(frozen=True)
class SharedSavingsParams(EfficiencyParams):
    share_start: float = param(0.8, "share", "trade sources: providers take 50-90 %",
                               "Company's share of measured savings in the first month",
                               min=0, max=1)
    share_end: float = param(0.6, "share", "trade sources: often declining over the term",
                             "Company's share in the last month (linear in between)",
                             min=0, max=1)


@register
class SharedSavings(EfficiencyService):
    """The company pays the retrofit and takes a (declining) share of measured savings."""

    name = "shared_savings"
    Params = SharedSavingsParams
    credit_exposed = True
    value_uncertainty = 0.25  # the customer keeps a share of savings that scatter (log-sd)

    def _share(self, months: np.ndarray, term: np.ndarray) -> np.ndarray:
        frac = np.where(term > 1, (months - 1) / np.maximum(term - 1, 1), 0.0)
        return self.params.share_start + (self.params.share_end - self.params.share_start) * frac

    def customer_value(self, customers: np.ndarray,
                       rate: np.ndarray | None = None) -> np.ndarray:
        term = self.params.term_months
        if rate is None:
            rate = self.model.customers["discount_rate_per_year"][customers]
        factors = discount_factors(rate, term)
        keep = 1.0 - self._share(np.arange(1, term + 1), np.full(term, term))
        monthly = self._estimate(customers) * self._annual_bill(customers) / 12.0
        return monthly * (factors * keep).sum(axis=1) + self._savings_npv(customers, term, rate)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        return self._retrofit(customers, day)

    def expected_contact_value(self, customers: np.ndarray) -> np.ndarray:
        """The chance that the customer accepts in a month (the offer valued at the published
        average discount rate, not the customer's own) times the contract's expected NPV:
        estimated savings shared over the term, less the energy margin they take and the
        retrofit, each month weighted by the customer's estimated survival."""
        c, company, choice = self.model.customers, self.model.scenario.company, \
            self.model.scenario.choice
        rate = np.full(len(customers), self.model.scenario.population.enterprise_discount_rate_mean)
        relative = self.customer_value(customers, rate) / np.maximum(
            self._annual_bill(customers), 1.0)
        accept = expected_acceptance(relative, self.params.innovation_p_per_year, 1.0 / 12.0,
                                     choice.max_share_efficiency,
                                     choice.scale_efficiency_bill_years,
                                     choice.offer_hassle_bill_years)
        term = self.params.term_months
        months = np.arange(1, term + 1)
        survive = (1.0 - c["default_hazard_estimate_per_year"][customers])[:, None] ** (
            months / 12.0)
        weight = survive * (1.0 + company.discount_rate_per_year) ** (-months / 12.0)
        saved_kwh = self._estimate(customers) * c["annual_kwh"][customers] / 12.0
        price = c["price_per_kwh"][customers]
        unit_cost = unit_energy_cost(self.model)
        share = self._share(months, np.full(term, term))
        revenue = (weight * share).sum(axis=1) * saved_kwh * price
        margin_lost = weight.sum(axis=1) * saved_kwh * (price - unit_cost)
        capex = self._estimate(customers) * self._annual_bill(customers) \
            * self.params.simple_payback_years
        return accept * (revenue - margin_lost - capex)

    def settle_month(self, rows: np.ndarray) -> MonthFlows:
        saved_kwh, value = self._month_savings(rows)
        month = self.contracts["months_settled"][rows] + 1
        pay = self._share(month, self.contracts["term_months"][rows]) * value
        zero = np.zeros(len(rows))
        return MonthFlows(pay, zero, zero, self._margin_lost(rows, saved_kwh), saved_kwh)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        return np.maximum(self.contracts["capex"][rows] - self.contracts["received"][rows], 0.0)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Expected remaining share payments at last month's savings, with default risk."""
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        months = self._remaining_months(rows)
        s = book["realised_share"][rows]
        monthly_value = (c["annual_kwh"][who] * c["load_scale"][who] / 12.0 * s / (1 - s)
                         * c["price_per_kwh"][who])
        rate = self.model.scenario.company.discount_rate_per_year
        hazard = c["default_hazard_per_year"][who]
        out = np.zeros(len(rows))
        for i, m in enumerate(months):
            k = np.arange(1, m + 1)
            done = book["months_settled"][rows[i]] + k
            share = self._share(done, np.full(m, book["term_months"][rows[i]]))
            survive = (1.0 - hazard[i]) ** (k / 12.0)
            out[i] = (share * monthly_value[i] * survive * (1 + rate) ** (-k / 12.0)).sum()
        return out


@dataclass(frozen=True)
class GuaranteedSavingsParams(EfficiencyParams):
    markup_share: float = param(0.15, "share", A, "Company's markup on the retrofit cost",
                                min=0)
    guaranteed_share_of_estimate: float = param(
        0.9, "share", A, "Savings level guaranteed, as a share of the estimate", min=0, max=1)


@register
class GuaranteedSavings(EfficiencyService):
    """The customer pays the retrofit (cost plus markup); the company guarantees a savings
    level for the term and pays the customer any shortfall each month."""

    name = "guaranteed_savings"
    Params = GuaranteedSavingsParams
    value_uncertainty = 0.1  # the guarantee covers shortfalls below 90 % of the estimate

    def _price(self, customers: np.ndarray) -> np.ndarray:
        return (self._estimate(customers) * self._annual_bill(customers)
                * self.params.simple_payback_years * (1.0 + self.params.markup_share))

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        return self._savings_npv(customers, 0) - self._price(customers)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        price = self._price(customers)
        # the customer pays the project price with its first monthly settlement
        return self._retrofit(customers, day, upfront_price=price)

    def settle_month(self, rows: np.ndarray) -> MonthFlows:
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        saved_kwh, value = self._month_savings(rows)
        pay = np.where(book["months_settled"][rows] == 0, book["upfront_price"][rows], 0.0)
        s = book["realised_share"][rows]
        baseline_kwh = c["month_demand_kwh"][who] / (1.0 - s)
        guaranteed_kwh = self.params.guaranteed_share_of_estimate * book["estimate_share"][rows] \
            * baseline_kwh
        shortfall = np.maximum(guaranteed_kwh - saved_kwh, 0.0) * c["price_per_kwh"][who]
        zero = np.zeros(len(rows))
        return MonthFlows(pay, shortfall, zero, self._margin_lost(rows, saved_kwh), saved_kwh)


@dataclass(frozen=True)
class EnergyCostTrustParams(EfficiencyParams):
    fee_discount_share: float = param(0.05, "share", A,
                                      "Discount on the baseline bill the customer pays as fee",
                                      min=0, max=1)


@register
class EnergyCostTrust(EfficiencyService):
    """The company takes over the energy bill at a fixed baseline fee, pays the actual bills,
    funds the retrofit, and keeps what it saves below the baseline for the term."""

    name = "energy_cost_trust"
    Params = EnergyCostTrustParams
    credit_exposed = True

    def _fee(self, customers: np.ndarray) -> np.ndarray:
        return self._annual_bill(customers) / 12.0 * (1.0 - self.params.fee_discount_share)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        term = self.params.term_months
        rate = self.model.customers["discount_rate_per_year"][customers]
        relief = self._annual_bill(customers) / 12.0 * self.params.fee_discount_share
        return relief * discount_factors(rate, term).sum(axis=1) + self._savings_npv(customers,
                                                                                       term)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        return self._retrofit(customers, day, fee=self._fee(customers))

    def settle_month(self, rows: np.ndarray) -> MonthFlows:
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        saved_kwh, _ = self._month_savings(rows)
        zero = np.zeros(len(rows))
        return MonthFlows(book["fee"][rows] * self.month_share, c["month_bill"][who], zero,
                          self._margin_lost(rows, saved_kwh), saved_kwh)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        return unrecovered_capex(self.contracts, rows)
