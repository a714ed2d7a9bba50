"""The company's ledger: money booked by month, service line and item; totals and NPV.

Signs: money the company receives is positive, money it pays is negative. The ledger is cash
only: capex when it is spent, what a defaulter's repossessed asset brings back when it comes
in. Accounting write-offs of defaulted contracts go to a separate table (`writeoffs`), never
into the cash, its totals or any NPV.
"""

import datetime
from collections import defaultdict

import numpy as np
import pandas as pd

WRITEOFF = "default_writeoff"
ENERGY_SALES = "energy_sales"
# the company's own lines; the market opens one line per service (`open_line`)
COMPANY_LINES = (ENERGY_SALES, "data_platform", "grid_storage")
# every item money is booked under (sign: + received, - paid)
ITEMS = frozenset({
    "revenue", "wholesale_energy", "capacity", "margin_lost_to_services",  # energy sales
    "capex_annuity",  # grid storage
    "meter_capex_annuity", "platform_opex", "analytics",  # data platform
    "capex", "marketing", "termination_fees", "payments_to_customers", "opex", "margin_lost",
    "vat", "subsidy", "recoveries", "income_tax", "audit",  # service lines
})


def month_key(date: datetime.date) -> str:
    return f"{date.year:04d}-{date.month:02d}"


class Ledger:
    """Monthly cash flows of the grid company by service line and item, and (apart) the
    accounting write-offs of defaulted contracts."""

    def __init__(self, start: datetime.date, lines: tuple[str, ...] = COMPANY_LINES):
        self.start = start
        self.lines = set(lines)
        self._amounts: dict[tuple[str, str, str], float] = defaultdict(float)
        self._writeoffs: dict[tuple[str, str], float] = defaultdict(float)

    def open_line(self, service_line: str) -> None:
        """Allow bookings on a service's line."""
        self.lines.add(service_line)

    def book(self, date: datetime.date, service_line: str, item: str, amount: float) -> None:
        """The one booking path of cash: `amount` (+ received, - paid) on a known line and
        item in the month of `date`."""
        self._enter(self._amounts, (month_key(date), service_line, item), service_line, item,
                    amount)

    def write_off(self, date: datetime.date, service_line: str, amount: float) -> None:
        """Record an accounting write-off (>= 0): not cash, never in `to_frame` or `npv`."""
        self._enter(self._writeoffs, (month_key(date), service_line), service_line, WRITEOFF,
                    amount)

    def _enter(self, table: dict, key: tuple, service_line: str, item: str,
               amount: float) -> None:
        """Every entry passes here: the line must be open and the item known."""
        if service_line not in self.lines:
            raise ValueError(f"ledger: unknown service line {service_line!r}")
        if item not in ITEMS and item != WRITEOFF:
            raise ValueError(f"ledger: unknown item {item!r}")
        table[key] += float(amount)

    def to_frame(self) -> pd.DataFrame:
        rows = [(m, line, item, amount) for (m, line, item), amount in self._amounts.items()]
        frame = pd.DataFrame(rows, columns=["month", "service_line", "item", "amount"])
        return frame.sort_values(["month", "service_line", "item"], ignore_index=True)

    def writeoffs_frame(self) -> pd.DataFrame:
        """Write-offs by month and service line (positive amounts, currency)."""
        rows = [(m, line, WRITEOFF, a) for (m, line), a in self._writeoffs.items()]
        frame = pd.DataFrame(rows, columns=["month", "service_line", "item", "amount"])
        return frame.sort_values(["month", "service_line"], ignore_index=True)

    def total(self, service_line: str | None = None, item: str | None = None) -> float:
        return float(sum(a for (_, line, it), a in self._amounts.items()
                         if (service_line is None or line == service_line)
                         and (item is None or it == item)))

    def year_total(self, service_line: str, year: int, exclude: tuple[str, ...] = ()) -> float:
        """Cash of one service line in a calendar year, leaving out the `exclude` items."""
        prefix = f"{year:04d}-"
        return float(sum(a for (m, line, it), a in self._amounts.items()
                         if line == service_line and m.startswith(prefix) and it not in exclude))

    def writeoff_total(self, service_line: str | None = None) -> float:
        return float(sum(a for (_, line), a in self._writeoffs.items()
                         if service_line is None or line == service_line))

    def months_from_start(self, date: datetime.date) -> int:
        """1 for the start month, 2 for the next...: the month-end index NPV discounts at."""
        return (date.year * 12 + date.month) - (self.start.year * 12 + self.start.month) + 1

    def discount_factor(self, date: datetime.date, discount_rate_per_year: float) -> float:
        """The factor `npv` applies to money booked in the month of `date`."""
        return (1.0 + discount_rate_per_year) ** (-self.months_from_start(date) / 12.0)

    def npv(self, discount_rate_per_year: float, service_line: str | None = None) -> float:
        """Net present value at the start date, each month's flow discounted at its month end
        (of one service line, or of everything)."""
        frame = self.to_frame()
        if service_line is not None:
            frame = frame[frame["service_line"] == service_line]
        if frame.empty:
            return 0.0
        monthly = frame.groupby("month")["amount"].sum()
        first = self.start.year * 12 + self.start.month - 1
        index = np.array([int(m[:4]) * 12 + int(m[5:]) - 1 - first + 1 for m in monthly.index])
        factor = (1.0 + discount_rate_per_year) ** (-index / 12.0)
        return float((monthly.to_numpy() * factor).sum())

    def annual_frame(self, contracts: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per year and service line: revenue, costs, margin lost, net cash and (from a
        contract table with `service`, `start_year`, `end_year`) contracts live in the year."""
        frame = self.to_frame()
        frame["year"] = frame["month"].str[:4].astype(int)
        amount = frame["amount"]
        frame["revenue"] = np.where(frame["item"] == "revenue", amount, 0.0)
        frame["margin_lost"] = np.where(frame["item"] == "margin_lost", -amount, 0.0)
        other = ~frame["item"].isin(["revenue", "margin_lost"])
        frame["costs"] = np.where(other & (amount < 0), -amount, 0.0)
        frame["other_income"] = np.where(other & (amount > 0), amount, 0.0)
        out = frame.groupby(["year", "service_line"], as_index=False).agg(
            revenue=("revenue", "sum"), costs=("costs", "sum"),
            other_income=("other_income", "sum"), margin_lost=("margin_lost", "sum"),
            net_cash=("amount", "sum"))
        out["contracts"] = 0
        if contracts is not None and len(contracts):
            for i, row in out.iterrows():
                live = contracts[(contracts["service"] == row["service_line"])
                                 & (contracts["start_year"] <= row["year"])
                                 & (contracts["end_year"] >= row["year"])]
                out.loc[i, "contracts"] = len(live)
        return out
