"""A seeded weather generator built from a place's climate normals.

The normals (simulation/data/places.toml, each figure with its source) give monthly means of
the daily mean temperature and of the diurnal range, the spread and persistence of daily
temperature anomalies, and the monthly distribution of the daily clearness index. From them:

- daily mean temperature = the normal of the day (interpolated between mid-month values)
  + an AR(1) anomaly (`temperature_persistence`, marginal sd `temperature_anomaly_sd_c`);
- hourly temperature = the daily mean + half the diurnal range x cos(2 pi (h - 15) / 24)
  (warmest at 15 h, coolest at 3 h: assumption);
- daily clearness index = a Beta draw with the month's mean and sd on [0, KT_MAX], through a
  Gaussian copula whose latent variable is AR(1) (`clearness_persistence`).

The expected degree-hours of the climate (the normals without anomalies, integrated over the
anomaly's normal distribution in closed form) set what an average year looks like, so loads
normalised on them deliver their annual energy in expectation.
"""

import calendar
import dataclasses
import datetime
import functools
import tomllib
from importlib import resources

import numpy as np
from scipy import special, stats

KT_MAX = 0.85  # clearest daily sky: daily clearness indices stay below about 0.8 (assumption)
WARMEST_HOUR = 15.0  # hour of the day's maximum temperature (assumption)
MONTHLY = ("monthly_mean_temperature_c", "diurnal_range_c", "clearness_index_mean")
SCALAR = ("latitude_deg", "longitude_deg", "altitude_m", "utc_offset_hours",
          "temperature_anomaly_sd_c", "temperature_persistence", "clearness_index_sd",
          "clearness_persistence", "household_ac_share", "household_electric_heating_share")


@dataclasses.dataclass(frozen=True)
class Normals:
    """A place's climate normals (monthly tuples start in January)."""

    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    utc_offset_hours: float
    monthly_mean_temperature_c: tuple[float, ...]
    diurnal_range_c: tuple[float, ...]
    temperature_anomaly_sd_c: float
    temperature_persistence: float
    clearness_index_mean: tuple[float, ...]
    clearness_index_sd: float
    clearness_persistence: float
    household_ac_share: float
    household_electric_heating_share: float


@functools.cache
def packaged_places() -> dict[str, dict]:
    """The packaged places and their normals as read from the data file."""
    text = (resources.files("gridvalue.simulation") / "data" / "places.toml").read_text("utf-8")
    return tomllib.loads(text)


def place_names() -> tuple[str, ...]:
    return tuple(sorted(packaged_places()))


def normals_for(place) -> Normals:
    """The normals of a scenario's `[place]`: the packaged place's, with the overrides it
    gives (every override field is a tuple: empty keeps the packaged value)."""
    raw = packaged_places()[place.name]
    values = {}
    for name in MONTHLY + SCALAR:
        given = tuple(getattr(place, name, ()))
        packaged = raw[name] if isinstance(raw[name], list) else [raw[name]]
        value = given if given else tuple(packaged)
        values[name] = tuple(float(v) for v in value) if name in MONTHLY else float(value[0])
    return Normals(name=place.name, **values)


def clearness_beta(mean: float, sd: float) -> tuple[float, float] | None:
    """Beta(a, b) parameters of the clearness index scaled to [0, KT_MAX]; None if the mean
    and sd are not feasible for a Beta on that range."""
    m, s = mean / KT_MAX, sd / KT_MAX
    if not 0.0 < m < 1.0 or s <= 0.0 or s * s >= m * (1.0 - m):
        return None
    common = m * (1.0 - m) / (s * s) - 1.0
    return m * common, (1.0 - m) * common


def _day_of_year_fraction(dates: list[datetime.date]) -> np.ndarray:
    """Position of each date in its year in calendar months (0.5 = mid-January)."""
    out = np.empty(len(dates))
    for i, d in enumerate(dates):
        out[i] = d.month - 1 + (d.day - 0.5) / calendar.monthrange(d.year, d.month)[1]
    return out


@functools.cache
def _mean_preserving() -> np.ndarray:
    """Maps monthly means to mid-month anchors whose linear interpolation averages back to
    those means over each month ((a[m-1] + 6 a[m] + a[m+1]) / 8 = mean[m])."""
    a = np.zeros((12, 12))
    for m in range(12):
        a[m, m], a[m, (m - 1) % 12], a[m, (m + 1) % 12] = 0.75, 0.125, 0.125
    return np.linalg.inv(a)


