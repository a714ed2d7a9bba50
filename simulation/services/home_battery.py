"""Home batteries sold, leased or financed by the company (Internet+).

The household decides with the shared choice rule on the value it expects: what the battery
saves on its bill each month (price arbitrage between its package's cheapest and dearest
hours, and storing its own PV surplus instead of exporting it), or, where the company
dispatches the battery, the company's payment per kW enrolled; less what it pays (a lease
fee, a loan annuity, or the price up front). Dispatch, every day in `apply_load`:

- `household`: the home's energy management, simulation/storage.py: price arbitrage where its
  prices vary in the day, else self-consumption and its own peak;
- `company`: the company runs the batteries under each transformer as one fleet against the
  transformer's load (simulation/home_battery.py), scheduled day-ahead on its forecast of that
  load from the transformers' meters (`fleet_forecast = "same_weekday"`,
  simulation/forecast.py) or, as a what-if, on the day's realised load (`"perfect"`).

Leased and financed batteries are the company's to repossess on default; a lease ends with the
battery going back; a sold battery stays (and keeps its dispatch) after the sale. The bill
changes the battery makes reach the company's energy sales through the bills themselves.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.forecast import FORECASTS, SameWeekdayForecast
from gridvalue.simulation.home_battery import dispatch_fleet
from gridvalue.simulation.lifetime import expected_value, window
from gridvalue.simulation.population import HOUSEHOLD
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    RepossessedAsset,
    Service,
    ServiceParams,
    discount_factors,
    register,
)
from gridvalue.simulation.storage import Batteries, dispatch_peak_shaving, dispatch_price

A = "assumption"
PV_SURPLUS_KWH_PER_KWP_DAY = 1.5  # a household's daily midday PV surplus per kWp (assumption)


@dataclass(frozen=True)
class HomeBatteryParams(ServiceParams):
    offer: str = param("lease", "-", "-", "How the company provides the battery: a lease "
                       "(monthly fee, the battery goes back at the end), a sale (price paid "
                       "up front) or financing (a loan repaid monthly over the term)",
                       choices=("lease", "sale", "finance"))
    dispatch: str = param("company", "-", "-", "Who dispatches it: the household's energy "
                          "management, or the company against its transformers' load",
                          choices=("household", "company"))
    fleet_forecast: str = param(
        "same_weekday", "-", A, "What the company schedules its fleet of home batteries on: "
        "its forecast of each transformer's load (the same weekday's metered profile over "
        "the last storage.forecast_weeks weeks), or the day's realised load (perfect "
        "foresight, a what-if)", choices=FORECASTS)
    battery_kwh: float = param(10.0, "kWh", A, "Battery energy", min=0.5, max=200)
    battery_kw: float = param(5.0, "kW", A, "Battery power", min=0.1, max=100)
    capex_per_kwh: float = param(1200.0, "CNY/kWh", A + " (home Li-ion systems installed)",
                                 "What the company pays per kWh installed", min=0,
                                 max=100_000)
    lease_fee_per_month: float = param(
        0.0, "CNY/month", A + " (by default the company owns and runs the battery in the home "
        "and pays per kW; home_batteries charges 110)", "Lease fee", min=0, max=100_000)
    sale_markup: float = param(0.15, "share", A, "Sale price over the company's cost",
                               min=0, max=10)
    finance_rate_per_year: float = param(0.06, "1/yr", A, "Loan rate of financed batteries",
                                         min=0, max=1)
    opex_per_month: float = param(4.0, "CNY/month", A, "Company's upkeep of a leased or "
                                  "financed battery (monitoring, warranty)", min=0,
                                  max=100_000)
    enrolment_payment_per_kw_month: float = param(
        4.0, "CNY/kW/month", A, "What the company pays a household per kW it dispatches "
        "(company dispatch)", min=0, max=10_000)
    life_years: float = param(12.0, "yr", A + " (Li-ion warranties 10 years)",
                              "Battery life (book value falls linearly)", min=1, max=40)
    recovery_share: float = param(0.3, "share", A, "Share of book value a repossessed "
                                  "battery resells for", min=0, max=1)
    term_months: int = param(120, "months", A, "Lease or loan term", min=1, max=360)
    contacts_per_month: int = param(100, "customers/month", A,
                                    "Households the company contacts each month", min=0,
                                    max=1_000_000)
    marketing_cost_per_contact: float = param(20.0, "CNY/contact", A,
                                              "Cost of one marketing contact", min=0,
                                              max=100_000)


def _part(b: Batteries, mask: np.ndarray) -> Batteries:
    """The batteries of `mask` (a copy: write its soc back)."""
    return Batteries(b.power_kw[mask], b.energy_kwh[mask], b.soc_kwh[mask].copy(),
                     b.roundtrip_efficiency, b.soc_min_share, b.soc_max_share)


@register
class HomeBattery(RepossessedAsset, Service):
    """A home battery on a lease, a sale or a loan, dispatched by the home or the company."""

    name = "home_battery"
    family = "internet_plus"
    Params = HomeBatteryParams
    customer_types = (HOUSEHOLD,)
    exclusive_group = "home_battery"
    credit_exposed = True
    value_uncertainty = 0.3

    def __init__(self, params, model):
        super().__init__(params, model)
        pop = model.scenario.population
        self.batteries = Batteries(np.zeros(0), np.zeros(0), np.zeros(0),
                                   pop.battery_roundtrip_efficiency, pop.battery_soc_min_share,
                                   pop.battery_soc_max_share)
        self.installed = np.zeros(0, dtype=bool)  # per contract: the battery is in the home
        self.dispatcher = params.dispatch  # who runs the batteries (a what-if may swap it)
        self.company_run = np.zeros(0, dtype=bool)  # per contract: enrolled in `flexibility`
        self.losses_kwh = 0.0
        self.discharge_kwh = 0.0
        self.fleet_day_kw: dict[int, np.ndarray] = {}  # day: company-run batteries' kW (T,)
        self._forecast: SameWeekdayForecast | None = None  # the transformers' metered load

    # ---- the offer --------------------------------------------------------------------
    @property
    def capex(self) -> float:
        return self.params.battery_kwh * self.params.capex_per_kwh

    def monthly_payment(self) -> float:
        """What the household pays each month of the term (0 for a sale)."""
        p = self.params
        if p.offer == "lease":
            return p.lease_fee_per_month
        if p.offer == "sale":
            return 0.0
        r, n = p.finance_rate_per_year / 12.0, p.term_months
        return self.capex * r / (1.0 - (1.0 + r) ** -n) if r > 0 else self.capex / n

    def expected_saving(self, customers: np.ndarray) -> np.ndarray:
        """The household's expected monthly bill saving (or the company's enrolment
        payment under company dispatch)."""
        p, pop = self.params, self.model.scenario.population
        if p.dispatch == "company":
            return np.full(len(customers), p.enrolment_payment_per_kw_month * p.battery_kw)
        c = self.model.customers
        usable = p.battery_kwh * (pop.battery_soc_max_share - pop.battery_soc_min_share)
        rt = pop.battery_roundtrip_efficiency
        prices = self.model.tariffs.latest.of(customers)  # the prices last published
        spread = np.maximum(prices.max(axis=1) * rt - prices.min(axis=1), 0.0)
        export = self.model.scenario.tariff.export_price_per_kwh
        stored_pv = np.minimum(c["pv_kwp"][customers] * PV_SURPLUS_KWH_PER_KWP_DAY, usable)
        pv_gain = stored_pv * np.maximum(c["price_per_kwh"][customers] * rt - export, 0.0)
        return 30.0 * (usable * spread + pv_gain)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        p = self.params
        rate = self.model.customers["discount_rate_per_year"][customers]
        life = discount_factors(rate, int(round(p.life_years * 12))).sum(axis=1)
        term = discount_factors(rate, p.term_months).sum(axis=1)
        saving = self.expected_saving(customers)
        if p.offer == "lease":
            return (saving - p.lease_fee_per_month) * term
        if p.offer == "sale":
            return saving * life - self.capex * (1.0 + p.sale_markup)
        return saving * life - self.monthly_payment() * term

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        p, b, k = self.params, self.batteries, len(customers)
        energy = np.full(k, p.battery_kwh)
        b.power_kw = np.concatenate([b.power_kw, np.full(k, p.battery_kw)])
        b.energy_kwh = np.concatenate([b.energy_kwh, energy])
        b.soc_kwh = np.concatenate([b.soc_kwh, energy * 0.5])
        self.installed = np.concatenate([self.installed, np.ones(k, dtype=bool)])
        self.company_run = np.concatenate([self.company_run, np.zeros(k, dtype=bool)])
        term = 1 if p.offer == "sale" else p.term_months
        capex = np.full(k, self.capex)
        self.contracts.add(customers, day, term, capex)
        return capex

    # ---- each day ---------------------------------------------------------------------
    def apply_load(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        rows = np.flatnonzero(self.installed)
        b, dt = self.batteries, self.model.hours_per_interval
        sub = Batteries(b.power_kw[rows], b.energy_kwh[rows], b.soc_kwh[rows].copy(),
                        b.roundtrip_efficiency, b.soc_min_share, b.soc_max_share)
        who = self.contracts["customer"][rows]
        fleet = self.company_run[rows] | (self.dispatcher == "company")
        power, losses = np.zeros((len(rows), net_kw.shape[1])), np.zeros(len(rows))
        if (~fleet).any():
            part = _part(sub, ~fleet)
            power[~fleet], losses[~fleet] = self.owner_dispatch(part, who[~fleet],
                                                                net_kw[who[~fleet]], dt, prices)
            sub.soc_kwh[~fleet] = part.soc_kwh
        metering = self._metering()
        if fleet.any() or metering:  # the transformers' load after the homes' own batteries
            topo = self.model.topology
            own = net_kw.copy()
            own[who[~fleet]] += power[~fleet]
            transformer_kw = topo.customer_to_transformer @ own
            plan = (transformer_kw if self.params.fleet_forecast == "perfect"
                    else self._forecast.predict(day))
            if fleet.any() and plan is not None:  # no forecast on the first day: idle
                part = _part(sub, fleet)
                power[fleet], losses[fleet] = dispatch_fleet(
                    part, topo.customer_transformer[who[fleet]], plan, dt)
                sub.soc_kwh[fleet] = part.soc_kwh
            if fleet.any():
                self.fleet_day_kw[day] = power[fleet].sum(axis=0)
            if metering:  # what the meters read less the fleet's own power
                self._forecast.observe(day, transformer_kw)
        if len(rows) == 0:
            return
        b.soc_kwh[rows] = sub.soc_kwh
        net_kw[who] += power
        self.losses_kwh += float(losses.sum())
        self.discharge_kwh += float(np.maximum(-power, 0.0).sum() * dt)

    def _metering(self) -> bool:
        """Whether the company keeps the transformers' metered load for its forecast: it
        forecasts (`fleet_forecast`) and may run batteries (company dispatch, or
        `flexibility` on offer)."""
        if self.params.fleet_forecast == "perfect":
            return False
        if self._forecast is None:
            services = getattr(getattr(self.model, "market", None), "services", [])
            if not (self.dispatcher == "company"
                    or any(s.name == "flexibility" for s in services)):
                return False
            self._forecast = SameWeekdayForecast(
                self.model.topology.n_transformers, self.model.scenario.meta.intervals_per_day,
                self.model.scenario.storage.forecast_weeks)
        return True

    def owner_dispatch(self, sub: Batteries, who: np.ndarray, net_kw: np.ndarray,
                       dt: float, day_prices: DayPrices) -> tuple[np.ndarray, np.ndarray]:
        """Arbitrage where the household's `day_prices` vary today, else self-consumption."""
        prices = day_prices.of(who)
        varies = prices.max(axis=1) - prices.min(axis=1) > 1e-9
        power, losses = np.zeros_like(net_kw), np.zeros(len(who))
        for mask, price_led in ((varies, True), (~varies, False)):
            if not mask.any():
                continue
            part = _part(sub, mask)
            if price_led:
                power[mask], losses[mask] = dispatch_price(part, net_kw[mask], prices[mask], dt)
            else:
                power[mask], losses[mask] = dispatch_peak_shaving(part, net_kw[mask], dt)
            sub.soc_kwh[mask] = part.soc_kwh
        return power, losses

    # ---- each month -------------------------------------------------------------------
    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        p, n = self.params, len(rows)
        if p.offer == "sale":  # the price, once, in the month of the sale
            pays = np.full(n, self.capex * (1.0 + p.sale_markup))
            opex = np.zeros(n)
        else:
            pays = np.full(n, self.monthly_payment() * month_share)
            opex = np.full(n, p.opex_per_month * month_share)
        enrolment = (p.enrolment_payment_per_kw_month * p.battery_kw * month_share
                     if p.dispatch == "company" else 0.0)
        return MonthFlows(pays, np.full(n, enrolment), opex, np.zeros(n))

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Payments less upkeep and enrolment payments for the rest of the term, with the
        company's estimate of default risk (the battery's peak value after the horizon is
        not counted)."""
        p, left = self.params, self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        enrolment = p.enrolment_payment_per_kw_month * p.battery_kw * (p.dispatch == "company")
        if p.offer == "sale":
            net, upkeep = -enrolment, 0.0
        else:
            net = self.monthly_payment() * self.revenue_kept_share() - p.opex_per_month - enrolment
            upkeep = p.opex_per_month
        cash = self.inflated(np.full((len(rows), 1), net), upkeep, months) * window(
            np.zeros(len(rows)), left, months)
        return expected_value(self.model.scenario.company.discount_rate_per_year,
                              self.hazard_estimate(rows), cash, term_months=left)

    def exposure(self, rows: np.ndarray) -> np.ndarray:
        if self.params.offer == "sale":
            return np.zeros(len(rows))
        return super().exposure(rows)

    def enrolled_kw(self, customers: np.ndarray) -> np.ndarray:
        """Battery kW each of these customers has in its home now (0: none)."""
        kw = np.zeros(len(self.model.customers))
        rows = np.flatnonzero(self.installed)
        kw[self.contracts["customer"][rows]] = self.batteries.power_kw[rows]
        return kw[customers]

    def hand_over(self, customers: np.ndarray, company: bool) -> None:
        """Let the company dispatch (or give back) these customers' batteries."""
        on = np.isin(self.contracts["customer"], customers) & self.installed
        self.company_run[on] = company

    def on_default(self, rows: np.ndarray) -> None:
        self.installed[rows] = False  # repossessed

    def on_end(self, rows: np.ndarray) -> None:
        if self.params.offer == "lease":
            self.installed[rows] = False  # the battery goes back
