"""Who clears the contact threshold, and what they are worth by the truth (issue #16, docs/voi.md
round 6b): per world, seed and data quality (bills only, high, and "oracle": the estimates set
to the hidden truth), the `value_of_information` scenario's screened enterprises at the start,
those whose expected contact value is above 0 (whom `company.contact_positive_value_only`
contacts) per sector: how many, their true savings share, and the true expected value of
contacting them all (the chance of signing times the contract's value on the truth, the
retrofit sized on the true saving as the audit sizes it, less the audit), against the contact
budget of the run, and of the company's first `budget` contacts in its order (the run's
order over months differs as estimates are refitted). Also the true contract value per unit
of true annual saving value by sector, the positive customers' true hazard and the hazard
estimate's correlation with the truth over the offered sectors. Reads hidden truths to
score; no run, construction only.

    .venv/bin/python benchmarks/voi_pool.py WORLD SEEDS [key=value ...]   # SEEDS: 1,2,3
"""

import sys
import tomllib

import numpy as np

from gridvalue.experiments.voi import with_platform
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario

TRUTH = {"efficiency_estimate_share": "efficiency_potential_share",
         "default_hazard_estimate_per_year": "default_hazard_per_year"}
SECTORS = ("industrial", "commercial", "agricultural")


def with_truth(model, who: np.ndarray, fn):
    """`fn(who)` with the company's estimates of `who` replaced by the truth (restored)."""
    c = model.customers
    held = {k: c[k][who].copy() for k in TRUTH}
    try:
        for k, truth in TRUTH.items():
            c[k][who] = np.clip(c[truth][who], 0.0, 0.9)
        return fn(who)
    finally:
        for k, x in held.items():
            c[k][who] = x


def main() -> None:
    world, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
    overrides = {"population.households": 50}
    for item in sys.argv[3:]:
        key, value = item.split("=", 1)
        overrides[key] = tomllib.loads(f"v = {value}")["v"]
    scenario = load_scenario("value_of_information", overrides)
    p = scenario.services["shared_savings"]
    budget = p.contacts_per_month * round(scenario.meta.days / 365 * 12)
    print(f"world {world}, budget {budget} contacts ({p.contacts_per_month} a month)")
    print("| seed | quality | screened | positive | commercial | agricultural | true e "
          "positive | true hazard positive (1/yr) | r hazard | true value of contacting them "
          "(k CNY) | of which commercial | true value of the company's first `budget` "
          "| true value of the best `budget` by truth |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for seed in seeds:
        for quality in ("bills only", "high", "oracle"):
            model = GridValueModel(with_platform(
                scenario, "high" if quality == "oracle" else quality, "predictive", world),
                seed=seed)
            svc, c = model.market.services[0], model.customers
            pool = np.flatnonzero(svc.eligible()
                                  & (c["credit_score"] >= p.score_threshold))
            if quality == "oracle":
                value = with_truth(model, pool, svc.expected_contact_value)
            else:
                value = svc.expected_contact_value(pool)
            true = with_truth(model, pool, svc.expected_contact_value)
            positive = value > 0
            sector = c["sector"][pool]
            com = positive & (sector == 1)
            agr = positive & (sector == 2)
            best = np.sort(true)[::-1][:budget]
            first = np.lexsort((pool, -value))[:budget]
            first = first[value[first] > 0]
            hazard = c["default_hazard_per_year"]
            ent = np.flatnonzero(svc.eligible())
            r = np.corrcoef(c["default_hazard_estimate_per_year"][ent], hazard[ent])[0, 1]
            print(f"| {seed} | {quality} | {len(pool)} | {positive.sum()} | {com.sum()} | "
                  f"{agr.sum()} | {c['efficiency_potential_share'][pool][positive].mean():.3f}"
                  f" | {hazard[pool][positive].mean():.3f} | {r:.2f}"
                  f" | {true[positive].sum() / 1e3:+,.0f} | {true[com].sum() / 1e3:+,.0f} | "
                  f"{true[first].sum() / 1e3:+,.0f} | {best[best > 0].sum() / 1e3:+,.0f} |",
                  flush=True)
            if quality == "oracle" and seed == seeds[0]:
                e = c["efficiency_potential_share"][pool]
                cv = with_truth(model, pool, svc.contract_value_estimate)
                per_unit = cv / np.maximum(e * svc._annual_bill(pool), 1e-9)
                for s in np.unique(sector):
                    rows = sector == s
                    print(f"(true contract value per unit of true annual saving value, "
                          f"{SECTORS[s]}: {np.median(per_unit[rows]):+.3f} median; "
                          f"true value of contact > 0: {(true[rows] > 0).sum()} of "
                          f"{rows.sum()})")


if __name__ == "__main__":
    main()
