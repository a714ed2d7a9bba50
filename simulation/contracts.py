"""A growing struct-of-arrays book of contracts: terms, dates, status and cash to date.

`npv_to_date`: the contract's own cash booked so far (capex, revenue, payments, upkeep,
margin its effect took, recoveries), each month discounted to the start date at the
company's rate, as the ledger's NPV discounts it.
"""

import numpy as np

ACTIVE, COMPLETED, DEFAULTED, TERMINATED = 0, 1, 2, 3
STATUS_NAMES = ("active", "completed", "defaulted", "terminated")  # terminated: ended early


class ContractBook:
    """Contracts of one service. Core columns plus any service-specific float columns."""

    CORE = {"customer": np.int64, "start_day": np.int64, "term_months": np.int64,
            "months_settled": np.int64, "status": np.int8, "capex": float,
            "received": float, "paid_out": float, "recovered": float,
            "npv_to_date": float}

    def __init__(self):
        self.columns = {name: np.zeros(0, dtype=dtype) for name, dtype in self.CORE.items()}
        self.n = 0

    def add(self, customers: np.ndarray, start_day: int, term_months: int | np.ndarray,
            capex: np.ndarray, **extra: np.ndarray) -> np.ndarray:
        """Append contracts; return their row indices."""
        k = len(customers)
        new = {"customer": customers, "start_day": np.full(k, start_day),
               "term_months": np.broadcast_to(term_months, (k,)), "months_settled": np.zeros(k),
               "status": np.zeros(k), "capex": capex, "received": np.zeros(k),
               "paid_out": np.zeros(k), "recovered": np.zeros(k),
               "npv_to_date": np.zeros(k)} | extra
        for name in set(self.columns) | set(new):
            if name not in self.columns:
                self.columns[name] = np.zeros(self.n)
            values = np.asarray(new.get(name, np.zeros(k)), dtype=self.columns[name].dtype)
            self.columns[name] = np.concatenate([self.columns[name], values])
        rows = np.arange(self.n, self.n + k)
        self.n += k
        return rows

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.columns and self.n == 0:
            return np.zeros(0)  # an empty book has every column, empty
        return self.columns[name]

    def __len__(self) -> int:
        return self.n

    def active(self) -> np.ndarray:
        return np.flatnonzero(self.columns["status"] == ACTIVE)
