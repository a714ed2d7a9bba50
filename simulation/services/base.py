"""The service interface, its common parameters, and the registry.

A service answers: who is eligible; what the offer is worth to each customer (NPV at the
customer's own discount rate); what signing does (contracts, capex, load effects); and each
month, what cash moves between customer, company and third parties, and what is lost when a
customer defaults. The market (simulation/market.py) does the rest: awareness, targeting,
screening, choice, defaults and booking.
"""

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from gridvalue.agents.choice import expected_acceptance
from gridvalue.simulation.contracts import ACTIVE, TERMINATED, ContractBook
from gridvalue.simulation.lifetime import (
    depreciation_shield,
    discount,
    expected_value,
    ramp,
    window,
)
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import param
from gridvalue.simulation.vocabulary import SEGMENT_NAMES

A = "assumption"
REGISTRY: dict[str, type["Service"]] = {}


def register(cls: type["Service"]) -> type["Service"]:
    """Class decorator: make a service selectable by its `name` in scenarios."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"two services named {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls


@dataclass(frozen=True)
class ServiceParams:
    """Parameters every service has: marketing, screening, diffusion, term."""

    contacts_per_month: int = param(40, "customers/month", A,
                                    "Eligible customers the company contacts each month",
                                    min=0, max=1_000_000)
    marketing_cost_per_contact: float = param(200.0, "CNY/contact", A,
                                              "Cost of one marketing contact", min=0, max=100_000)
    score_threshold: float = param(0.0, "score 0-100", A,
                                   "Lowest credit score the company accepts (0: no screening)",
                                   min=0, max=100)
    innovation_p_per_year: float = param(
        0.03, "1/yr", "Bass p, cross-category range 0.0007-0.03 (Chandrasekaran & Tellis 2007)",
        "Base rate at which aware customers accept", min=0, max=12)
    imitation_q_per_year: float = param(
        0.38, "1/yr", "Bass q, cross-category range 0.38-0.53 (Chandrasekaran & Tellis 2007)",
        "Added acceptance rate per unit share of neighbours who took the offer", min=0, max=12)
    term_months: int = param(60, "months", "IEA: performance contracts run 2-20 years",
                             "Contract term", min=1, max=360)
    early_termination: bool = param(
        False, "-", A + " (EPC and lease contracts commonly carry a buy-out clause)",
        "Whether a customer may end the contract early on the termination terms below "
        "(package services: the fee applies to churn)")
    termination_fee_share: float = param(
        1.0, "share", A, "Early-termination fee: this share of the company's unrecovered "
        "capex (capex x months left / term), a declining buy-out", min=0, max=10)
    termination_notice_months: int = param(
        0, "months", A, "Months a contract runs, and bills, after the customer gives notice",
        min=0, max=36)
    term_field: str = param("", "-", "-", "The term the learning strategy chooses from "
                            "term_menu (one of the service's signed_terms; empty: none)")
    term_menu: tuple[float, ...] = param(
        (), "the term's unit", A, "Values of term_field the learning strategy chooses among "
        "(Thompson sampling)", min=0, max=1e9)
    # terms a contract fixes at signing (a menu may vary only these)
    signed_terms: ClassVar[tuple[str, ...]] = ()


@dataclass
class MonthFlows:
    """One month of a service's cash, per active contract (currency, all >= 0)."""

    customer_pays: np.ndarray  # customer -> company (service revenue)
    company_pays: np.ndarray  # company -> customer (guarantees, bills paid on their behalf)
    opex: np.ndarray  # company -> third parties (maintenance, insurance, ...)
    margin_lost: np.ndarray  # energy-sales margin the service takes from the company
    saved_kwh: np.ndarray = field(default_factory=lambda: np.zeros(0))  # customers' savings
    generated_kwh: np.ndarray = field(default_factory=lambda: np.zeros(0))  # company PV output


