"""Paired comparisons: a scenario against a baseline over replicates with common random numbers.

Replicate r runs both scenarios with the same seed, so they draw the same customers, network,
weather and noise, and their difference is the policy's effect. The summary gives, per KPI,
the means, the mean paired difference, and a 95 % t-interval of the paired differences.

`paired_replicates` is the reusable part: any experiment that compares two scenarios seed by
seed (e.g. the value of information) passes its own `measure`.
"""

import json
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.peaks import paired_peak_value, peak_kpis
from gridvalue.simulation.scenario import Scenario

COLUMNS = ("kpi", "baseline", "scenario", "delta", "delta_pct", "ci_low", "ci_high")
# KPIs measured on the pair, not on one run: their baseline is 0 by definition.
PAIRED_KPIS = ("peak_reduction_kw", "deferral_value")


def uptake_share(model: GridValueModel) -> float:
    """Share of the customers eligible for any offered service who hold at least one."""
    market = model.market
    if not market.services:
        return 0.0
    eligible = np.logical_or.reduce([s.eligible() for s in market.services])
    holders = market.adopted.any(axis=0) & eligible
    return float(holders.sum() / max(eligible.sum(), 1))


def run_kpis(model: GridValueModel) -> dict[str, float]:
    """KPIs of one finished run."""
    return peak_kpis(model) | {
        "uptake": uptake_share(model),
        "company_npv": model.company_npv(),
        "company_npv_lifetime": model.company_npv(lifetime=True),
        "customer_bill_total": float(model.customers["bill"].sum()),
    }


def kpi_pair(base: GridValueModel, other: GridValueModel) -> dict[str, tuple[float, float]]:
    """The default measure: each KPI of both runs, plus the paired peak value."""
    a, b = run_kpis(base), run_kpis(other)
    out = {k: (a[k], b[k]) for k in a}
    paired = paired_peak_value(base, other)
    return out | {k: (0.0, paired[k]) for k in PAIRED_KPIS}


Measure = Callable[[GridValueModel, GridValueModel], dict[str, tuple[float, float]]]


def paired_replicates(base: Scenario, other: Scenario, seeds: Sequence[int],
                      measure: Measure = kpi_pair,
                      on_pair: Callable[[int, GridValueModel, GridValueModel], None] | None = None,
                      progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run `base` and `other` with each seed; one row per replicate and KPI with columns
    replicate, seed, kpi, baseline, scenario (as returned by `measure`)."""
    rows = []
    for r, seed in enumerate(seeds):
        a = GridValueModel(base, seed=int(seed)).run()
        b = GridValueModel(other, seed=int(seed)).run()
        for kpi, (x, y) in measure(a, b).items():
            rows.append({"replicate": r, "seed": int(seed), "kpi": kpi, "baseline": float(x),
                         "scenario": float(y)})
        if on_pair is not None:
            on_pair(r, a, b)
        if progress is not None:
            progress(r + 1)
    return pd.DataFrame(rows, columns=["replicate", "seed", "kpi", "baseline", "scenario"])


def t_interval(differences: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Two-sided t-interval of the mean of paired differences (NaN with one replicate)."""
    d = np.asarray(differences, dtype=float)
    n = len(d)
    if n < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / math.sqrt(n)
    return float(d.mean() - half), float(d.mean() + half)


def summarise_pairs(frame: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per KPI: baseline mean, scenario mean, delta, delta % of the baseline, CI of delta."""
    rows = []
    for kpi, group in frame.groupby("kpi", sort=False):
        base, other = group["baseline"].to_numpy(), group["scenario"].to_numpy()
        delta = other - base
        low, high = t_interval(delta, level)
        mean_base = float(base.mean())
        rows.append({"kpi": kpi, "baseline": mean_base, "scenario": float(other.mean()),
                     "delta": float(delta.mean()),
                     "delta_pct": 100.0 * float(delta.mean()) / mean_base if mean_base else
                     math.nan, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def to_json(summary: pd.DataFrame) -> str:
    """JSON list of objects with keys kpi, baseline, scenario, delta, delta_pct, ci_low,
    ci_high (NaN as null)."""
    records = []
    for row in summary.to_dict("records"):
        records.append({k: (None if isinstance(v, float) and math.isnan(v) else v)
                        for k, v in row.items()})
    return json.dumps(records, indent=2)


def format_table(summary: pd.DataFrame) -> str:
    """Aligned text table of the summary."""
    def number(v: float, pct: bool = False) -> str:
        if isinstance(v, float) and math.isnan(v):
            return "-"
        if pct:
            return f"{v:+.2f} %"
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.0f}"

    header = ("kpi", "baseline", "scenario", "delta", "delta %", "95 % CI of delta")
    lines = []
    for row in summary.to_dict("records"):
        ci = f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"
        lines.append((row["kpi"], number(row["baseline"]), number(row["scenario"]),
                      number(row["delta"]), number(row["delta_pct"], True), ci))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    for line in lines:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths, strict=True))))
    return "\n".join(out)


class FirstPair:
    """An `on_pair` hook keeping the first replicate's load curves for the report."""

    def __init__(self):
        self.curves: dict[str, np.ndarray] = {}

    def __call__(self, r: int, base: GridValueModel, other: GridValueModel) -> None:
        if r == 0:
            day = int(base.system_kw.max(axis=1).argmax())
            self.curves = {"base_mean": base.system_kw.mean(axis=0),
                           "other_mean": other.system_kw.mean(axis=0),
                           "base_peak_day": base.system_kw[day],
                           "other_peak_day": other.system_kw[day],
                           "base_households": base.household_kw[day],
                           "other_households": other.household_kw[day],
                           "peak_date": np.array(base.dates[day].isoformat())}


def _delta_chart(summary: pd.DataFrame) -> str:
    from gridvalue.experiments.report import FIGSIZE, _png, plt

    rows = summary[summary["delta_pct"].notna()]
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.35 * len(rows) + 1))
    y = np.arange(len(rows))
    base = rows["baseline"].to_numpy()
    low = 100 * rows["ci_low"].to_numpy() / base
    high = 100 * rows["ci_high"].to_numpy() / base
    pct = rows["delta_pct"].to_numpy()
    ax.barh(y, pct, color="tab:blue")
    finite = np.isfinite(low) & np.isfinite(high)
    ax.errorbar(pct[finite], y[finite], xerr=[pct[finite] - low[finite],
                                            high[finite] - pct[finite]],
                fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, rows["kpi"])
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="change against the baseline (%), with the 95 % CI")
    return _png(fig)


