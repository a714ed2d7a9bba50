"""Benchmark: wall time and peak memory of one simulated year at several population sizes.

Each size runs in a fresh subprocess (so peak memory is that run's own): building the model,
365 daily steps, and building the result tables. Writing Parquet is timed separately.
Usage: python benchmarks/bench_year.py [N_CUSTOMERS ...]   (default: 2000 10000 100000)
Then the largest size again with AC power flow on each day's peak and minimum interval
(`network.power_flow = "peak_min"`, the synthetic network), and the ratio of the two.
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE_MIX = {"population.households": 2000, "population.enterprises": 240,
                "population.microgrids": 8}


def overrides_for(n_customers: int) -> dict:
    """The baseline's customer mix scaled to n_customers."""
    total = sum(BASELINE_MIX.values())
    out = {k: max(1, round(v * n_customers / total)) for k, v in BASELINE_MIX.items()}
    out["population.households"] += n_customers - sum(out.values())
    return out


def _child(n_customers: int, power_flow: str) -> None:
    from gridvalue.experiments.runner import model_tables, summarise
    from gridvalue.simulation.model import GridValueModel

    t0 = time.perf_counter()
    model = GridValueModel("baseline", overrides=overrides_for(n_customers)
                           | {"network.power_flow": power_flow})
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    tables = model_tables(model)
    summary = summarise(model, tables)
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in tables.items():
            frame.to_parquet(Path(tmp) / f"{name}.parquet", index=False)
    t4 = time.perf_counter()
    print(json.dumps({"customers": len(model.customers), "feeders": model.topology.n_feeders,
                      "transformers": model.topology.n_transformers,
                      "build_s": t1 - t0, "steps_s": t2 - t1, "tables_s": t3 - t2,
                      "write_s": t4 - t3, "peak_kw": summary["system_peak_kw"]}))


def main(sizes: list[int]) -> None:
    print(f"{'customers':>10} {'power flow':>10} {'feeders':>8} {'build s':>8} "
          f"{'365 steps s':>12} {'tables s':>9} {'total s':>8} {'write s':>8} "
          f"{'peak RSS MB':>12}")
    totals = {}
    for n, power_flow in [(n, "off") for n in sizes] + [(max(sizes), "peak_min")]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run([sys.executable, __file__, "--child", str(n), power_flow],
                              capture_output=True, text=True, check=True)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if rss_mb <= before / 1024:
            rss_mb = float("nan")  # an earlier, larger child holds the maximum
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        total = r["build_s"] + r["steps_s"] + r["tables_s"]
        totals[power_flow] = total
        print(f"{r['customers']:>10,} {power_flow:>10} {r['feeders']:>8} {r['build_s']:>8.2f} "
              f"{r['steps_s']:>12.2f} {r['tables_s']:>9.2f} {total:>8.2f} {r['write_s']:>8.2f} "
              f"{rss_mb:>12.0f}", flush=True)
    print(f"power flow on each day's peak and minimum: {totals['peak_min'] / totals['off']:.2f}x "
          f"the run without it ({max(sizes):,} customers; target at most 2x)")


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), sys.argv[3])
    else:
        main([int(a) for a in sys.argv[1:]] or [2000, 10000, 100000])
