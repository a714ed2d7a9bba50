"""Benchmark: what the monthly choice costs in a year's run with several services on offer.

One simulated year of the baseline's customer mix at N customers with `pv_lease`, `pv_ppa`
and `shared_savings` on offer (the pv_investment scenario plus shared savings): wall time of
the whole run and of `Market.decide` (awareness, targeting, every customer type's decision,
signing), and its share. Target: under 10 % at 100,000 customers; the script exits 1 when
the share is over it (so `make bench` fails).
Usage: python benchmarks/bench_choice.py [N_CUSTOMERS]   (default: 100000)
"""

import sys
import time

from bench_year import overrides_for

from gridvalue.simulation.model import GridValueModel

TARGET_SHARE = 0.10  # issue #12: the monthly choice costs under 10 % of a year's run


def main(n_customers: int) -> None:
    overrides = overrides_for(n_customers) | {
        "services.shared_savings.innovation_p_per_year": 0.3}
    t0 = time.perf_counter()
    model = GridValueModel("pv_investment", overrides=overrides)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    decide = model.market.decide_seconds
    contracts = sum(len(s.contracts) for s in model.market.services)
    print(f"{'customers':>10} {'services':>8} {'build s':>8} {'365 steps s':>12} "
          f"{'choice s':>9} {'choice share of the year':>25} {'contracts':>10}")
    print(f"{len(model.customers):>10,} {len(model.market.services):>8} {t1 - t0:>8.2f} "
          f"{t2 - t1:>12.2f} {decide:>9.2f} {decide / (t2 - t0):>25.1%} {contracts:>10,}")
    if decide / (t2 - t0) >= TARGET_SHARE:
        sys.exit(f"the monthly choice is over {TARGET_SHARE:.0%} of the year's run")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
