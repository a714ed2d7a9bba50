"""Sweep throughput: runs per second of a packaged sweep on 1 and 2 local worker processes and
on a Dask LocalCluster of 2 workers (wall time includes starting the workers).

    .venv/bin/python benchmarks/bench_sweep.py [SWEEP] [--dask-workers N]

SWEEP defaults to `short_runs` (200 runs of a small town over 14 days). Each executor writes
its own store in a temporary folder; the script checks their results are identical.
"""

import argparse
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from gridvalue.experiments.sweep import Executor, load_sweep, run_sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", nargs="?", default="short_runs")
    parser.add_argument("--dask-workers", type=int, default=2)
    args = parser.parse_args()
    sweep = load_sweep(args.sweep)
    n_runs = len(sweep.manifest())
    executors = [("1 local process", Executor("pool", workers=1)),
                 ("2 local processes", Executor("pool", workers=2)),
                 (f"Dask LocalCluster, {args.dask_workers} workers",
                  Executor("dask", workers=args.dask_workers))]
    print(f"sweep {sweep.meta.name}: {n_runs} runs · Python {platform.python_version()}")
    print(f"{'executor':<32} {'wall s':>8} {'runs/s':>8} {'mean run s':>11}")
    frames = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, executor) in enumerate(executors):
            clock = time.perf_counter()
            store = run_sweep(sweep, Path(tmp) / str(i), executor)
            wall = time.perf_counter() - clock
            frame = store.read()
            assert (frame["status"] == "ok").all(), frame.loc[frame["status"] != "ok", "error"]
            print(f"{label:<32} {wall:>8.1f} {n_runs / wall:>8.1f} "
                  f"{frame['wall_seconds'].mean():>11.3f}")
            frames.append(frame.drop(columns="wall_seconds"))
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], frame)
    print("per-run results identical on every executor")


if __name__ == "__main__":
    main()
