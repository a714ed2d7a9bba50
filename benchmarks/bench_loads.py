"""Benchmark: making one day's loads (`LoadEngine.gross_kw`) for 100,000 customers, against
the engine before issue #14.

Builds the baseline's customer mix at N customers (default 100,000) and times three engines
on the same customers: today's (its next day's draws taken ahead on a background thread,
simulation/prefetch.py), today's with that off (`prefetch=False`, what
`GRIDVALUE_PREFETCH=0` runs) and the one before #14 (benchmarks/pre14_loads.py: that
commit's numpy code). Each engine runs DAYS consecutive days in a block of its own, the
blocks in turn (A B C A B C ...) for ROUNDS rounds, so that no engine's background draw runs
while another is timed (a block waits for its last pending draw inside its timing) and slow
drift of the machine's load hits all alike. Two kinds of block:

- idle caller: the caller does nothing between the days;
- busy caller: after each day's loads the caller does a fixed stand-in for the rest of the
  model's day (sorting WORK_VALUES random numbers, NumPy, one core), also timed alone.

Printed per engine, the median over the rounds of the milliseconds per day: CPU time of the
process (all its threads: the background draws count), wall time with the idle caller, and
wall time with the busy caller (loads + stand-in, what the model sees); then each ratio to
before #14 as the median over the rounds of the round's paired ratio (blocks of one round ran
back to back), the ratio of the medians in brackets. The criterion of "no slower than before
#14": today's CPU per day at most before #14's (paired ratio <= 1.00), and its wall per day
with the busy caller too (with a free core the background draws also hide in the wall).
Usage: python benchmarks/bench_loads.py [N_CUSTOMERS] [ROUNDS]; `--breakdown [N_CUSTOMERS]`
instead prints the CPU time of each part of a day's loads (the draws, the kernel, libm's
`exp`, the output's allocation, the engine before #14).
"""

import statistics
import sys
import time
from pathlib import Path

import numba
import numpy as np

from gridvalue.simulation.kernels import gross_day, standard_normals
from gridvalue.simulation.loads import LoadEngine
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.rng import Streams

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pre14_loads import Pre14Loads  # noqa: E402

MIX = {"population.households": 2000, "population.enterprises": 240, "population.microgrids": 8}
DAYS = 10  # per block
ROUNDS = 3
WARMUP_DAYS = 2
WORK_VALUES = 300_000  # the busy caller's stand-in: np.sort of this many random numbers a day


class _Engine:
    """An engine under test and the next day it makes (each its own run of days)."""

    def __init__(self, label: str, engine):
        self.label, self.engine, self.day = label, engine, 0

    def one_day(self, customers) -> None:
        self.engine.gross_kw(customers, self.day)
        self.day += 1

    def settle(self) -> None:
        """Wait for a draw still running on the background thread (inside the timing)."""
        draws = getattr(self.engine, "noise_draws", None)
        if draws is not None:
            draws.settle()


def _block(engine: _Engine | None, customers, days: int, work) -> tuple[float, float]:
    """(wall, CPU) seconds per day of `days` days of `engine` (None: the work alone), each
    followed by `work()` when given."""
    w, c = time.perf_counter(), time.process_time()
    for _ in range(days):
        if engine is not None:
            engine.one_day(customers)
        if work is not None:
            work()
    if engine is not None:
        engine.settle()
    return (time.perf_counter() - w) / days, (time.process_time() - c) / days


def _model(n: int, days: int) -> GridValueModel:
    """The baseline's customer mix at n customers."""
    total = sum(MIX.values())
    overrides = {k: max(1, round(v * n / total)) for k, v in MIX.items()}
    overrides["population.households"] += n - sum(overrides.values())
    overrides["meta.days"] = days
    return GridValueModel("baseline", overrides=overrides)


