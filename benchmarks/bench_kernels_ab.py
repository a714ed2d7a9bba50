"""This tree's compiled kernels against another tree's, on a real day, calls interleaved so
that the machine's drift falls on both: the demand response (simulation/response.py
`respond`, each tree's own with its own kernels) and the bills' import costs (SCENARIO at N
customers, day 30), and the day's normal draws (each tree's own). Checks that both give the
same numbers (the response to 1e-12 where the trees compute it differently); prints the
medians (ms) and their ratio.

Usage: python benchmarks/bench_kernels_ab.py OTHER_TREE [N] [REPEATS] [SCENARIO]
(OTHER_TREE: a checkout, e.g. `git worktree add /tmp/before HEAD~3`; default 100,000, 40,
tou_pricing)
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


def _module(name: str, path: Path):
    """A module of its own from a file, its numba kernels compiled without a cache."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for attribute in dir(module):  # compiled here, no cache files written under the other tree
        kernel = getattr(module, attribute)
        if hasattr(kernel, "enable_caching"):
            kernel._cache = NullCache()
    return module


def _other_trees(tree: Path):
    """The other tree's simulation/kernels.py, its response.py importing those kernels, and
    its day's normal draws (its pcg64.py where it has one, else its kernels' two calls)."""
    import gridvalue.simulation as package

    kernels = _module("other_kernels", tree / "simulation" / "kernels.py")
    ours = package.kernels
    package.kernels = sys.modules["gridvalue.simulation.kernels"] = kernels
    try:
        response = _module("other_response", tree / "simulation" / "response.py")
        if (tree / "simulation" / "pcg64.py").exists():
            draw = _module("other_pcg64", tree / "simulation" / "pcg64.py").standard_normals
        else:
            def draw(rng, z, level):
                kernels.standard_normals(rng, z)
                kernels.standard_normals(rng, level)
    finally:
        package.kernels = sys.modules["gridvalue.simulation.kernels"] = ours
    return kernels, response, draw


def _day(n: int, scenario: str):
    """The scenario's demand, prices and elasticities of day 30 at n customers."""
    from gridvalue.simulation.model import GridValueModel

    model = GridValueModel(scenario, overrides=overrides_for(n) | {"meta.days": 40})
    for _ in range(30):
        model.step()
    prices = model.tariffs.start_day(30)
    kw = model.loads.gross_kw(model.customers, 30)
    substitution, daily = model.response.elasticities(prices.rows, prices.is_event)
    rows = np.ascontiguousarray(prices.rows)
    return (kw, rows, prices.import_prices, prices.flat_price_per_kwh[rows], substitution,
            daily, model.response.flexibility_share[rows])


def _response(kernels, response, day) -> tuple[tuple[float, ...], tuple[np.ndarray, ...]]:
    kw0, rows, prices, *args = day
    kw, cost = kw0.copy(), np.empty(len(rows))
    t0 = time.perf_counter()
    factor = response.respond(kw, rows, prices, *args)
    t1 = time.perf_counter()
    kernels.import_costs(kw, rows, *prices.parts(), cost)
    t2 = time.perf_counter()
    return (t1 - t0, t2 - t1), (kw, factor, cost)


def main(tree: Path, n: int, repeats: int, scenario: str) -> dict:
    from gridvalue.simulation import kernels, pcg64, response

    other, other_response, other_normals = _other_trees(tree)
    day = _day(n, scenario)
    ours, theirs = _response(kernels, response, day), _response(other, other_response, day)
    difference = max(float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300), initial=0.0))
                     for a, b in zip(ours[1], theirs[1], strict=True))
    assert difference < 1e-12, difference
    names = ("respond", "import_costs")
    times = {"this": [], "other": []}
    for _ in range(repeats):
        times["other"].append(_response(other, other_response, day)[0])
        times["this"].append(_response(kernels, response, day)[0])
    out = {"scenario": scenario, "customers": n, "rows": len(day[1]), "repeats": repeats,
           "largest_relative_difference": difference}
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
        other_normals(b, zb, level)
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
                          int(args[2]) if len(args) > 2 else 40,
                          args[3] if len(args) > 3 else "tou_pricing"), indent=1))
