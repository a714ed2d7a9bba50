"""Enterprise combined cooling, heat and power under an energy-service contract (Internet+).

The company invests in a gas engine with heat recovery and an absorption chiller at the
enterprise's site, runs it (heat-led or price-led, simulation/cchp.py) and sells the site the
electricity, heat and cooling it makes at a discount to what they would cost it otherwise
(grid electricity at its price, heat from a gas boiler, cooling from an electric chiller).
The company pays the gas and the upkeep; the grid sales the engine displaces are the margin
the service takes from energy sales. Enterprises decide with the shared choice rule on the
discount they expect on a planning year of the plant's output.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.cchp import ELECTRIC_CHILLER_COP, dispatch_plants, thermal_demand_kw
from gridvalue.simulation.lifetime import expected_value, window
from gridvalue.simulation.population import ENTERPRISE, SECTORS
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import ScenarioError, param
from gridvalue.simulation.services.base import (
    MonthFlows,
    RepossessedAsset,
    Service,
    ServiceParams,
    discount_factors,
    register,
    unit_energy_cost,
)

A = "assumption"
USEFUL_HEAT_SHARE = 0.7  # planning: share of recovered heat a site uses (assumption)


@dataclass(frozen=True)
class CchpParams(ServiceParams):
    mode: str = param("heat_led", "-", "-", "Operation: follow the site's heat and cooling "
                      "need, or run whenever the output is worth more than the gas",
                      choices=("heat_led", "price_led"))
    electric_efficiency: float = param(0.35, "share of fuel", A + " (gas engines 35-42 %)",
                                       "Electric efficiency of the gas engine", min=0.05,
                                       max=0.7)
    heat_recovery_efficiency: float = param(
        0.45, "share of fuel", A + " (jacket and exhaust heat)", "Heat recovered from the "
        "engine per unit of fuel (with the electric efficiency at most 1)", min=0, max=0.95)
    absorption_cop: float = param(0.7, "-", A + " (single-effect LiBr chillers about 0.7)",
                                  "Cooling per unit of heat of the absorption chiller",
                                  min=0.1, max=2)
    size_ratio: float = param(0.8, "kW per kW of mean load", A, "Engine electric capacity "
                              "over the site's mean electric load", min=0.05, max=5)
    capex_per_kw: float = param(6000.0, "CNY/kW", A + " (gas CHP with chiller, installed)",
                                "Capital cost per kW of engine", min=0, max=100_000)
    om_per_kwh: float = param(0.05, "CNY/kWh", A, "Upkeep per kWh of electricity made",
                              min=0, max=10)
    gas_price_per_kwh: float = param(0.30, "CNY/kWh of gas", A + " (about 3 CNY/m3 at "
                                     "10 kWh/m3)", "Price of the gas the plant burns", min=0,
                                     max=10)
    boiler_efficiency: float = param(0.9, "share", A, "Efficiency of the gas boiler the "
                                     "site would otherwise heat with", min=0.3, max=1.1)
    discount_share: float = param(0.10, "share", A, "Discount on the site's alternative cost "
                                  "of the electricity, heat and cooling sold", min=0, max=1)
    planning_full_load_hours: float = param(
        4000.0, "h/yr", A, "Full-load hours the offer is valued on", min=0, max=8760)
    life_years: float = param(15.0, "yr", A, "Plant life (book value falls linearly)",
                              min=1, max=40)
    recovery_share: float = param(0.2, "share", A, "Share of book value a plant taken back "
                                  "on default brings", min=0, max=1)
    term_months: int = param(180, "months", A + " (energy-service contracts 10-20 years)",
                             "Contract term", min=1, max=360)
    sectors: tuple[str, ...] = param(("industrial", "commercial"), "-", "-",
                                     "Enterprise sectors offered a plant", choices=SECTORS)
    base_heat_ratio: tuple[float, ...] = param(
        (0.3, 0.05, 0.02), "kWh heat per kWh electricity", A + " (process heat; hot water)",
        "Heat need independent of the weather, per sector (industrial, commercial, "
        "agricultural)", min=0, max=10)
    heat_per_k: tuple[float, ...] = param(
        (0.01, 0.03, 0.01), "kWh heat per kWh electricity per K", A,
        "Space heating per heating degree-day, per sector", min=0, max=5)
    cooling_per_k: tuple[float, ...] = param(
        (0.02, 0.08, 0.0), "kWh cooling per kWh electricity per K", A,
        "Space cooling per cooling degree-day, per sector", min=0, max=5)
    contacts_per_month: int = param(10, "customers/month", A, "Enterprises the company "
                                    "contacts each month", min=0, max=1_000_000)
    marketing_cost_per_contact: float = param(2000.0, "CNY/contact", A, "Cost of one "
                                              "contact (site survey)", min=0, max=1_000_000)

    def check(self, path: str) -> None:
        total = self.electric_efficiency + self.heat_recovery_efficiency
        if total > 1.0:
            raise ScenarioError(f"{path}.heat_recovery_efficiency",
                                f"with electric_efficiency the efficiencies sum to {total:g}; "
                                "they can be at most 1")
        for name in ("base_heat_ratio", "heat_per_k", "cooling_per_k"):
            if len(getattr(self, name)) != len(SECTORS):
                raise ScenarioError(f"{path}.{name}", f"expected {len(SECTORS)} values "
                                    "(industrial, commercial, agricultural)")


FLOWS = ("fuel", "electricity", "heat_used", "chiller_heat", "cooling", "losses")


@register
class Cchp(RepossessedAsset, Service):
    """A gas engine, heat recovery and absorption chiller the company owns and runs."""

    name = "cchp"
    family = "internet_plus"
    Params = CchpParams
    customer_types = (ENTERPRISE,)
    exclusive_group = "cchp"
    credit_exposed = True
    value_uncertainty = 0.2

    def __init__(self, params, model):
        super().__init__(params, model)
        self.running = np.zeros(0, dtype=bool)
        self.month = {k: np.zeros(0) for k in FLOWS}  # per contract, kWh this month
        self.month_sales = np.zeros(0)  # what the site pays this month (before discount)
        self.month_displaced = np.zeros(0)  # grid margin the engine displaced this month
        self.fleet_day_kw: dict[int, np.ndarray] = {}  # day: company-led plants' load kW (T,)
        self.last_net = np.zeros(0)  # per contract, last settled month's net cash per month
        self.company_led = np.zeros(0, dtype=bool)  # per contract: enrolled in `flexibility`
        self.totals = dict.fromkeys(FLOWS, 0.0)  # kWh over the run

    def eligible(self) -> np.ndarray:
        c = self.model.customers
        sectors = [SECTORS.index(s) for s in self.params.sectors]
        return super().eligible() & np.isin(c["sector"], sectors)

    def engine_kw(self, customers: np.ndarray) -> np.ndarray:
        c = self.model.customers
        return self.params.size_ratio * c["annual_kwh"][customers] / 8760.0

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        p, c = self.params, self.model.customers
        elec = self.engine_kw(customers) * p.planning_full_load_hours / 12.0
        heat = elec * p.heat_recovery_efficiency / p.electric_efficiency * USEFUL_HEAT_SHARE
        heat_price = p.gas_price_per_kwh / p.boiler_efficiency
        monthly = p.discount_share * (elec * c["price_per_kwh"][customers] + heat * heat_price)
        rate = c["discount_rate_per_year"][customers]
        return monthly * discount_factors(rate, p.term_months).sum(axis=1)

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        k = len(customers)
        kw = self.engine_kw(customers)
        capex = kw * self.params.capex_per_kw
        self.contracts.add(customers, day, self.params.term_months, capex, engine_kw=kw)
        self.running = np.concatenate([self.running, np.ones(k, dtype=bool)])
        for name in FLOWS:
            self.month[name] = np.concatenate([self.month[name], np.zeros(k)])
        self.month_sales = np.concatenate([self.month_sales, np.zeros(k)])
        self.month_displaced = np.concatenate([self.month_displaced, np.zeros(k)])
        self.last_net = np.concatenate([self.last_net, np.zeros(k)])
        self.company_led = np.concatenate([self.company_led, np.zeros(k, dtype=bool)])
        return capex

    def apply_load(self, day: int, net_kw: np.ndarray, day_prices: DayPrices) -> None:
        rows = np.flatnonzero(self.running)
        if len(rows) == 0:
            return
        p, model = self.params, self.model
        c, dt = model.customers, model.hours_per_interval
        who = self.contracts["customer"][rows]
        sector = c["sector"][who]
        scale = c["annual_kwh"][who] * c["load_scale"][who] / 365.0
        profiles = model.scenario.profiles
        heat_kw, cooling_kw = thermal_demand_kw(
            scale, net_kw[who], float(model.temperature_c[day]), profiles.heating_base_c,
            profiles.cooling_base_c, np.array(p.base_heat_ratio)[sector],
            np.array(p.heat_per_k)[sector], np.array(p.cooling_per_k)[sector], dt)
        prices = day_prices.of(who)
        heat_price = p.gas_price_per_kwh / p.boiler_efficiency
        flows = dispatch_plants(p.mode, self.contracts["engine_kw"][rows], net_kw[who],
                                heat_kw, cooling_kw, prices, p.gas_price_per_kwh, heat_price,
                                p.electric_efficiency, p.heat_recovery_efficiency,
                                p.absorption_cop)
        led = self.company_led[rows]
        if led.any():  # the company runs these price-led against its wholesale prices
            wholesale = np.broadcast_to(model.company.wholesale_prices(day_prices), prices.shape)
            fleet = dispatch_plants("price_led", self.contracts["engine_kw"][rows][led],
                                    net_kw[who[led]], heat_kw[led], cooling_kw[led],
                                    wholesale[led], p.gas_price_per_kwh, heat_price,
                                    p.electric_efficiency, p.heat_recovery_efficiency,
                                    p.absorption_cop)
            for name in FLOWS:
                getattr(flows, name)[led] = getattr(fleet, name)
            self.fleet_day_kw[day] = -fleet.electricity.sum(axis=0)
        net_kw[who] -= flows.electricity
        for name in FLOWS:
            kwh = getattr(flows, name).sum(axis=1) * dt
            self.month[name][rows] += kwh
            self.totals[name] += float(kwh.sum())
        self.month_sales[rows] += ((prices * flows.electricity + heat_price * flows.heat_used
                                    + prices / ELECTRIC_CHILLER_COP * flows.cooling)
                                   .sum(axis=1) * dt)
        self.month_displaced[rows] += ((prices - unit_energy_cost(model))
                                       * flows.electricity).sum(axis=1) * dt

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        p = self.params
        pays = (1.0 - p.discount_share) * self.month_sales[rows]
        opex = (p.gas_price_per_kwh * self.month["fuel"][rows]
                + p.om_per_kwh * self.month["electricity"][rows])
        lost = self.month_displaced[rows].copy()
        flows = MonthFlows(pays, np.zeros(len(rows)), opex, lost)
        level = self.model.company.price_level  # the market books the upkeep at it
        self.last_net[rows] = (pays * self.revenue_kept_share() - opex * level - lost) / max(
            month_share, 1e-9)
        self.settled_kwh = {name: self.month[name].copy() for name in FLOWS}  # for audits
        for name in FLOWS:
            self.month[name][rows] = 0.0
        self.month_sales[rows] = 0.0
        self.month_displaced[rows] = 0.0
        return flows

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Last month's net cash for the rest of the term (its season repeats: a weak
        planning figure), with the company's estimate of default risk."""
        left = self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        cash = self.last_net[rows][:, None] * window(np.zeros(len(rows)), left, months)
        return expected_value(self.model.scenario.company.discount_rate_per_year,
                              self.hazard_estimate(rows), cash, term_months=left)

    def enrolled_kw(self, customers: np.ndarray) -> np.ndarray:
        """Engine kW each of these customers has running now (0: none)."""
        kw = np.zeros(len(self.model.customers))
        rows = np.flatnonzero(self.running)
        kw[self.contracts["customer"][rows]] = self.contracts["engine_kw"][rows]
        return kw[customers]

    def hand_over(self, customers: np.ndarray, company: bool) -> None:
        """Let the company run (or give back) these customers' plants."""
        on = np.isin(self.contracts["customer"], customers) & self.running
        self.company_led[on] = company

    def on_default(self, rows: np.ndarray) -> None:
        self.running[rows] = False

    def on_end(self, rows: np.ndarray) -> None:
        self.running[rows] = False
