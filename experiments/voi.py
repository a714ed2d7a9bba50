"""The value-of-information experiment: what better data and analytics are worth.

One scenario is run at every data-quality level x analytics level, with the same seeds
(common random numbers), and each run is paired with the run at `analytics = "none"` of the
same data quality and seed: the difference is what the analytics made of the data. Each
difference is reported as a mean over replicates with its 95 % confidence interval.
"""

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import Scenario

ANALYTICS = ("none", "segments", "predictive")

# Data quality: what the platform holds (coverage is the same for every customer type).
QUALITY_LEVELS: dict[str, dict] = {
    "bills only": {"coverage": 0.0, "history_months": 12},
    "low": {"coverage": 0.3, "history_months": 3},
    "medium": {"coverage": 0.6, "history_months": 12},
    "high": {"coverage": 1.0, "history_months": 24},
}

METRICS = {
    "profit": "company NPV incl. contracts' remaining value",
    "contracts": "contracts signed",
    "uptake_per_contact": "contracts per marketing contact",
    "default_losses": "default losses",
    "peak_reduction_kw": "system peak reduction (kW)",
}


def with_platform(scenario: Scenario, quality: str, analytics: str) -> Scenario:
    """The scenario at one data-quality level and analytics level."""
    level = QUALITY_LEVELS[quality]
    platform = dataclasses.replace(
        scenario.data_platform, analytics=analytics,
        household_meter_coverage_share=level["coverage"],
        enterprise_meter_coverage_share=level["coverage"],
        microgrid_meter_coverage_share=level["coverage"],
        history_months=level["history_months"])
    return dataclasses.replace(scenario, data_platform=platform)


def run_metrics(model: GridValueModel) -> dict[str, float]:
    """A finished run's headline figures for the experiment."""
    ledger, market = model.company.ledger, model.market
    contracts = sum(len(s.contracts) for s in market.services)
    contacts = int(market.contacted.sum())
    return {
        "profit": ledger.npv(model.scenario.company.discount_rate_per_year)
        + sum(market.remaining_value().values()),
        "contracts": float(contracts),
        "contacts": float(contacts),
        "uptake_per_contact": contracts / contacts if contacts else 0.0,
        "default_losses": -ledger.total(item="default_losses"),
        "system_peak_kw": float(model.system_kw.max()),
    }


def run_grid(scenario: Scenario, seeds: "list[int]", qualities=tuple(QUALITY_LEVELS),
             analytics=ANALYTICS, progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """One row per run: quality, analytics, seed and its metrics."""
    rows = []
    for seed in seeds:
        for quality in qualities:
            for level in analytics:
                model = GridValueModel(with_platform(scenario, quality, level), seed=seed).run()
                rows.append({"quality": quality, "analytics": level, "seed": seed}
                            | run_metrics(model))
                if progress is not None:
                    progress()
    return pd.DataFrame(rows)


def paired_ci(differences: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences and its t confidence interval (NaN with one pair)."""
    d = np.asarray(differences, dtype=float)
    mean = float(d.mean()) if len(d) else float("nan")
    if len(d) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return mean, mean - half, mean + half


def uplift_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per quality, analytics and metric: the level's mean, and its paired difference from
    analytics = "none" (same quality and seed) with a 95 % confidence interval. Peak
    reduction is the none run's peak minus this run's."""
    runs = runs.assign(peak_reduction_kw=-runs["system_peak_kw"])
    base = runs[runs["analytics"] == "none"].set_index(["quality", "seed"])
    rows = []
    for (quality, level), group in runs.groupby(["quality", "analytics"], sort=False):
        ref = base.loc[[(quality, s) for s in group["seed"]]]
        for metric in METRICS:
            diff = group[metric].to_numpy() - ref[metric].to_numpy()
            mean, low, high = paired_ci(diff)
            value = group[metric] if metric != "peak_reduction_kw" else -group["system_peak_kw"]
            rows.append({"quality": quality, "analytics": level, "metric": metric,
                         "mean": float(value.mean()), "uplift": mean, "ci_low": low,
                         "ci_high": high, "replicates": len(diff)})
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, currency: str) -> str:
    """The uplift table as aligned text: one line per quality x analytics, one column per
    metric, 'uplift [low, high]'."""
    def cell(row) -> str:
        scale = 1.0 if row.metric in ("uptake_per_contact",) else None
        fmt = (lambda v: f"{v:+.3f}") if scale else (lambda v: f"{v:+,.0f}")
        if np.isnan(row.ci_low):
            return fmt(row.uplift)
        return f"{fmt(row.uplift)} [{fmt(row.ci_low)}, {fmt(row.ci_high)}]"

    labels = {"profit": f"profit ({currency})", "contracts": "contracts",
              "uptake_per_contact": "uptake/contact",
              "default_losses": f"default losses ({currency})",
              "peak_reduction_kw": "peak reduction (kW)"}
    lines = []
    wide = table.assign(text=table.apply(cell, axis=1)).pivot_table(
        index=["quality", "analytics"], columns="metric", values="text", aggfunc="first",
        sort=False)
    header = ["quality", "analytics"] + [labels[m] for m in METRICS]
    body = [[q, a] + [wide.loc[(q, a), m] for m in METRICS] for q, a in wide.index]
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
    for r in [header] + body:
        lines.append("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w)
                               for i, (v, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(lines)
