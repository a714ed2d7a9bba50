"""Benchmark: making one day's loads (`LoadEngine.gross_kw`) for 100,000 customers, against
the engine before issue #14.

Builds the baseline's customer mix at N customers (default 100,000), then times today's
`gross_kw` and the pre-#14 one (benchmarks/pre14_loads.py: that commit's numpy code, on the
same customers and shape array) over 30 consecutive days, alternating the two each day so
that both see the same machine load, and prints the median milliseconds per day of each (CPU
time of the process, and wall time) and their ratio (today / before; at most 1: no slower
than before #14).
Usage: python benchmarks/bench_loads.py [N_CUSTOMERS]
"""

import sys
import time
from pathlib import Path

import numpy as np

from gridvalue.simulation.model import GridValueModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pre14_loads import Pre14Loads  # noqa: E402

MIX = {"population.households": 2000, "population.enterprises": 240, "population.microgrids": 8}
DAYS = 30


def main(n: int) -> None:
    total = sum(MIX.values())
    overrides = {k: max(1, round(v * n / total)) for k, v in MIX.items()}
    overrides["population.households"] += n - sum(overrides.values())
    overrides["meta.days"] = DAYS
    model = GridValueModel("baseline", overrides=overrides)
    loads, customers = model.loads, model.customers
    before = Pre14Loads(loads.shapes_kw_per_kwh, loads.weather_factor,
                        model.scenario.profiles.customer_day_sigma, np.random.default_rng(0))
    wall = {"today": [], "before": []}
    cpu = {"today": [], "before": []}  # both engines are single-threaded: CPU time is
    for day in range(DAYS):  # what a call costs, whatever else runs on the machine
        for name, engine in (("today", loads), ("before", before)):
            w, c = time.perf_counter(), time.process_time()
            engine.gross_kw(customers, day)
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    print(f"gross_kw, {len(customers):,} customers x {loads.intervals_per_day} intervals, "
          f"median of {DAYS} days, ms per day:")
    for name, label in (("today", "today"), ("before", "before #14 (benchmarks/pre14_loads.py)")):
        print(f"  {label}: CPU {np.median(cpu[name]) * 1000:.1f}, wall "
              f"{np.median(wall[name]) * 1000:.1f} (min {min(wall[name]) * 1000:.1f}, max "
              f"{max(wall[name]) * 1000:.1f})")
    ratio = np.median(cpu["today"]) / np.median(cpu["before"])
    paired = np.median(np.array(cpu["today"]) / np.array(cpu["before"]))
    print(f"ratio today / before #14, CPU: {ratio:.2f} (median of the daily ratios "
          f"{paired:.2f}); wall: {np.median(wall['today']) / np.median(wall['before']):.2f}")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
