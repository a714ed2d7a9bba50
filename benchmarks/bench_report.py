"""CPU time of a run's report (report.html and its charts) against the run and its tables.

Usage: python benchmarks/bench_report.py [N_CUSTOMERS] [SCENARIO]   (default 2248
pv_investment, 365 days).
"""

import pathlib
import sys
import tempfile
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_year import overrides_for  # noqa: E402

if __name__ == "__main__":
    from gridvalue.experiments.runner import run_scenario, write_results
    from gridvalue.simulation.scenario import load_scenario

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2248
    name = sys.argv[2] if len(sys.argv) > 2 else "pv_investment"
    c0 = time.process_time()
    result = run_scenario(load_scenario(name, overrides_for(n)))
    c1 = time.process_time()
    with tempfile.TemporaryDirectory() as folder:
        write_results(result, pathlib.Path(folder) / "tables", report=False)
        c2 = time.process_time()
        write_results(result, pathlib.Path(folder) / "report", report=True)
        c3 = time.process_time()
    print(f"run {c1 - c0:.2f} s CPU; tables {c2 - c1:.2f} s; tables and report {c3 - c2:.2f} s "
          f"(the report: {c3 - c2 - (c2 - c1):.2f} s)")
