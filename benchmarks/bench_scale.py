"""Benchmark of issue #19: the year's run against the trivial Mesa peer, the time-varying
scenarios against the baseline, the share of repeated runs spent on the data platform's
history, and the scaling of wall time and memory with the number of customers.

Every run is a fresh subprocess (its own peak RSS); runs are sequential (never two at once).
Usage:
    python benchmarks/bench_scale.py                  # 100,000 customers: peer, baseline,
                                                      # tou/realtime/price_packages, history
    python benchmarks/bench_scale.py --sizes 10000 100000 1000000 --only baseline
    python benchmarks/bench_scale.py --history-only   # the compare / voi part only
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_year import overrides_for  # noqa: E402

TIME_VARYING = ("tou_pricing", "realtime_pricing", "price_packages")


def _peer(n: int, days: int) -> dict:
    """The trivial Mesa peer: n agents whose step does nothing, `days` steps."""
    import mesa

    class Trivial(mesa.Agent):
        def step(self) -> None:
            pass

    class Peer(mesa.Model):
        def __init__(self, n: int):
            super().__init__(seed=1)
            Trivial.create_agents(self, n)

        def step(self) -> None:
            self.agents.do("step")

    t0, c0 = time.perf_counter(), time.process_time()
    model = Peer(n)
    for _ in range(days):
        model.step()
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


def _run(n: int, scenario: str, days: int, noise: str = "normal",
         history: str = "when_read") -> dict:
    from gridvalue.simulation.model import GridValueModel

    t0, c0 = time.perf_counter(), time.process_time()
    options = ({"profiles.interval_noise": noise} if noise != "normal" else {}) | (
        {"data_platform.history": history} if history != "when_read" else {})
    model = GridValueModel(scenario, overrides=overrides_for(n) | {"meta.days": days}
                           | options)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "steps_s": t2 - t1, "wall_s": t2 - t0,
            "cpu_s": time.process_time() - c0,
            "history": model.platform.observations is not None}


def _history(kind: str, before: bool, days: int) -> dict:
    """A `compare` of price_packages with 2 replicates, or a `voi` with 1 replicate, at the
    default population: wall time, time in the history's simulation and its count. `before`:
    the history in every run and no sharing (the behaviour before issue #19)."""
    from gridvalue.simulation import dataplatform
    from gridvalue.simulation.scenario import load_scenario

    spent = {"s": 0.0, "n": 0}
    simulate = dataplatform._simulate_history

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return simulate(*args, **kwargs)
        finally:
            spent["s"] += time.perf_counter() - t
            spent["n"] += 1

    dataplatform._simulate_history = timed
    if before:
        dataplatform.HISTORY_CACHE_BYTES = 0
    over = {"meta.days": days} | ({"data_platform.history": "always"} if before else {})
    t0 = time.perf_counter()
    if kind == "compare":
        from gridvalue.experiments.compare import paired_replicates

        base = load_scenario("baseline", over)
        other = load_scenario("price_packages", over)
        paired_replicates(base, other, [1, 2])
    else:
        from gridvalue.experiments.voi import run_grid

        run_grid(load_scenario("value_of_information", over), [1])
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "history_s": spent["s"], "histories": spent["n"]}


def _child(args: list[str]) -> None:
    kind = args[0]
    if kind == "peer":
        out = _peer(int(args[1]), int(args[2]))
    elif kind == "run":
        out = _run(int(args[1]), args[2], int(args[3]), *args[4:])
    else:
        out = _history(args[1], args[2] == "before", int(args[3]))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_rss_mb"] = usage.ru_maxrss / 1024
    out.setdefault("cpu_s", usage.ru_utime + usage.ru_stime)  # CPU: less load-sensitive
    print(json.dumps(out))


