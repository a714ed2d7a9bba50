"""Home batteries dispatched by the company against their transformers' load (fleet dispatch).

The household's own energy management uses simulation/storage.py as is: price arbitrage
(`dispatch_price`) where its package's prices vary, else self-consumption and its own peak
(`dispatch_peak_shaving`). The company instead sees each transformer's net load for the day
(day-ahead) and runs the home batteries under it as one: they discharge, each in proportion
to its power and within its own state of charge, whenever the transformer's load is above
the level the fleet's usable energy can shave (`storage.shaving_threshold`), and recharge
below the transformer's mean load. Same sign convention and energy balance as storage.py:
soc' = soc + eta * charge * dt - discharge * dt / eta, eta = sqrt(round-trip efficiency).
"""

import numpy as np

from gridvalue.simulation.storage import Batteries, shaving_threshold


def dispatch_fleet(batteries: Batteries, site: np.ndarray, site_kw: np.ndarray,
                   hours_per_interval: float) -> tuple[np.ndarray, np.ndarray]:
    """Power (n, T) and losses (n,) of batteries at sites `site` (index into the rows of
    `site_kw`, (sites, T), the sites' net loads before the batteries). Mutates soc."""
    eta, dt = batteries.one_way_efficiency, hours_per_interval
    soc = batteries.soc_kwh
    soc_min, soc_max, p_max = batteries.soc_min_kwh, batteries.soc_max_kwh, batteries.power_kw
    n, T = len(soc), site_kw.shape[1]
    power, losses = np.zeros((n, T)), np.zeros(n)
    if n == 0:
        return power, losses
    sites, local = np.unique(site, return_inverse=True)
    load = site_kw[sites]
    group_power = np.bincount(local, weights=p_max, minlength=len(sites))
    usable = np.bincount(local, weights=np.maximum(soc - soc_min, 0.0), minlength=len(sites))
    threshold = shaving_threshold(load, usable * eta, group_power, dt)
    valley = load.mean(axis=1)
    share = np.divide(p_max, group_power[local], out=np.zeros(n), where=group_power[local] > 0)
    for t in range(T):
        excess = np.maximum(load[:, t] - threshold, 0.0)[local]
        room = np.maximum(valley - load[:, t], 0.0)[local]
        discharge = np.minimum.reduce([excess * share, p_max,
                                       np.maximum(soc - soc_min, 0.0) * eta / dt])
        charge = np.where(excess > 0, 0.0, np.minimum.reduce(
            [room * share, p_max, np.maximum(soc_max - soc, 0.0) / (eta * dt)]))
        soc += charge * eta * dt - discharge * dt / eta
        losses += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
        power[:, t] = charge - discharge
    np.clip(soc, soc_min, soc_max, out=soc)  # guards rounding only
    return power, losses
