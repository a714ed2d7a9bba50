"""CPU time of the demand kernel with libm's exp and with its copy: simulation/kernels.py
`gross_day` against simulation/kernels_exp.py `gross_day_fast` (the same bits, checked), and
the exponential alone on T x n values: a compiled loop of numba's `np.exp` (libm's scalar
`exp`), of the scalar `exp_libm`, and of the branch-free `exp_core` (which vectorises).
CPU seconds by `time.process_time()`, median of REPEATS calls after a warm-up call.

The inputs are synthetic, as tests/test_exp_libm.py draws them: unit normals z, yesterday's
states, sigma uniform in [0.05, 1.5], five class shapes, a cap that binds on about a tenth.

Usage: python benchmarks/bench_exp.py [N_CUSTOMERS] [T] [REPEATS]   (default 100,000 x 24,
20: a day of the load engine at 100,000 customers, hourly)
"""

import json
import statistics
import sys
import time

import numba
import numpy as np


def _cpu(f, args: tuple, repeats: int) -> float:
    f(*args)  # compile (or load the cache), and warm the caches, outside the timing
    times = []
    for _ in range(repeats):
        c = time.process_time()
        f(*args)
        times.append(time.process_time() - c)
    return statistics.median(times)


def main(n: int, T: int, repeats: int) -> dict:
    from gridvalue.simulation.exp_libm import exp_core, exp_libm
    from gridvalue.simulation.kernels import gross_day
    from gridvalue.simulation.kernels_exp import gross_day_fast

    @numba.njit(nogil=True)
    def numba_np_exp(a: np.ndarray, o: np.ndarray) -> None:
        for i in range(a.size):
            o[i] = np.exp(a[i])

    @numba.njit(nogil=True)
    def scalar_copy(a: np.ndarray, o: np.ndarray) -> None:
        for i in range(a.size):
            o[i] = exp_libm(a[i])

    @numba.njit(nogil=True)
    def vector_core(a: np.ndarray, o: np.ndarray) -> bool:
        special = False
        for i in range(a.size):
            o[i], bad = exp_core(a[i])
            special |= bad
        return special

    rng = np.random.default_rng(2026)
    sigma, amplitude = rng.uniform(0.05, 1.5, n), rng.uniform(0.2, 3.0, n)
    shape, klass = rng.uniform(0.01, 0.5, (5, T)), rng.integers(0, 5, n)
    z, last = rng.standard_normal((T, n)), rng.standard_normal(n)
    cap = amplitude * shape.mean() * np.exp(0.5 * sigma**2) * rng.uniform(0.5, 4.0, n) * 0.9
    slow, fast = np.empty((n, T)), np.empty((n, T))
    out = {"customers": n, "intervals": T, "repeats": repeats}
    # each call carries `last` on, as a run does; both kernels see the same sequence of days
    last_slow, last_fast = last.copy(), last.copy()
    out["gross_day_cpu_s"] = _cpu(
        gross_day, (z, last_slow, 0.8, sigma, amplitude, shape, klass, cap, slow), repeats)
    out["gross_day_fast_cpu_s"] = _cpu(
        gross_day_fast, (z, last_fast, 0.8, sigma, amplitude, shape, klass, cap, fast), repeats)
    assert np.array_equal(slow, fast) and np.array_equal(last_slow, last_fast)
    out["speed-up"] = out["gross_day_cpu_s"] / out["gross_day_fast_cpu_s"]

    values = (rng.standard_normal(n * T) * rng.uniform(0.05, 1.5, n * T))  # gross_day's x*s
    a, b, c = np.empty_like(values), np.empty_like(values), np.empty_like(values)
    out["exp_values"] = values.size
    out["np_exp_loop_cpu_s"] = _cpu(numba_np_exp, (values, a), repeats)
    out["exp_libm_loop_cpu_s"] = _cpu(scalar_copy, (values, b), repeats)
    out["exp_core_loop_cpu_s"] = _cpu(vector_core, (values, c), repeats)
    assert np.array_equal(a, b) and np.array_equal(a, c) and not vector_core(values, c)
    return out


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    print(json.dumps(main(*(args + [100_000, 24, 20][len(args):])), indent=1))
