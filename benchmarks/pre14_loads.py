"""The load engine as it was before issue #14 (commit e412f08, `simulation/loads.py`),
trimmed to its `gross_kw`, as a speed reference for benchmarks/bench_loads.py.

Before #14 a day's demand was the class's BDEW shape of the day (no weather) x annual kWh x
load scale x a common weather factor x a lognormal customer-day level x independent
lognormal noise per interval (no AR(1) persistence, no connected-load cap), in numpy. The
body of `gross_kw` below is that commit's, line for line; only the constructor takes its
inputs from today's model (the shapes array has the same (classes, days, T) layout, and the
shape values do not change the cost). Not used by the model.
"""

import numpy as np


class Pre14Loads:
    """`gross_kw` of the pre-#14 engine over given shapes (classes, days, T) in kW per kWh."""

    def __init__(self, shapes_kw_per_kwh: np.ndarray, weather_factor: np.ndarray,
                 day_sigma: float, rng: np.random.Generator):
        self.shapes_kw_per_kwh = shapes_kw_per_kwh
        self.weather_factor = weather_factor
        self.day_sigma = day_sigma
        self.intervals_per_day = shapes_kw_per_kwh.shape[2]
        self._noise = rng

    def gross_kw(self, customers, day: int) -> np.ndarray:
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
