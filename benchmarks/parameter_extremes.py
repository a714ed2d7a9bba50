"""Every numeric parameter alone at its lower and its upper bound, one short run each
(25 households, 6 enterprises, 1 microgrid, 35 days): each must run with a finite summary or
give one line and exit 2. Service parameters run in a packaged scenario offering the service.

    .venv/bin/python benchmarks/parameter_extremes.py
"""

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from gridvalue.experiments import cli
from gridvalue.simulation.scenario import Scenario, load_scenario
from gridvalue.simulation.schema import parameter_rows

FIXED = ("population.households", "population.enterprises", "population.microgrids",
         "meta.days", "meta.seed", "data_platform.history_months")
SMALL = ["--set", "population.households=25", "--set", "population.enterprises=6",
         "--set", "population.microgrids=1", "--set", "meta.days=35"]
SCENARIOS = ("ee_shared_savings", "pv_investment", "equipment_services", "microgrid_services",
             "price_packages", "home_energy_management")


def main() -> None:
    offering = {}
    for ref in SCENARIOS:
        for name in load_scenario(ref).services:
            offering.setdefault(name, ref)
    counts = {"ok": 0, "refused": 0, "non-finite": 0, "raised": 0, "skipped": 0}
    root = Path(tempfile.mkdtemp())
    for row in parameter_rows(Scenario):
        path, default = row["parameter"], row["default"]
        if path in FIXED or " to " not in row["range"] or isinstance(default, bool) \
                or not isinstance(default, int | float):
            continue
        ref = "baseline"
        if path.startswith("services."):
            ref = offering.get(path.split(".")[1])
            if ref is None:
                counts["skipped"] += 1
                continue
        low, high = (float(x) for x in row["range"].replace(">", "").split(" to "))
        for value in (high, low):
            if ">" in row["range"] and value == low:
                continue
            value = int(value) if isinstance(default, int) else value
            out = root / "out"
            argv = ["run", ref, "--out", str(out), "--quiet", *SMALL, "--set", f"{path}={value!r}"]
            err = io.StringIO()
            try:
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    rc = cli.main(argv)
            except Exception as exc:  # noqa: BLE001 - what this script looks for
                counts["raised"] += 1
                print(f"RAISED {path}={value!r}: {exc!r}")
                continue
            if rc != 0:
                counts["refused"] += 1
                print(f"refused {path}={value!r}: {err.getvalue().strip()}")
                continue
            summary = json.loads((out / "meta.json").read_text())["summary"]
            numbers = [v for v in summary.values() if isinstance(v, int | float)]
            if not np.isfinite(numbers).all():
                counts["non-finite"] += 1
                print(f"NON-FINITE {path}={value!r}")
            else:
                counts["ok"] += 1
            shutil.rmtree(out)
    shutil.rmtree(root, ignore_errors=True)
    print(counts)


if __name__ == "__main__":
    main()
