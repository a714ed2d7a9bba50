"""Compiled (numba) loops of the daily pipeline: one pass over the (customers, T) array where
NumPy makes many.

`gross_day` (and `gross_day_table`, its table-noise twin): the load engine's demand of one
day (simulation/loads.py) from its unit normal draws; `peak_shaving_day` and `price_day`:
the two battery dispatch rules of simulation/storage.py, one row at a time. Each computes what
the NumPy expressions it replaced computed; the AR(1) noise is the same process written as a
recurrence instead of a product with its filter matrix, equal to rounding (about 1e-16
relative), and the bisection and interval loops of the dispatch are unchanged.
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


NORMAL_TABLE_SIZE = 65536


def normal_table() -> np.ndarray:
    """NORMAL_TABLE_SIZE quantiles of the standard normal at the bins' midpoints, rescaled
    to unit variance (mean 0 by symmetry): a 16-bit uniform index draws from it."""
    from scipy.special import ndtri

    q = ndtri((np.arange(NORMAL_TABLE_SIZE) + 0.5) / NORMAL_TABLE_SIZE)
    return q / np.sqrt(np.mean(q**2))


@numba.njit(cache=True, nogil=True)
def gross_day_table(u: np.ndarray, table: np.ndarray, last: np.ndarray, rho: float,
                    sigma: np.ndarray, amplitude: np.ndarray, shape: np.ndarray,
                    klass: np.ndarray, cap: np.ndarray, out: np.ndarray) -> None:
    """`gross_day` with the innovations z[t, c] = table[u[t, c]] (u: 16-bit uniforms)."""
    T, n = u.shape
    innovation = np.sqrt(1.0 - rho * rho)
    for c in range(n):
        x = last[c]
        s, a, k, limit = sigma[c], amplitude[c], klass[c], cap[c]
        for t in range(T):
            x = rho * x + innovation * table[u[t, c]]
            value = np.exp(x * s) * shape[k, t] * a
            out[c, t] = value if value < limit else limit
        last[c] = x


@numba.njit(cache=True, nogil=True)
def peak_shaving_day(net_kw: np.ndarray, soc: np.ndarray, soc_min: np.ndarray,
                     soc_max: np.ndarray, p_max: np.ndarray, eta: float, dt: float,
                     iterations: int, power: np.ndarray, losses: np.ndarray) -> None:
    """simulation/storage.py `dispatch_peak_shaving`, one row at a time: the threshold by
    bisection, then the day's intervals in order; `soc`, `power` and `losses` in place."""
    n, T = net_kw.shape
    for i in range(n):
        p, s, low_soc, high_soc = p_max[i], soc[i], soc_min[i], soc_max[i]
        surplus, total, top, bottom = 0.0, 0.0, -np.inf, np.inf
        for t in range(T):
            v = net_kw[i, t]
            surplus += min(max(-v, 0.0), p)
            total += v
            top = max(top, v)
            bottom = min(bottom, v)
        usable = min(max(s - low_soc, 0.0) + surplus * dt * eta, high_soc - low_soc) * eta
        low, high = min(bottom, top - p), top
        for _ in range(iterations):
            mid = 0.5 * (low + high)
            excess = 0.0
            for t in range(T):
                excess += min(max(net_kw[i, t] - mid, 0.0), p)
            if excess * dt <= usable:
                high = mid
            else:
                low = mid
        threshold, valley, lost = high, total / T, 0.0
        for t in range(T):
            load = net_kw[i, t]
            discharge = min(max(load - threshold, 0.0), p, max(s - low_soc, 0.0) * eta / dt)
            wanted = -load if load < 0.0 else max(valley - load, 0.0)
            if load > threshold:
                wanted = 0.0
            charge = min(wanted, p, max(high_soc - s, 0.0) / (eta * dt))
            s += charge * eta * dt - discharge * dt / eta
            lost += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
            power[i, t] = charge - discharge
        soc[i] = min(max(s, low_soc), high_soc)  # guards rounding only
        losses[i] = lost


@numba.njit(cache=True, nogil=True)
def price_day(net_kw: np.ndarray, price: np.ndarray, soc: np.ndarray, soc_min: np.ndarray,
              soc_max: np.ndarray, p_max: np.ndarray, eta: float, roundtrip: float,
              dt: float, power: np.ndarray, losses: np.ndarray) -> None:
    """simulation/storage.py `dispatch_price`, one row at a time; in place."""
    n, T = net_kw.shape
    for i in range(n):
        p, s, low_soc, high_soc = p_max[i], soc[i], soc_min[i], soc_max[i]
        fill = (high_soc - low_soc) / (p * eta * dt) if p > 0 else 0.0
        k = int(min(max(np.ceil(fill), 1.0), max(T // 2, 1)))
        ordered = np.sort(price[i])
        low, high = ordered[k - 1], ordered[T - k]
        trade = high * roundtrip > low
        lost = 0.0
        for t in range(T):
            q, load = price[i, t], net_kw[i, t]
            discharge = 0.0
            if trade and q >= high:
                discharge = min(p, max(s - low_soc, 0.0) * eta / dt, max(load, 0.0))
            charge = 0.0
            if trade and q <= low and discharge == 0.0:
                charge = min(p, max(high_soc - s, 0.0) / (eta * dt))
            s += charge * eta * dt - discharge * dt / eta
            lost += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
            power[i, t] = charge - discharge
        soc[i] = min(max(s, low_soc), high_soc)  # guards rounding only
        losses[i] = lost