class Service:
    """Base class of every service. Subclasses set the class variables and the methods."""

    name: ClassVar[str]
    family: ClassVar[str]
    Params: ClassVar[type] = ServiceParams
    customer_types: ClassVar[tuple[int, ...]] = ()  # population.HOUSEHOLD, ENTERPRISE, ...
    exclusive_group: ClassVar[str | None] = None  # one contract per customer in this group
    credit_exposed: ClassVar[bool] = False  # whether defaults cost the company money
    # share of the offer's value to the customer that is uncertain (its risk premium)
    value_uncertainty: ClassVar[float] = 0.0
    # whether the service reads the data platform's estimates or observations (targeting,
    # screening, terms, metering); a run where nothing does simulates no history
    reads_estimates: ClassVar[bool] = True

    def __init__(self, params, model):
        self.params = params
        self.model = model
        self.contracts = ContractBook()
        # the value of `term_field` offered to each segment (SEGMENT_NAMES), where a strategy
        # sets terms per segment (learning); None: the scenario's value for everyone
        self.term_by_segment: np.ndarray | None = None
        self._segment: np.ndarray | None = None

    def term(self, name: str, customers: np.ndarray):
        """The value of signed term `name` offered to `customers`: their segment's level where
        the strategy sets `term_field` per segment, else the scenario's value (a number)."""
        if self.term_by_segment is None or name != self.params.term_field:
            return getattr(self.params, name)
        if self._segment is None:
            self._segment = segment_codes(self.model.customers)
        return self.term_by_segment[self._segment[customers]]

    # ---- who and what ---------------------------------------------------------------------
    def eligible(self) -> np.ndarray:
        """Boolean mask over all customers: who could take this service at all."""
        ctype = self.model.customers["customer_type"]
        return np.isin(ctype, self.customer_types)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        """NPV of the offer to each customer, at the customer's discount rate (currency)."""
        raise NotImplementedError

    def contacted(self, customers: np.ndarray, date) -> None:
        """Called when the company's marketing contacts these customers (after the contact is
        booked); efficiency services may audit them here. Nothing by default."""

    def expected_contact_value(self, customers: np.ndarray) -> np.ndarray | None:
        """The company's expected NPV of contacting each customer (the chance it accepts times
        the contract's NPV), from the company's estimates and published averages only, never
        hidden truths; it ranks marketing contacts. None: contact at random."""
        return None

    # ---- the company's view of an offer (targeting strategies, agents/strategies/) -------
    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What the company expects a contract signed now with each customer to bring, from
        its estimates and the offer's terms only: (net cash per month over the term after
        VAT, less the energy margin the service takes; upfront capex), both in currency."""
        raise NotImplementedError

    def contract_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        """The company's expected NPV of a contract signed now: `monthly_estimate`'s net over
        the term, each month discounted at the company's rate and weighted by the customer's
        estimated survival where the company carries credit risk, less the capex."""
        monthly, capex = self.monthly_estimate(customers)
        months = np.arange(1, self.params.term_months + 1)
        rate = self.model.scenario.company.discount_rate_per_year
        weight = np.broadcast_to((1.0 + rate) ** (-months / 12.0),
                                 (len(customers), len(months)))
        if self.credit_exposed:
            hazard = np.clip(self.model.customers["default_hazard_estimate_per_year"][customers],
                             0.0, 1.0)
            weight = weight * (1.0 - hazard)[:, None] ** (months / 12.0)
        return weight.sum(axis=1) * monthly - capex

    def offer_value_estimate(self, customers: np.ndarray) -> np.ndarray:
        """The company's view of the offer's NPV to each customer: `customer_value` at the
        published mean discount rate of the customer's type, not the customer's own."""
        c, population = self.model.customers, self.model.scenario.population
        rates = c["discount_rate_per_year"]
        own = rates[customers].copy()
        rates[customers] = np.where(c["customer_type"][customers] == HOUSEHOLD,
                                    population.household_discount_rate_mean,
                                    population.enterprise_discount_rate_mean)
        try:
            return self.customer_value(customers)
        finally:
            rates[customers] = own

    def acceptance_estimate(self, customers: np.ndarray) -> np.ndarray:
        """The company's estimate of the chance a contacted customer signs in a month: the
        choice model's expected acceptance (agents/choice.py) for an average customer."""
        choice = self.model.scenario.choice
        c = self.model.customers
        bill = np.maximum(c["annual_kwh"][customers] * c["price_per_kwh"][customers], 1.0)
        curve = self.family if self.family in ("pv", "efficiency", "equipment",
                                               "microgrid") else "pricing"
        return expected_acceptance(self.offer_value_estimate(customers) / bill,
                                   self.params.innovation_p_per_year, 1.0 / 12.0,
                                   getattr(choice, f"max_share_{curve}"),
                                   getattr(choice, f"scale_{curve}_bill_years"),
                                   choice.offer_hassle_bill_years)

    def contact_value(self, customers: np.ndarray) -> np.ndarray:
        """The company's expected profit of contacting each customer (currency, before the
        contact's cost): the service's own `expected_contact_value` where it has one, else
        the estimated acceptance times the estimated contract NPV."""
        value = self.expected_contact_value(customers)
        if value is not None:
            return value
        return self.acceptance_estimate(customers) * self.contract_value_estimate(customers)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        """Create contracts for these customers; return the company's upfront capex each."""
        raise NotImplementedError

    def enrol_by_default(self, open_: np.ndarray, day: int) -> np.ndarray:
        """Customers (indices into all customers, a subset of the `open_` mask) the company
        signs without asking, e.g. default enrolment in a tariff with an opt-out; the market
        signs them as if they had accepted. Default: nobody."""
        return np.zeros(0, dtype=np.int64)

    # ---- choice and experience (optional; agents/choice.py, agents/experience.py) ---------
    def self_finance(self, customers: np.ndarray,
                     rate_per_year: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The customer's outside option of doing it itself at its own cost of capital: NPV
        (currency) and simple payback (years, NaN where the dGen curve does not apply).
        None: no such option."""
        return None

    def self_install(self, customers: np.ndarray) -> None:
        """What doing it oneself does to the world (e.g. PV on the roof). Default: nothing."""

    def realised_vs_promised(self, rows: np.ndarray) -> np.ndarray | None:
        """Each active contract's realised savings over what the offer promised, as the
        customer sees them (1: as promised). None: nothing to compare."""
        return None

    def costs_more_than_without(self, rows: np.ndarray) -> np.ndarray | None:
        """Whether each active contract cost its customer more last month than going without
        it would have (a churn trigger). None: never checked."""
        return None

    def terminate(self, rows: np.ndarray, day: int) -> np.ndarray:
        """End these active contracts early at the customer's wish, on the service's
        termination terms; return the fee each customer pays the company (currency): none,
        or the terms' fee where `early_termination`."""
        fee = self.termination_fee(rows)
        self.contracts["status"][rows] = TERMINATED
        self.on_end(rows)
        return fee

    def termination_fee(self, rows: np.ndarray) -> np.ndarray:
        """The fee of ending these contracts now: `termination_fee_share` x capex x months
        left / term where `early_termination` (0 otherwise)."""
        p, book = self.params, self.contracts
        if not getattr(p, "early_termination", False) or len(rows) == 0:
            return np.zeros(len(rows))
        left = np.maximum(self.remaining_months(rows), 0)
        return (p.termination_fee_share * book["capex"][rows] * left
                / np.maximum(book["term_months"][rows], 1))

    def exit_gain(self, rows: np.ndarray) -> np.ndarray | None:
        """What leaving these contracts after the notice is worth to each customer before the
        fee, at its own discount rate (currency; > 0: staying is worth less). None: the
        service defines no early exit."""
        return None

    def exit_recovery(self, rows: np.ndarray) -> np.ndarray:
        """What the company gets back from these contracts' assets when they end early
        without notice (currency): nothing unless the asset is repossessed."""
        return np.zeros(len(rows))

    def observed_monthly(self, rows: np.ndarray, cash: np.ndarray) -> np.ndarray:
        """A contract's cash to date per month settled (what the customer saw on its bills
        and payments; 0 before its first month)."""
        settled = self.contracts["months_settled"][rows]
        return np.where(settled > 0, cash / np.maximum(settled, 1), 0.0)

    def value_after_notice(self, rows: np.ndarray, monthly: np.ndarray,
                           growth: "np.ndarray | None" = None) -> np.ndarray:
        """A monthly amount from the end of the notice to the end of the term, discounted at
        each customer's own rate (currency). `growth`: (n, months) how the customer expects
        the amount to move month by month from now (`expected_growth`); None: flat."""
        book = self.contracts
        left = np.maximum(self.remaining_months(rows), 0)
        months = int(left.max(initial=0))
        if months == 0:
            return np.zeros(len(rows))
        notice = np.full(len(rows), self.params.termination_notice_months)
        rate = self.model.customers["discount_rate_per_year"][book["customer"][rows]]
        amount = monthly[:, None] if growth is None else monthly[:, None] * growth[:, :months]
        return (amount * window(notice, left, months) * discount(rate, months)).sum(axis=1)

    def net_value_after_notice(self, rows: np.ndarray, flat: np.ndarray, growing: np.ndarray,
                               growth: "np.ndarray | None") -> np.ndarray:
        """`value_after_notice` of a flat monthly amount less one that moves by `growth`
        (None: both flat, valued together as one amount)."""
        if growth is None:
            return self.value_after_notice(rows, flat - growing)
        return (self.value_after_notice(rows, flat)
                - self.value_after_notice(rows, growing, growth))

    def expected_growth(self, rows: np.ndarray, tariff: bool = False, load: bool = False,
                        pv: bool = False, from_average: bool = True) -> "np.ndarray | None":
        """(n, months left) how these contracts' customers expect a monthly amount to move in
        each month k = 1.. after the last settled one, from the scenario's published
        `[growth]` rates (never a hidden truth): x (1 + g)^((k + a)/12) for the retail
        tariff's escalation (`tariff`), for the growth of the customer's segment's load
        (`load`) and for PV degradation, (1 - d)^((k + a)/12) (`pv`). a: half the months
        settled when the amount is an average to date (`from_average`: it stands for the
        middle of the months it averages), else 0 (a current level). None where every rate
        asked for is 0 (the amount stays flat)."""
        g = self.model.scenario.growth
        who = self.contracts["customer"][rows]
        factor = np.ones(len(rows))
        if tariff and g.tariff_escalation_per_year:
            factor *= 1.0 + g.tariff_escalation_per_year
        if load:
            by_segment = np.array(g.load_growth_by_segment())
            if by_segment.any():
                factor *= 1.0 + by_segment[segment_codes(self.model.customers)[who]]
        if pv and g.pv_degradation_per_year:
            factor *= 1.0 - g.pv_degradation_per_year
        if np.all(factor == 1.0):
            return None
        months = int(max(np.maximum(self.remaining_months(rows), 0).max(initial=0), 1))
        offset = (self.contracts["months_settled"][rows] / 2.0 if from_average
                  else np.zeros(len(rows)))
        k = np.arange(1, months + 1)[None, :] + offset[:, None]
        return factor[:, None] ** (k / 12.0)

    # ---- each day (optional) ----------------------------------------------------------------
    def plan_day(self, day: int, prices: DayPrices) -> None:
        """Decide the day ahead, before any load is made (e.g. call an event); `prices`: the
        day's prices. Default: nothing."""

    def apply_load(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        """Change customers' net loads (n_customers, T) in place for the day, before batteries
        and aggregation (e.g. company-owned PV generation); `prices`: the day's prices.
        Default: no effect."""

    def observe_day(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        """See the day's final net loads (n_customers, T) and `prices`, e.g. to meter what a
        contract bills per time-of-use period. Default: nothing."""

    # ---- each month -----------------------------------------------------------------------
    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        """Cash of the month for the given active contract rows. `month_share`: the share of
        a calendar month the period covers (below 1 when the horizon starts or ends inside a
        month); fixed monthly fees and costs are pro-rated by it."""
        raise NotImplementedError

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        """What the company loses if these contracts default now (currency)."""
        return np.zeros(len(rows))

    def on_default(self, rows: np.ndarray) -> None:
        """Effects of default beyond stopping payments (e.g. removing equipment)."""

    def on_end(self, rows: np.ndarray) -> None:
        """Effects of a contract reaching its term."""

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Expected company net cash still to come from these contracts after the horizon
        (live ones to the end of their term, and effects that outlast a contract), discounted
        to the horizon end (simulation/lifetime.py; used for lifetime NPV)."""
        return np.zeros(len(rows))

    def recovery(self, rows: np.ndarray) -> np.ndarray:
        """Cash that comes back when these contracts default now (e.g. repossessed kit
        resold); the ledger books it as `recoveries`. Default: nothing."""
        return np.zeros(len(rows))

    def after_rows(self) -> np.ndarray:
        """Contracts no longer active whose effect on the company's margin goes on (a
        retrofit that persists, PV that passed to the customer). Default: none."""
        return np.zeros(0, dtype=np.int64)

    def settle_after(self, rows: np.ndarray) -> np.ndarray:
        """The month's energy-sales margin the effects of these ended contracts take (>= 0
        when they save energy). Default: nothing."""
        return np.zeros(len(rows))

    def lifetime_rows(self) -> np.ndarray:
        """Contracts that still carry value after the horizon: active ones and those whose
        effect outlasts them."""
        return np.union1d(self.contracts.active(), self.after_rows()).astype(np.int64)

    def revenue_kept_share(self) -> float:
        """Share of service revenue the company keeps after VAT (`[taxes]`; efficiency
        contracts are exempt where `epc_vat_exempt`)."""
        t = self.model.scenario.taxes
        if self.family == "efficiency" and t.epc_vat_exempt:
            return 1.0
        return 1.0 / (1.0 + t.vat_rate)

    def lifetime_tax_rates(self, months: int) -> "float | np.ndarray":
        """Income tax on value after the horizon (`taxes.income_tax_in_lifetime`), one rate
        per month k = 1..months after it: the line's rate with the EPC holiday of month k's
        calendar year; 0 when off."""
        t = self.model.scenario.taxes
        if not t.income_tax_in_lifetime:
            return 0.0
        last = self.model.dates[-1]
        years = last.year + (last.month - 1 + np.arange(1, months + 1)) // 12
        holiday = self.model.market.taxes.holiday_factor
        factors = {y: holiday(self.name, int(y)) for y in np.unique(years)}
        return t.income_tax_rate * np.array([factors[y] for y in years])

    def company_value(self, hazard_per_year: np.ndarray, contract_net: np.ndarray, *args,
                      **kwargs) -> np.ndarray:
        """The company's expected value of these streams (simulation/lifetime.py) at its
        discount rate, after income tax where `taxes.income_tax_in_lifetime`."""
        months = np.shape(contract_net)[1] if np.ndim(contract_net) == 2 else 0
        return expected_value(self.model.scenario.company.discount_rate_per_year,
                              hazard_per_year, contract_net, *args,
                              tax_rate=self.lifetime_tax_rates(months), **kwargs)

    def tax_shield(self, rows: np.ndarray) -> np.ndarray:
        """Value at the horizon end of the tax the rest of these contracts' depreciation
        saves (0 unless `taxes.income_tax_in_lifetime`)."""
        t = self.model.scenario.taxes
        book = self.contracts
        if not t.income_tax_in_lifetime or len(rows) == 0:
            return np.zeros(len(rows))
        life = t.depreciation_years * 12.0
        live = book["status"][rows] == ACTIVE
        shield = depreciation_shield(self.model.scenario.company.discount_rate_per_year,
                                     book["capex"][rows], book["months_settled"][rows], life,
                                     self.lifetime_tax_rates(int(np.ceil(life))))
        return np.where(live, shield, 0.0)

    def hazard_estimate(self, rows: np.ndarray) -> np.ndarray:
        """The company's estimate of these contracts' customers' annual default hazard (zero
        for services without credit exposure)."""
        if not self.credit_exposed:
            return np.zeros(len(rows))
        who = self.contracts["customer"][rows]
        return self.model.customers["default_hazard_estimate_per_year"][who]

    def remaining_months(self, rows: np.ndarray) -> np.ndarray:
        book = self.contracts
        left = book["term_months"][rows] - book["months_settled"][rows]
        return np.where(book["status"][rows] == 0, np.maximum(left, 0), 0)

    def age_months(self, rows: np.ndarray) -> np.ndarray:
        """Months since signing at the end of the last settled month."""
        model = self.model
        last = model.dates[min(model.steps, model.days) - 1] if model.steps else model.dates[0]
        start = [model.dates[d] for d in self.contracts["start_day"][rows]]
        return np.array([(last.year - s.year) * 12 + last.month - s.month + 1 for s in start],
                        dtype=np.int64).reshape(len(rows))

    def margin_path(self, rows: np.ndarray, months: int) -> np.ndarray:
        """(n, months) the company's energy-sales margin per kWh of these contracts'
        customers in each month after the horizon, with tariff and wholesale escalation."""
        g = self.model.scenario.growth
        who = self.contracts["customer"][rows]
        price = self.model.customers["price_per_kwh"][who][:, None]
        return (price * ramp(g.tariff_escalation_per_year, months, n=len(rows))
                - unit_energy_cost(self.model) * ramp(g.wholesale_escalation_per_year, months,
                                                      n=len(rows)))

    def inflated(self, net: np.ndarray, upkeep: "float | np.ndarray",
                 months: int) -> np.ndarray:
        """`net` (n, 1 or months) with its upkeep part (`upkeep`: a monthly cost in start-date
        money, broadcastable to (n, 1)) at the price level of each month k = 1..months after
        the horizon, today's level grown at `growth.inflation_per_year` (nominal terms; the
        market books upkeep at the price level, simulation/market.py). In real terms: `net`."""
        i = self.model.scenario.growth.inflation_per_year
        if not i:
            return net
        level = self.model.company.price_level * ramp(i, months, n=np.shape(net)[0])
        return net - upkeep * (level - 1.0)

    def price_path(self, rows: np.ndarray, months: int) -> np.ndarray:
        """(n, months) these contracts' customers' energy price after the horizon."""
        g = self.model.scenario.growth
        who = self.contracts["customer"][rows]
        return (self.model.customers["price_per_kwh"][who][:, None]
                * ramp(g.tariff_escalation_per_year, months, n=len(rows)))


def year_shapes(model) -> tuple[np.ndarray, np.ndarray]:
    """A full year of expected shapes from the start date, whatever the horizon: load
    (classes, 365, T) in kW per annual kWh and PV of normal cloudiness (365, T) in kW per kWp
    (offers are valued on a year, not on the simulated days; simulation/loads.py)."""
    return model.loads.year_shapes()


def discount_factors(rate_per_year: np.ndarray, months: int) -> np.ndarray:
    """(n, months) factors (1 + r)^(-m/12) for m = 1..months, one row per rate."""
    m = np.arange(1, months + 1)
    return (1.0 + np.asarray(rate_per_year, dtype=float))[:, None] ** (-m[None, :] / 12.0)




def self_financed_npv(model, customers: np.ndarray, yearly_value: np.ndarray,
                      life_years: float, cost: np.ndarray,
                      loan_rate_per_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A customer's NPV of buying it itself (at its own discount rate): the yearly value over
    the life, less a loan annuity over `choice.self_finance_loan_years` at its loan rate and
    the hassle (a share of the cost); and the simple payback cost / yearly value."""
    choice = model.scenario.choice
    rate = model.customers["discount_rate_per_year"][customers]
    loan_months = int(round(choice.self_finance_loan_years * 12))
    r = np.asarray(loan_rate_per_year, dtype=float) / 12.0
    with np.errstate(divide="ignore", invalid="ignore"):
        payment = np.where(r > 0, cost * r / (1.0 - (1.0 + r) ** -loan_months),
                           cost / loan_months)
        payback = np.where(yearly_value > 0, cost / yearly_value, np.inf)
    npv = (yearly_value / 12.0 * discount_factors(rate, int(round(life_years * 12))).sum(axis=1)
           - payment * discount_factors(rate, loan_months).sum(axis=1)
           - choice.self_finance_hassle_share * cost)
    return npv, payback


