"""SHA-256 of every Parquet table of small runs of the packaged scenarios (default
population, 40 days): run it on two trees and compare the listings to check that a change
keeps the outputs byte-identical.

Usage: python benchmarks/bench_tables_sha.py OUT_FOLDER [SCENARIO ...]
(PYTHONPATH=TREE to run another tree's code; default scenarios: the issue's eight).
"""

import hashlib
import subprocess
import sys
from pathlib import Path

SCENARIOS = ("baseline", "tou_pricing", "realtime_pricing", "price_packages", "pv_investment",
             "equipment_services", "ee_shared_savings", "credit_screening")

if __name__ == "__main__":
    out = Path(sys.argv[1])
    gridvalue = Path(sys.executable).with_name("gridvalue")
    for name in sys.argv[2:] or SCENARIOS:
        subprocess.run([str(gridvalue), "run", name, "--quiet", "--set",
                        "meta.days=40", "--out", str(out / name)], check=True,
                       capture_output=True)
    for path in sorted(out.rglob("*.parquet")):
        print(hashlib.sha256(path.read_bytes()).hexdigest(), path.relative_to(out))
