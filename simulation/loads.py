"""Daily customer loads for all customers at once: weather-driven shape x scale x noise.

load_kw[c, t] = load_scale[c] * min(connected_kw[c], annual_kwh[c] * shape[class[c], day, t]
                * common[day] * exp(s_day[c] * l[c, day] - s_day^2 / 2)
                * exp(s[c] * x[c, t] - s[c]^2 / 2))

`shape` is the class's base shape under the day's weather (simulation/profiles.py); `x` is a
unit-variance AR(1) over the intervals, carried across midnight (`interval_persistence` per
hour), and `l` a unit-variance AR(1) over days (`day_persistence`). Every noise factor has
mean 1, so a customer's expected annual energy is its annual kWh (less the little the
connected-load cap clips).

What the company sees: `shapes_kw_per_kwh` are the expected shapes of the normal climate
(valuations, TOU neutrality, planning), `day_ahead_shapes(day)` those of the day's weather (its
day-ahead forecast), and `pv_kw_per_kwp` the PV shape of normal cloudiness. The generated
weather and the realised PV stay inside the engine.
"""

import numpy as np

from gridvalue.simulation import solar
from gridvalue.simulation.kernels import (
    day_levels,
    day_scales,
    gross_day_threads,
    kernel_threads,
    normal_table,
)
from gridvalue.simulation.kernels_exp import gross_day_fast, gross_day_table_fast
from gridvalue.simulation.pcg64 import standard_normals
from gridvalue.simulation.prefetch import DrawAhead, TwoBuffers, shared_rows
from gridvalue.simulation.profiles import climate_shapes
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.tables import Table
from gridvalue.simulation.weather import Weather, daily_normal, normals_for