def _curve_chart(curves: dict) -> str:
    from gridvalue.experiments.report import FIGSIZE, _png, plt

    fig, ax = plt.subplots(figsize=FIGSIZE)
    T = len(curves["base_mean"])
    hours = np.arange(T) * 24 / T
    date = str(curves["peak_date"])
    for key, label, style in (("base_peak_day", f"baseline, peak day {date}", "-"),
                              ("other_peak_day", "scenario, same day", "-"),
                              ("base_households", "households, baseline", "--"),
                              ("other_households", "households, scenario", "--")):
        ax.plot(hours, curves[key] / 1000, style, label=label)
    ax.set(xlabel="hour of day", ylabel="load (MW)")
    ax.legend(fontsize=8)
    return _png(fig)


def write_compare_report(summary: pd.DataFrame, info: dict, curves: dict, path) -> None:
    """A self-contained HTML page: the KPI table, the changes with CIs, the peak day."""
    import html

    from gridvalue.experiments.labels import label, number
    from gridvalue.experiments.report import _figure

    shown = summary.assign(kpi=summary["kpi"].map(label))  # labels with units, 1,234 not 1.2e3
    table = shown.to_html(index=False, float_format=number, na_rep="-")
    figures = [_figure("Change of each KPI against the baseline, with 95 % CI of the paired "
                       "difference", _delta_chart(summary))]
    if curves:
        figures.append(_figure("System and household load on the baseline's peak day "
                               "(first replicate)", _curve_chart(curves)))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gridvalue compare: {html.escape(info['scenario'])} vs {html.escape(info['baseline'])}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
table{{border-collapse:collapse}}
th,td{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}}
figure{{margin:1.5em 0}}img{{max-width:100%}}</style></head><body>
<h1>{html.escape(info['scenario'])} against {html.escape(info['baseline'])}</h1>
<p>{html.escape(info.get('description', ''))}</p>
<p>{info['replicates']} paired replicates (seeds {html.escape(str(info['seeds']))}; both
scenarios use the same seed in each) · gridvalue {html.escape(info['version'])}</p>
<h2>KPIs</h2>{table}
<p>delta = scenario − baseline, averaged over replicates; the CI is a t-interval of the
paired differences. peak_reduction_kw and deferral_value are measured on each pair
(baseline 0). Deferral counts only transformers and feeders whose baseline peak exceeds
their rating.</p>
<h2>Charts</h2>{"".join(figures)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
