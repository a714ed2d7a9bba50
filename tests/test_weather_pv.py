"""PV through pvlib: monthly shares of PV energy against pvlib's plane-of-array irradiance
computed here directly, for the same place, tilt and sky."""

import datetime

import numpy as np
import pandas as pd
import pvlib
import pytest

from gridvalue.simulation import solar
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.weather import normals_for


def monthly_shares(values: np.ndarray, months: np.ndarray) -> np.ndarray:
    return np.array([values[months == m].sum() for m in range(1, 13)]) / values.sum()


def pvlib_poa(lat, lon, alt, tilt, azimuth, index_by_day=None, year=2025):
    """Plane-of-array energy per 15 minutes straight from pvlib (Ineichen, isotropic sky)."""
    times = pd.date_range(f"{year}-01-01 00:07:30", periods=365 * 96, freq="15min",
                          tz="Etc/GMT-8")
    loc = pvlib.location.Location(lat, lon, altitude=alt)
    pos = loc.get_solarposition(times)
    clear = loc.get_clearsky(times, solar_position=pos)
    ghi, dni, dhi = clear["ghi"], clear["dni"], clear["dhi"]
    if index_by_day is not None:
        ghi = ghi * np.repeat(index_by_day, 96)
        split = pvlib.irradiance.erbs(ghi, pos["apparent_zenith"], times)
        dni, dhi = split["dni"], split["dhi"]
    poa = pvlib.irradiance.get_total_irradiance(tilt, azimuth, pos["apparent_zenith"],
                                                pos["azimuth"], dni, ghi, dhi)["poa_global"]
    return np.nan_to_num(poa.to_numpy()), times.month.to_numpy()


def test_clear_sky_shape_matches_pvlib_and_the_published_shares():
    """25 deg south at 30.6 N: REFERENCES.md (pvlib Ineichen) June 8.9 %, December 6.9 %."""
    normals = normals_for(load_scenario("baseline").place)
    dates = [datetime.date(2025, 1, 1) + datetime.timedelta(days=d) for d in range(365)]
    sky = solar.sky(normals, dates, 24)
    ours = solar.pv_kw_per_kwp(sky, 25.0, 180.0, None, np.full((365, 24), 25.0), 0.0)
    months = np.array([d.month for d in dates])
    shares = monthly_shares(ours.sum(axis=1), months)
    poa, m15 = pvlib_poa(normals.latitude_deg, normals.longitude_deg, normals.altitude_m,
                         25.0, 180.0)
    reference = monthly_shares(poa, m15)
    assert np.abs(shares - reference).max() < 0.01, (shares, reference)
    assert shares[5] == pytest.approx(0.089, abs=0.005)
    assert shares[11] == pytest.approx(0.069, abs=0.005)


def test_run_pv_follows_pvlib_under_the_generated_sky():
    """The run's PV (clouds, cell temperature, degradation) against pvlib's plane-of-array
    irradiance for the generated clearness of each day."""
    model = GridValueModel("baseline", seed=5, overrides={"population.households": 50,
                                                          "population.enterprises": 5,
                                                          "population.microgrids": 0})
    loads, normals = model.loads, model.loads.normals
    ours = np.array([loads.pv_kw(np.array([1.0]), d).sum() for d in range(365)])
    months = np.array([d.month for d in model.dates])
    times = pd.date_range("2025-01-01", periods=365, freq="D", tz="Etc/GMT-8")
    loc = pvlib.location.Location(normals.latitude_deg, normals.longitude_deg,
                                  altitude=normals.altitude_m)
    t15 = pd.date_range("2025-01-01 00:07:30", periods=365 * 96, freq="15min", tz="Etc/GMT-8")
    pos = loc.get_solarposition(t15)
    clear_ghi = loc.get_clearsky(t15, solar_position=pos)["ghi"].to_numpy().reshape(365, 96)
    extra = (pvlib.irradiance.get_extra_radiation(t15).to_numpy()
             * np.clip(np.cos(np.radians(pos["zenith"].to_numpy())), 0, None)).reshape(365, 96)
    index = np.clip(loads.weather.clearness_index * extra.sum(axis=1) / clear_ghi.sum(axis=1),
                    0, 1)
    poa, m15 = pvlib_poa(normals.latitude_deg, normals.longitude_deg, normals.altitude_m,
                         25.0, 180.0, index)
    assert len(times) == 365
    shares, reference = monthly_shares(ours, months), monthly_shares(poa, m15)
    assert np.abs(shares - reference).max() < 0.01, (shares, reference)
    yearly = ours.sum()
    assert 0.7 * 1100 < yearly < 1.3 * 1100  # a year near the normal-cloudiness yield
