"""Monthly shares of PV energy against pvlib's plane-of-array irradiance, the figures of
tests/test_weather_pv.py printed: a 25 deg south plane at the baseline's place (Wuhan,
30.6 N) under pvlib's Ineichen clear sky, and the run's PV (seed 5) under the generated sky.

Usage: python benchmarks/pv_shares.py
"""

import datetime
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_weather_pv import monthly_shares, pvlib_poa  # noqa: E402

from gridvalue.simulation import solar  # noqa: E402
from gridvalue.simulation.model import GridValueModel  # noqa: E402
from gridvalue.simulation.scenario import load_scenario  # noqa: E402
from gridvalue.simulation.weather import normals_for  # noqa: E402


def show(label: str, ours: np.ndarray, reference: np.ndarray) -> None:
    gap = np.abs(ours - reference) * 100
    print(f"{label}: June {ours[5]:.2%} (pvlib {reference[5]:.2%}), December {ours[11]:.2%} "
          f"(pvlib {reference[11]:.2%}); largest monthly gap {gap.max():.2f} points "
          f"(month {gap.argmax() + 1})")
    print("  ours  " + " ".join(f"{x:6.2%}" for x in ours))
    print("  pvlib " + " ".join(f"{x:6.2%}" for x in reference))


def main() -> None:
    normals = normals_for(load_scenario("baseline").place)
    place = (normals.latitude_deg, normals.longitude_deg, normals.altitude_m)
    dates = [datetime.date(2025, 1, 1) + datetime.timedelta(days=d) for d in range(365)]
    months = np.array([d.month for d in dates])
    sky = solar.sky(normals, dates, 24)
    clear = solar.pv_kw_per_kwp(sky, 25.0, 180.0, None, np.full((365, 24), 25.0), 0.0)
    poa, m15 = pvlib_poa(*place, 25.0, 180.0)
    show("clear sky", monthly_shares(clear.sum(axis=1), months), monthly_shares(poa, m15))
    model = GridValueModel("baseline", seed=5, overrides={"population.households": 50,
                                                          "population.enterprises": 5,
                                                          "population.microgrids": 0})
    loads = model.loads
    run = np.array([loads.pv_kw(np.array([1.0]), d).sum() for d in range(365)])
    loc = pvlib.location.Location(*place[:2], altitude=place[2])
    t15 = pd.date_range("2025-01-01 00:07:30", periods=365 * 96, freq="15min", tz="Etc/GMT-8")
    pos = loc.get_solarposition(t15)
    clear_ghi = loc.get_clearsky(t15, solar_position=pos)["ghi"].to_numpy().reshape(365, 96)
    extra = (pvlib.irradiance.get_extra_radiation(t15).to_numpy()
             * np.clip(np.cos(np.radians(pos["zenith"].to_numpy())), 0, None)).reshape(365, 96)
    index = np.clip(loads.weather.clearness_index * extra.sum(axis=1) / clear_ghi.sum(axis=1),
                    0, 1)
    poa, m15 = pvlib_poa(*place, 25.0, 180.0, index)
    show("run, generated sky (seed 5)", monthly_shares(run, np.array([d.month for d in
                                                                        model.dates])),
         monthly_shares(poa, m15))
    print(f"  run's yield {run.sum():.0f} kWh/kWp in the year")


if __name__ == "__main__":
    main()
