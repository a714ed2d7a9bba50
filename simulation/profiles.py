"""Standard load shapes, and the same shapes under a place's weather, as kW per annual kWh.

Households, commerce and farms use the BDEW standard load profiles through demandlib (the
1999 set or the 2025 set); industry uses shift-pattern shapes; microgrids blend household and
commercial shapes. Every base shape is normalised so that one calendar year sums to one.

On top of the base shape each class answers the weather (`thermal_factor`): per K of hourly
temperature above the cooling base (air conditioners, HVAC, process cooling), per K below the
heating base (electric heating), and, for farms, per K of daily mean above the cooling base
scaled by how clear the day is (irrigation in dry heat). The response multiplies the base
shape, so it follows when people are there: households cool in the evening, shops and
offices in the afternoon. Each class's shape is then divided by its expected weather factor
over the calendar year in the place's normal climate (closed form), so a customer's expected
annual energy is still its annual kWh; a hot year uses more.
"""

import calendar
import datetime
import functools
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from gridvalue.simulation.weather import (
    Normals,
    Weather,
    daily_normal,
    expected_excess,
    normal_temperature_c,
)

BDEW_CLASSES = ("h0", "h0_dyn", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")
INDUSTRIAL_CLASSES = ("one_shift", "two_shift", "three_shift")
MICROGRID_CLASS = "microgrid"
CLASSES = BDEW_CLASSES + INDUSTRIAL_CLASSES + (MICROGRID_CLASS,)
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}
HOUSEHOLD_CLASSES = ("h0", "h0_dyn")
COMMERCIAL_CLASSES = ("g0", "g1", "g2", "g3", "g4", "g5", "g6")
FARM_CLASSES = ("l0", "l1", "l2")

# Hourly shift patterns (relative power, 0..1) for weekdays, Saturdays, Sundays. Assumption:
# base loads of two- and three-shift plants (furnaces, compressors, cooling) stay on at night
# and at weekends, so that single plants reach 5,000-7,000 full-load hours.
_SHIFT_PATTERNS = {
    "one_shift": (
        [0.25] * 7 + [0.6] + [1.0] * 4 + [0.8] + [1.0] * 4 + [0.5] + [0.3] * 6,
        [0.3] * 8 + [0.5] * 5 + [0.3] * 11,
        [0.25] * 24,
    ),
    "two_shift": (
        [0.55] * 6 + [1.0] * 8 + [0.9] + [1.0] * 7 + [0.55] * 2,
        [0.55] * 6 + [0.9] * 16 + [0.55] * 2,
        [0.55] * 24,
    ),
    "three_shift": (
        [0.95] * 6 + [0.85] + [0.95] * 7 + [0.85] + [0.95] * 7 + [0.85] + [0.95],
        [0.9] * 24,
        [0.85] * 24,
    ),
}


def _calendar(year: int) -> tuple[int, bool]:
    """What BDEW 1999's profiles of a year depend on (demandlib's `ElecSlp` without
    holidays): the weekday of 1 January and whether the year is a leap year."""
    return datetime.date(year, 1, 1).weekday(), calendar.isleap(year)


_BDEW_BY_CALENDAR: dict[tuple[int, bool], dict[str, np.ndarray]] = {}  # at most 14


def _bdew_year(year: int) -> dict[str, np.ndarray]:
    """BDEW shares of annual energy per quarter hour, shaped (days_in_year, 96), per class;
    computed once per calendar (`_calendar`: years of one calendar have the same shares, a
    test), and kept on disk between runs (`bdew_cache_path`). A calendar comes back after 6,
    11 or 28 years, so a run with ten planning years saves one or two of demandlib's
    computations (price_packages: 10 for 11 years); with the disk cache warm, none."""
    key = _calendar(year)
    if key not in _BDEW_BY_CALENDAR:
        _BDEW_BY_CALENDAR[key] = _stored_bdew(year, key)
    return _BDEW_BY_CALENDAR[key]