def segment_codes(customers) -> np.ndarray:
    """Each customer's segment, an index into SEGMENT_NAMES (enterprises by sector)."""
    ctype, sector = customers["customer_type"], customers["sector"]
    return np.where(ctype == ENTERPRISE, 1 + sector,
                    np.where(ctype == HOUSEHOLD, 0, len(SEGMENT_NAMES) - 1))


def in_segments(customers, segments: tuple[str, ...]) -> np.ndarray:
    """Boolean mask of the customers in the named segments."""
    return np.isin(segment_codes(customers), [SEGMENT_NAMES.index(s) for s in segments])


def unit_energy_cost(model) -> float:
    """What one kWh delivered costs the company on average now: wholesale energy (at its
    escalated level) plus network losses."""
    company = model.scenario.company
    level = getattr(getattr(model, "company", None), "wholesale_index", 1.0)
    return company.wholesale_price_per_kwh * level * (1.0 + company.loss_share)


def surviving_discount_sum(months: np.ndarray, rate_per_year: float,
                           hazard_per_year: np.ndarray) -> np.ndarray:
    """sum_{k=1..months} ((1 - hazard) / (1 + rate))^(k/12): discounted months a contract
    still pays, given its annual default hazard (vectorised geometric series)."""
    x = ((1.0 - np.clip(hazard_per_year, 0.0, 1.0)) / (1.0 + rate_per_year)) ** (1.0 / 12.0)
    months = np.asarray(months, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x < 1.0, x * (1.0 - x**months) / (1.0 - x), months)
    return out