def spawn(*args, threads: int = 1) -> dict:
    """One child run; `threads` > 1 runs the per-customer kernels on that many numba threads
    (GRIDVALUE_KERNEL_THREADS, simulation/kernels.py)."""
    env = os.environ | {"GRIDVALUE_KERNEL_THREADS": str(threads)}
    proc = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                          capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--only", choices=("baseline",), default=None)
    parser.add_argument("--history-only", action="store_true")
    parser.add_argument("--no-history", action="store_true")
    parser.add_argument("--history-days", type=int, default=90)
    parser.add_argument("--threads", type=int, default=2,
                        help="also the baseline with its kernels on this many threads (1: not)")
    a = parser.parse_args()
    if not a.history_only:
        print(f"{'customers':>10} {'run':>22} {'build s':>8} {'steps s':>8} {'wall s':>8} "
              f"{'CPU s':>8} {'peak MB':>8} {'wall ratio':>10} {'CPU ratio':>10}")

        def row(n, name, r, ref, against):
            build = f"{r['build_s']:>8.2f} {r['steps_s']:>8.2f}" if "build_s" in r else " " * 17
            print(f"{n:>10,} {name:>22} {build} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} "
                  f"{r['peak_rss_mb']:>8.0f} {r['wall_s'] / ref['wall_s']:>10.2f} "
                  f"{r['cpu_s'] / ref['cpu_s']:>10.2f}  (x {against})", flush=True)

        # numba compiles each kernel on its first call and caches it on disk (cache=True): a
        # small run of every scenario first, so that no timed run pays for the compiler
        for name in ("baseline", *TIME_VARYING):
            spawn("run", 300, name, 3)
        spawn("run", 300, "baseline", 3, "table")
        spawn("run", 300, "baseline", 3, "normal", "always")
        scaling = []
        for n in a.sizes:
            peer = spawn("peer", n, a.days)
            row(n, "trivial Mesa peer", peer, peer, "peer")
            base = spawn("run", n, "baseline", a.days)
            scaling.append((n, base["wall_s"], base["cpu_s"], base["peak_rss_mb"]))
            row(n, "baseline", base, peer, "peer")
            row(n, "baseline, table noise", spawn("run", n, "baseline", a.days, "table"), peer,
                "peer")
            if a.threads > 1:
                row(n, f"baseline, {a.threads} threads",
                    spawn("run", n, "baseline", a.days, threads=a.threads), peer, "peer")
            if a.only:
                continue
            # the baseline builds no history (nothing reads an estimate); a scenario that
            # does is also set beside the baseline that builds it ("always")
            with_history = spawn("run", n, "baseline", a.days, "normal", "always")
            row(n, "baseline, history", with_history, peer, "peer")
            for name in TIME_VARYING:
                r = spawn("run", n, name, a.days)
                row(n, name, r, base, "baseline")
                if r["history"]:
                    row(n, name, r, with_history, "baseline with its history")
        if len(scaling) > 2:
            print("scaling (baseline): the cost of each further customer, between sizes")
            steps = list(zip(scaling[:-1], scaling[1:], strict=True))
            marginal = [(None, (w1 - w0) / (n1 - n0) * 1e6, (c1 - c0) / (n1 - n0) * 1e6,
                         (m1 - m0) / (n1 - n0) * 1024)
                        for (n0, w0, c0, m0), (n1, w1, c1, m1) in steps]
            for ((n0, *_), (n1, *_)), (_, w, c, m) in zip(steps, marginal, strict=True):
                print(f"  {n0:>9,} -> {n1:>9,}: {w:8.2f} wall us, {c:8.2f} CPU us, "
                      f"{m:6.3f} kB per customer")
            for label, i in (("wall", 1), ("CPU", 2), ("memory", 3)):
                print(f"  {label} per further customer, last step over the first: "
                      f"x{marginal[-1][i] / marginal[0][i]:.2f} (1.00 = linear; within 20 %: "
                      f"0.80-1.20)")
    if a.no_history:
        return
    print(f"\nrepeated runs ({a.history_days} days, default population): time in the history")
    for kind in ("compare", "voi"):
        for mode in ("before", "after"):
            r = spawn("history", kind, mode, a.history_days)
            print(f"{kind:>8} {mode:>7}: wall {r['wall_s']:7.2f} s, "
                  f"history {r['history_s']:6.2f} s "
                  f"({100 * r['history_s'] / r['wall_s']:4.1f} %), {r['histories']} built",
                  flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    else:
        main()