def cache_folder() -> Path | None:
    """Where gridvalue keeps what it computes the same way in every run (demandlib's BDEW
    1999 profiles): `GRIDVALUE_CACHE_DIR`, else `$XDG_CACHE_HOME/gridvalue`, else
    `~/.cache/gridvalue`; `GRIDVALUE_CACHE_DIR=""`: nothing kept."""
    folder = os.environ.get("GRIDVALUE_CACHE_DIR")
    if folder is not None:
        return Path(folder) if folder else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gridvalue"


def bdew_cache_path(key: tuple[int, bool]) -> Path | None:
    """The file of a calendar's BDEW 1999 profiles, named by demandlib's version (another
    version computes them anew), or None where nothing is kept."""
    from importlib.metadata import version

    folder = cache_folder()
    if folder is None:
        return None
    weekday, leap = key
    return folder / (f"bdew1999-demandlib-{version('demandlib')}-jan1-weekday{weekday}-"
                     f"{'leap' if leap else 'common'}.npz")


def _stored_bdew(year: int, key: tuple[int, bool]) -> dict[str, np.ndarray]:
    """A calendar's BDEW 1999 profiles from the disk cache, the same float64 arrays as
    demandlib's (a test); computed and stored where the file is missing, unreadable or not
    of this calendar's shape. The cache only ever saves time: a folder that cannot be
    written is passed over."""
    path = bdew_cache_path(key)
    days = 366 if key[1] else 365
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                profiles = {name: stored[name] for name in BDEW_CLASSES}
            if all(p.shape == (days, 96) and p.dtype == np.float64
                   for p in profiles.values()):
                return profiles
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            pass
    profiles = _bdew_profiles(year)
    if path is not None:
        _store(path, profiles)
    return profiles


def _store(path: Path, profiles: dict[str, np.ndarray]) -> None:
    """Write `profiles` to `path` whole or not at all (simulation/files.py `write_atomic`:
    another process reading or writing the same file meanwhile sees the old or the new one);
    a folder that cannot be made or written is passed over."""
    from gridvalue.simulation.files import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda out: np.savez(out, **profiles))
    except OSError:
        pass


def _bdew_profiles(year: int) -> dict[str, np.ndarray]:
    """demandlib's BDEW 1999 profiles of `year`, per class."""
    # demandlib calls warnings.simplefilter("error") internally; keep that out of our process.
    with warnings.catch_warnings():
        from demandlib.bdew import ElecSlp

        frame = ElecSlp(year).get_profiles()
    days = len(frame) // 96
    return {name: frame[name].to_numpy().reshape(days, 96) for name in BDEW_CLASSES}


def _year_dates(year: int) -> list[datetime.date]:
    first = datetime.date(year, 1, 1)
    days = (datetime.date(year + 1, 1, 1) - first).days
    return [first + datetime.timedelta(days=i) for i in range(days)]


def _industrial_year(name: str, year: int) -> np.ndarray:
    """Shift-pattern shares of annual energy per hour, shaped (days_in_year, 24)."""
    weekday, saturday, sunday = (np.asarray(p, dtype=float) for p in _SHIFT_PATTERNS[name])
    rows = [saturday if d.weekday() == 5 else sunday if d.weekday() == 6 else weekday
            for d in _year_dates(year)]
    shape = np.vstack(rows)
    return shape / shape.sum()


@functools.lru_cache(maxsize=8)
def _bdew25_year(year: int) -> dict[str, np.ndarray]:
    """BDEW 2025 profiles H25, G25, L25 per quarter hour, shaped (days_in_year, 96)."""
    import pandas as pd

    days = len(_year_dates(year))
    index = pd.date_range(f"{year}-01-01", periods=days * 96, freq="15min")
    with warnings.catch_warnings():
        from demandlib.bdew import G25, H25, L25

        return {name: profile(index).to_numpy().reshape(days, 96)
                for name, profile in (("h25", H25), ("g25", G25), ("l25", L25))}


def _resample(shares: np.ndarray, intervals_per_day: int) -> np.ndarray:
    """Energy shares at another resolution: sum to coarser intervals, split to finer ones."""
    native = shares.shape[1]
    if native == intervals_per_day:
        return shares
    if native > intervals_per_day:
        return shares.reshape(shares.shape[0], intervals_per_day, -1).sum(axis=2)
    factor = intervals_per_day // native
    return np.repeat(shares, factor, axis=1) / factor


