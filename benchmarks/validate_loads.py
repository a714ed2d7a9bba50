"""Print the load-shape validation figures quoted in the README (full-load hours, coincidence).

Usage: python benchmarks/validate_loads.py [SEED]
"""

import sys

import numpy as np

from gridvalue.simulation import metrics
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.profiles import CLASS_INDEX


def main(seed: int) -> None:
    n = 1000
    model = GridValueModel("baseline", seed=seed, overrides={
        "population.households": n, "population.enterprises": 0, "population.microgrids": 0,
        "population.household_pv_share": 0.0})
    loads = np.empty((n, 365 * 24))
    for day in range(365):
        loads[:, day * 24:(day + 1) * 24] = model.loads.gross_kw(model.customers, day)
    shapes = model.loads.shapes_kw_per_kwh
    print(f"seed {seed}, {n} households, hourly, 2025")
    for name in ("h0", "h0_dyn"):
        flh = metrics.full_load_hours(shapes[CLASS_INDEX[name]].ravel(), 1.0)
        print(f"BDEW {name:<6} shape full-load hours:         {flh:8.0f} h")
    single = [metrics.full_load_hours(row, 1.0) for row in loads]
    print(f"single household full-load hours (median):  {np.median(single):8.0f} h "
          f"(IQR {np.percentile(single, 25):.0f}-{np.percentile(single, 75):.0f})")
    print(f"sum of {n} households full-load hours:     "
          f"{metrics.full_load_hours(loads.sum(axis=0), 1.0):8.0f} h")
    for size in (1, 3, 10, 30, 100, 1000):
        cf = np.mean([metrics.coincidence_factor(loads[i:i + size]) for i in range(0, n, size)])
        print(f"coincidence factor, groups of {size:>4}:        {cf:8.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
