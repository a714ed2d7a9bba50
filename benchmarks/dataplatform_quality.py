"""How good the platform's estimates are at each data quality (the figures in the README).

For 1,500 enterprises (baseline mix otherwise, seed 5): screening AUC of the credit score
against actual 5-year defaults (mean over 50 draws of who defaults) and the RMSE of the savings
potential and flexibility estimates, at several coverages, granularities and history lengths.
Usage: python benchmarks/dataplatform_quality.py
"""

import dataclasses

import numpy as np

from gridvalue.simulation.credit import auc
from gridvalue.simulation.dataplatform import acquire, estimate
from gridvalue.simulation.model import GridValueModel

SETTINGS = {
    "no meters (bills only)": {"enterprise_meter_coverage_share": 0.0},
    "coverage 50 %": {"enterprise_meter_coverage_share": 0.5},
    "coverage 100 %, monthly totals": {"granularity": "monthly"},
    "coverage 100 %, 1 month": {"history_months": 1},
    "coverage 100 %, 3 months": {"history_months": 3},
    "coverage 100 %, 12 months": {},
    "coverage 100 %, 24 months": {"history_months": 24},
}


def main() -> None:
    model = GridValueModel("baseline", seed=5, overrides={
        "population.households": 300, "population.enterprises": 1500,
        "population.microgrids": 0, "meta.days": 1})
    c = model.customers
    rows = np.flatnonzero(c["customer_type"] == 1)
    hazard = c["default_hazard_per_year"][rows]
    rng = np.random.default_rng(11)
    defaults = [rng.random(len(rows)) < 1 - (1 - hazard) ** 5 for _ in range(50)]
    truth = c["efficiency_potential_share"][rows]
    flex = model.type_column("flexibility_share")[rows]
    print(f"{'data':<32} {'analytics':<11} {'AUC':>6} {'savings RMSE':>13} {'flex RMSE':>10}")
    for label, platform in SETTINGS.items():
        scenario = dataclasses.replace(model.scenario, data_platform=dataclasses.replace(
            model.scenario.data_platform, **platform))
        obs = acquire(scenario, c, model.type_column("flexibility_share"), model.streams)
        for level in ("none", "segments", "predictive"):
            est = estimate(obs, level, 6, 0)
            score = est.credit_score[rows]
            print(f"{label:<32} {level:<11} {np.mean([auc(score, d) for d in defaults]):6.3f} "
                  f"{np.sqrt(np.mean((est.efficiency_estimate_share[rows] - truth) ** 2)):13.3f} "
                  f"{np.sqrt(np.mean((est.flexibility_estimate_share[rows] - flex) ** 2)):10.3f}")


if __name__ == "__main__":
    main()
