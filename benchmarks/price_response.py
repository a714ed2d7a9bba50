"""Price response of uptake: PV leases over two years at five lease prices, shared-savings
contracts over three years at two company shares, paired replicates (common random numbers),
and the arc elasticity of leases at the default price (35 CNY/kWp-month, between 30 and 40).

Usage: python benchmarks/price_response.py [REPLICATES]   (default: 4; seeds 0..R-1)
"""

import sys

import numpy as np
from scipy import stats

from gridvalue.simulation.model import GridValueModel

SMALL = {"population.households": 2000, "population.enterprises": 240,
         "population.microgrids": 8}


def contracts(scenario: str, seed: int, days: int, name: str, overrides: dict) -> int:
    model = GridValueModel(scenario, seed=seed, overrides={**SMALL, "meta.days": days,
                                                           **overrides}).run()
    return len(next(s for s in model.market.services if s.name == name).contracts)


def main(replicates: int) -> None:
    seeds = range(replicates)
    prices = [15.0, 25.0, 30.0, 35.0, 40.0, 45.0, 55.0]
    leases = np.array([[contracts("pv_investment", s, 730, "pv_lease",
                                  {"services.pv_lease.lease_per_kwp_month": p})
                        for p in prices] for s in seeds])
    print(f"pv_lease over 2 years, {replicates} paired replicates (seeds 0-{replicates - 1})")
    for j, p in enumerate(prices):
        print(f"  {p:>5.1f} CNY/kWp-month: {leases[:, j].mean():7.1f} leases  {leases[:, j]}")
    steps = [15.0, 25.0, 35.0, 45.0, 55.0]
    for a, b in zip(steps, steps[1:], strict=False):
        d = leases[:, prices.index(a)] - leases[:, prices.index(b)]
        p = stats.ttest_rel(leases[:, prices.index(a)], leases[:, prices.index(b)],
                            alternative="greater").pvalue if d.std() > 0 else 0.0
        print(f"  {a:g} -> {b:g}: fall {d.mean():.1f} (paired one-sided p = {p:.2g})")
    q30, q40 = leases[:, prices.index(30.0)].mean(), leases[:, prices.index(40.0)].mean()
    arc = ((q40 - q30) / ((q40 + q30) / 2)) / ((40 - 30) / 35)
    print(f"  arc elasticity of leases at 35 (30 -> 40): {arc:.2f}")
    shares = [0.4, 0.8]
    ee = np.array([[contracts("ee_shared_savings", s, 1095, "shared_savings",
                              {"services.shared_savings.share_start": x,
                               "services.shared_savings.share_end": x}) for x in shares]
                   for s in seeds])
    p = stats.ttest_rel(ee[:, 0], ee[:, 1], alternative="greater").pvalue
    print(f"shared_savings over 3 years: share 0.4 -> {ee[:, 0].mean():.1f}, 0.8 -> "
          f"{ee[:, 1].mean():.1f} contracts (paired one-sided p = {p:.2g})  {ee.tolist()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
