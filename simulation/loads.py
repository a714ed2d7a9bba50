"""Daily customer loads for all customers at once: shape x scale x noise, minus PV.

load_kw[c, t] = annual_kwh[c] * load_scale[c] * shape[class[c], day, t]
                * day_factor[c] * weather[day] * exp(sigma[c] * eps[c, t] - sigma[c]^2 / 2)
Every noise factor has mean 1, so a customer's expected annual energy is its annual kWh.
"""

import numpy as np

from gridvalue.simulation.profiles import load_shapes, pv_clear_sky
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.tables import Table


class LoadEngine:
    """Shapes and common weather for the horizon; `gross_kw` and `pv_kw` per simulated day."""

    def __init__(self, scenario: Scenario, streams: Streams):
        meta, prof = scenario.meta, scenario.profiles
        self.intervals_per_day = meta.intervals_per_day
        self.hours_per_interval = 24.0 / meta.intervals_per_day
        self.shapes_kw_per_kwh = load_shapes(meta.start_date, meta.days, meta.intervals_per_day)
        self.pv_kw_per_kwp = pv_clear_sky(meta.start_date, meta.days, meta.intervals_per_day,
                                          prof.latitude_deg, prof.pv_specific_yield_kwh_per_kwp)
        weather = streams["weather"]
        sigma = prof.weather_day_sigma
        self.weather_factor = np.exp(sigma * weather.standard_normal(meta.days) - 0.5 * sigma**2)
        self.pv_day_factor = _beta_mean_one(weather, prof.pv_day_sigma, meta.days)
        self.day_sigma = prof.customer_day_sigma
        self._noise = streams["loads"]

    def gross_kw(self, customers: Table, day: int) -> np.ndarray:
        """Demand of every customer before PV and storage, kW, shaped (n_customers, T)."""
        n, rng = len(customers), self._noise
        sigma = customers["interval_sigma"][:, None]
        load = rng.standard_normal((n, self.intervals_per_day))
        load *= sigma
        load -= 0.5 * sigma**2
        np.exp(load, out=load)
        day_level = np.exp(self.day_sigma * rng.standard_normal(n) - 0.5 * self.day_sigma**2)
        scale = customers["annual_kwh"] * customers["load_scale"] * day_level
        scale *= self.weather_factor[day]
        load *= self.shapes_kw_per_kwh[:, day, :][customers["profile_class"]]
        load *= scale[:, None]
        return load

    def pv_kw(self, kwp: np.ndarray, day: int) -> np.ndarray:
        """PV output of the given installed capacities, kW, shaped (len(kwp), T)."""
        return kwp[:, None] * (self.pv_kw_per_kwp[day] * self.pv_day_factor[day])[None, :]


def _beta_mean_one(rng: np.random.Generator, relative_sd: float, n: int) -> np.ndarray:
    """Daily PV weather factors: Beta draws with mean 0.7 (clearness), rescaled to mean 1."""
    mean = 0.7
    if relative_sd <= 0.0:
        return np.ones(n)
    var = (relative_sd * mean) ** 2
    common = min(mean * (1 - mean) / var - 1.0, 1e6)
    if common <= 0:
        raise ValueError("profiles.pv_day_sigma is too large for a Beta weather factor")
    return rng.beta(mean * common, (1 - mean) * common, n) / mean
