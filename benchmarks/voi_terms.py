"""Lifetime books of the `value_of_information` scenario's shared-savings terms (issue #16's
terms gap): per term set, contracts signed and their mean lifetime value to the company
(cash to date plus the expected value after the horizon, simulation/lifetime.py), with a
95 % interval over contracts pooled across seeds, at analytics "none" and "predictive".

    .venv/bin/python benchmarks/voi_terms.py [SEEDS]
"""

import sys

import numpy as np

from gridvalue.simulation.model import GridValueModel

TERMS = {  # share_start, share_end, term_months
    "90 -> 80 %, 7 yr (main)": (0.9, 0.8, 84),
    "95 %, 7 yr": (0.95, 0.95, 84),
    "90 %, 10 yr": (0.9, 0.9, 120),
    "95 -> 90 %, 10 yr": (0.95, 0.9, 120),
}


def main() -> None:
    seeds = [42 + s for s in range(int(sys.argv[1]) if len(sys.argv) > 1 else 2)]
    print("| terms | analytics | contracts per run | lifetime value per contract (CNY) "
          "| line lifetime value per run (CNY) |")
    print("|---|---|---:|---:|---:|")
    for label, (start, end, term) in TERMS.items():
        for analytics in ("none", "predictive"):
            values, lines = [], []
            for seed in seeds:
                model = GridValueModel("value_of_information", seed=seed, overrides={
                    "services.shared_savings.share_start": start,
                    "services.shared_savings.share_end": end,
                    "services.shared_savings.term_months": term,
                    "data_platform.analytics": analytics}).run()
                v = model.market.contract_lifetime_values()
                values.append(v["lifetime_value"].to_numpy())
                lines.append(model.company.ledger.npv(
                    model.scenario.company.discount_rate_per_year, "shared_savings")
                    + model.market.remaining_value()["shared_savings"])
            v = np.concatenate(values)
            half = 1.96 * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
            print(f"| {label} | {analytics} | {len(v) / len(seeds):.1f} | {v.mean():,.0f} "
                  f"+- {half:,.0f} | {np.mean(lines):,.0f} |", flush=True)


if __name__ == "__main__":
    main()
