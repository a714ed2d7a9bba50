"""cProfile of one model's build and run: the functions with the most own time.

Usage: python benchmarks/bench_profile.py [N_CUSTOMERS] [SCENARIO] [DAYS]
(default 20000 baseline 365).
"""

import cProfile
import pstats
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_year import overrides_for  # noqa: E402

if __name__ == "__main__":
    from gridvalue.simulation.model import GridValueModel

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    scenario = sys.argv[2] if len(sys.argv) > 2 else "baseline"
    days = int(sys.argv[3]) if len(sys.argv) > 3 else 365
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    model = GridValueModel(scenario, overrides=overrides_for(n) | {"meta.days": days})
    t1 = time.perf_counter()
    model.run()
    profile.disable()
    print(f"build {t1 - t0:.2f} s, steps {time.perf_counter() - t1:.2f} s")
    pstats.Stats(profile).sort_stats("tottime").print_stats(14)
