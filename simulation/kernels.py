"""Compiled (numba) loops of the daily pipeline: one pass over the (customers, T) array where
NumPy makes many.

`gross_day`: the load engine's demand of one day (simulation/loads.py) from its unit normal
draws; `customer_totals`: each customer's energy and peak and the transformers' sums of one
day's net loads. Each computes what the NumPy expressions it replaces compute, in the same
order of summation where a sum crosses customers (so transformer and system loads are
byte-identical); the AR(1) noise is the same recursion written as a recurrence instead of a
product with its filter matrix, equal to rounding (about 1e-16 relative).
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def gross_day(z: np.ndarray, last: np.ndarray, rho: float, sigma: np.ndarray,
              amplitude: np.ndarray, shape: np.ndarray, klass: np.ndarray,
              cap: np.ndarray, out: np.ndarray) -> None:
    """Demand (n, T) into `out` from unit normals `z` (T, n) in the stream's order: the unit
    AR(1) x_t = rho x_{t-1} + sqrt(1 - rho^2) z_t from yesterday's `last` (updated in
    place), then min(cap, amplitude x shape[class, t] x exp(sigma x_t))."""
    T, n = z.shape
    innovation = np.sqrt(1.0 - rho * rho)
    for c in range(n):
        x = last[c]
        s, a, k, limit = sigma[c], amplitude[c], klass[c], cap[c]
        for t in range(T):
            x = rho * x + innovation * z[t, c]
            value = np.exp(x * s) * shape[k, t] * a
            out[c, t] = value if value < limit else limit
        last[c] = x


@numba.njit(cache=True, nogil=True)
def customer_totals(load_kw: np.ndarray, transformer: np.ndarray, n_transformers: int,
                    peak_kw: np.ndarray) -> tuple:
    """One pass over a day's net loads (n, T): each customer's sum over the intervals, its
    running peak (`peak_kw` updated in place) and the transformers' loads (n_transformers,
    T), summed in customer order like the sparse incidence product."""
    n, T = load_kw.shape
    row_sum = np.zeros(n)
    transformer_kw = np.zeros((n_transformers, T))
    for c in range(n):
        j = transformer[c]
        total = 0.0
        high = peak_kw[c]
        for t in range(T):
            v = load_kw[c, t]
            total += v
            if v > high:
                high = v
            transformer_kw[j, t] += v
        row_sum[c] = total
        peak_kw[c] = high
    return row_sum, transformer_kw