def daily_normal(monthly: tuple[float, ...], dates: list[datetime.date]) -> np.ndarray:
    """A monthly normal interpolated to each date: periodic and linear between mid-month
    anchors chosen so that each month keeps its mean."""
    anchors = _mean_preserving() @ np.asarray(monthly, dtype=float)
    months = np.arange(-0.5, 13.0, 1.0)  # mid-December before ... mid-January after
    values = np.r_[anchors[-1], anchors, anchors[0]]
    return np.interp(_day_of_year_fraction(dates), months, values)


def diurnal_shape(intervals_per_day: int) -> np.ndarray:
    """(T,) cos(2 pi (h - WARMEST_HOUR) / 24) at each interval's mid-point hour."""
    hours = (np.arange(intervals_per_day) + 0.5) * 24.0 / intervals_per_day
    return np.cos(2 * np.pi * (hours - WARMEST_HOUR) / 24.0)


def normal_temperature_c(normals: Normals, dates: list[datetime.date],
                         intervals_per_day: int) -> np.ndarray:
    """(days, T) hourly temperature of the climate without anomalies."""
    mean = daily_normal(normals.monthly_mean_temperature_c, dates)
    half_range = 0.5 * daily_normal(normals.diurnal_range_c, dates)
    return mean[:, None] + half_range[:, None] * diurnal_shape(intervals_per_day)[None, :]


def expected_excess(mu: np.ndarray, sd: float) -> np.ndarray:
    """E[max(mu + a, 0)] for a ~ N(0, sd^2): the expected degree-hours above a base when the
    normal climate lies `mu` above it (closed form)."""
    mu = np.asarray(mu, dtype=float)
    if sd <= 0.0:
        return np.maximum(mu, 0.0)
    z = mu / sd
    return mu * special.ndtr(z) + sd * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


@dataclasses.dataclass(frozen=True)
class Weather:
    """The generated weather of the horizon."""

    dates: list
    temperature_c: np.ndarray  # (days, T) hourly air temperature
    daily_mean_c: np.ndarray  # (days,)
    clearness_index: np.ndarray  # (days,) daily clearness index
    clearness_normal: np.ndarray  # (days,) the month's mean clearness index

    def span(self, day: int, take: int) -> "Weather":
        """The weather of days `day` .. `day + take - 1`."""
        sl = slice(day, day + take)
        return Weather(dates=self.dates[sl], temperature_c=self.temperature_c[sl],
                       daily_mean_c=self.daily_mean_c[sl],
                       clearness_index=self.clearness_index[sl],
                       clearness_normal=self.clearness_normal[sl])

    @classmethod
    def generate(cls, normals: Normals, start: datetime.date, days: int,
                 intervals_per_day: int, temperature_rng: np.random.Generator,
                 clearness_rng: np.random.Generator) -> "Weather":
        dates = [start + datetime.timedelta(days=d) for d in range(days)]
        anomaly = _ar1(temperature_rng, days, normals.temperature_persistence)
        anomaly *= normals.temperature_anomaly_sd_c
        hourly = normal_temperature_c(normals, dates, intervals_per_day) + anomaly[:, None]
        latent = _ar1(clearness_rng, days, normals.clearness_persistence)
        u = np.clip(special.ndtr(latent), 1e-9, 1 - 1e-9)
        month = np.array([d.month - 1 for d in dates])
        kt = np.empty(days)
        kt_normal = np.asarray(normals.clearness_index_mean)[month]
        for m in np.unique(month):
            rows = month == m
            a, b = clearness_beta(normals.clearness_index_mean[m], normals.clearness_index_sd)
            kt[rows] = KT_MAX * stats.beta.ppf(u[rows], a, b)
        return cls(dates=dates, temperature_c=hourly, daily_mean_c=hourly.mean(axis=1),
                   clearness_index=kt, clearness_normal=kt_normal)


def _ar1(rng: np.random.Generator, n: int, persistence: float) -> np.ndarray:
    """A stationary AR(1) series of unit variance."""
    eps = rng.standard_normal(n)
    out = np.empty(n)
    scale = np.sqrt(1.0 - persistence**2)
    prev = eps[0] if n else 0.0
    for i in range(n):
        prev = persistence * prev + scale * eps[i] if i else eps[0]
        out[i] = prev
    return out
