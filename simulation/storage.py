"""Batteries as a struct of arrays, and a day-ahead peak-shaving dispatch within SoC limits.

Sign convention: battery power > 0 charges (adds to the site's net load), < 0 discharges.
Energy balance per interval: soc' = soc + eta_c * charge * dt - discharge * dt / eta_d,
with eta_c = eta_d = sqrt(round-trip efficiency).
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class Batteries:
    power_kw: np.ndarray  # (n,) charge and discharge limit
    energy_kwh: np.ndarray  # (n,) nameplate capacity
    soc_kwh: np.ndarray  # (n,) state of charge now (mutated by dispatch)
    roundtrip_efficiency: float
    soc_min_share: float
    soc_max_share: float

    @property
    def one_way_efficiency(self) -> float:
        return float(np.sqrt(self.roundtrip_efficiency))

    @property
    def soc_min_kwh(self) -> np.ndarray:
        return self.energy_kwh * self.soc_min_share

    @property
    def soc_max_kwh(self) -> np.ndarray:
        return self.energy_kwh * self.soc_max_share


def shaving_threshold(net_kw: np.ndarray, energy_kwh: np.ndarray, power_kw: np.ndarray,
                      hours_per_interval: float, iterations: int = 40) -> np.ndarray:
    """Per row, the lowest level whose excess energy (capped at power) fits in `energy_kwh`.

    Bisection, vectorised over rows: the energy above a level falls as the level rises.
    """
    low = np.minimum(net_kw.min(axis=1), net_kw.max(axis=1) - power_kw)
    high = net_kw.max(axis=1)
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        excess = np.minimum(np.maximum(net_kw - mid[:, None], 0.0), power_kw[:, None])
        fits = excess.sum(axis=1) * hours_per_interval <= energy_kwh
        high = np.where(fits, mid, high)
        low = np.where(fits, low, mid)
    return high


def dispatch_peak_shaving(batteries: Batteries, net_kw: np.ndarray,
                          hours_per_interval: float) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch one day against each site's own peak, with perfect day-ahead foresight.

    Discharge above a threshold sized to the usable energy at the start of the day plus the
    PV surplus it can store; charge from PV surplus (net load < 0) and, below the day's mean
    net load, from the grid back up to the maximum state of charge. Returns the battery
    power (n, T) and the losses (n,) in kWh. Mutates `batteries.soc_kwh`.
    """
    eta = batteries.one_way_efficiency
    dt = hours_per_interval
    soc = batteries.soc_kwh
    soc_min, soc_max, p_max = batteries.soc_min_kwh, batteries.soc_max_kwh, batteries.power_kw
    surplus_kwh = np.minimum(np.maximum(-net_kw, 0.0), p_max[:, None]).sum(axis=1) * dt * eta
    usable_kwh = np.minimum(np.maximum(soc - soc_min, 0.0) + surplus_kwh, soc_max - soc_min) * eta
    threshold = shaving_threshold(net_kw, usable_kwh, p_max, dt)
    valley = net_kw.mean(axis=1)
    power = np.zeros_like(net_kw)
    losses = np.zeros(len(soc))
    for t in range(net_kw.shape[1]):
        load = net_kw[:, t]
        discharge = np.minimum.reduce([np.maximum(load - threshold, 0.0), p_max,
                                       np.maximum(soc - soc_min, 0.0) * eta / dt])
        charge_wanted = np.where(load < 0.0, -load, np.maximum(valley - load, 0.0))
        charge_wanted = np.where(load > threshold, 0.0, charge_wanted)
        charge = np.minimum.reduce([charge_wanted, p_max,
                                    np.maximum(soc_max - soc, 0.0) / (eta * dt)])
        soc += charge * eta * dt - discharge * dt / eta
        losses += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
        power[:, t] = charge - discharge
    np.clip(soc, soc_min, soc_max, out=soc)  # guards rounding only; limits hold by construction
    return power, losses


def dispatch_price(batteries: Batteries, net_kw: np.ndarray, price_per_kwh: np.ndarray,
                   hours_per_interval: float) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch one day against each site's prices (n, T), with day-ahead prices known.

    Per row: charge in the cheapest intervals and discharge in the dearest, as many of each
    as filling the usable capacity takes at full power, and only where the dear price times
    the round-trip efficiency beats the cheap one. Discharge never exceeds the site's own
    net import (no export from the battery). Same sign convention, limits and energy balance
    as `dispatch_peak_shaving`; returns battery power (n, T) and losses (n,) in kWh.
    """
    eta = batteries.one_way_efficiency
    dt = hours_per_interval
    soc = batteries.soc_kwh
    soc_min, soc_max, p_max = batteries.soc_min_kwh, batteries.soc_max_kwh, batteries.power_kw
    n, T = net_kw.shape
    power = np.zeros_like(net_kw)
    losses = np.zeros(n)
    if n == 0:
        return power, losses
    fill = np.divide(soc_max - soc_min, p_max * eta * dt, out=np.zeros(n), where=p_max > 0)
    k = np.clip(np.ceil(fill), 1, max(T // 2, 1)).astype(int)
    ordered = np.sort(price_per_kwh, axis=1)
    low = ordered[np.arange(n), k - 1]
    high = ordered[np.arange(n), T - k]
    trade = high * batteries.roundtrip_efficiency > low
    for t in range(T):
        price, load = price_per_kwh[:, t], net_kw[:, t]
        discharge = np.where(trade & (price >= high), np.minimum.reduce(
            [p_max, np.maximum(soc - soc_min, 0.0) * eta / dt, np.maximum(load, 0.0)]), 0.0)
        charge = np.where(trade & (price <= low) & (discharge == 0), np.minimum(
            p_max, np.maximum(soc_max - soc, 0.0) / (eta * dt)), 0.0)
        soc += charge * eta * dt - discharge * dt / eta
        losses += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
        power[:, t] = charge - discharge
    np.clip(soc, soc_min, soc_max, out=soc)  # guards rounding only
    return power, losses


def annuity_factor(rate_per_year: float, years: float) -> float:
    """Capital recovery factor: the yearly payment that repays 1 over `years` at `rate`."""
    if rate_per_year == 0:
        return 1.0 / years
    return rate_per_year / (1.0 - (1.0 + rate_per_year) ** (-years))


def expected_peak_kw(incidence, profile_class: np.ndarray, energy_kwh: np.ndarray,
                     shapes_kw_per_kwh: np.ndarray, days_per_chunk: int = 31) -> np.ndarray:
    """Peak of each group's expected load (noise-free class shapes x annual kWh) over the
    horizon: what a planner sees before metering. incidence: (groups, customers) sparse."""
    import scipy.sparse as sp

    n_classes, days, _ = shapes_kw_per_kwh.shape
    onehot = sp.csr_matrix((energy_kwh, (np.arange(len(energy_kwh)), profile_class)),
                           shape=(len(energy_kwh), n_classes))
    energy_by_class = np.asarray((incidence @ onehot).todense())
    peak = np.zeros(incidence.shape[0])
    for start in range(0, days, days_per_chunk):
        chunk = shapes_kw_per_kwh[:, start:start + days_per_chunk, :].reshape(n_classes, -1)
        np.maximum(peak, (energy_by_class @ chunk).max(axis=1), out=peak)
    return peak
