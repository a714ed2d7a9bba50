"""CPU time of the data platform's history in the build of a `price_packages` model (which
reads the estimates, so the platform simulates its 12 months), against the whole build.

Usage: python benchmarks/bench_history.py [N_CUSTOMERS]   (default 20000). Run it with
PYTHONPATH pointing at another tree (for example main's, exported with `git archive`) to time
that code with the same wrapper.

`--floor [N_CUSTOMERS]`: the passes each history day cannot do without while its numbers stay
what they are, each timed alone on one thread (best of 15, ms a day): the readings' float32
normals (the platform stream's PCG64 inside the compiled ziggurat), NumPy's exp of them,
`history_day` and the day's column sums; their CPU seconds over a year of days, and half of
that, the wall time on two cores were they shared perfectly (docs/performance.md, round 11).
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


def floor(n: int, T: int = 24, days: int = 366) -> dict:
    """Best-of-15 ms a day of the history day's unavoidable passes at n customers (arrays of
    the history's shapes and types, the values made up), and their year's CPU seconds."""
    import numpy as np

    from gridvalue.simulation import kernels
    from gridvalue.simulation.pcg64 import standard_normals, standard_normals32

    rng = np.random.default_rng(1)
    kw, level_z = np.empty((n, T), np.float32), np.empty(n)
    sd = np.full(n, 0.2, np.float32)
    classes = 5
    shape = rng.uniform(0.01, 0.2, (classes, T)).astype(np.float32)
    klass, operating = rng.integers(0, classes, n), rng.uniform(0, 1, (classes, T))
    base, slope = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    shaped, block = (rng.uniform(0, 3, (n, T)).astype(np.float32) for _ in range(2))
    waste, level = np.ones(n, np.float32), np.ones(n, np.float32)
    profile, monthly = np.zeros((n, T)), np.zeros((n, 12))
    daily, column = np.zeros((n, 365), np.float32), np.empty(T, np.float32)

    def best(run) -> float:
        times = []
        for _ in range(15):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        return 1e3 * min(times)

    def draws():
        standard_normals(rng, level_z)
        standard_normals32(rng, kw, sd, -0.5 * sd**2)

    parts = {"normals_ms": best(draws)}
    noise = kw.copy()
    parts["exp_ms"] = best(lambda: np.exp(noise, out=kw))
    kw[:] = 1.0
    parts["history_day_ms"] = best(lambda: kernels.history_day(
        kw, shape, klass, operating, base, slope, shaped, waste, block, level, np.float32(1.0),
        profile, daily, 5, monthly, 3))
    parts["column_sums_ms"] = best(lambda: kernels.running_column_sums32(kw, column))
    cpu = sum(parts.values()) * days / 1e3
    return {"customers": n, "days": days, **{k: round(v, 2) for k, v in parts.items()},
            "year_cpu_s": round(cpu, 2), "two_core_wall_s": round(cpu / 2, 2)}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--floor":
        print(json.dumps(floor(int(sys.argv[2]) if len(sys.argv) > 2 else 100000)))
    else:
        print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)))