@functools.lru_cache(maxsize=16)
def year_shapes(year: int, intervals_per_day: int, standard: str = "bdew1999") -> np.ndarray:
    """Shares of annual energy, shaped (n_classes, days_in_year, intervals_per_day).

    `standard` "bdew2025": households take H25, every commercial class G25 and every farm
    class L25 (the 2025 set has one profile per sector)."""
    bdew = dict(_bdew_year(year))
    if standard == "bdew2025":
        new = _bdew25_year(year)
        bdew |= {name: new["h25"] for name in HOUSEHOLD_CLASSES}
        bdew |= {name: new["g25"] for name in COMMERCIAL_CLASSES}
        bdew |= {name: new["l25"] for name in FARM_CLASSES}
    out = []
    for name in CLASSES:
        if name in bdew:
            shares = bdew[name]
        elif name in INDUSTRIAL_CLASSES:
            shares = _industrial_year(name, year)
        else:  # microgrid: half households, half general commerce
            shares = 0.5 * bdew["h0_dyn"] + 0.5 * bdew["g0"]
        out.append(_resample(shares / shares.sum(), intervals_per_day))  # h0_dyn is not exact
    return np.stack(out)


def _spans(start: datetime.date, days: int):
    """(year, first day of year, first horizon day, count) of each calendar year covered."""
    day = 0
    while day < days:
        date = start + datetime.timedelta(days=day)
        first = date.timetuple().tm_yday - 1
        in_year = len(_year_dates(date.year))
        take = min(days - day, in_year - first)
        yield date.year, first, day, take
        day += take


def load_shapes(start: datetime.date, days: int, intervals_per_day: int,
                standard: str = "bdew1999") -> np.ndarray:
    """Base shapes (no weather), kW per annual kWh: (n_classes, days, T)."""
    hours_per_interval = 24.0 / intervals_per_day
    blocks = [year_shapes(year, intervals_per_day, standard)[:, first:first + take, :]
              for year, first, _, take in _spans(start, days)]
    return np.concatenate(blocks, axis=1) / hours_per_interval


# When households run air conditioners, relative to the evening (hourly weights, assumption:
# away by day, home from 17 h, cooling the bedroom through the night).
HOUSEHOLD_COOLING_HOURS = (0.7,) * 7 + (0.3,) * 10 + (1.0,) * 7
# Commercial cooling load builds up through the day (solar gains and thermal mass: cooling
# loads peak in mid-afternoon, as in ASHRAE's cooling-load temperature differences); assumption.
COMMERCIAL_COOLING_HOURS = (0.5,) * 10 + (0.7, 0.8, 0.9, 1.1, 1.3, 1.4, 1.4, 1.2) + (1.0,) * 6


