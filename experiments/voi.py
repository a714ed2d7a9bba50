"""The value-of-information experiment: what better data and analytics are worth.

One scenario is run at every data-quality level x analytics level, with the same seeds
(common random numbers), and each run is paired with the run at `analytics = "none"` of the
same data quality and seed: the difference is what the analytics made of the data. Each
difference is reported as a mean over replicates with its 95 % confidence interval.
"""

import dataclasses
import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gridvalue.experiments.atomic import atomic_folder
from gridvalue.experiments.compare import t_interval
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.schema import ScenarioError

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
        "profit": model.company_npv(lifetime=True),
        "contracts": float(contracts),
        "contacts": float(contacts),
        "uptake_per_contact": contracts / contacts if contacts else 0.0,
        "default_losses": ledger.writeoff_total(),
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
            mean = float(diff.mean())
            low, high = t_interval(diff)
            value = group[metric] if metric != "peak_reduction_kw" else -group["system_peak_kw"]
            rows.append({"quality": quality, "analytics": level, "metric": metric,
                         "mean": float(value.mean()), "uplift": mean, "ci_low": low,
                         "ci_high": high, "replicates": len(diff)})
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, currency: str) -> str:
    """The uplift table as aligned text: one line per quality x analytics, one column per
    metric, 'uplift [low, high]'."""
    def cell(row) -> str:
        digits = 3 if row.metric == "uptake_per_contact" else 0

        def fmt(v: float) -> str:
            return f"{v:+,.{digits}f}"

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


def check_scenario(scenario: Scenario) -> None:
    """The experiment needs a service on offer (raises ScenarioError naming `services`)."""
    if not scenario.services:
        raise ScenarioError("services", "the scenario offers no service: information has "
                            "nothing to be worth (add a [services.NAME] table)")


def _uplift_chart(table: pd.DataFrame, metric: str, ylabel: str, scale: float = 1.0) -> str:
    """Grouped bars: uplift over analytics = none per quality level, 95 % CI whiskers."""
    import matplotlib.pyplot as plt

    from gridvalue.experiments.report import FIGSIZE, _png

    rows = table[(table["metric"] == metric) & (table["analytics"] != "none")]
    qualities = list(dict.fromkeys(rows["quality"]))
    levels = list(dict.fromkeys(rows["analytics"]))
    x = np.arange(len(qualities))
    width = 0.8 / max(len(levels), 1)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for i, level in enumerate(levels):
        part = rows[rows["analytics"] == level].set_index("quality").loc[qualities]
        mean = part["uplift"].to_numpy() / scale
        err = np.vstack([mean - part["ci_low"].to_numpy() / scale,
                         part["ci_high"].to_numpy() / scale - mean])
        ax.bar(x + (i - (len(levels) - 1) / 2) * width, mean, width, label=level,
               yerr=None if np.isnan(err).all() else np.nan_to_num(err), capsize=3)
    ax.set_xticks(x, qualities)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="data quality", ylabel=ylabel)
    ax.legend(title="analytics", fontsize=8)
    return _png(fig)


def _html_table(table: pd.DataFrame, currency: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   ("quality", "analytics", "metric", "level (mean)", "uplift over none",
                    "95 % CI"))
    body = []
    for row in table.itertuples():
        digits = 3 if row.metric == "uptake_per_contact" else 0
        ci = ("–" if np.isnan(row.ci_low) else
              f"[{row.ci_low:,.{digits}f}, {row.ci_high:,.{digits}f}]")
        body.append(f"<tr><td>{html.escape(row.quality)}</td><td>{row.analytics}</td>"
                    f"<td>{html.escape(METRICS[row.metric])}</td><td>{row.mean:,.{digits}f}</td>"
                    f"<td>{row.uplift:+,.{digits}f}</td><td>{ci}</td></tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_voi(scenario: Scenario, runs: pd.DataFrame, table: pd.DataFrame, out: Path,
              seeds: "list[int]") -> Path:
    """Write runs.csv, uplift.csv, scenario.toml and a self-contained report.html to `out`,
    atomically (a temporary folder renamed into place)."""
    from gridvalue.experiments.report import _figure
    from gridvalue.experiments.runner import check_out_dir

    check_out_dir(out)
    with atomic_folder(out) as tmp:
        runs.to_csv(tmp / "runs.csv", index=False)
        table.to_csv(tmp / "uplift.csv", index=False)
        (tmp / "scenario.toml").write_text(scenario.to_toml())
        currency = scenario.meta.currency
        charts = "".join(_figure(title, _uplift_chart(table, metric, label, scale))
                         for metric, label, scale, title in (
            ("profit", f"million {currency}", 1e6, "Profit uplift over analytics = none "
             "(company NPV incl. contracts' remaining value), mean and 95 % CI of paired "
             "differences"),
            ("uptake_per_contact", "contracts per contact", 1.0,
             "Uptake per marketing contact: uplift over analytics = none"),
            ("default_losses", f"thousand {currency}", 1e3,
             "Default losses: change against analytics = none"),
            ("peak_reduction_kw", "kW", 1.0,
             "System peak reduction against analytics = none")))
        levels = "".join(f"<li><b>{html.escape(q)}</b>: smart-meter coverage "
                         f"{v['coverage']:.0%}, {v['history_months']} months of history</li>"
                         for q, v in QUALITY_LEVELS.items())
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gridvalue value of information: {html.escape(scenario.meta.name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}
table{{border-collapse:collapse;font-size:0.9em}}
th,td{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}}
figure{{margin:1.5em 0}}img{{max-width:100%}}</style></head><body>
<h1>Value of information: {html.escape(scenario.meta.name)}</h1>
<p>{html.escape(scenario.meta.description)}</p>
<p>Each data-quality level is run with analytics none, segments and predictive, with seeds
{html.escape(", ".join(map(str, seeds)))} (common random numbers). Each run is paired with the
analytics = none run of the same quality and seed; the uplift is the mean paired difference,
with its 95 % t confidence interval over {len(seeds)} replicates. Analytics none uses the
billing file only (bill size, published averages, payment record), so at zero coverage every
level sees the same information.</p>
<ul>{levels}</ul>
<h2>Charts</h2>{charts}
<h2>Table</h2>{_html_table(table, currency)}
</body></html>
"""
        (tmp / "report.html").write_text(page, encoding="utf-8")
    return out
