"""Customer PV investment: company-owned PV on customers' roofs.

The company sizes a system from the customer's roof potential, pays the capex and the O&M,
and keeps ownership for the term. Two contracts share the machinery:

- `pv_ppa` (power purchase agreement, the usual C&I rooftop deal): the customer buys the
  output it uses at a discount to its tariff; the surplus is the company's, exported at the
  export price (the export credit on the customer's grid bill is passed through to it).
- `pv_lease` (the usual household deal): the customer pays a fixed monthly lease per kWp and
  keeps all the output (what it uses lowers its bill, the surplus earns it the export price).

The PV output lowers the customer's net load at midday (`apply_load`). At the end of the term
the system passes to the customer and keeps generating. A defaulting customer's panels are
repossessed: they stop generating and bring back a share of their book value.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.contracts import COMPLETED, DEFAULTED, TERMINATED
from gridvalue.simulation.lifetime import expected_value, ramp, window
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    RepossessedAsset,
    Service,
    ServiceParams,
    in_segments,
    register,
    self_financed_npv,
    unit_energy_cost,
    year_shapes,
)

A = "assumption"
SEGMENTS = ("household", "industrial", "commercial", "agricultural")
SAMPLE_EVERY_DAYS = 7  # days sampled for the self-consumption estimate


@dataclass(frozen=True)
class PVParams(ServiceParams):
    segments: tuple[str, ...] = param(("industrial", "commercial", "agricultural"), "-", "-",
                                      "Customer segments offered the system", choices=SEGMENTS)
    roof_use_share: float = param(0.6, "share", A + " (as population.existing_pv_roof_use_share)",
                                  "System size as a share of the roof's PV potential",
                                  min=0, max=1, min_exclusive=True)
    min_kwp: float = param(2.0, "kWp", A, "Smallest system worth installing", min=0, max=10_000)
    capex_per_kwp: float = param(
        3200.0, "CNY/kWp", "CPIA roadmap: distributed PV about 3.2 CNY/W installed, 2023 "
        "(recalled)", "Installed cost the company pays", min=0, max=100_000)
    om_per_kwp_year: float = param(50.0, "CNY/kWp/yr", A + " (about 1.5 % of capex a year)",
                                   "Operation and maintenance the company pays", min=0, max=10_000)
    life_years: float = param(25.0, "yr", A + " (module warranties 25 yr)",
                              "Service life (book value falls linearly over it)",
                              min=0, max=100, min_exclusive=True)
    recovery_share: float = param(0.3, "share", A + " (removal and reinstallation eat most)",
                                  "Share of book value recovered when panels are repossessed",
                                  min=0, max=1)
    term_months: int = param(240, "months", A + " (rooftop PV contracts run 15-25 years)",
                             "Contract term; the system then passes to the customer",
                             min=1, max=360)
    grid_aware: bool = param(False, "-", "-", "Offer only where the system fits: its feeder's "
                             "PV hosting capacity by the company's power-flow model, less the "
                             "PV already on the feeder (needs network.power_flow)")


class PVInvestment(RepossessedAsset, Service):
    """Sizing, generation, metering and credit exposure shared by the PV contracts."""

    family = "pv"
    customer_types = (HOUSEHOLD, ENTERPRISE)
    exclusive_group = "pv"  # one roof, one system
    credit_exposed = True
    value_uncertainty = 0.1  # output and self-consumption vary with weather and use

    def __init__(self, params, model):
        super().__init__(params, model)
        c = model.customers
        self.system_kwp = model.type_column("roof_kwp") * params.roof_use_share
        self._self_share = np.zeros(len(c))
        self._estimated_scale = np.full(len(c), np.nan)  # load scale each estimate used
        self.dt = model.hours_per_interval

    # ---- who and what -----------------------------------------------------------------------
    def eligible(self) -> np.ndarray:
        c = self.model.customers
        ok = (in_segments(c, self.params.segments) & (c["pv_kwp"] == 0)
              & (self.system_kwp >= max(self.params.min_kwp, 1e-9)))
        if self.params.grid_aware:
            ok &= self.model.company.pv_fits(self.system_kwp)
        return ok

    def expected_kwh_year(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The company's estimate of each system's annual self-consumed and exported kWh:
        expected demand shape against the clear-sky PV shape on every 7th day of the horizon
        (the customer's meter data), scaled to the annual PV yield. Cached per customer until
        its load scale changes."""
        c = self.model.customers
        stale = customers[self._estimated_scale[customers] != c["load_scale"][customers]]
        for start in range(0, len(stale), 500):  # bounded memory
            who = stale[start:start + 500]
            self._self_share[who] = self._self_consumption_share(who)
            self._estimated_scale[who] = c["load_scale"][who]
        output = (self.system_kwp[customers]
                  * self.model.scenario.profiles.pv_specific_yield_kwh_per_kwp)
        share = self._self_share[customers]
        return output * share, output * (1.0 - share)

    def _self_consumption_share(self, who: np.ndarray) -> np.ndarray:
        """On every 7th day of a full year from the start date (not of the horizon)."""
        c = self.model.customers
        load_shapes, pv_shapes = year_shapes(self.model)
        days = np.arange(0, 365, SAMPLE_EVERY_DAYS)
        demand = (load_shapes[:, days, :][c["profile_class"][who]]
                  * (c["annual_kwh"][who] * c["load_scale"][who])[:, None, None])
        pv = self.system_kwp[who][:, None, None] * pv_shapes[days][None]
        return np.minimum(demand, pv).sum(axis=(1, 2)) / np.maximum(pv.sum(axis=(1, 2)), 1e-12)

    def _degradation(self, months: int, age_months: np.ndarray | None = None) -> np.ndarray:
        """(1 or n, months) output share of a system over the next months (from its age)."""
        k = np.arange(1, months + 1)[None, :] - 0.5
        if age_months is not None:
            k = k + np.asarray(age_months, dtype=float)[:, None]
        return (1.0 - self.model.scenario.growth.pv_degradation_per_year) ** (k / 12.0)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        """The offer's whole term (not the simulated days) at the customer's own rate, with
        the output degrading and the tariff escalating (simulation/lifetime.py)."""
        term = self.params.term_months
        self_kwh, export_kwh = self.expected_kwh_year(customers)
        g = self.model.scenario.growth
        out = self._degradation(term)
        tariff = ramp(g.tariff_escalation_per_year, term)
        monthly = self._monthly_value_path(customers, self_kwh[:, None] * out,
                                           export_kwh[:, None] * out, tariff)
        rate = self.model.customers["discount_rate_per_year"][customers]
        return expected_value(rate, np.zeros(len(customers)), monthly)

    def _monthly_value_path(self, customers, self_kwh, export_kwh, tariff) -> np.ndarray:
        """(n, months) the customer's monthly value of the offer (annual kWh paths)."""
        raise NotImplementedError

    # ---- choice and experience --------------------------------------------------------------
    def self_finance(self, customers: np.ndarray, rate_per_year: np.ndarray):
        """Buying the same system itself at the retail price with a loan at `rate_per_year`:
        the output's value (what it uses at its tariff, the surplus at the export price) less
        upkeep over the system's life; and the simple payback, for dGen's curve."""
        choice, c = self.model.scenario.choice, self.model.customers
        self_kwh, export_kwh = self.expected_kwh_year(customers)
        kwp = self.system_kwp[customers]
        yearly = (c["price_per_kwh"][customers] * self_kwh
                  + self.model.scenario.tariff.export_price_per_kwh * export_kwh
                  - self.params.om_per_kwp_year * kwp)
        cost = choice.self_finance_pv_cost_per_kwp * kwp
        npv, payback = self_financed_npv(self.model, customers, yearly, self.params.life_years,
                                         cost, rate_per_year)
        return npv, payback

    def self_install(self, customers: np.ndarray) -> None:
        """The customer's own system generates like any customer PV."""
        self.model.customers["pv_kwp"][customers] += self.system_kwp[customers]
        self.model.refresh_pv_rows()

    def realised_vs_promised(self, rows: np.ndarray) -> np.ndarray:
        """Metered output to date over the output the offer was valued on."""
        book = self.contracts
        expected = ((book["expected_self_kwh_year"][rows] + book["expected_export_kwh_year"][rows])
                    * book["months_settled"][rows] / 12.0)
        return (book["self_kwh"][rows] + book["export_kwh"][rows]) / np.maximum(expected, 1e-9)

    def exit_gain(self, rows: np.ndarray) -> np.ndarray:
        """Leaving buys the system at the fee (it stays on the roof and the customer keeps its
        output) and ends the payments: the gain is the customer's average monthly payment
        to date (its bills) for the rest of the term after the notice."""
        pays = self.observed_monthly(rows, self.contracts["received"][rows])
        return self.value_after_notice(rows, pays, self.payment_growth(rows))

    def payment_growth(self, rows: np.ndarray) -> np.ndarray | None:
        """How the customer expects its payment to move over the rest of the term
        (`expected_growth`); None: flat (a lease's fixed payment)."""
        return None

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An average month of the first year: what the customer pays after VAT, with any
        subsidy, less upkeep and the margin the self-consumed output takes; the system."""
        c, p = self.model.customers, self.params
        self_kwh, export_kwh = (kwh / 12.0 for kwh in self.expected_kwh_year(customers))
        kwp = self.system_kwp[customers]
        revenue = self._revenue_estimate(customers, self_kwh, export_kwh)
        net = (revenue * self.revenue_kept_share() - kwp * p.om_per_kwp_year / 12.0
               + self.model.scenario.taxes.pv_subsidy_per_kwh * (self_kwh + export_kwh)
               - self_kwh * (c["price_per_kwh"][customers] - unit_energy_cost(self.model)))
        return net, kwp * p.capex_per_kwp

    def _revenue_estimate(self, customers, self_kwh, export_kwh) -> np.ndarray:
        """What the customer would pay in a month of these kWh."""
        raise NotImplementedError

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        kwp = self.system_kwp[customers]
        capex = kwp * self.params.capex_per_kwp
        self_kwh, export_kwh = self.expected_kwh_year(customers)
        zero = np.zeros(len(customers))
        self.contracts.add(customers, day, self.params.term_months, capex, kwp=kwp,
                           expected_self_kwh_year=self_kwh, expected_export_kwh_year=export_kwh,
                           month_self_kwh=zero, month_export_kwh=zero, self_kwh=zero,
                           export_kwh=zero)
        return capex

    # ---- each day ---------------------------------------------------------------------------
    def apply_load(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        """Subtract the output of every installed system; meter what the site used itself."""
        book = self.contracts
        if len(book) == 0:
            return
        age_days = day - book["start_day"]
        rows = np.flatnonzero((book["status"] != DEFAULTED)
                              & (age_days < self.params.life_years * 365.0))
        who = book["customer"][rows]
        pv_kw = self.model.loads.pv_kw(book["kwp"][rows]
                                       * self.model.pv_degradation(age_days[rows]), day)
        used_kw = np.minimum(pv_kw, np.maximum(net_kw[who], 0.0))
        self_kwh = used_kw.sum(axis=1) * self.dt
        export_kwh = (pv_kw - used_kw).sum(axis=1) * self.dt
        net_kw[who] -= pv_kw
        for name, kwh in (("self_kwh", self_kwh), ("export_kwh", export_kwh)):
            book[name][rows] += kwh
            book[f"month_{name}"][rows] += kwh

    # ---- each month -------------------------------------------------------------------------
    def _customer_pays(self, rows: np.ndarray, self_kwh: np.ndarray,
                       export_kwh: np.ndarray, month_share: float) -> np.ndarray:
        raise NotImplementedError

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        """The month's metered output (then the meters restart); pass the rows of active
        contracts only."""
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        self_kwh = book["month_self_kwh"][rows].copy()
        export_kwh = book["month_export_kwh"][rows].copy()
        book["month_self_kwh"][rows] = 0.0
        book["month_export_kwh"][rows] = 0.0
        opex = book["kwp"][rows] * self.params.om_per_kwp_year / 12.0 * month_share
        margin = self_kwh * (c["price_per_kwh"][who] - unit_energy_cost(self.model))
        return MonthFlows(self._customer_pays(rows, self_kwh, export_kwh, month_share),
                          np.zeros(len(rows)), opex, margin, self_kwh, self_kwh + export_kwh)

    # ---- after the term: the system is the customer's and keeps taking the margin ---------
    def after_rows(self) -> np.ndarray:
        book = self.contracts
        if len(book) == 0:
            return np.zeros(0, dtype=np.int64)
        age_days = self.model.steps - 1 - book["start_day"]
        # bought out early (early_termination): the system is the customer's too
        return np.flatnonzero(((book["status"] == COMPLETED) | (book["status"] == TERMINATED))
                              & (age_days < self.params.life_years * 365.0 + 31))

    def settle_after(self, rows: np.ndarray) -> np.ndarray:
        """The margin the customer's own use of the passed-on system takes this month."""
        book, c = self.contracts, self.model.customers
        who = book["customer"][rows]
        self_kwh = book["month_self_kwh"][rows].copy()
        book["month_self_kwh"][rows] = 0.0
        book["month_export_kwh"][rows] = 0.0
        return self_kwh * (c["price_per_kwh"][who] - unit_energy_cost(self.model))

    def _expected_monthly_revenue(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Expected value after the horizon (simulation/lifetime.py): the rest of the term's
        revenue (after VAT, with any subsidy) less upkeep, with repossession if the customer
        defaults (default risk from the company's estimate); and the margin the system's
        self-consumed output takes, in the term and after it, when the system is the
        customer's, to the end of its life; output degrading, prices escalating."""
        if len(rows) == 0:
            return np.zeros(0)
        book, p = self.contracts, self.params
        left = self.remaining_months(rows)
        age = self.age_months(rows)
        life_left = np.maximum(int(round(p.life_years * 12)) - age, 0)
        months = int(max(life_left.max(initial=0), left.max(initial=0), 1))
        zeros = np.zeros(len(rows))
        in_term = window(zeros, left, months)
        out = self._degradation(months, age)
        self_kwh = book["expected_self_kwh_year"][rows][:, None] / 12.0 * out
        export_kwh = book["expected_export_kwh_year"][rows][:, None] / 12.0 * out
        revenue = self._revenue_path(rows, self_kwh, export_kwh, months)
        net = (revenue * self.revenue_kept_share() - book["kwp"][rows][:, None]
               * p.om_per_kwp_year / 12.0
               + self.model.scenario.taxes.pv_subsidy_per_kwh * (self_kwh + export_kwh))
        net = self.inflated(net, book["kwp"][rows][:, None] * p.om_per_kwp_year / 12.0, months)
        effect = -self_kwh * self.margin_path(rows, months) * window(zeros, life_left, months)
        return self.company_value(
                              self.hazard_estimate(rows), net * in_term, effect,
                              effect_survives_default=False,
                              recovery=self.recovery_path(rows, months) * in_term,
                              term_months=left)

    def _revenue_path(self, rows, self_kwh, export_kwh, months) -> np.ndarray:
        """(n, months) what the customer pays after the horizon (monthly kWh paths)."""
        raise NotImplementedError


@dataclass(frozen=True)
class PPAParams(PVParams):
    discount_share: float = param(0.15, "share",
                                  A + " (C&I rooftop PPAs in China: 10-20 % off the tariff)",
                                  "Discount on the customer's tariff for the PV energy it uses",
                                  min=0, max=1)


@register
class PVPowerPurchase(PVInvestment):
    """Company-owned PV; the customer buys what it uses at a discount to its tariff."""

    name = "pv_ppa"
    Params = PPAParams

    def _ppa_price(self, customers: np.ndarray) -> np.ndarray:
        return self.model.customers["price_per_kwh"][customers] * (1 - self.params.discount_share)

    def _customer_pays(self, rows, self_kwh, export_kwh, month_share) -> np.ndarray:
        export_price = self.model.scenario.tariff.export_price_per_kwh
        who = self.contracts["customer"][rows]
        return self._ppa_price(who) * self_kwh + export_price * export_kwh

    def _monthly_value_path(self, customers, self_kwh, export_kwh, tariff) -> np.ndarray:
        price = self.model.customers["price_per_kwh"][customers][:, None] * tariff
        return self.params.discount_share * price * self_kwh / 12.0

    def payment_growth(self, rows: np.ndarray) -> np.ndarray | None:
        """The payment falls with the output (PV degradation) and its self-used part, at a
        discount to the tariff, rises with the tariff's escalation; the export part is at
        the fixed export price (its share: the metered export at that price over all the
        payments to date)."""
        output = self.expected_growth(rows, pv=True)
        tariff = self.expected_growth(rows, tariff=True)
        if tariff is not None:
            book = self.contracts
            export = (self.model.scenario.tariff.export_price_per_kwh * book["export_kwh"][rows]
                      / np.maximum(book["received"][rows], 1e-9))
            export = np.clip(export, 0.0, 1.0)[:, None]
            tariff = export + (1.0 - export) * tariff
        if output is None:
            return tariff
        return output if tariff is None else output * tariff

    def _revenue_estimate(self, customers, self_kwh, export_kwh) -> np.ndarray:
        export_price = self.model.scenario.tariff.export_price_per_kwh
        return self._ppa_price(customers) * self_kwh + export_price * export_kwh

    def _revenue_path(self, rows, self_kwh, export_kwh, months) -> np.ndarray:
        export_price = self.model.scenario.tariff.export_price_per_kwh
        ppa = self.price_path(rows, months) * (1.0 - self.params.discount_share)
        return ppa * self_kwh + export_price * export_kwh


@dataclass(frozen=True)
class LeaseParams(PVParams):
    segments: tuple[str, ...] = param(("household",), "-", "-",
                                      "Customer segments offered the system", choices=SEGMENTS)
    lease_per_kwp_month: float = param(
        35.0, "CNY/kWp/month", A + " (about a fifth below the output's value to a household; "
        "earns the company about its 8 % cost of capital)",
        "Fixed monthly lease the customer pays per kWp", min=0, max=10_000)


@register
class PVLease(PVInvestment):
    """Company-owned PV for a fixed monthly lease; the customer keeps all the output."""

    name = "pv_lease"
    Params = LeaseParams

    def _customer_pays(self, rows, self_kwh, export_kwh, month_share) -> np.ndarray:
        return self.params.lease_per_kwp_month * self.contracts["kwp"][rows] * month_share

    def _revenue_estimate(self, customers, self_kwh, export_kwh) -> np.ndarray:
        return self.params.lease_per_kwp_month * self.system_kwp[customers]

    def _monthly_value_path(self, customers, self_kwh, export_kwh, tariff) -> np.ndarray:
        price = self.model.customers["price_per_kwh"][customers][:, None] * tariff
        export_price = self.model.scenario.tariff.export_price_per_kwh
        return ((price * self_kwh + export_price * export_kwh) / 12.0
                - self.params.lease_per_kwp_month * self.system_kwp[customers][:, None])

    def _revenue_path(self, rows, self_kwh, export_kwh, months) -> np.ndarray:
        lease = self.params.lease_per_kwp_month * self.contracts["kwp"][rows]
        return np.broadcast_to(lease[:, None], self_kwh.shape)
