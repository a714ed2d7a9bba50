"""Whom the company would contact, and what those contacts are worth by the hidden truth
(issue #16's diagnosis, docs/voi.md): per data-quality level, the `value_of_information`
scenario's eligible enterprises ranked by the company's expected contact value at the start,
and the true expected lifetime value of the first N contracts (revenue and the margin the
true saving takes, at the true hazard, less the retrofit the company pays on its estimate).
"oracle" ranks on the truth itself: the most that perfect information could buy here. Also
prints the company's own valuation per unit of estimated annual saving value by sector, and
the estimated and true savings of the first N1 contacts by sector at high quality, and per
quality the customers whose expected contact value is above 0 (whom
`company.contact_positive_value_only` may contact) by sector, with their true savings share.
Reads hidden truths to score; no run, construction only.

    .venv/bin/python benchmarks/voi_targeting.py WORLD SEED N1,N2 [key=value ...]
"""

import dataclasses
import sys
import tomllib

import numpy as np

from gridvalue.experiments.voi import QUALITY_LEVELS, with_platform
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario

TRUTH = {"efficiency_estimate_share": "efficiency_potential_share",
         "default_hazard_estimate_per_year": "default_hazard_per_year"}


def true_value(model, svc, who: np.ndarray) -> np.ndarray:
    """Each contract's expected value by the truth, its retrofit paid on the estimate, with
    the margin the saving takes over the measure life (as the lifetime books charge it)."""
    c, params = model.customers, svc.params
    held = {k: c[k][who].copy() for k in TRUTH}
    payback = svc.params.simple_payback_years
    capex_paid = held["efficiency_estimate_share"] * svc._annual_bill(who) * payback
    try:
        svc.params = dataclasses.replace(params, margin_over_measure_life=True)
        for k, truth in TRUTH.items():
            c[k][who] = np.clip(c[truth][who], 0.0, 0.9)
        value = svc.contract_value_estimate(who)
        capex_true = c["efficiency_estimate_share"][who] * svc._annual_bill(who) * payback
    finally:
        svc.params = params
        for k, x in held.items():
            c[k][who] = x
    return value + capex_true - capex_paid


def ranked(model, svc, oracle: bool = False) -> np.ndarray:
    c = model.customers
    pool = np.flatnonzero(svc.eligible() & (c["credit_score"] >= svc.params.score_threshold))
    if oracle:
        for k, truth in TRUTH.items():
            c[k][:] = np.clip(c[truth], 0.0, 0.9)
    value = svc.expected_contact_value(pool)
    return pool[np.lexsort((pool, -value))]


def main() -> None:
    world, seed = sys.argv[1], int(sys.argv[2])
    sizes = [int(n) for n in sys.argv[3].split(",")]
    overrides = {"population.households": 50}
    for item in sys.argv[4:]:
        key, value = item.split("=", 1)
        overrides[key] = tomllib.loads(f"v = {value}")["v"]
    scenario = load_scenario("value_of_information", overrides)
    print(f"world {world}, seed {seed}: true value of the first N contracts (k CNY)")
    print("| quality | " + " | ".join(f"N = {n}" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for quality in [*QUALITY_LEVELS, "oracle"]:
        model = GridValueModel(with_platform(scenario, "high" if quality == "oracle" else quality,
                                             "predictive", world), seed=seed)
        svc = model.market.services[0]
        if quality == "high":
            c, who = model.customers, np.flatnonzero(svc.eligible())
            e = c["efficiency_estimate_share"][who]
            per_unit = svc.contract_value_estimate(who) / np.maximum(
                e * svc._annual_bill(who), 1e-9)
            for sector in np.unique(c["sector"][who]):
                rows = c["sector"][who] == sector
                print(f"(company's value per unit of estimated annual saving value, sector "
                      f"{sector}: {per_unit[rows].mean():+.3f})")
        order = ranked(model, svc, oracle=quality == "oracle")
        if quality != "oracle":
            c = model.customers
            pool = np.flatnonzero(svc.eligible()
                                  & (c["credit_score"] >= svc.params.score_threshold))
            positive = pool[svc.expected_contact_value(pool) > 0]
            counts = np.bincount(c["sector"][positive], minlength=3)
            print(f"({quality}: {len(positive)} of {len(pool)} screened with a positive "
                  f"contact value; commercial {counts[1]}, agricultural {counts[2]}; true "
                  f"savings {c['efficiency_potential_share'][positive].mean():.3f})")
        if quality == "high":  # the first N1 contacts per sector: estimated and true savings
            c, first = model.customers, order[:sizes[0]]
            for sector in np.unique(c["sector"][first]):
                rows = first[c["sector"][first] == sector]
                print(f"(first {sizes[0]}, sector {sector}: {len(rows)} customers, estimated "
                      f"savings {c['efficiency_estimate_share'][rows].mean():.3f}, true "
                      f"{c['efficiency_potential_share'][rows].mean():.3f})")
        values = [true_value(model, svc, order[:n]).sum() / 1e3 for n in sizes]
        print(f"| {quality} | " + " | ".join(f"{v:+,.0f}" for v in values) + " |", flush=True)


if __name__ == "__main__":
    main()
