"""The screening curve: one scenario and seed re-run at several credit-score thresholds, and
the same over several seeds, so the report draws a mean with a band instead of one seed's
zigzag.

For the service screened it reports uptake, defaults, default losses, the lifetime default
probability of the borrowers signed (from their hidden hazards over the contract term), and
the service line's lifetime NPV (its ledger NPV over the horizon plus the remaining value of
active contracts), so the profit-maximising threshold can be read off.
"""

import dataclasses

import numpy as np
import pandas as pd

from gridvalue.simulation.contracts import DEFAULTED
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import Scenario


def with_threshold(scenario: Scenario, service: str, threshold: float) -> Scenario:
    params = dataclasses.replace(scenario.services[service], score_threshold=float(threshold))
    return dataclasses.replace(scenario, services=scenario.services | {service: params})


def screening_curve(scenario: Scenario, seed: int, service: str,
                    thresholds: "tuple[float, ...] | list[float]") -> pd.DataFrame:
    """One row per threshold, same seed (common random numbers) for every run."""
    rows = []
    rate = scenario.company.discount_rate_per_year
    for threshold in thresholds:
        model = GridValueModel(with_threshold(scenario, service, threshold), seed=seed).run()
        book = next(s for s in model.market.services if s.name == service).contracts
        hazard = model.customers["default_hazard_per_year"][book["customer"]]
        lifetime_pd = 1.0 - (1.0 - hazard) ** (book["term_months"] / 12.0)
        ledger = model.company.ledger
        rows.append({
            "threshold": float(threshold),
            "contracts": len(book),
            "defaulted": int((book["status"] == DEFAULTED).sum()),
            "default_losses": ledger.writeoff_total(service),
            "lifetime_default_share": float(lifetime_pd.mean()) if len(book) else np.nan,
            "line_npv_lifetime": ledger.npv(rate, service)
            + model.market.remaining_value()[service],
        })
    return pd.DataFrame(rows)


def screening_curves(scenario: Scenario, seeds: "list[int] | range", service: str,
                     thresholds: "tuple[float, ...] | list[float]") -> pd.DataFrame:
    """The curve at each seed (each one common to all thresholds), one row per seed and
    threshold, with a `seed` column first."""
    frames = [screening_curve(scenario, int(seed), service, thresholds).assign(seed=int(seed))
              for seed in seeds]
    frame = pd.concat(frames, ignore_index=True)
    return frame[["seed", *[c for c in frame.columns if c != "seed"]]]


def curve_bands(curves: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per threshold: mean, min and max of `column` over the seeds."""
    return curves.groupby("threshold")[column].agg(["mean", "min", "max"]).sort_index()
