"""This tree's compiled kernels against another tree's, on a real day, calls interleaved so
that the machine's drift falls on both: the demand response's two passes and the bills'
import costs (tou_pricing at N customers, day 30), and the day's normal draws. Checks that
both give the same numbers; prints the medians (ms) and their ratio.

Usage: python benchmarks/bench_kernels_ab.py OTHER_TREE [N] [REPEATS]
(OTHER_TREE: a checkout, e.g. `git worktree add /tmp/before HEAD~3`; default 100,000, 40)
"""

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from numba.core.caching import NullCache

sys.path.insert(0, str(Path(__file__).parent))
from bench_year import overrides_for  # noqa: E402


def _other_kernels(tree: Path):
    """The other tree's simulation/kernels.py as a module of its own (its numba cache off)."""
    spec = importlib.util.spec_from_file_location("other_kernels",
                                                  tree / "simulation" / "kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in dir(module):  # compiled here, no cache files written under the other tree
        kernel = getattr(module, name)
        if hasattr(kernel, "enable_caching"):
            kernel._cache = NullCache()
    return module


def _day(n: int):
    """tou_pricing's demand, prices and elasticities of day 30 at n customers."""
    from gridvalue.simulation.model import GridValueModel

    model = GridValueModel("tou_pricing", overrides=overrides_for(n) | {"meta.days": 40})
    for _ in range(30):
        model.step()
    prices = model.tariffs.start_day(30)
    kw = model.loads.gross_kw(model.customers, 30)
    substitution, _ = model.response.elasticities(prices.rows, prices.is_event)
    rows = np.ascontiguousarray(prices.rows)
    return (kw, rows, prices.import_prices.parts(), substitution,
            model.response.flexibility_share[rows], prices.flat_price_per_kwh[rows])


def _response(kernels, day) -> tuple[tuple[float, ...], tuple[np.ndarray, ...]]:
    kw0, rows, factors, substitution, flexibility, flat = day
    kw, k, T = kw0.copy(), len(rows), kw0.shape[1]
    energy, levels = np.empty(k), np.empty((k, kernels.LEVELS))
    index, relative, ratio, cost = np.empty((k, T), np.int8), np.empty((k, T)), np.empty(k), \
        np.empty(k)
    t0 = time.perf_counter()
    kernels.relative_prices(kw, rows, *factors, energy, levels, index, relative)
    t1 = time.perf_counter()
    np.power(levels, substitution[:, None], out=levels)
    t2 = time.perf_counter()
    kernels.shift_respond(kw, rows, *factors, energy, levels, index, relative, flexibility, flat,
                          ratio)
    t3 = time.perf_counter()
    kernels.import_costs(kw, rows, *factors, cost)
    t4 = time.perf_counter()
    return (t1 - t0, t3 - t2, t4 - t3), (kw, ratio, cost)


def main(tree: Path, n: int, repeats: int) -> dict:
    from gridvalue.simulation import kernels, pcg64

    other = _other_kernels(tree)
    day = _day(n)
    ours, theirs = _response(kernels, day), _response(other, day)
    assert all(np.array_equal(a, b) for a, b in zip(ours[1], theirs[1], strict=True))
    names = ("relative_prices", "shift_respond", "import_costs")
    times = {"this": [], "other": []}
    for _ in range(repeats):
        times["other"].append(_response(other, day)[0])
        times["this"].append(_response(kernels, day)[0])
    out = {"customers": n, "rows": len(day[1]), "repeats": repeats}
    for i, name in enumerate(names):
        a = statistics.median(t[i] for t in times["this"])
        b = statistics.median(t[i] for t in times["other"])
        out[name] = {"this_ms": round(1e3 * a, 3), "other_ms": round(1e3 * b, 3),
                     "ratio": round(a / b, 3)}
    z, level = np.empty((24, n)), np.empty(n)
    draws = {"this": [], "other": []}
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    za, zb = z.copy(), z.copy()
    for _ in range(repeats):
        t = time.perf_counter()
        other.standard_normals(b, zb)
        other.standard_normals(b, level)
        draws["other"].append(time.perf_counter() - t)
        t = time.perf_counter()
        pcg64.standard_normals(a, za, level)
        draws["this"].append(time.perf_counter() - t)
        assert np.array_equal(za, zb)
    x, y = statistics.median(draws["this"]), statistics.median(draws["other"])
    out["day_normals"] = {"this_ms": round(1e3 * x, 3), "other_ms": round(1e3 * y, 3),
                          "ratio": round(x / y, 3)}
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(Path(args[0]), int(args[1]) if len(args) > 1 else 100_000,
                          int(args[2]) if len(args) > 2 else 40), indent=1))
