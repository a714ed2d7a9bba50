"""Microgrid services: energy management of the site's PV and battery, and backup supply.

`microgrid_energy_management`: the company operates the microgrid's battery. It adds storage
(`added_battery_share` of the battery's power and energy, the company's capex) and runs it in a
wider state-of-charge window (`managed_soc_*`), which deepens the peak shaving and stores more
of the PV surplus. The customer pays a monthly fee plus a share of its measured bill saving:
each day the site's bill is compared with the bill its own battery, as it was, would have
given (a shadow dispatch of the original battery on the same net load). The lower site peaks
also lower the company's capacity cost, which shows in its energy-sales line. At the end of
the term the added storage passes to the customer; on default it is repossessed. The customer
also saves what running the site itself would cost it. Under flat prices the bill saving is
small: storage pays mainly through the lower peaks (see the microgrid_services scenario).

`microgrid_backup`: guaranteed backup capacity for a monthly fee per kW. The customer's value
is the outage cost it avoids (outage hours x avoided share x backup kW x its cost of energy
not served); the company pays for holding the capacity in reserve. No load effect.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.contracts import ACTIVE
from gridvalue.simulation.lifetime import window
from gridvalue.simulation.population import MICROGRID
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import ScenarioError, param
from gridvalue.simulation.services.base import (
    MonthFlows,
    RepossessedAsset,
    Service,
    ServiceParams,
    discount_factors,
    register,
    year_shapes,
)
from gridvalue.simulation.storage import Batteries, dispatch_peak_shaving

A = "assumption"
SAMPLE_EVERY_DAYS = 7  # days sampled for the saving estimate an offer is valued on


@dataclass(frozen=True)
class EnergyManagementParams(ServiceParams):
    added_battery_share: float = param(0.0, "share", A, "Battery power and energy the company "
                                       "adds, as a share of the site's own battery", min=0, max=10)
    battery_cost_per_kwh: float = param(
        1000.0, "CNY/kWh", A + " (C&I storage systems in China about 0.8-1.2 CNY/Wh, 2024, "
        "recalled)", "Installed cost of the added storage", min=0, max=100_000)
    battery_om_per_kwh_year: float = param(15.0, "CNY/kWh/yr", A,
                                           "Upkeep of the added storage, paid by the company",
                                           min=0, max=10_000)
    platform_cost_per_month: float = param(150.0, "CNY/month", A,
                                           "Company's cost of running one site's energy "
                                           "management (platform, staff)", min=0, max=1e7)
    managed_soc_min_share: float = param(0.05, "share", A + " (closer state-of-charge "
                                         "tracking)", "Lowest state of charge under management",
                                         min=0, max=1)
    managed_soc_max_share: float = param(0.98, "share", A,
                                         "Highest state of charge under management",
                                         min=0, max=1)
    fee_per_month: float = param(300.0, "CNY/month", A, "Fixed monthly management fee",
                                 min=0, max=1e7)
    own_operation_cost_per_month: float = param(
        500.0, "CNY/month", A + " (a part-time technician or contractor)",
        "What running the site itself costs the customer (saved under the contract)",
        min=0, max=1e7)
    saving_share: float = param(0.5, "share", A + " (cf. shared-savings contracts, 50-90 %)",
                                "Company's share of the measured bill saving", min=0, max=1)
    life_years: float = param(12.0, "yr", A + " (Li-ion, about 4,000-6,000 cycles)",
                              "Life of the added storage (book value falls linearly)",
                              min=0, max=100, min_exclusive=True)
    recovery_share: float = param(0.4, "share", A,
                                  "Share of book value recovered when storage is repossessed",
                                  min=0, max=1)
    term_months: int = param(120, "months", A, "Contract term", min=1, max=360)

    def check(self, path: str) -> None:
        if self.managed_soc_min_share >= self.managed_soc_max_share:
            raise ScenarioError(f"{path}.managed_soc_min_share",
                                "must be below managed_soc_max_share")


def _bill(net_kw: np.ndarray, price_per_kwh: np.ndarray, export_price: float,
          dt: float) -> np.ndarray:
    """The grid bill of each row's net load at its price (one per row, or one per row and
    interval: the site's time-varying prices)."""
    price = price_per_kwh if price_per_kwh.ndim == net_kw.ndim else price_per_kwh[..., None]
    return ((np.maximum(net_kw, 0.0) * price).sum(axis=-1) * dt
            - np.maximum(-net_kw, 0.0).sum(axis=-1) * dt * export_price)


