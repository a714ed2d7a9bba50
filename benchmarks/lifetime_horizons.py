"""Lifetime value from different horizons: `ee_shared_savings`, paired replicates.

For each seed and horizon (years), the lifetime value at the start date of the contracts
signed in the first year (their discounted cash booked to date plus the expected value after
the horizon, simulation/lifetime.py), and of the whole line (its ledger NPV plus the
remaining value of all its contracts). Prints means with 95 % t-intervals over the seeds, and
the paired difference of each horizon from the first.

Usage: python benchmarks/lifetime_horizons.py [REPLICATES] [YEARS...]   (default 5, 1 3 7)
"""

import sys

import numpy as np
from scipy import stats

from gridvalue.simulation.model import GridValueModel

SCENARIO, SERVICE, SEED = "ee_shared_savings", "shared_savings", 42


def measure(seed: int, years: int) -> dict:
    model = GridValueModel(SCENARIO, seed=seed, overrides={"meta.years": years}).run()
    values = model.market.contract_lifetime_values()
    first = values[(values["service"] == SERVICE) & (values["signed_year"] == 2025)]
    rate = model.scenario.company.discount_rate_per_year
    line = (model.company.ledger.npv(rate, SERVICE)
            + model.market.remaining_value()[SERVICE])
    return {"cohort": float(first["lifetime_value"].sum()), "cohort_n": len(first),
            "line": line, "line_n": int((values["service"] == SERVICE).sum())}


def interval(x: np.ndarray) -> str:
    m = x.mean()
    if len(x) < 2:
        return f"{m:,.0f}"
    h = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{m:,.0f} [{m - h:,.0f}, {m + h:,.0f}]"


def main(replicates: int, horizons: list[int]) -> None:
    seeds = range(SEED, SEED + replicates)
    rows = {h: [measure(s, h) for s in seeds] for h in horizons}
    print(f"{SCENARIO}: seeds {SEED}-{SEED + replicates - 1}; CNY at the start date, 95 % CI")
    print(f"{'years':>5} | {'first-year contracts':>20} | {'their lifetime value':>34} | "
          f"{'paired diff. from ' + str(horizons[0]) + ' yr':>34} | {'all contracts':>13} | "
          f"{'line lifetime NPV':>34}")
    first = np.array([r["cohort"] for r in rows[horizons[0]]])
    for h in horizons:
        cohort = np.array([r["cohort"] for r in rows[h]])
        print(f"{h:>5} | {np.mean([r['cohort_n'] for r in rows[h]]):>20.1f} | "
              f"{interval(cohort):>34} | {interval(cohort - first):>34} | "
              f"{np.mean([r['line_n'] for r in rows[h]]):>13.1f} | "
              f"{interval(np.array([r['line'] for r in rows[h]])):>34}")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 5, args[1:] or [1, 3, 7])