def unrecovered_capex(book: ContractBook, rows: np.ndarray) -> np.ndarray:
    """Capex of these contracts not yet recovered by their net cash to date (>= 0)."""
    return np.maximum(book["capex"][rows] - (book["received"][rows] - book["paid_out"][rows]),
                      0.0)


def resale_value(capex: np.ndarray, age_months: np.ndarray, life_months: float,
                 recovery_share: float) -> np.ndarray:
    """What repossessed equipment brings back: a share of its straight-line book value."""
    return recovery_share * capex * np.clip(1.0 - age_months / life_months, 0.0, 1.0)


class RepossessedAsset:
    """Mixin of services whose asset the company takes back on default (its Params have
    `life_years` and `recovery_share`)."""

    def resale_back(self, rows: np.ndarray) -> np.ndarray:
        """What repossessing these contracts' assets brings back."""
        book = self.contracts
        return resale_value(book["capex"][rows], book["months_settled"][rows],
                            self.params.life_years * 12.0, self.params.recovery_share)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        """Unrecovered capex less what the repossessed asset brings back."""
        return np.maximum(unrecovered_capex(self.contracts, rows) - self.resale_back(rows), 0.0)

    def recovery(self, rows: np.ndarray) -> np.ndarray:
        """The repossessed asset's resale, as cash in the month of the default."""
        return self.resale_back(rows)

    def recovery_path(self, rows: np.ndarray, months: int) -> np.ndarray:
        """(n, months) what repossession would bring back at the end of each month after the
        horizon (book value keeps falling)."""
        book = self.contracts
        age = book["months_settled"][rows][:, None] + np.arange(1, months + 1)[None, :]
        life = self.params.life_years * 12.0
        return (self.params.recovery_share * book["capex"][rows][:, None]
                * np.clip(1.0 - age / life, 0.0, 1.0))
