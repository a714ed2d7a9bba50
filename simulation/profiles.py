"""Standard load shapes and PV shapes, as arrays of kW per annual kWh (or per kWp) per interval.

Households, commerce and farms use the BDEW standard load profiles through demandlib;
industry uses shift-pattern shapes; microgrids blend household and commercial shapes.
Every shape is normalised so that one calendar year sums to the annual energy.
"""

import datetime
import functools
import warnings

import numpy as np

BDEW_CLASSES = ("h0", "h0_dyn", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")
INDUSTRIAL_CLASSES = ("one_shift", "two_shift", "three_shift")
MICROGRID_CLASS = "microgrid"
CLASSES = BDEW_CLASSES + INDUSTRIAL_CLASSES + (MICROGRID_CLASS,)
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}

# Hourly shift patterns (relative power, 0..1) for weekdays, Saturdays, Sundays. Assumption.
_SHIFT_PATTERNS = {
    "one_shift": (
        [0.25] * 7 + [0.6] + [1.0] * 4 + [0.8] + [1.0] * 4 + [0.5] + [0.3] * 6,
        [0.3] * 8 + [0.5] * 5 + [0.3] * 11,
        [0.25] * 24,
    ),
    "two_shift": (
        [0.35] * 6 + [1.0] * 8 + [0.9] + [1.0] * 7 + [0.35] * 2,
        [0.35] * 6 + [0.8] * 8 + [0.35] * 10,
        [0.3] * 24,
    ),
    "three_shift": (
        [0.95] * 6 + [0.85] + [0.95] * 7 + [0.85] + [0.95] * 7 + [0.85] + [0.95],
        [0.9] * 24,
        [0.85] * 24,
    ),
}


@functools.lru_cache(maxsize=8)
def _bdew_year(year: int) -> dict[str, np.ndarray]:
    """BDEW shares of annual energy per quarter hour, shaped (days_in_year, 96), per class."""
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
    dates = _year_dates(year)
    doy = np.arange(len(dates))
    season = 1.0 + 0.05 * np.cos(2 * np.pi * (doy - 15) / len(dates))  # slightly higher in winter
    rows = [saturday if d.weekday() == 5 else sunday if d.weekday() == 6 else weekday
            for d in dates]
    shape = np.vstack(rows) * season[:, None]
    return shape / shape.sum()


def _resample(shares: np.ndarray, intervals_per_day: int) -> np.ndarray:
    """Energy shares at another resolution: sum to coarser intervals, split to finer ones."""
    native = shares.shape[1]
    if native == intervals_per_day:
        return shares
    if native > intervals_per_day:
        return shares.reshape(shares.shape[0], intervals_per_day, -1).sum(axis=2)
    factor = intervals_per_day // native
    return np.repeat(shares, factor, axis=1) / factor


@functools.lru_cache(maxsize=8)
def year_shapes(year: int, intervals_per_day: int) -> np.ndarray:
    """Shares of annual energy, shaped (n_classes, days_in_year, intervals_per_day)."""
    bdew = _bdew_year(year)
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


def load_shapes(start: datetime.date, days: int, intervals_per_day: int) -> np.ndarray:
    """kW per annual kWh for each class, simulated day and interval: (n_classes, days, T)."""
    hours_per_interval = 24.0 / intervals_per_day
    blocks = []
    day = 0
    while day < days:
        date = start + datetime.timedelta(days=day)
        shapes = year_shapes(date.year, intervals_per_day)
        first = date.timetuple().tm_yday - 1
        take = min(days - day, shapes.shape[1] - first)
        blocks.append(shapes[:, first : first + take, :])
        day += take
    return np.concatenate(blocks, axis=1) / hours_per_interval


def full_load_hours(load_kw: np.ndarray, hours_per_interval: float) -> float:
    """Annual energy divided by peak power, in hours."""
    return float(load_kw.sum() * hours_per_interval / load_kw.max())


def _relative_clear_sky(day_of_year: np.ndarray, intervals_per_day: int,
                        latitude_deg: float) -> np.ndarray:
    """Relative horizontal-module output per interval, shaped (len(day_of_year), T).

    Output follows the cosine of the solar zenith angle (Cooper's declination, solar time)
    raised to 1.2 for air-mass attenuation (assumption), averaged over 12 samples per interval.
    """
    samples = 12
    steps = intervals_per_day * samples
    minutes = (np.arange(steps) + 0.5) * (1440 / steps)
    decl = np.radians(23.44) * np.sin(2 * np.pi * (284 + day_of_year) / 365)
    hour_angle = np.radians((minutes / 60 - 12) * 15)
    lat = np.radians(latitude_deg)
    cos_zenith = (np.sin(lat) * np.sin(decl)[:, None]
                  + np.cos(lat) * np.cos(decl)[:, None] * np.cos(hour_angle)[None, :])
    relative = np.clip(cos_zenith, 0, None) ** 1.2
    return relative.reshape(len(day_of_year), intervals_per_day, samples).mean(axis=2)


def pv_clear_sky(start: datetime.date, days: int, intervals_per_day: int, latitude_deg: float,
                 specific_yield_kwh_per_kwp: float) -> np.ndarray:
    """Clear-sky PV output in kW per kWp, shaped (days, T).

    Scaled on a full 365-day reference year so that a year yields `specific_yield` kWh per kWp
    (the daily weather factor has mean 1) and short horizons keep their seasonal level.
    """
    doy = np.array([(start + datetime.timedelta(days=d)).timetuple().tm_yday for d in range(days)])
    hours_per_interval = 24.0 / intervals_per_day
    reference = _relative_clear_sky(np.arange(1, 366), intervals_per_day, latitude_deg)
    reference_kwh_per_year = reference.sum() * hours_per_interval
    relative = _relative_clear_sky(doy, intervals_per_day, latitude_deg)
    return relative * specific_yield_kwh_per_kwp / reference_kwh_per_year
