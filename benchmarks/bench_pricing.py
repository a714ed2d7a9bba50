"""Wall and CPU time of one simulated year with and without time-varying prices, same
customers (the model runs in one thread, so CPU time is what a run costs whatever else runs
on the machine).

    .venv/bin/python benchmarks/bench_pricing.py [scale]   # scale x the baseline's customers
"""

import sys
import time

from gridvalue.simulation.model import GridValueModel


def main(scale: int = 10) -> None:
    size = {"population.households": 2000 * scale, "population.enterprises": 240 * scale,
            "population.microgrids": 8 * scale}
    for name in ("baseline", "tou_pricing", "realtime_pricing", "price_packages"):
        start, cpu = time.perf_counter(), time.process_time()
        GridValueModel(name, seed=1, overrides=size).run()
        print(f"{name:<20} {time.perf_counter() - start:6.2f} s wall, "
              f"{time.process_time() - cpu:6.2f} s CPU", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
