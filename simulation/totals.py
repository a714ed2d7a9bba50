"""The day's per-customer totals of the final net loads, in one compiled pass.

`operate` computes them once a day (simulation/kernels.py `day_totals`): each customer's
running peak, the households' summed load, each customer's imports and exports, which the
settlement's bills read (simulation/tariffs.py `day_bills`), and each transformer's load,
which `aggregate` takes (simulation/network.py). The values are bit for bit those of the
NumPy and scipy expressions they replace (`np.maximum(peak, kw.max(axis=1))`,
`kw[:h].sum(axis=0)`, `np.maximum(kw, 0).sum(axis=1)`, `np.maximum(-kw, 0).sum(axis=1)`,
`customer_to_transformer @ kw`).
"""

import weakref
from dataclasses import dataclass

import numpy as np

from gridvalue.simulation import kernels


@dataclass(frozen=True)
class NetTotals:
    """Totals of one day's net loads `customer_kw` (n, T); treat as read-only."""

    source: weakref.ref  # the loads they were computed from (identity; not kept alive)
    peak_kw: np.ndarray  # (n,) running peak: yesterday's peak or today's highest interval
    household_kw: np.ndarray  # (T,) the households' (the first rows') summed load
    import_kw: np.ndarray  # (n,) sum over intervals of max(load, 0); x hours = kWh
    export_kw: np.ndarray  # (n,) sum over intervals of max(-load, 0)

    transformer_kw: np.ndarray | None = None  # (n_transformers, T) if asked for; `aggregate`
    # takes it over (and may add the company batteries to it)

    @classmethod
    def of(cls, customer_kw: np.ndarray, n_households: int, peak_kw: np.ndarray,
           customer_transformer: np.ndarray | None = None,
           n_transformers: int = 0) -> "NetTotals":
        """The totals of `customer_kw`, the running peak from the previous `peak_kw`, and with
        `customer_transformer` each transformer's summed load (Topology.aggregate's first
        product, bit for bit)."""
        n, T = customer_kw.shape
        kw = np.ascontiguousarray(customer_kw, dtype=float)
        peak = np.array(peak_kw, dtype=float)  # a new array, as np.maximum gave
        household, imports, exports = np.empty(T), np.empty(n), np.empty(n)
        if customer_transformer is None:
            parent, transformer = np.empty(0, np.int64), np.empty((0, T))
        else:
            parent = np.ascontiguousarray(customer_transformer, dtype=np.int64)
            transformer = np.empty((n_transformers, T))
        kernels.day_totals(kw, n_households, peak, household, imports, exports, parent,
                           transformer)
        return cls(weakref.ref(customer_kw), peak, household, imports, exports,
                   None if customer_transformer is None else transformer)

    def matches(self, customer_kw: np.ndarray) -> bool:
        """Whether these are the totals of this very array (not a copy or another day's)."""
        return self.source() is customer_kw

