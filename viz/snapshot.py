"""What the page shows at a moment of a twin run: KPIs, comparison rows and chart data.

A `Snapshot` is plain data (NumPy arrays, pandas frames, numbers) copied out of the two models
under the twin's lock, so charts draw while the models keep stepping in another thread.
Every figure is "to date": from the first simulated day up to the last one stepped.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridvalue.agents.grid_company import ENERGY_SALES
from gridvalue.simulation import metrics
from gridvalue.simulation.model import GridValueModel
from gridvalue.viz.twin import Twin


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side table."""

    label: str
    policy: float
    baseline: float
    digits: int = 0

    @property
    def delta(self) -> float:
        return self.policy - self.baseline


@dataclass(eq=False)  # compared by identity: the page redraws when it is a new one
class Snapshot:
    day: int
    days: int
    date: str
    currency: str
    scenario: str
    services: tuple[str, ...]
    peak_reduction_pct: float
    npv_delta: float
    npv_lifetime_delta: float | None  # only once the run is finished
    uptake_share: float | None  # contract holders over eligible customers; None: no services
    contracts: int
    default_losses: float
    rows: list[Row]
    household_peak_reduction_pct: float = 0.0  # households' own peak to date, vs baseline
    households_on_time_varying_tariff: bool = False
    peak_day: str = ""
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    peak_day_policy_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    peak_day_baseline_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    peak_day_households_policy_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    peak_day_households_baseline_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the company's fleet on the peak day (policy run), kW by device: load it adds (+) or
    # takes off (-); empty where no flexibility or managed-charging service is on offer
    peak_day_fleet_kw: dict = field(default_factory=dict)
    daily_peak_policy_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    daily_peak_baseline_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    uptake: pd.DataFrame = field(default_factory=pd.DataFrame)
    pnl_delta: pd.DataFrame = field(default_factory=pd.DataFrame)  # service line x item
    bill_change_pct: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per customer
    holds_contract: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    segment: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    transformer_uptake_share: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transformer_loading: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transformer_loading_baseline: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transformer_customers: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    transformer_vm_min: np.ndarray = field(default_factory=lambda: np.zeros(0))  # power flow
    strategy: str = "fixed"  # the company's strategy (policy run)
    decisions: pd.DataFrame = field(default_factory=pd.DataFrame)  # its log, if not fixed

    @property
    def shows_households(self) -> bool:
        """Households' load belongs on the page: they face a time-varying tariff, or their
        peak moved."""
        return self.households_on_time_varying_tariff or abs(
            self.household_peak_reduction_pct) >= 0.05

    @property
    def started(self) -> bool:
        return self.day > 0

    @property
    def finished(self) -> bool:
        return self.day >= self.days


def _customer_cost(model: GridValueModel) -> np.ndarray:
    """What each customer paid to date: energy bill plus services, less what it received."""
    c = model.customers
    return c["bill"] + c["service_paid"] - c["service_received"]


def _pivot(model: GridValueModel) -> pd.DataFrame:
    ledger = model.company.ledger.to_frame()
    if ledger.empty:
        return pd.DataFrame()
    return ledger.pivot_table(index="service_line", columns="item", values="amount",
                              aggfunc="sum")


def _pnl_delta(policy: GridValueModel, baseline: GridValueModel) -> pd.DataFrame:
    """Change of the company's cash to date by service line and item, policy minus baseline."""
    p, b = _pivot(policy), _pivot(baseline)
    if p.empty:
        return p
    delta = p.sub(b, fill_value=0.0) if not b.empty else p
    delta = delta.fillna(0.0)
    delta = delta.loc[:, (delta.abs() > 0.5).any(axis=0)]
    return delta.loc[(delta.abs() > 0.5).any(axis=1)] if len(delta.columns) else delta


FLEET_SERVICES = ("flexibility", "ev_smart_charging")


def _fleet_kw(model: GridValueModel, day: int, T: int) -> dict:
    """kW of the devices the company dispatched on `day`, by device (empty where no
    flexibility or managed-charging service is on offer)."""
    by_name = {s.name: s for s in model.market.services}
    if not any(name in by_name for name in FLEET_SERVICES):
        return {}
    out = {"managed EVs": model.ev.managed_day_kw.get(day, np.zeros(T))}
    if "flexibility" in by_name:
        for name, label in (("home_battery", "home batteries"), ("cchp", "CCHP")):
            if name in by_name:
                out[label] = by_name[name].fleet_day_kw.get(day, np.zeros(T))
    return out


def _kpis(model: GridValueModel, day: int) -> dict:
    load = model.system_kw[:day]
    ledger = model.company.ledger
    rate = model.scenario.company.discount_rate_per_year
    dt = model.hours_per_interval
    return {
        "peak_kw": float(load.max()) if day else 0.0,
        "household_peak_kw": float(model.household_kw[:day].max()) if day else 0.0,
        "energy_mwh": float(load.sum() * dt / 1000.0),
        "load_factor": metrics.load_factor(load) if day else 0.0,
        "tx_over": int((model.transformer_intervals_over > 0).sum()),
        "energy_revenue": ledger.total(ENERGY_SALES, "revenue"),
        "service_revenue": ledger.total(item="revenue") - ledger.total(ENERGY_SALES, "revenue"),
        "margin": ledger.total(),
        "npv": ledger.npv(rate),
        "default_losses": ledger.writeoff_total(),
        "customer_cost": float(_customer_cost(model).sum()),
        "contracts": sum(len(s.contracts) for s in model.market.services),
    }


