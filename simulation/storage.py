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
