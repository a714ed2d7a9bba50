"""Whether the machine's two cores share one core's execution units (SMT siblings, which a
virtual machine may not show): the day's 2.5 million normal draws at 100,000 customers timed
alone, beside a latency-bound loop on the other thread (a chain of dependent multiply-adds,
which leaves most of a core's units free) and beside a memory stream. On separate cores
neither neighbour slows the draws; on SMT siblings the first does, which is why passes shared
with the worker thread cost more on each thread (docs/performance.md, round 8).

Usage: python benchmarks/bench_threads.py [REPEATS]   (default 5; medians, ms)
"""

import json
import statistics
import sys
import threading
import time

import numba
import numpy as np


@numba.njit(nogil=True)
def _chain(n: int) -> float:
    x = 1.0
    for _ in range(n):
        x = x * 1.0000001 + 1e-9
    return x


@numba.njit(nogil=True)
def _stream(a: np.ndarray, rounds: int) -> float:
    s = 0.0
    for _ in range(rounds):
        for i in range(a.size):
            s += a[i]
    return s


def main(repeats: int) -> dict:
    from gridvalue.simulation.pcg64 import standard_normals

    rng = np.random.default_rng(1)
    z, level = np.empty((24, 100_000)), np.empty(100_000)
    big = np.random.default_rng(2).random(20_000_000)
    _chain(10), _stream(big[:10], 1)
    standard_normals(rng, z, level)

    def draws() -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            standard_normals(rng, z, level)
            times.append(time.perf_counter() - t)
        return 1e3 * statistics.median(times)

    out = {"alone_ms": draws()}
    for name, work in (("beside_chain_ms", lambda: _chain(600_000_000)),
                       ("beside_stream_ms", lambda: _stream(big, 40))):
        neighbour = threading.Thread(target=work)
        neighbour.start()
        out[name] = draws()
        neighbour.join()
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)))