def cooling_hours(intervals_per_day: int) -> np.ndarray:
    """(n_classes, T) weight of the cooling response by time of day (1 except households)."""
    out = np.ones((len(CLASSES), intervals_per_day))
    hour = (np.arange(intervals_per_day) * 24 // intervals_per_day).astype(int)
    weights = np.asarray(HOUSEHOLD_COOLING_HOURS)[hour]
    commercial = np.asarray(COMMERCIAL_COOLING_HOURS)[hour]
    for name in HOUSEHOLD_CLASSES:
        out[CLASS_INDEX[name]] = weights
    for name in COMMERCIAL_CLASSES:
        out[CLASS_INDEX[name]] = commercial
    out[CLASS_INDEX[MICROGRID_CLASS]] = 0.5 * (commercial + weights)
    return out


def thermal_coefficients(profiles, normals: Normals) -> np.ndarray:
    """(n_classes, 3) response of each class: cooling per K, heating per K, irrigation per K."""
    p = profiles
    out = np.zeros((len(CLASSES), 3))
    household = (p.household_cooling_per_k * normals.household_ac_share,
                 p.household_heating_per_k * normals.household_electric_heating_share, 0.0)
    commercial = (p.commercial_cooling_per_k, p.commercial_heating_per_k, 0.0)
    for name in HOUSEHOLD_CLASSES:
        out[CLASS_INDEX[name]] = household
    for name in COMMERCIAL_CLASSES:
        out[CLASS_INDEX[name]] = commercial
    for name in FARM_CLASSES:
        out[CLASS_INDEX[name]] = (0.0, 0.0, p.agricultural_irrigation_per_k)
    for name in INDUSTRIAL_CLASSES:
        out[CLASS_INDEX[name]] = (p.industrial_cooling_per_k, 0.0, 0.0)
    out[CLASS_INDEX[MICROGRID_CLASS]] = 0.5 * (np.asarray(household) + np.asarray(commercial))
    return out


def thermal_factor(coefficients: np.ndarray, cooling_kh: np.ndarray, heating_kh: np.ndarray,
                   irrigation_k: np.ndarray) -> np.ndarray:
    """(n_classes, days, T) = 1 + cooling x degree-hours above the cooling base + heating x
    degree-hours below the heating base + irrigation x (daily degrees above the cooling base
    x clearness over its normal), from (days, T), (days, T) and (days,) arrays."""
    cool, heat, irrigate = (coefficients[:, i, None, None] for i in range(3))
    hours = cooling_hours(cooling_kh.shape[1])[:, None, :]
    return (1.0 + cool * hours * cooling_kh + heat * heating_kh
            + irrigate * irrigation_k[:, None])


def expected_thermal_factor(coefficients: np.ndarray, profiles, normals: Normals,
                            dates: list, intervals_per_day: int) -> np.ndarray:
    """The thermal factor expected in the normal climate (anomalies integrated out)."""
    sd = normals.temperature_anomaly_sd_c
    hourly = normal_temperature_c(normals, dates, intervals_per_day)
    daily = daily_normal(normals.monthly_mean_temperature_c, dates)
    return thermal_factor(coefficients,
                          expected_excess(hourly - profiles.cooling_base_c, sd),
                          expected_excess(profiles.heating_base_c - hourly, sd),
                          expected_excess(daily - profiles.cooling_base_c, sd))


def weather_thermal_factor(coefficients: np.ndarray, profiles, weather: Weather) -> np.ndarray:
    """The thermal factor of the generated weather."""
    t = weather.temperature_c
    dryness = weather.clearness_index / np.maximum(weather.clearness_normal, 1e-9)
    return thermal_factor(coefficients, np.maximum(t - profiles.cooling_base_c, 0.0),
                          np.maximum(profiles.heating_base_c - t, 0.0),
                          np.maximum(weather.daily_mean_c - profiles.cooling_base_c, 0.0)
                          * dryness)


def climate_shapes(profiles, normals: Normals, start: datetime.date, days: int,
                   intervals_per_day: int, weather: Weather | None = None):
    """Class shapes in the place's climate, kW per annual kWh, (n_classes, days, T): the
    expected shapes (normal climate) and, if `weather` is given, the shapes of that weather.
    Both are normalised per calendar year on the expected shapes."""
    coefficients = thermal_coefficients(profiles, normals)
    hours_per_interval = 24.0 / intervals_per_day
    standard = profiles.standard_profiles
    expected, realised = [], []
    for year, first, day, take in _spans(start, days):
        base = year_shapes(year, intervals_per_day, standard) / hours_per_interval
        factor = expected_thermal_factor(coefficients, profiles, normals, _year_dates(year),
                                         intervals_per_day)
        year_expected = base * factor
        norm = year_expected.sum(axis=(1, 2)) * hours_per_interval  # (n_classes,)
        expected.append(year_expected[:, first:first + take] / norm[:, None, None])
        if weather is not None:
            part = weather.span(day, take)
            realised.append(base[:, first:first + take]
                            * weather_thermal_factor(coefficients, profiles, part)
                            / norm[:, None, None])
    expected = np.concatenate(expected, axis=1)
    return expected, (np.concatenate(realised, axis=1) if weather is not None else None)


def full_load_hours(load_kw: np.ndarray, hours_per_interval: float) -> float:
    """Annual energy divided by peak power, in hours."""
    return float(load_kw.sum() * hours_per_interval / load_kw.max())
