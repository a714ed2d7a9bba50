"""The company's ledger: money booked by month, service line and item; totals and NPV.

Signs: money the company receives is positive, money it pays is negative.
"""

import datetime
from collections import defaultdict

import numpy as np
import pandas as pd


class Ledger:
    """Monthly cash flows of the grid company by service line and item."""

    def __init__(self, start: datetime.date):
        self.start = start
        self._amounts: dict[tuple[str, str, str], float] = defaultdict(float)

    def book(self, date: datetime.date, service_line: str, item: str, amount: float) -> None:
        self._amounts[(f"{date.year:04d}-{date.month:02d}", service_line, item)] += float(amount)

    def to_frame(self) -> pd.DataFrame:
        rows = [(m, line, item, amount) for (m, line, item), amount in self._amounts.items()]
        frame = pd.DataFrame(rows, columns=["month", "service_line", "item", "amount"])
        return frame.sort_values(["month", "service_line", "item"], ignore_index=True)

    def total(self, service_line: str | None = None, item: str | None = None) -> float:
        return float(sum(a for (_, line, it), a in self._amounts.items()
                         if (service_line is None or line == service_line)
                         and (item is None or it == item)))

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
