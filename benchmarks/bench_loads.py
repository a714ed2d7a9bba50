"""Benchmark: making one day's loads (`LoadEngine.gross_kw`) for 100,000 customers.

Builds the baseline's customer mix at N customers (default 100,000), then times `gross_kw`
over 30 consecutive days and prints the median seconds per day.
Usage: python benchmarks/bench_loads.py [N_CUSTOMERS]
"""

import sys
import time

import numpy as np

from gridvalue.simulation.model import GridValueModel

MIX = {"population.households": 2000, "population.enterprises": 240, "population.microgrids": 8}


def main(n: int) -> None:
    total = sum(MIX.values())
    overrides = {k: max(1, round(v * n / total)) for k, v in MIX.items()}
    overrides["population.households"] += n - sum(overrides.values())
    overrides["meta.days"] = 30
    model = GridValueModel("baseline", overrides=overrides)
    times = []
    for day in range(30):
        t0 = time.perf_counter()
        model.loads.gross_kw(model.customers, day)
        times.append(time.perf_counter() - t0)
    print(f"gross_kw, {len(model.customers):,} customers x {model.loads.intervals_per_day} "
          f"intervals: median {np.median(times) * 1000:.1f} ms per day "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
