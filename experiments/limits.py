"""Fail-fast limits: the memory and disk a run, a set of replicates or a sweep will need,
estimated before anything is allocated and checked against what the machine has.

The estimates are linear fits to measured runs (docs/performance.md, `benchmarks/
bench_scale.py`: one year, hourly; the baseline, which reads no estimate and so simulates no
history, peaked at 395 / 550 / 1,942 MB for 10,000 / 100,000 / 1,000,000 customers, and
`price_packages`, which reads them, at 1,363 MB for 100,000) plus the data platform's history,
counted only when something in the run reads the estimates (`services.reads_estimates`) and
growing with `history_months`; results folders were measured the same way (README, "Bad input
and limits").
"""

import os
from pathlib import Path

from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.schema import ScenarioError

PROCESS_BASE_BYTES = 380e6  # Python, NumPy, pandas, Mesa, numba, demandlib and the profiles
BYTES_PER_CUSTOMER = 560.0  # agents, customer tables, network
BYTES_PER_CUSTOMER_INTERVAL = 40.0  # a day's (customers, intervals) arrays
BYTES_PER_CUSTOMER_HISTORY_DAY = 22.0  # the platform's history: daily kWh (float32, shared
# and observed), its per-day (customers, intervals) arrays and the features' chunks
FOLDER_BASE_BYTES = 2e6  # report.html, scenario, meta, Parquet footers
FOLDER_BYTES_PER_CUSTOMER = 400.0
FOLDER_BYTES_PER_INTERVAL = 16.0  # system_load.parquet
FOLDER_BYTES_PER_FEEDER_DAY = 32.0
SWEEP_BYTES_PER_RUN = 8_000.0  # one Parquet file of one row
MANIFEST_BYTES_PER_RUN = 1_000.0  # a manifest row in pandas while it is built

MAX_REPLICATES = 100_000
MAX_SWEEP_RUNS = 1_000_000  # one result file each
MAX_WORKERS = 1_024


def available_memory_bytes() -> float:
    """Memory this process can still allocate: MemAvailable, or the cgroup limit if lower."""
    available = float("inf")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = float(line.split()[1]) * 1024
    except OSError:
        pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit = Path(limit_file).read_text().strip()
            if limit != "max" and float(limit) < 1e18:
                used = float(Path(usage_file).read_text().strip())
                available = min(available, float(limit) - used)
        except (OSError, ValueError):
            continue
    if available == float("inf"):
        pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        available = float(pages * size)
    return available


def _history_days(scenario: Scenario) -> int:
    return 31 * max(scenario.data_platform.history_months, 12)


def reads_history(scenario: Scenario) -> bool:
    """Whether a run of `scenario` simulates the data platform's history (something reads
    its estimates; simulation/services `reads_estimates`)."""
    from gridvalue.simulation.services import reads_estimates

    return reads_estimates(scenario)


def run_memory_bytes(scenario: Scenario) -> float:
    """Peak memory of one run of `scenario` (one process)."""
    n = scenario.n_customers
    T = scenario.meta.intervals_per_day
    per_customer = BYTES_PER_CUSTOMER + BYTES_PER_CUSTOMER_INTERVAL * T
    if reads_history(scenario):
        per_customer += BYTES_PER_CUSTOMER_HISTORY_DAY * _history_days(scenario)
    days = scenario.meta.days
    return PROCESS_BASE_BYTES + n * per_customer + days * T * 8.0 * 4


def run_folder_bytes(scenario: Scenario) -> float:
    """Size of a run's results folder."""
    n, days, T = scenario.n_customers, scenario.meta.days, scenario.meta.intervals_per_day
    feeders = max(1, n // max(1, scenario.network.customers_per_transformer
                              * scenario.network.transformers_per_feeder))
    return (FOLDER_BASE_BYTES + n * FOLDER_BYTES_PER_CUSTOMER
            + days * T * FOLDER_BYTES_PER_INTERVAL + days * feeders * FOLDER_BYTES_PER_FEEDER_DAY)


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


def check_memory(needed: float, what: str, field: str = "population") -> None:
    """ScenarioError if `needed` bytes exceed the memory available now."""
    available = available_memory_bytes()
    if needed > available:
        raise ScenarioError(field, f"{what} needs about {_gb(needed)} of memory; "
                            f"{_gb(available)} is available")


def check_run(scenario: Scenario, processes: int = 1) -> None:
    """Refuse a scenario whose run (in each of `processes` processes) would not fit in
    memory, before anything is built."""
    needed = run_memory_bytes(scenario) * processes
    what = (f"a run of {scenario.n_customers:,} customers × {scenario.meta.days:,} days"
            + (f" in each of {processes} processes" if processes > 1 else ""))
    check_memory(needed, what)


def check_replicates(replicates: int, field: str = "--replicates") -> None:
    if replicates > MAX_REPLICATES:
        raise ScenarioError(field, f"must be at most {MAX_REPLICATES:,}, got {replicates:,}")
