"""Batteries as a struct of arrays, and a day-ahead peak-shaving dispatch within SoC limits
(compiled loops in simulation/kernels.py).

Sign convention: battery power > 0 charges (adds to the site's net load), < 0 discharges.
Energy balance per interval: soc' = soc + eta_c * charge * dt - discharge * dt / eta_d,
with eta_c = eta_d = sqrt(round-trip efficiency).
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.kernels import peak_shaving_day, price_day


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
    n = len(batteries.soc_kwh)
    power, losses = np.zeros_like(net_kw, dtype=float), np.zeros(n)
    if n:
        peak_shaving_day(np.ascontiguousarray(net_kw, dtype=float), batteries.soc_kwh,
                         batteries.soc_min_kwh, batteries.soc_max_kwh,
                         np.asarray(batteries.power_kw, dtype=float),
                         batteries.one_way_efficiency, hours_per_interval, 40, power, losses)
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
    n = len(batteries.soc_kwh)
    power, losses = np.zeros_like(net_kw, dtype=float), np.zeros(n)
    if n:
        price_day(np.ascontiguousarray(net_kw, dtype=float),
                  np.ascontiguousarray(price_per_kwh, dtype=float), batteries.soc_kwh,
                  batteries.soc_min_kwh, batteries.soc_max_kwh,
                  np.asarray(batteries.power_kw, dtype=float), batteries.one_way_efficiency,
                  float(batteries.roundtrip_efficiency), hours_per_interval, power, losses)
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