def _reduction_pct(baseline_kw: float, policy_kw: float) -> float:
    return 100.0 * (baseline_kw - policy_kw) / baseline_kw if baseline_kw > 0 else 0.0


def _time_varying_for_households(scenario) -> bool:
    """Households priced by time of use, critical peaks or real time (the tariff, or a price
    package on offer)."""
    tariff = scenario.tariff
    on_tariff = tariff.kind != "flat" and "household" in tariff.segments
    return on_tariff or "price_packages" in scenario.services


def take(twin: Twin) -> Snapshot:
    """Copy what the page shows out of the twin (under its lock)."""
    with twin.lock:
        return _take(twin)


def _take(twin: Twin) -> Snapshot:
    pol, base = twin.policy, twin.baseline
    day, scenario = twin.day, twin.scenario
    kp, kb = _kpis(pol, day), _kpis(base, day)
    currency = scenario.meta.currency
    rows = [
        Row("System peak (kW)", kp["peak_kw"], kb["peak_kw"]),
        Row("Households' peak (kW)", kp["household_peak_kw"], kb["household_peak_kw"]),
        Row("Energy delivered (MWh)", kp["energy_mwh"], kb["energy_mwh"]),
        Row("Load factor (-)", kp["load_factor"], kb["load_factor"], 3),
        Row("Transformers over rating (count)", kp["tx_over"], kb["tx_over"]),
        Row(f"Energy revenue ({currency})", kp["energy_revenue"], kb["energy_revenue"]),
        Row(f"Service revenue ({currency})", kp["service_revenue"], kb["service_revenue"]),
        Row(f"Company margin, cash ({currency})", kp["margin"], kb["margin"]),
        Row(f"Company NPV ({currency})", kp["npv"], kb["npv"]),
        Row(f"Default losses ({currency})", kp["default_losses"], kb["default_losses"]),
        Row(f"Customers' energy + service cost ({currency})", kp["customer_cost"],
            kb["customer_cost"]),
        Row("Service contracts signed (count)", kp["contracts"], kb["contracts"]),
    ]
    market = pol.market
    holds = (market.adopted.any(axis=0) if len(market.services)
             else np.zeros(len(pol.customers), bool))
    eligible = np.zeros(len(pol.customers), bool)
    for service in market.services:
        eligible |= service.eligible()
    lifetime = None
    if twin.finished:
        lifetime = (kp["npv"] + sum(market.remaining_value().values()) - kb["npv"]
                    - sum(base.market.remaining_value().values()))
    snap = Snapshot(
        day=day, days=twin.days,
        date=pol.dates[day - 1].isoformat() if day else pol.dates[0].isoformat(),
        currency=currency, scenario=scenario.meta.name,
        services=tuple(s.name for s in market.services),
        peak_reduction_pct=(100.0 * (kb["peak_kw"] - kp["peak_kw"]) / kb["peak_kw"]
                            if kb["peak_kw"] > 0 else 0.0),
        household_peak_reduction_pct=_reduction_pct(kb["household_peak_kw"],
                                                    kp["household_peak_kw"]),
        households_on_time_varying_tariff=_time_varying_for_households(scenario),
        npv_delta=kp["npv"] - kb["npv"], npv_lifetime_delta=lifetime,
        uptake_share=float(holds[eligible].mean()) if eligible.any() else None,
        contracts=kp["contracts"], default_losses=kp["default_losses"], rows=rows,
    )
    topo = pol.topology
    per_tx = np.bincount(topo.customer_transformer, minlength=topo.n_transformers)
    snap.transformer_customers = per_tx
    snap.transformer_uptake_share = (np.bincount(topo.customer_transformer, weights=holds,
                                                 minlength=topo.n_transformers)
                                     / np.maximum(per_tx, 1))
    snap.transformer_loading = pol.transformer_peak_kw / topo.transformer_rating_kw
    snap.transformer_loading_baseline = base.transformer_peak_kw / topo.transformer_rating_kw
    flow = getattr(pol, "gridflow", None)
    if flow is not None:  # lowest solved voltage to date at each transformer's buses
        vm = np.full(topo.n_transformers, np.inf)
        on = flow.bus_point >= 0
        np.minimum.at(vm, flow.bus_point[on], flow.vm_min[on])
        snap.transformer_vm_min = np.where(np.isfinite(vm), vm, np.nan)
    snap.holds_contract = holds
    snap.strategy = scenario.company.strategy
    if snap.strategy != "fixed":
        snap.decisions = pol.company.strategy.frame()
    snap.segment = market.segment.copy()
    if not day:
        return snap
    peak_day = int(base.system_kw[:day].max(axis=1).argmax())
    T = pol.system_kw.shape[1]
    snap.peak_day = pol.dates[peak_day].isoformat()
    snap.hours = np.arange(T) * 24.0 / T
    snap.peak_day_policy_kw = pol.system_kw[peak_day].copy()
    snap.peak_day_baseline_kw = base.system_kw[peak_day].copy()
    snap.peak_day_households_policy_kw = pol.household_kw[peak_day].copy()
    snap.peak_day_households_baseline_kw = base.household_kw[peak_day].copy()
    snap.peak_day_fleet_kw = _fleet_kw(pol, peak_day, T)
    snap.daily_peak_policy_kw = pol.system_kw[:day].max(axis=1)
    snap.daily_peak_baseline_kw = base.system_kw[:day].max(axis=1)
    snap.uptake = market.uptake_frame()
    snap.pnl_delta = _pnl_delta(pol, base)
    base_cost = _customer_cost(base)
    snap.bill_change_pct = 100.0 * (_customer_cost(pol) - base_cost) / np.maximum(
        np.abs(base_cost), 1.0)
    return snap

