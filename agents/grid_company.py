"""The grid company: sells energy, buys it wholesale per interval, pays for its peak, keeps
the books."""

import datetime

import mesa
import numpy as np

from gridvalue.agents.strategies import make_strategy
from gridvalue.simulation.ledger import ENERGY_SALES, Ledger
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.scenario import Company, Tariff


class GridCompany(mesa.Agent):
    """The one grid company. Its ledger holds every money flow by month and service line."""

    def __init__(self, model: mesa.Model, company: Company, tariff: Tariff,
                 start: datetime.date):
        super().__init__(model)
        self.finance = company
        self.tariff = tariff
        self.ledger = Ledger(start)
        self._year_peak_kw = 0.0
        self.wholesale_index = 1.0  # escalation of the wholesale price level since the start
        self.price_level = 1.0  # general inflation since the start (`growth.inflation_per_year`)
        self._capacity_booked = 0.0
        self.strategy = make_strategy(model)  # whom to contact, screening (agents/strategies/)

    def settle_day(self, date: datetime.date, day: int, customer_kw: np.ndarray,
                   system_kw: np.ndarray, hours_per_interval: float, prices: DayPrices,
                   losses_kwh: float | None = None) -> None:
        """Bill every customer for the day at the day's `prices` (simulation/tariffs.py), book
        sales, wholesale energy and capacity accrual. Wholesale energy is what the substation
        delivers plus the day's network losses: `losses_kwh` from the power flow when the
        network is solved that day, else the flat `loss_share` of the energy."""
        customers = self.model.customers
        imports_kwh, exports_kwh, bills = self.model.tariffs.day_bills(customer_kw, prices)
        customers["import_kwh"] += imports_kwh
        customers["export_kwh"] += exports_kwh
        customers["bill"] += bills
        customers["month_bill"] += bills
        self.ledger.book(date, ENERGY_SALES, "revenue", bills.sum())
        self.ledger.book(date, ENERGY_SALES, "wholesale_energy",
                         -self.wholesale_cost(prices, system_kw, hours_per_interval, losses_kwh))
        self._accrue_capacity(date, day, float(system_kw.max()))

    def wholesale_prices(self, prices: DayPrices) -> np.ndarray:
        """(T,) what the company pays per kWh bought in each interval of the day of `prices`."""
        return (self.finance.wholesale_price_per_kwh * self.wholesale_index
                * prices.wholesale_multipliers)

    def wholesale_cost(self, prices: DayPrices, system_kw: np.ndarray, hours_per_interval: float,
                       losses_kwh: float | None = None) -> float:
        """Energy bought for the day's system load plus network losses, at each interval's
        wholesale price. Losses are `losses_kwh` from the power flow when the network is solved
        that day (spread over the intervals in proportion to the energy delivered), else the
        flat `loss_share`."""
        delivered_kwh = np.maximum(system_kw, 0.0) * hours_per_interval
        total_kwh = float(delivered_kwh.sum())
        if losses_kwh is None or total_kwh <= 0.0:
            loss_factor = 1.0 + self.finance.loss_share
        else:
            loss_factor = 1.0 + losses_kwh / total_kwh
        return float(delivered_kwh * loss_factor @ self.wholesale_prices(prices))

    def pv_fits(self, system_kwp: np.ndarray) -> np.ndarray:
        """Per customer: does a system of `system_kwp` fit on its feeder? The company's PV
        hosting capacity of each feeder (`planning_hosting_kwp`) less the PV on it now (the
        customers' own and the company's contracted systems, at their `system_kwp`)."""
        model = self.model
        feeder = model.topology.customer_feeder
        hosting = self.planning_hosting_kwp()
        on_roofs = model.customers["pv_kwp"].astype(float).copy()
        holds = model.market.holds_group.get("pv")
        if holds is not None:
            on_roofs = np.where(holds, np.maximum(on_roofs, system_kwp), on_roofs)
        used = np.bincount(feeder, weights=on_roofs, minlength=len(hosting))
        return system_kwp <= (hosting - used)[feeder]

    def planning_hosting_kwp(self) -> np.ndarray:
        """PV hosting capacity of each feeder in kWp, as the company plans it from what it
        knows: its power-flow model of the grid and every customer's billed annual kWh on
        its class's standard shape at 12:00, on the day that shape is lowest, with the PV on
        roofs at the start generating at the year's clearest noon (no meter noise, no hidden
        traits). Computed once."""
        if getattr(self, "_hosting_kwp", None) is not None:
            return self._hosting_kwp
        model = self.model
        flow = model.gridflow
        if flow is None:
            from gridvalue.simulation.schema import ScenarioError

            raise ScenarioError("services", "grid_aware PV offers need network.power_flow "
                                "(the company's power-flow model of its grid)")
        c, loads, topo = model.customers, model.loads, model.topology
        noon = loads.shapes_kw_per_kwh.shape[2] // 2
        shape = loads.shapes_kw_per_kwh[:, :, noon][c["profile_class"]]  # (customers, days)
        expected = shape * (c["annual_kwh"] * c["load_scale"])[:, None]
        day = int(np.argmin(expected.sum(axis=0)))
        pv_per_kwp = float(loads.pv_kw_per_kwp[:, noon].max())
        point_kw = (topo.customer_to_transformer @ (expected[:, day]
                                                    - c["pv_kwp"] * pv_per_kwp))[:, None]
        p, q = flow.loads(point_kw, np.array([0]))
        frame = flow.hosting_on(p[0], q[0], topo.transformer_feeder,
                                topo.transformer_rating_kva)
        hosting = np.zeros(topo.n_feeders)
        hosting[frame["feeder"].to_numpy()] = frame["hosting_kw"].to_numpy() / pv_per_kwp
        self._hosting_kwp = hosting
        return hosting

    def _accrue_capacity(self, date: datetime.date, day: int, peak_kw: float) -> None:
        """Book the capacity cost of each 365-day year's peak, accrued at month ends."""
        day_of_year = day % 365
        if day_of_year == 0:
            self._year_peak_kw, self._capacity_booked = 0.0, 0.0
        self._year_peak_kw = max(self._year_peak_kw, peak_kw)
        month_end = (date + datetime.timedelta(days=1)).day == 1
        last_day = day == self.model.scenario.meta.days - 1
        if month_end or last_day or day_of_year == 364:
            owed = (self._year_peak_kw * self.finance.capacity_cost_per_kw_year
                    * self.price_level * (day_of_year + 1) / 365.0)
            self.ledger.book(date, ENERGY_SALES, "capacity", -(owed - self._capacity_booked))
            self._capacity_booked = owed