class DayDraws:
    """A day's noise draws for `key` = (customers n, intervals T, table noise): the interval
    draws (T, n) first (unit normals, or 16-bit uniforms four from each raw 64-bit draw),
    then the day level's n normals, the normals into `TwoBuffers`: the day taken is read
    (`LoadEngine.gross_kw`) before the draw after next overwrites it."""

    def __init__(self):
        self._buffers = TwoBuffers()

    def __call__(self, rng: np.random.Generator, key: tuple[int, int, bool]) -> tuple[
            np.ndarray, np.ndarray]:
        n, T, table = key
        if table:
            raw = rng.bit_generator.random_raw(-(-T * n // 4))
            return raw.view(np.uint16)[:T * n].reshape(T, n), rng.standard_normal(n)
        z, level = self._buffers.next((T, n), (n,))
        standard_normals(rng, z, level)  # one compiled call, PCG64 stepped inside it
        return z, level


class LoadEngine:
    """Weather, shapes and PV for the horizon; `gross_kw` and `pv_kw` per simulated day.

    `gross_kw` carries the noise state from one day to the next: call it once per day, in
    order. Its draws come from the engine's own stream (`loads`), the next day's taken ahead
    on a background thread while the model runs the day (simulation/prefetch.py; the same
    numbers in the same order; `prefetch=False` or `GRIDVALUE_PREFETCH=0`: none)."""

    def __init__(self, scenario: Scenario, streams: Streams, prefetch: bool | None = None):
        meta, prof = scenario.meta, scenario.profiles
        T = meta.intervals_per_day
        self.intervals_per_day = T
        self.hours_per_interval = 24.0 / T
        self.normals = normals_for(scenario.place)
        self.weather = Weather.generate(self.normals, meta.start_date, meta.days, T,
                                        streams.fresh("weather:temperature"),
                                        streams.fresh("weather:clearness"))
        self.shapes_kw_per_kwh, self._weather_shapes = climate_shapes(
            prof, self.normals, meta.start_date, meta.days, T, self.weather)
        weather = streams["weather"]
        sigma = prof.weather_day_sigma
        self.weather_factor = np.exp(sigma * weather.standard_normal(meta.days) - 0.5 * sigma**2)
        self._pv_shapes(prof)
        annual, _ = climate_shapes(prof, self.normals, meta.start_date, 365, T)
        self.class_peak_kw_per_kwh = annual.max(axis=(1, 2))  # over a year from the start
        self.class_full_load_hours = 1.0 / self.class_peak_kw_per_kwh
        self.interval_persistence = prof.interval_persistence ** (24.0 / T)
        self.day_persistence = prof.day_persistence
        self.noise_draws = DrawAhead(streams["loads"], DayDraws(), prefetch)  # nothing else
        self._state = None  # (last interval noise, day level) per customer, set on first use
        self._state_rng = streams.fresh("loads:initial")
        self._streams, self._profiles, self._planning = streams, prof, None
        self._year = None
        self._normal_table = None  # profiles.interval_noise = "table": built on first use

    def _pv_per_kwp(self, weather: Weather, prof) -> tuple[np.ndarray, np.ndarray]:
        """(days, T) PV per kWp under normal cloudiness and under `weather`'s own sky, both
        scaled so that a year of normal cloudiness yields the specific yield."""
        T = self.intervals_per_day
        sky = solar.sky(self.normals, weather.dates, T)
        args = (prof.pv_tilt_deg, prof.pv_azimuth_deg)
        normal_index = solar.clear_sky_index(sky, weather.clearness_normal)
        normal_daily = daily_normal(self.normals.monthly_mean_temperature_c, weather.dates)
        normal_temp = weather.temperature_c - (weather.daily_mean_c - normal_daily)[:, None]
        expected = solar.pv_kw_per_kwp(sky, *args, normal_index, normal_temp,
                                       prof.pv_temperature_coefficient_per_k)
        realised = solar.pv_kw_per_kwp(sky, *args,
                                       solar.clear_sky_index(sky, weather.clearness_index),
                                       weather.temperature_c,
                                       prof.pv_temperature_coefficient_per_k)
        reference_kwh = expected.sum() * self.hours_per_interval * 365.0 / len(weather.dates)
        # degradation by each system's age is the model's (growth.pv_degradation_per_year)
        scale = prof.pv_specific_yield_kwh_per_kwp / max(reference_kwh, 1e-9)
        return expected * scale, realised * scale

    def _pv_shapes(self, prof) -> None:
        """Expected PV per kWp (normal cloudiness), the realised one, and their daily ratio."""
        self.pv_kw_per_kwp, self._pv_realised = self._pv_per_kwp(self.weather, prof)
        expected = self.pv_kw_per_kwp.sum(axis=1)
        self.pv_day_factor = np.divide(self._pv_realised.sum(axis=1), expected,
                                       out=np.ones(len(self.weather.dates)), where=expected > 0)

    def year_shapes(self) -> tuple[np.ndarray, np.ndarray]:
        """A full year from the start date of what the company expects, whatever the horizon:
        class shapes of the normal climate (n_classes, 365, T) in kW per annual kWh and PV of
        normal cloudiness (365, T) in kW per kWp (offers are valued on a year)."""
        if self._year is None:
            if len(self.weather.dates) >= 365:
                self._year = (self.shapes_kw_per_kwh[:, :365], self.pv_kw_per_kwp[:365])
            else:
                prof, T, start = self._profiles, self.intervals_per_day, self.weather.dates[0]
                weather = Weather.generate(self.normals, start, 365, T,
                                           self._streams.fresh("weather:year:temperature"),
                                           self._streams.fresh("weather:year:clearness"))
                shapes, _ = climate_shapes(prof, self.normals, start, 365, T)
                self._year = (shapes, self._pv_per_kwp(weather, prof)[0])
        return self._year

    def planning_shapes(self, years: int = 10) -> np.ndarray:
        """(n_classes, days, T) shapes of `years` synthetic years of weather drawn from the
        place's normals (the company's climatology, its own stream: not the run's weather),
        from the start date; for planning quantiles of daily peaks."""
        if self._planning is None:
            days = 365 * years
            start = self.weather.dates[0]
            streams = self._streams
            weather = Weather.generate(self.normals, start, days, self.intervals_per_day,
                                       streams.fresh("weather:planning:temperature"),
                                       streams.fresh("weather:planning:clearness"))
            self._planning = climate_shapes(self._profiles, self.normals, start, days,
                                            self.intervals_per_day, weather)[1]
        return self._planning

    def day_ahead_shapes(self, day: int) -> np.ndarray:
        """(n_classes, T) kW per annual kWh expected for `day` given its weather."""
        return self._weather_shapes[:, day, :]

    def gross_kw(self, customers: Table, day: int, out: np.ndarray | None = None,
                 ahead: bool = True) -> np.ndarray:
        """Demand of every customer before PV and storage, kW, shaped (n_customers, T), into
        `out` if given (float64, C-contiguous, that shape), else a new array. Tomorrow's
        draws start when it is done, or with `ahead=False` when the caller calls
        `draw_ahead` (after other passes it shares with the worker thread)."""
        n, T = len(customers), self.intervals_per_day
        if self._state is None or len(self._state[0]) != n:
            self._state = (self._state_rng.standard_normal(n), self._state_rng.standard_normal(n))
        last, level = self._state
        key = self._draw_key(n)
        table = key[2]  # the table noise
        z, level_draws = self.noise_draws.take(key)
        phi = self.day_persistence
        level, last = level.copy(), last.copy()  # the day's state: the kernels write in place
        sigma = customers["interval_sigma"]
        factor = np.empty(n)
        day_levels(level, level_draws, phi, np.sqrt(1.0 - phi**2), customers["day_sigma"],
                   sigma, factor)
        np.exp(factor, out=factor)  # NumPy's exp (not the kernels' libm): the numbers as before
        # the connected load caps the draw; efficient kit (load_scale < 1) lowers it in step
        scale, cap = np.empty(n), np.empty(n)
        day_scales(customers["annual_kwh"], customers["load_scale"], factor,
                   float(self.weather_factor[day]), customers["connected_kw"], scale, cap)
        x = np.empty((n, T)) if out is None else out
        shape = np.ascontiguousarray(self._weather_shapes[:, day, :])
        klass, rho = customers["profile_class"], self.interval_persistence
        if table:  # the customers shared with the worker thread, before it draws tomorrow's
            if self._normal_table is None:
                self._normal_table = normal_table()
            quantiles = self._normal_table
            shared_rows(lambda s: gross_day_table_fast(z, quantiles, last, rho, sigma, scale,
                                                       shape, klass, cap, x, s.start, s.stop), n)
        elif kernel_threads() > 1:
            gross_day_threads(z, last, rho, sigma, scale, shape, klass, cap, x)
        else:  # shared with the worker thread too
            shared_rows(lambda s: gross_day_fast(z, last, rho, sigma, scale, shape, klass, cap,
                                                 x, s.start, s.stop), n)
        if ahead:
            self.draw_ahead(n, day)
        self._state = (last, level)
        return x

    def draw_ahead(self, n_customers: int, day: int) -> None:
        """Start the draws of the day after `day` on the worker thread, to run while the rest
        of the day does (the same numbers as drawn then; nothing after the horizon)."""
        if day + 1 < len(self.weather.dates):
            self.noise_draws.ahead(self._draw_key(n_customers))

    def _draw_key(self, n_customers: int) -> tuple[int, int, bool]:
        """A day's draws' key: customers, intervals, table noise (`DayDraws`)."""
        return n_customers, self.intervals_per_day, self._profiles.interval_noise == "table"

    def pv_kw(self, kwp: np.ndarray, day: int) -> np.ndarray:
        """PV output of the given installed capacities, kW, shaped (len(kwp), T)."""
        return kwp[:, None] * self._pv_realised[day][None, :]