@register
class MicrogridEnergyManagement(RepossessedAsset, Service):
    """The company runs the microgrid's battery, with added storage and a wider window."""

    name = "microgrid_energy_management"
    family = "microgrid"
    Params = EnergyManagementParams
    customer_types = (MICROGRID,)
    credit_exposed = True

    def __init__(self, params, model):
        super().__init__(params, model)
        b = model.batteries
        n = len(b.power_kw)
        # per-site windows, so managed sites can differ from the rest
        b.soc_min_share = np.broadcast_to(b.soc_min_share, (n,)).astype(float)
        b.soc_max_share = np.broadcast_to(b.soc_max_share, (n,)).astype(float)
        self._original = dataclasses.replace(
            b, power_kw=b.power_kw.copy(), energy_kwh=b.energy_kwh.copy(),
            soc_kwh=b.soc_kwh.copy(), soc_min_share=b.soc_min_share.copy(),
            soc_max_share=b.soc_max_share.copy())
        self.shadow: Batteries | None = None  # the original batteries of managed sites
        self._shadow_rows = np.zeros(0, dtype=np.int64)
        self._shadow_bill = np.zeros(0)
        self.dt = model.hours_per_interval

    def eligible(self) -> np.ndarray:
        c = self.model.customers
        ok = c["customer_type"] == MICROGRID
        ok[ok] = self.model.batteries.power_kw[c["type_row"][ok]] > 0
        return ok

    def _site(self, customers: np.ndarray) -> np.ndarray:
        return self.model.customers["type_row"][customers]

    def _added_kwh(self, customers: np.ndarray) -> np.ndarray:
        return self.params.added_battery_share * self._original.energy_kwh[self._site(customers)]

    def _batteries(self, customers: np.ndarray, managed: bool) -> Batteries:
        """A copy of these sites' batteries as they are, or as the company would run them."""
        o, site, p = self._original, self._site(customers), self.params
        scale = 1.0 + (p.added_battery_share if managed else 0.0)
        energy = o.energy_kwh[site] * scale
        return Batteries(
            power_kw=o.power_kw[site] * scale, energy_kwh=energy, soc_kwh=0.5 * energy,
            roundtrip_efficiency=o.roundtrip_efficiency,
            soc_min_share=np.full(len(site), p.managed_soc_min_share) if managed
            else o.soc_min_share[site].copy(),
            soc_max_share=np.full(len(site), p.managed_soc_max_share) if managed
            else o.soc_max_share[site].copy())

    def expected_saving_per_year(self, customers: np.ndarray) -> np.ndarray:
        """The company's estimate of each site's annual bill saving: both ways of running
        the battery on the site's expected net load, every 7th day of a year from the start
        date (not of the horizon)."""
        c = self.model.customers
        load_shapes, pv_shapes = year_shapes(self.model)
        days = np.arange(0, 365, SAMPLE_EVERY_DAYS)
        demand = (load_shapes[:, days, :][c["profile_class"][customers]]
                  * (c["annual_kwh"][customers] * c["load_scale"][customers])[:, None, None])
        net = demand - c["pv_kwp"][customers][:, None, None] * pv_shapes[days][None]
        price = c["price_per_kwh"][customers]
        export_price = self.model.scenario.tariff.export_price_per_kwh
        saving = np.zeros(len(customers))
        runs = {managed: self._batteries(customers, managed) for managed in (False, True)}
        for d in range(len(days)):
            bills = {}
            for managed, batteries in runs.items():
                power, _ = dispatch_peak_shaving(batteries, net[:, d].copy(), self.dt)
                bills[managed] = _bill(net[:, d] + power, price, export_price, self.dt)
            saving += bills[False] - bills[True]
        return saving * 365.0 / max(len(days), 1)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        p = self.params
        monthly = ((1.0 - p.saving_share) * self.expected_saving_per_year(customers) / 12.0
                   + p.own_operation_cost_per_month - p.fee_per_month)
        rate = self.model.customers["discount_rate_per_year"][customers]
        return monthly * discount_factors(rate, self.params.term_months).sum(axis=1)

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fee and the company's share of the estimated saving after VAT, less the
        platform and storage upkeep; the added storage."""
        p, added = self.params, self._added_kwh(customers)
        share = p.saving_share * np.maximum(self.expected_saving_per_year(customers), 0.0) / 12.0
        net = ((p.fee_per_month + share) * self.revenue_kept_share() - p.platform_cost_per_month
               - added * p.battery_om_per_kwh_year / 12.0)
        return net, added * p.battery_cost_per_kwh

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        added = self._added_kwh(customers)
        capex = added * self.params.battery_cost_per_kwh
        b, site = self.model.batteries, self._site(customers)
        shadow_soc = b.soc_kwh[site].copy()
        b.energy_kwh[site] += added
        b.power_kw[site] += self.params.added_battery_share * self._original.power_kw[site]
        self._sync_table(site)
        b.soc_min_share[site] = self.params.managed_soc_min_share
        b.soc_max_share[site] = self.params.managed_soc_max_share
        zero = np.zeros(len(customers))
        rows = self.contracts.add(customers, day, self.params.term_months, capex,
                                  added_kwh=added, month_saving=zero, saving_to_date=zero)
        original = self._batteries(customers, managed=False)
        original.soc_kwh = shadow_soc
        self._add_shadow(rows, original)
        return capex

    def _add_shadow(self, rows: np.ndarray, batteries: Batteries) -> None:
        if self.shadow is None:
            self.shadow, self._shadow_rows = batteries, rows
            return
        s = self.shadow
        self.shadow = dataclasses.replace(s, **{
            name: np.concatenate([getattr(s, name), getattr(batteries, name)])
            for name in ("power_kw", "energy_kwh", "soc_kwh", "soc_min_share", "soc_max_share")})
        self._shadow_rows = np.concatenate([self._shadow_rows, rows])

    def _restore(self, rows: np.ndarray) -> None:
        """The company takes its storage back: the site runs as before."""
        b, o = self.model.batteries, self._original
        site = self._site(self.contracts["customer"][rows])
        b.energy_kwh[site] -= self.contracts["added_kwh"][rows]
        b.power_kw[site] = o.power_kw[site]
        b.soc_min_share[site] = o.soc_min_share[site]
        b.soc_max_share[site] = o.soc_max_share[site]
        b.soc_kwh[site] = np.clip(b.soc_kwh[site], b.soc_min_kwh[site], b.soc_max_kwh[site])
        self._sync_table(site)

    def _sync_table(self, site: np.ndarray) -> None:
        """Keep the microgrid agents' battery columns in step with the batteries."""
        table, b = self.model.tables["microgrids"], self.model.batteries
        table["battery_power_kw"][site] = b.power_kw[site]
        table["battery_energy_kwh"][site] = b.energy_kwh[site]

    # ---- each day ---------------------------------------------------------------------------
    def apply_load(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        """Before the batteries run: the bill the site's original battery would have given."""
        if self.shadow is None:
            return
        who = self.contracts["customer"][self._shadow_rows]
        net = net_kw[who]
        power, _ = self.model.dispatch_microgrids(self.shadow, net.copy(), who, prices)
        self._shadow_bill = _bill(net + power, prices.of(who), prices.export_price_per_kwh,
                                  self.dt)

    def observe_day(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        """After: the measured saving of each managed site is the shadow bill minus its bill."""
        if self.shadow is None:
            return
        rows = self._shadow_rows
        who = self.contracts["customer"][rows]
        actual = _bill(net_kw[who], prices.of(who), prices.export_price_per_kwh, self.dt)
        live = self.contracts["status"][rows] == ACTIVE
        self.contracts["month_saving"][rows[live]] += (self._shadow_bill - actual)[live]

    # ---- each month -------------------------------------------------------------------------
    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        """Fee plus the company's share of the month's measured saving (none when the
        managed battery did worse); the saving meters then restart."""
        book, p = self.contracts, self.params
        saving = book["month_saving"][rows].copy()
        book["saving_to_date"][rows] += saving
        book["month_saving"][rows] = 0.0
        pays = p.fee_per_month * month_share + p.saving_share * np.maximum(saving, 0.0)
        opex = (p.platform_cost_per_month + book["added_kwh"][rows] * p.battery_om_per_kwh_year
                / 12) * month_share
        zero = np.zeros(len(rows))
        return MonthFlows(pays, zero, opex, zero, zero)

    def on_default(self, rows: np.ndarray) -> None:
        self._restore(rows)
        self._drop_shadow(rows)

    def on_end(self, rows: np.ndarray) -> None:
        self._drop_shadow(rows)  # the storage stays with the customer; metering stops

    def _drop_shadow(self, rows: np.ndarray) -> None:
        keep = ~np.isin(self._shadow_rows, rows)
        if keep.all():
            return
        s = self.shadow
        self.shadow = dataclasses.replace(s, **{
            name: getattr(s, name)[keep]
            for name in ("power_kw", "energy_kwh", "soc_kwh", "soc_min_share", "soc_max_share")})
        self._shadow_rows = self._shadow_rows[keep]
        self._shadow_bill = self._shadow_bill[keep] if len(self._shadow_bill) else self._shadow_bill

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Fee plus the company's share of the saving so far, per month (after VAT), less
        opex, for the rest of the term, with repossession of added storage on default (risk
        from the company's estimate). The storage then passes to the customer; what it does
        to the company's energy sales after the term is not counted."""
        if len(rows) == 0:
            return np.zeros(0)
        book, p = self.contracts, self.params
        months_done = np.maximum(book["months_settled"][rows], 1)
        share = p.saving_share * np.maximum(book["saving_to_date"][rows], 0.0) / months_done
        net = ((p.fee_per_month + share) * self.revenue_kept_share() - p.platform_cost_per_month
               - book["added_kwh"][rows] * p.battery_om_per_kwh_year / 12)
        left = self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        in_term = window(np.zeros(len(rows)), left, months)
        upkeep = (p.platform_cost_per_month
                  + book["added_kwh"][rows] * p.battery_om_per_kwh_year / 12)
        net = self.inflated(net[:, None], upkeep[:, None], months)
        return self.company_value(
                              self.hazard_estimate(rows), net * in_term,
                              recovery=self.recovery_path(rows, months) * in_term,
                              term_months=left)


@dataclass(frozen=True)
class BackupParams(ServiceParams):
    backup_share_of_peak: float = param(0.5, "kW per kW", A,
                                        "Guaranteed backup as a share of the site's expected "
                                        "peak", min=0, max=2)
    outage_hours_per_year: float = param(
        10.0, "h/yr", A + " (rural supply interruptions in China about 10 h/yr, recalled)",
        "Hours a year the site would lose supply without guaranteed backup", min=0, max=8784)
    avoided_outage_share: float = param(0.8, "share", A,
                                        "Share of those hours the backup covers", min=0, max=1)
    outage_cost_per_kwh: float = param(
        25.0, "CNY/kWh unserved", A + " (C&I interruption costs run tens of times the energy "
        "price, LBNL ICE calculator, recalled)", "Members' cost of energy not served",
        min=0, max=10_000)
    fee_per_kw_month: float = param(12.0, "CNY/kW/month", A,
                                    "Capacity fee per kW of guaranteed backup", min=0, max=1e6)
    reserve_cost_per_kw_month: float = param(
        5.0, "CNY/kW/month", A + " (a fraction of the 300 CNY/kW/yr capacity cost: backup "
        "is rarely called at the system peak)", "Company's cost of holding the capacity",
        min=0, max=1e6)
    term_months: int = param(36, "months", A, "Contract term", min=1, max=360)


@register
class MicrogridBackup(Service):
    """Guaranteed backup supply for a capacity fee; the site avoids outage losses."""

    name = "microgrid_backup"
    family = "microgrid"
    Params = BackupParams
    customer_types = (MICROGRID,)

    def backup_kw(self, customers: np.ndarray) -> np.ndarray:
        c, model = self.model.customers, self.model
        peak_kw = (c["annual_kwh"][customers] * c["load_scale"][customers]
                   / model.class_full_load_hours[c["profile_class"][customers]])
        return self.params.backup_share_of_peak * peak_kw

    def avoided_loss_per_month(self, customers: np.ndarray) -> np.ndarray:
        p = self.params
        return (p.outage_hours_per_year * p.avoided_outage_share * self.backup_kw(customers)
                * p.outage_cost_per_kwh / 12.0)

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        monthly = (self.avoided_loss_per_month(customers)
                   - self.params.fee_per_kw_month * self.backup_kw(customers))
        rate = self.model.customers["discount_rate_per_year"][customers]
        return monthly * discount_factors(rate, self.params.term_months).sum(axis=1)

    def monthly_estimate(self, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The capacity fee after VAT less the reserve's cost; no capex."""
        p = self.params
        net = (p.fee_per_kw_month * self.revenue_kept_share() - p.reserve_cost_per_kw_month) \
            * self.backup_kw(customers)
        return net, np.zeros(len(customers))

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        kw = self.backup_kw(customers)
        zero = np.zeros(len(customers))
        self.contracts.add(customers, day, self.params.term_months, zero, backup_kw=kw,
                           avoided_loss=self.avoided_loss_per_month(customers),
                           loss_avoided_to_date=zero)
        return zero

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        book, p = self.contracts, self.params
        book["loss_avoided_to_date"][rows] += book["avoided_loss"][rows]
        kw = book["backup_kw"][rows] * month_share
        zero = np.zeros(len(rows))
        return MonthFlows(p.fee_per_kw_month * kw, zero, p.reserve_cost_per_kw_month * kw,
                          zero, zero)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Fees (after VAT) less the reserve cost, for the rest of the term."""
        book, p = self.contracts, self.params
        left = self.remaining_months(rows)
        net = (p.fee_per_kw_month * self.revenue_kept_share()
               - p.reserve_cost_per_kw_month) * book["backup_kw"][rows]
        months = int(max(left.max(initial=0), 1))
        net = self.inflated(net[:, None], (p.reserve_cost_per_kw_month
                                           * book["backup_kw"][rows])[:, None], months)
        return self.company_value(
                              np.zeros(len(rows)),
                              net * window(np.zeros(len(rows)), left, months))
