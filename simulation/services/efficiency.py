"""Energy-efficiency contracts for enterprises: shared savings, guaranteed savings, and
energy-cost trust.

Each customer has a hidden savings potential (share of its energy); the company offers on its
own noisy estimate. A retrofit's cost is the estimated annual savings value times the simple
payback. Realised savings scatter around the true potential and lower the customer's load for
the life of the measures; one efficiency contract per customer.
"""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gridvalue.agents.choice import expected_acceptance
from gridvalue.simulation.contracts import ACTIVE
from gridvalue.simulation.lifetime import discount, window
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
                                        min=0, max=100, min_exclusive=True)
    measure_life_years: float = param(15.0, "yr", A, "How long realised savings last",
                                      min=0, max=100, min_exclusive=True)
    realisation_sd: float = param(0.25, "log-sd", A,
                                  "Scatter of realised savings around the true potential",
                                  min=0, max=3)
    term_months: int = param(84, "months", "IEA: performance contracts run 2-20 years",
                             "Contract term", min=1, max=360)
    margin_over_measure_life: bool = param(
        False, "-", A + " (the lifetime books charge it so: simulation/lifetime.py)",
        "Whether the company's valuation of an offer (targeting, expected contract value) "
        "counts the energy-sales margin the estimated saving takes over the whole measure "
        "life, default or not, as the lifetime books do; false: over the contract term only, "
        "weighted like the contract's cash")
    audit_before_contract: bool = param(
        False, "-", "IPMVP / ESCO practice: an investment-grade audit (ASHRAE Standard 211 "
        "Level 2-3) before the contract is signed", "Whether each contacted customer gets an "
        "on-site audit before the offer: the audit reads the customer's savings potential with "
        "error audit_error_sd, the offer (retrofit cost, the customer's and the company's "
        "value) follows the audit instead of the platform's estimate, and the company "
        "withdraws the offer where the audited contract value is not above 0")
    audit_cost_cny: float = param(
        2000.0, "CNY/audit", A + " (about one engineer-day on site and a report for a small "
        "enterprise; US Level 3 audits cost $0.40-1.00 per sq ft, ASHRAE 211 summaries)",
        "Cost of one audit (booked as the service's `audit` line, with inflation)",
        min=0, max=1e7)
    audit_error_sd: float = param(
        0.15, "log-sd", A + " (an investment-grade audit's savings estimate within about "
        "15 %)", "Error of the audit's reading of the savings potential", min=0, max=3)


