"""CPU time of the compiled normal draws (simulation/pcg64.py `standard_normals`,
`standard_normals32`, PCG64 stepped inside the loop) against NumPy's `standard_normal` into
the same reused buffer, float64 and float32; each pair checked equal. Median of REPEATS.

Usage: python benchmarks/bench_normals.py [N_DRAWS] [REPEATS]   (default 2,400,000: a day of
the history at 100,000 customers x 24 intervals; 5)
"""

import json
import statistics
import sys
import time

import numpy as np


def _cpu(fill, args: tuple, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        c = time.process_time()
        fill(*args)
        times.append(time.process_time() - c)
    return statistics.median(times)


def _numpy(rng: np.random.Generator, out: np.ndarray) -> None:
    rng.standard_normal(out=out, dtype=out.dtype)


def main(n: int, repeats: int) -> dict:
    from gridvalue.simulation.pcg64 import standard_normals, standard_normals32

    out = {"draws": n, "repeats": repeats}
    for dtype, compiled in ((np.float64, standard_normals), (np.float32, standard_normals32)):
        ours, numpys = (np.random.Generator(np.random.PCG64(1)) for _ in range(2))
        a, b = np.empty(n, dtype), np.empty(n, dtype)
        compiled(ours, a)  # compile (or load the cache) outside the timing
        _numpy(numpys, b)
        name = np.dtype(dtype).name
        out[f"compiled_{name}_cpu_s"] = _cpu(compiled, (ours, a), repeats)
        out[f"numpy_{name}_cpu_s"] = _cpu(_numpy, (numpys, b), repeats)
        assert np.array_equal(a, b) and ours.bit_generator.state == numpys.bit_generator.state
    return out


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    print(json.dumps(main(*(args + [2_400_000, 5][len(args):]))))
