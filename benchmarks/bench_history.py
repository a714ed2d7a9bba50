"""CPU time of the data platform's history in the build of a `price_packages` model (which
reads the estimates, so the platform simulates its 12 months), against the whole build.

Usage: python benchmarks/bench_history.py [N_CUSTOMERS]   (default 20000). Run it with
PYTHONPATH pointing at another tree (for example main's, exported with `git archive`) to time
that code with the same wrapper.
"""

import json
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_year import overrides_for  # noqa: E402


def main(n: int) -> dict:
    from gridvalue.simulation import dataplatform
    from gridvalue.simulation.model import GridValueModel

    spent = {"cpu": 0.0, "wall": 0.0}
    simulate = dataplatform._simulate_history

    def timed(*args, **kwargs):
        c, t = time.process_time(), time.perf_counter()
        try:
            return simulate(*args, **kwargs)
        finally:
            spent["cpu"] += time.process_time() - c
            spent["wall"] += time.perf_counter() - t

    dataplatform._simulate_history = timed
    c0 = time.process_time()
    GridValueModel("price_packages", overrides=overrides_for(n) | {"meta.days": 1})
    return {"customers": n, "build_cpu_s": time.process_time() - c0,
            "history_cpu_s": spent["cpu"], "history_wall_s": spent["wall"]}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)))