def breakdown(n: int, repeats: int = 21) -> None:
    """CPU milliseconds of each part of a day's loads (median of `repeats`), one thread."""
    model = _model(n, repeats + 2)
    loads, c = model.loads, model.customers
    T = loads.intervals_per_day
    rng = np.random.default_rng(0)
    z, level, out = np.empty((T, n)), np.empty(n), np.empty((n, T))
    last, sigma = rng.standard_normal(n), c["interval_sigma"]
    scale, cap = c["annual_kwh"] * c["load_scale"], c["connected_kw"] * c["load_scale"]
    shape = np.ascontiguousarray(loads._weather_shapes[:, 0, :])
    args = (last, loads.interval_persistence, sigma, scale, shape, c["profile_class"], cap)
    cells = z.ravel() * 0.3

    def cpu_ms(f) -> float:
        times = []
        for _ in range(repeats):
            start = time.process_time()
            f()
            times.append(time.process_time() - start)
        return statistics.median(times) * 1000

    @numba.njit(nogil=True)
    def exp_alone(a: np.ndarray, o: np.ndarray) -> None:
        for i in range(a.size):
            o[i] = np.exp(a[i])

    exp_alone(cells[:10], out.ravel()[:10])
    serial = LoadEngine(model.scenario, Streams(model.streams.seed), prefetch=False)
    before = Pre14Loads(loads.shapes_kw_per_kwh, loads.weather_factor,
                        model.scenario.profiles.customer_day_sigma, np.random.default_rng(0))
    days = iter(range(10**9))
    rows = [
        ("NumPy standard_normal((T, n)), a new array (the draws before this round, and "
         "before #14's)", lambda: rng.standard_normal((T, n))),
        ("NumPy standard_normal(n), the day levels", lambda: rng.standard_normal(n)),
        ("compiled standard_normals into the reused (T, n) buffer",
         lambda: standard_normals(rng, z)),
        ("compiled standard_normals, the n day levels", lambda: standard_normals(rng, level)),
        ("gross_day kernel (AR(1), exp, shape, scale, cap) into a reused output",
         lambda: gross_day(z, *args, out)),
        ("  of which libm exp alone, T x n values (compiled loop)",
         lambda: exp_alone(cells, out.ravel())),
        ("gross_day kernel into a new np.empty((n, T)) (first touch of its pages)",
         lambda: gross_day(z, *args, np.empty((n, T)))),
        ("NumPy exp of the same T x n values (before #14's; its AVX-512 routine, not libm's)",
         lambda: np.exp(cells, out=out.ravel())),
        ("gross_kw today, prefetch off (all of the above, and the n-length passes)",
         lambda: serial.gross_kw(c, next(days) % repeats)),
        ("gross_kw before #14 (benchmarks/pre14_loads.py)",
         lambda: before.gross_kw(c, next(days) % repeats)),
    ]
    print(f"CPU ms of the parts of a day's loads, {n:,} customers x {T} intervals, median of "
          f"{repeats}:")
    for label, f in rows:
        print(f"  {cpu_ms(f):6.2f}  {label}")


def main(n: int, rounds: int) -> None:
    model = _model(n, WARMUP_DAYS + 2 * DAYS * rounds + 1)
    loads, customers = model.loads, model.customers
    loads.noise_draws.enabled = True  # whatever GRIDVALUE_PREFETCH says
    serial = LoadEngine(model.scenario, Streams(model.streams.seed), prefetch=False)
    before = Pre14Loads(loads.shapes_kw_per_kwh, loads.weather_factor,
                        model.scenario.profiles.customer_day_sigma, np.random.default_rng(0))
    engines = [_Engine("today (draws ahead)", loads), _Engine("today, prefetch off", serial),
               _Engine("before #14 (benchmarks/pre14_loads.py)", before)]
    values = np.random.default_rng(1).random(WORK_VALUES)

    def work() -> None:
        np.sort(values)

    for engine in engines:
        _block(engine, customers, WARMUP_DAYS, None)
    wall, busy, cpu = ({e.label: [] for e in engines} for _ in range(3))
    alone = []
    for _ in range(rounds):
        for engine in engines:
            w, c = _block(engine, customers, DAYS, None)
            wall[engine.label].append(w)
            cpu[engine.label].append(c)
        alone.append(_block(None, customers, DAYS, work)[0])
        for engine in engines:
            busy[engine.label].append(_block(engine, customers, DAYS, work)[0])

    def ms(xs: list[float]) -> float:
        return statistics.median(xs) * 1000

    print(f"gross_kw, {len(customers):,} customers x {loads.intervals_per_day} intervals; "
          f"{rounds} rounds of {DAYS}-day blocks, ms per day, median of the rounds:")
    print(f"  busy caller's stand-in alone (np.sort of {WORK_VALUES:,} numbers): wall "
          f"{ms(alone):.1f}")
    for e in engines:
        print(f"  {e.label}: CPU {ms(cpu[e.label]):.1f}, wall {ms(wall[e.label]):.1f} (idle "
              f"caller), wall {ms(busy[e.label]):.1f} with the stand-in (loads' share "
              f"{ms(busy[e.label]) - ms(alone):.1f})")
    today, off, pre = (e.label for e in engines)

    def paired(kind: dict, label: str) -> float:
        """Median over the rounds of the round's ratio label / before #14."""
        return statistics.median(a / b for a, b in zip(kind[label], kind[pre], strict=True))

    print("ratios to before #14, median of the rounds' paired ratios (ratio of the medians):")
    for label, name in ((today, "today"), (off, "today, prefetch off")):
        print(f"  {name}: CPU {paired(cpu, label):.2f} ({ms(cpu[label]) / ms(cpu[pre]):.2f}); "
              f"wall, idle caller {paired(wall, label):.2f} "
              f"({ms(wall[label]) / ms(wall[pre]):.2f}); wall with the stand-in "
              f"{paired(busy, label):.2f} ({ms(busy[label]) / ms(busy[pre]):.2f})")
    for name, kind in (("CPU per day", cpu), ("wall per day with the stand-in", busy)):
        ratio = paired(kind, today)
        print(f"no slower than before #14 ({name}, today / before, <= 1.00): "
              f"{'met' if ratio <= 1.0 else 'not met'} ({ratio:.2f})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--breakdown"]:
        breakdown(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
        sys.exit()
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS)
