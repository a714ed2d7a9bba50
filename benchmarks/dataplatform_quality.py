"""How good the platform's estimates are at each data quality (the figures in the README).

For 1,500 enterprises (baseline mix otherwise, seed 5): screening AUC of the credit score
against actual 5-year defaults (mean over 50 draws of who defaults), the correlation of the
savings estimate with the truth and the RMSE of the savings potential and flexibility
estimates, at several coverages, granularities and history lengths, in each world.
Usage: python benchmarks/dataplatform_quality.py [WORLD ...]   (default: every world)
"""

import dataclasses
import sys

import numpy as np

from gridvalue.simulation.credit import auc
from gridvalue.simulation.dataplatform import acquire, estimate
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.worlds import WORLDS

SETTINGS = {
    "no meters (bills only)": {"enterprise_meter_coverage_share": 0.0},
    "coverage 50 %": {"enterprise_meter_coverage_share": 0.5},
    "coverage 100 %, monthly totals": {"granularity": "monthly"},
    "coverage 100 %, 3 months": {"history_months": 3},
    "coverage 100 %, 12 months": {},
}


def main(worlds: list[str]) -> None:
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
    print(f"{'world':<18} {'data':<32} {'analytics':<11} {'AUC':>6} {'r savings':>10} "
          f"{'savings RMSE':>13} {'flex RMSE':>10}")
    for world in worlds:
        for label, platform in SETTINGS.items():
            scenario = dataclasses.replace(model.scenario, data_platform=dataclasses.replace(
                model.scenario.data_platform, world=world, **platform))
            obs = acquire(scenario, c, model.type_column("flexibility_share"), model.streams)
            for level in ("none", "segments", "predictive"):
                est = estimate(obs, level, 6, 0)
                score = est.credit_score[rows]
                eff = est.efficiency_estimate_share[rows]
                flex_rmse = np.sqrt(np.mean((est.flexibility_estimate_share[rows] - flex) ** 2))
                print(f"{world:<18} {label:<32} {level:<11} "
                      f"{np.mean([auc(score, d) for d in defaults]):6.3f} "
                      f"{np.corrcoef(eff, truth)[0, 1]:10.3f} "
                      f"{np.sqrt(np.mean((eff - truth) ** 2)):13.3f} "
                      f"{flex_rmse:10.3f}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(WORLDS))