class EfficiencyService(Service):
    """What the three contract kinds share: eligibility, estimates, retrofit and savings."""

    family = "efficiency"
    customer_types = (ENTERPRISE,)
    exclusive_group = "efficiency"

    def _annual_bill(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        return c["annual_kwh"][customers] * c["price_per_kwh"][customers]

    def eligible(self) -> np.ndarray:
        c = self.model.customers
        codes = [("industrial", "commercial", "agricultural").index(s)
                 for s in self.params.sectors]
        mask = (c["customer_type"] == ENTERPRISE) & np.isin(c["sector"], codes)
        if self.params.audit_before_contract:
            mask &= ~self._audit()[1]  # offers withdrawn after the audit
        return mask

    def _estimate(self, customers: np.ndarray) -> np.ndarray:
        """The savings share the offer is made on: the platform's estimate, or the audit's
        reading where the customer was audited (`audit_before_contract`)."""
        estimate = self.model.customers["efficiency_estimate_share"][customers]
        if self.params.audit_before_contract:
            audited = self._audit()[0][customers]
            estimate = np.where(np.isnan(audited), estimate, audited)
        return estimate

    def _audit(self) -> tuple[np.ndarray, np.ndarray]:
        """(n,) the audits' readings of the savings share (NaN: not audited) and (n,) bool,
        the offers withdrawn after the audit."""
        if not hasattr(self, "_audited"):
            n = len(self.model.customers)
            self._audited, self._withdrawn = np.full(n, np.nan), np.zeros(n, dtype=bool)
        return self._audited, self._withdrawn

    def _contact_value(self, accept: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The expected profit of a contact from the estimated chance of acceptance in a month
        and the contract's value: their product; with `audit_before_contract`, per contact
        rather than per month: the chance the customer signs at all (the month's chance over
        the month's Bass rate) times the value, less the audit the contact costs for sure."""
        if not self.params.audit_before_contract:
            return accept * value
        rate = np.clip(self.params.innovation_p_per_year / 12.0, 1e-12, 1.0)
        return accept / rate * value - self.params.audit_cost_cny * self.model.company.price_level

    def contacted(self, customers: np.ndarray, date) -> None:
        """`audit_before_contract`: audit the contacted customers on site (a measurement of
        the customer, as M&V is: its potential read with log-normal error, one draw per
        customer from the service's audit stream), book the audits, and withdraw the offer
        where the contract's value on the audit is not above 0. The platform's estimates are
        not changed: the analytics never see an audit."""
        if not self.params.audit_before_contract or len(customers) == 0:
            return
        audited, withdrawn = self._audit()
        if not hasattr(self, "_audit_draws"):
            self._audit_draws = self.model.streams.fresh(f"audit:{self.name}").standard_normal(
                len(self.model.customers))
        sd = self.params.audit_error_sd
        truth = self.model.customers["efficiency_potential_share"][customers]
        audited[customers] = np.clip(
            truth * np.exp(sd * self._audit_draws[customers] - 0.5 * sd**2), 0.0, 0.9)
        withdrawn[customers] = self.contract_value_estimate(customers) <= 0
        company = self.model.company
        company.ledger.book(date, self.name, "audit",
                            -len(customers) * self.params.audit_cost_cny * company.price_level)

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
        zero = np.zeros(len(customers))
        self.contracts.add(customers, day, self.params.term_months, capex,
                           realised_share=realised,
                           estimate_share=self._estimate(customers), after_months=zero,
                           expired=zero, **extra)
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

    def _measured(self, rows: np.ndarray, true_saved_kwh: np.ndarray):
        """This month's measured saving and baseline (kWh) of these contracts, by IPMVP
        Option C (simulation/measurement.py): what the contract bills on."""
        who = self.contracts["customer"][rows]
        return self.model.platform.measurement.measure(who, true_saved_kwh)

    def _acceptance(self, customers: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The company's view of the chance that a contacted customer accepts in a month, for
        an offer worth `value` to it (valued at the published average discount rate): the
        choice model's expected acceptance (agents/choice.py) for an average customer."""
        choice = self.model.scenario.choice
        relative = value / np.maximum(self._annual_bill(customers), 1.0)
        return expected_acceptance(relative, self.params.innovation_p_per_year, 1.0 / 12.0,
                                   choice.max_share_efficiency,
                                   choice.scale_efficiency_bill_years,
                                   choice.offer_hassle_bill_years)

    def _average_rate(self, customers: np.ndarray) -> np.ndarray:
        return np.full(len(customers),
                       self.model.scenario.population.enterprise_discount_rate_mean)

    def _term_weights(self, customers: np.ndarray, credit: bool) -> np.ndarray:
        """(n, term) the company's discount factor of each contract month, times the
        customer's estimated survival where the company carries its credit risk."""
        months = np.arange(1, self.params.term_months + 1)
        rate = self.model.scenario.company.discount_rate_per_year
        weight = np.broadcast_to((1.0 + rate) ** (-months / 12.0),
                                 (len(customers), len(months)))
        if credit:
            hazard = self.model.customers["default_hazard_estimate_per_year"][customers]
            weight = weight * (1.0 - hazard)[:, None] ** (months / 12.0)
        return weight

    def _margin_weight(self, customers: np.ndarray, term_weight: np.ndarray) -> np.ndarray:
        """Discounted months over which the company's valuation counts the margin a saving
        takes: `term_weight` (the term's weights summed), or with `margin_over_measure_life`
        every month of the measure life at the company's rate (the saving outlasts the term
        and a default, as in the lifetime books)."""
        if not self.params.margin_over_measure_life:
            return term_weight
        months = np.arange(1, self._life_months() + 1)
        rate = self.model.scenario.company.discount_rate_per_year
        return np.full(len(customers), ((1.0 + rate) ** (-months / 12.0)).sum())

    def _margin_lost(self, rows: np.ndarray, saved_kwh: np.ndarray) -> np.ndarray:
        c = self.model.customers
        who = self.contracts["customer"][rows]
        return saved_kwh * (c["price_per_kwh"][who] - unit_energy_cost(self.model))

    def _remaining_months(self, rows: np.ndarray) -> np.ndarray:
        return self.contracts["term_months"][rows] - self.contracts["months_settled"][rows]

    # ---- after the term: the retrofit stays until the end of its measure life --------------
    def _life_months(self) -> int:
        return int(round(self.params.measure_life_years * 12))

    def after_rows(self) -> np.ndarray:
        """Ended (completed or defaulted) contracts whose retrofit still saves energy."""
        book = self.contracts
        if len(book) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero((book["status"] != ACTIVE) & (book["expired"] == 0))

    def settle_after(self, rows: np.ndarray) -> np.ndarray:
        """The margin the persisting saving takes this month; at the end of measure life the
        saving ends and the customer's load returns."""
        book = self.contracts
        saved_kwh, _ = self._month_savings(rows)
        lost = self._margin_lost(rows, saved_kwh)
        book["after_months"][rows] += 1
        age = book["months_settled"][rows] + book["after_months"][rows]
        done = rows[age >= self._life_months()]
        self.model.customers["load_scale"][book["customer"][done]] /= (
            1.0 - book["realised_share"][done])
        book["expired"][done] = 1.0
        return lost

    def _expected_saved_kwh(self, rows: np.ndarray) -> np.ndarray:
        """kWh a month the retrofit saves now, from the customer's metered load."""
        c, book = self.model.customers, self.contracts
        who = book["customer"][rows]
        s = book["realised_share"][rows]
        return c["annual_kwh"][who] * c["load_scale"][who] / 12.0 * s / (1.0 - s)

    def _streams(self, rows: np.ndarray):
        """What every efficiency contract shares after the horizon: months left in the term,
        the (n, M) in-term mask, monthly saved kWh (n, 1), the margin the saving takes for
        the rest of measure life (n, M, negative) and the subsidy on saved kWh (n, M)."""
        book = self.contracts
        left = self.remaining_months(rows)
        age = book["months_settled"][rows] + book["after_months"][rows]
        effect_months = np.maximum(self._life_months() - age, 0)
        months = int(max(effect_months.max(initial=0), left.max(initial=0), 1))
        in_term = window(np.zeros(len(rows)), left, months)
        kwh = self._expected_saved_kwh(rows)[:, None]
        effect = -kwh * self.margin_path(rows, months) * window(
            np.zeros(len(rows)), effect_months, months)
        subsidy = self.model.scenario.taxes.epc_subsidy_per_kwh_saved * kwh * in_term
        return left, in_term, kwh, effect, subsidy

    def _value(self, rows: np.ndarray, contract_net: np.ndarray, left: np.ndarray,
               effect: np.ndarray) -> np.ndarray:
        return self.company_value(
                              self.hazard_estimate(rows), contract_net, effect,
                              effect_survives_default=True, term_months=left)


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
        accept = self._acceptance(customers,
                                  self.customer_value(customers, self._average_rate(customers)))
        return self._contact_value(accept, self.contract_value_estimate(customers))

    def contract_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        """The contract's expected NPV: estimated savings shared over the term, less the
        energy margin they take and the retrofit, each month weighted by the customer's
        estimated survival."""
        c, company = self.model.customers, self.model.scenario.company
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
        margin_lost = self._margin_weight(customers, weight.sum(axis=1)) * saved_kwh * (
            price - unit_cost)
        capex = self._estimate(customers) * self._annual_bill(customers) \
            * self.params.simple_payback_years
        return revenue - margin_lost - capex

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        saved_kwh, _ = self._month_savings(rows)
        measured_kwh, _ = self._measured(rows, saved_kwh)  # the share is of measured savings
        value = np.maximum(measured_kwh, 0.0) \
            * self.model.customers["price_per_kwh"][self.contracts["customer"][rows]]
        month = self.contracts["months_settled"][rows] + 1
        pay = self._share(month, self.contracts["term_months"][rows]) * value
        zero = np.zeros(len(rows))
        return MonthFlows(pay, zero, zero, self._margin_lost(rows, saved_kwh), saved_kwh)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        return np.maximum(self.contracts["capex"][rows] - self.contracts["received"][rows], 0.0)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """Leaving keeps the retrofit and its saving and ends the share payments: the gain is
        the customer's discounted share payments after the notice, at its own saving (which
        it sees on its bills) and its own rate."""
        book, c = self.contracts, self.model.customers
        left = np.maximum(self.remaining_months(rows), 0)
        months = int(left.max(initial=0))
        if months == 0:
            return np.zeros(len(rows))
        done = book["months_settled"][rows][:, None] + np.arange(1, months + 1)[None, :]
        share = self._share(done, book["term_months"][rows][:, None])
        kwh = self._expected_saved_kwh(rows)[:, None]
        load = self.expected_growth(rows, load=True, from_average=False)
        if load is not None:  # the saving is a share of a load that grows
            kwh = kwh * load[:, :months]
        notice = self.params.termination_notice_months
        after_notice = window(np.full(len(rows), notice), left, months)
        pay = share * kwh * self.price_path(rows, months) * after_notice
        rate = c["discount_rate_per_year"][book["customer"][rows]]
        return (pay * discount(rate, months)).sum(axis=1)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """The rest of the term's share payments at the current saving (default risk from the
        company's estimate), less the margin the saving takes to the end of measure life."""
        if len(rows) == 0:
            return np.zeros(0)
        book = self.contracts
        left, in_term, kwh, effect, subsidy = self._streams(rows)
        months = in_term.shape[1]
        done = book["months_settled"][rows][:, None] + np.arange(1, months + 1)[None, :]
        share = self._share(done, book["term_months"][rows][:, None])
        pay = share * kwh * self.price_path(rows, months) * self.revenue_kept_share()
        return self._value(rows, pay * in_term + subsidy, left, effect)


@dataclass(frozen=True)
class GuaranteedSavingsParams(EfficiencyParams):
    signed_terms: ClassVar[tuple[str, ...]] = ("markup_share",)  # fixed in the contract
    markup_share: float = param(0.15, "share", A, "Company's markup on the retrofit cost",
                                min=0, max=10)
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
                * self.params.simple_payback_years
                * (1.0 + self.term("markup_share", customers)))

    def customer_value(self, customers: np.ndarray,
                       rate: np.ndarray | None = None) -> np.ndarray:
        return self._savings_npv(customers, 0, rate) - self._price(customers)

    def expected_contact_value(self, customers: np.ndarray) -> np.ndarray:
        """The chance of acceptance times the contract's expected NPV from the estimates:
        the markup over the retrofit, less the energy margin the estimated savings take over
        the term (the guarantee costs nothing where the estimate is right)."""
        accept = self._acceptance(customers, self.customer_value(customers,
                                                                 self._average_rate(customers)))
        return self._contact_value(accept, self.contract_value_estimate(customers))

    def contract_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        """The markup over the retrofit, less the energy margin the estimated savings take
        over the term."""
        c = self.model.customers
        weight = self._term_weights(customers, credit=False)
        saved_kwh = self._estimate(customers) * c["annual_kwh"][customers] / 12.0
        margin = saved_kwh * (c["price_per_kwh"][customers] - unit_energy_cost(self.model))
        capex = self._estimate(customers) * self._annual_bill(customers) \
            * self.params.simple_payback_years
        return self._price(customers) - capex - self._margin_weight(
            customers, weight.sum(axis=1)) * margin

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        price = self._price(customers)
        # the customer pays the project price with its first monthly settlement
        return self._retrofit(customers, day, upfront_price=price)

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        saved_kwh, _ = self._month_savings(rows)
        pay = np.where(book["months_settled"][rows] == 0, book["upfront_price"][rows], 0.0)
        # the guarantee is settled on the measured saving against the measured baseline
        measured_kwh, baseline_kwh = self._measured(rows, saved_kwh)
        guaranteed_kwh = self.params.guaranteed_share_of_estimate * book["estimate_share"][rows] \
            * baseline_kwh
        shortfall = np.maximum(guaranteed_kwh - measured_kwh, 0.0) * c["price_per_kwh"][who]
        zero = np.zeros(len(rows))
        return MonthFlows(pay, shortfall, zero, self._margin_lost(rows, saved_kwh), saved_kwh)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """The customer owns the retrofit and has paid for it: leaving only gives up the
        guarantee, whose average monthly payment to date (shortfalls the company paid it) is
        lost for the rest of the term after notice. Never positive."""
        paid = self.observed_monthly(rows, self.contracts["paid_out"][rows])
        return -self.value_after_notice(rows, paid,
                                        self.expected_growth(rows, tariff=True, load=True))

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Shortfall payments still expected (at the measured saving) and the margin the
        saving takes to the end of measure life."""
        if len(rows) == 0:
            return np.zeros(0)
        book, c = self.contracts, self.model.customers
        left, in_term, kwh, effect, subsidy = self._streams(rows)
        s = book["realised_share"][rows]
        who = book["customer"][rows]
        baseline_kwh = c["annual_kwh"][who] * c["load_scale"][who] / 12.0 / (1.0 - s)
        short_kwh = baseline_kwh * np.maximum(
            self.params.guaranteed_share_of_estimate * book["estimate_share"][rows] - s, 0.0)
        shortfall = short_kwh[:, None] * self.price_path(rows, in_term.shape[1])
        return self._value(rows, -shortfall * in_term + subsidy, left, effect)


@dataclass(frozen=True)
class EnergyCostTrustParams(EfficiencyParams):
    signed_terms: ClassVar[tuple[str, ...]] = ("fee_discount_share",)
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
        return self._annual_bill(customers) / 12.0 * (
            1.0 - self.term("fee_discount_share", customers))

    def customer_value(self, customers: np.ndarray,
                       rate: np.ndarray | None = None) -> np.ndarray:
        term = self.params.term_months
        if rate is None:
            rate = self.model.customers["discount_rate_per_year"][customers]
        relief = (self._annual_bill(customers) / 12.0
                  * self.term("fee_discount_share", customers))
        return relief * discount_factors(rate, term).sum(axis=1) + self._savings_npv(
            customers, term, rate)

    def expected_contact_value(self, customers: np.ndarray) -> np.ndarray:
        """The chance of acceptance times the contract's expected NPV from the estimates:
        each month the fee less the bill the company pays (the baseline bill less the
        estimated savings) less the energy margin those savings take, weighted by estimated
        survival, less the retrofit."""
        accept = self._acceptance(customers, self.customer_value(customers,
                                                                 self._average_rate(customers)))
        return self._contact_value(accept, self.contract_value_estimate(customers))

    def contract_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        """Each month the fee less the bill the company pays less the margin the savings
        take, weighted by estimated survival, less the retrofit."""
        c = self.model.customers
        weight = self._term_weights(customers, credit=True).sum(axis=1)
        e = self._estimate(customers)
        monthly_bill = self._annual_bill(customers) / 12.0
        saved_kwh = e * c["annual_kwh"][customers] / 12.0
        margin = saved_kwh * (c["price_per_kwh"][customers] - unit_energy_cost(self.model))
        capex = e * self._annual_bill(customers) * self.params.simple_payback_years
        if self.params.margin_over_measure_life:
            monthly = self._fee(customers) - monthly_bill * (1.0 - e)
            return weight * monthly - self._margin_weight(customers, weight) * margin - capex
        monthly = self._fee(customers) - monthly_bill * (1.0 - e) - margin
        return weight * monthly - capex

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        return self._retrofit(customers, day, fee=self._fee(customers))

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        saved_kwh, _ = self._month_savings(rows)
        zero = np.zeros(len(rows))
        return MonthFlows(book["fee"][rows] * month_share, c["month_bill"][who], zero,
                          self._margin_lost(rows, saved_kwh), saved_kwh)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """Leaving keeps the retrofit, ends the fee and the company's paying the bills: the
        gain is the average monthly fee to date less the bills the company paid for it, for
        the rest of the term after notice."""
        book = self.contracts
        growth = self.expected_growth(rows, tariff=True, load=True)
        if growth is None:
            net = self.observed_monthly(rows, book["received"][rows] - book["paid_out"][rows])
            return self.value_after_notice(rows, net)
        # the fee is fixed; the bills the company pays move with the tariff and the load
        return self.net_value_after_notice(
            rows, self.observed_monthly(rows, book["received"][rows]),
            self.observed_monthly(rows, book["paid_out"][rows]), growth)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Fees less the bills the company pays for the rest of the term (at the customer's
        current metered load), and the margin the saving takes to the end of measure life."""
        if len(rows) == 0:
            return np.zeros(0)
        book, c = self.contracts, self.model.customers
        left, in_term, kwh, effect, subsidy = self._streams(rows)
        who = book["customer"][rows]
        bill = (c["annual_kwh"][who] * c["load_scale"][who] / 12.0)[:, None] * self.price_path(
            rows, in_term.shape[1])
        net = book["fee"][rows][:, None] * self.revenue_kept_share() - bill
        return self._value(rows, net * in_term + subsidy, left, effect)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        return unrecovered_capex(self.contracts, rows)
