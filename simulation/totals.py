"""The day's per-customer totals of the final net loads, in one compiled pass.

`operate` computes them once a day (simulation/kernels.py `day_totals`): each customer's
running peak, the households' summed load, each customer's imports and exports and, for the
customers on time-varying prices, the import cost, which the settlement's bills read
(simulation/tariffs.py `day_bills`), and each transformer's load, which `aggregate` takes
(simulation/network.py). The values are bit for bit those of the NumPy and scipy expressions
they replace (`np.maximum(peak, kw.max(axis=1))`, `kw[:h].sum(axis=0)`,
`np.maximum(kw, 0).sum(axis=1)`, `np.maximum(-kw, 0).sum(axis=1)`,
`customer_to_transformer @ kw`) and of `kernels.import_costs`."""

import weakref
from dataclasses import dataclass

import numpy as np

from gridvalue.simulation import kernels
from gridvalue.simulation.prices import DayPrices


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
    prices: DayPrices | None = None  # the prices of `import_cost`, if asked for
    import_cost: np.ndarray | None = None  # (len(prices.rows),) einsum(max(load, 0), price)
    # of the priced rows, currency/h; x hours = the bills' energy cost

    @classmethod
    def of(cls, customer_kw: np.ndarray, n_households: int, peak_kw: np.ndarray,
           customer_transformer: np.ndarray | None = None,
           n_transformers: int = 0, prices: DayPrices | None = None) -> "NetTotals":
        """The totals of `customer_kw`, the running peak from the previous `peak_kw`; with
        `customer_transformer` each transformer's summed load (Topology.aggregate's first
        product, bit for bit), and with the day's `prices` the import cost of its rows."""
        n, T = customer_kw.shape
        kw = np.ascontiguousarray(customer_kw, dtype=float)
        peak = np.array(peak_kw, dtype=float)  # a new array, as np.maximum gave
        household, imports, exports = np.empty(T), np.empty(n), np.empty(n)
        if customer_transformer is None:
            parent, transformer = np.empty(0, np.int64), np.empty((0, T))
        else:
            parent = np.ascontiguousarray(customer_transformer, dtype=np.int64)
            transformer = np.empty((n_transformers, T))
        if prices is None:
            rows, factors = np.empty(0, np.intp), (np.empty(0), np.empty(0, np.intp),
                                                    np.empty(0, np.intp), np.empty((0, 0, T)))
        else:
            rows, factors = np.ascontiguousarray(prices.rows), prices.import_prices.parts()
        cost = np.empty(len(rows))
        kernels.day_totals(kw, n_households, peak, household, imports, exports, parent,
                           transformer, rows, *factors, cost)
        return cls(weakref.ref(customer_kw), peak, household, imports, exports,
                   None if customer_transformer is None else transformer,
                   prices, None if prices is None else cost)

    def matches(self, customer_kw: np.ndarray) -> bool:
        """Whether these are the totals of this very array (not a copy or another day's)."""
        return self.source() is customer_kw
