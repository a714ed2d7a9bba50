"""PV output per kWp on a tilted plane, through pvlib.

Clear sky: pvlib's Ineichen model with the Linke turbidity pvlib ships (monthly climatology,
read offline). Cloudiness: each day's clearness index from the weather generator scales the
clear-sky global horizontal irradiance (GHI = clear-sky GHI x min(1, Kt x H0 / H_clear), H0
the day's extraterrestrial horizontal irradiation); Erbs splits it into beam and diffuse, and
Hay-Davies transposes it to the plane of the array. Cells heat by Faiman's model in the
hourly air temperature; power falls by the temperature coefficient above 25 deg C.
"""

import datetime

import numpy as np
import pandas as pd
import pvlib

from gridvalue.simulation.weather import Normals


def interval_times_utc(normals: Normals, dates: list[datetime.date],
                       intervals_per_day: int) -> pd.DatetimeIndex:
    """Mid-points of every interval of `dates` in local standard time, as UTC instants."""
    step = pd.Timedelta(hours=24.0 / intervals_per_day)
    first = pd.Timestamp(dates[0]) + step / 2 - pd.Timedelta(hours=normals.utc_offset_hours)
    return pd.date_range(first, periods=len(dates) * intervals_per_day, freq=step, tz="UTC")


def sky(normals: Normals, dates: list[datetime.date], intervals_per_day: int) -> dict:
    """Solar position and clear-sky irradiance of every interval, each shaped (days, T)."""
    times = interval_times_utc(normals, dates, intervals_per_day)
    location = pvlib.location.Location(normals.latitude_deg, normals.longitude_deg,
                                       altitude=normals.altitude_m)
    position = location.get_solarposition(times)
    clear = location.get_clearsky(times, model="ineichen", solar_position=position)
    dni_extra = pvlib.irradiance.get_extra_radiation(times).to_numpy()
    shape = (len(dates), intervals_per_day)
    zenith = position["apparent_zenith"].to_numpy()
    out = {"zenith": zenith, "azimuth": position["azimuth"].to_numpy(), "dni_extra": dni_extra,
           "ghi": clear["ghi"].to_numpy(), "dni": clear["dni"].to_numpy(),
           "dhi": clear["dhi"].to_numpy(),
           "ghi_extra": dni_extra * np.clip(np.cos(np.radians(position["zenith"].to_numpy())),
                                            0, None)}
    out = {k: v.reshape(shape) for k, v in out.items()}
    out["day_of_year"] = np.array([d.timetuple().tm_yday for d in dates])
    return out


def clear_sky_index(s: dict, clearness_index: np.ndarray) -> np.ndarray:
    """(days,) share of the clear-sky GHI that a day of the given clearness index lets through."""
    h0 = s["ghi_extra"].sum(axis=1)
    h_clear = s["ghi"].sum(axis=1)
    return np.clip(clearness_index * h0 / np.maximum(h_clear, 1e-9), 0.0, 1.0)


def plane_of_array_w_per_m2(s: dict, tilt_deg: float, azimuth_deg: float,
                            index: np.ndarray | None) -> np.ndarray:
    """(days, T) irradiance on the tilted plane; `index` (days,) scales the clear sky (None:
    the clear sky itself)."""
    if index is None:
        ghi, dni, dhi = s["ghi"], s["dni"], s["dhi"]
    else:
        ghi = s["ghi"] * index[:, None]
        doy = np.repeat(s["day_of_year"], ghi.shape[1])
        split = pvlib.irradiance.erbs(ghi.ravel(), s["zenith"].ravel(), doy)
        dni, dhi = (np.asarray(split[k]).reshape(ghi.shape) for k in ("dni", "dhi"))
    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg, azimuth_deg, s["zenith"].ravel(), s["azimuth"].ravel(), dni.ravel(),
        ghi.ravel(), dhi.ravel(), dni_extra=s["dni_extra"].ravel(), model="haydavies")
    return np.nan_to_num(np.asarray(poa["poa_global"]), nan=0.0).reshape(ghi.shape).clip(0)


def pv_kw_per_kwp(s: dict, tilt_deg: float, azimuth_deg: float, index: np.ndarray | None,
                  temperature_c: np.ndarray, temperature_coefficient_per_k: float) -> np.ndarray:
    """(days, T) DC output per kWp at standard test conditions (1,000 W/m2, 25 deg C cells)."""
    poa = plane_of_array_w_per_m2(s, tilt_deg, azimuth_deg, index)
    cell_c = pvlib.temperature.faiman(poa, temperature_c, wind_speed=1.0)
    return poa / 1000.0 * (1.0 + temperature_coefficient_per_k * (cell_c - 25.0))
