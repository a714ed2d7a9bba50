"""The grid company: sells energy, buys it wholesale per interval, pays for its peak, keeps
the books."""

import datetime

import mesa
import numpy as np

from gridvalue.simulation.ledger import Ledger
from gridvalue.simulation.scenario import Company, Tariff

ENERGY_SALES = "energy_sales"


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
        self._capacity_booked = 0.0

    def settle_day(self, date: datetime.date, day: int, customer_kw: np.ndarray,
                   system_kw: np.ndarray, hours_per_interval: float) -> None:
        """Bill every customer for the day at its tariff's prices (simulation/tariffs.py), book
        sales, wholesale energy and capacity accrual."""
        customers = self.model.customers
        imports_kwh = np.maximum(customer_kw, 0.0).sum(axis=1) * hours_per_interval
        exports_kwh = np.maximum(-customer_kw, 0.0).sum(axis=1) * hours_per_interval
        bills = self.model.tariffs.bills(customer_kw, self.tariff.export_price_per_kwh,
                                         imports_kwh, exports_kwh)
        customers["import_kwh"] += imports_kwh
        customers["export_kwh"] += exports_kwh
        customers["bill"] += bills
        customers["month_bill"] += bills
        self.ledger.book(date, ENERGY_SALES, "revenue", bills.sum())
        self.ledger.book(date, ENERGY_SALES, "wholesale_energy",
                         -self.wholesale_cost(day, system_kw, hours_per_interval))
        self._accrue_capacity(date, day, float(system_kw.max()))

    def wholesale_prices(self, day: int) -> np.ndarray:
        """(T,) what the company pays per kWh bought in each interval of `day`."""
        return (self.finance.wholesale_price_per_kwh * self.wholesale_index
                * self.model.tariffs.wholesale_multipliers(day))

    def wholesale_cost(self, day: int, system_kw: np.ndarray, hours_per_interval: float) -> float:
        """Energy bought for the day's system load (with network losses) at each interval's
        wholesale price."""
        bought_kwh = np.maximum(system_kw, 0.0) * hours_per_interval * (
            1.0 + self.finance.loss_share)
        return float(bought_kwh @ self.wholesale_prices(day))

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
                    * (day_of_year + 1) / 365.0)
            self.ledger.book(date, ENERGY_SALES, "capacity", -(owed - self._capacity_booked))
            self._capacity_booked = owed
