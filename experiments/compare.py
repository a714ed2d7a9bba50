"""Paired comparisons: a scenario against a baseline over replicates with common random numbers.

Replicate r runs both scenarios with the same seed, so they draw the same customers, network,
weather and noise, and their difference is the policy's effect. The summary gives, per KPI,
the means, the mean paired difference, and a 95 % t-interval of the paired differences.

`paired_replicates` is the reusable part: any experiment that compares two scenarios seed by
seed (e.g. the value of information) passes its own `measure`.
"""

import json
import math
import os
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from gridvalue.experiments.objectives import PAIRED_KPIS, SERVICE_FIELDS, Objective
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.peaks import paired_peak_value, peak_kpis
from gridvalue.simulation.scenario import Scenario

COLUMNS = ("kpi", "baseline", "scenario", "delta", "delta_pct", "ci_low", "ci_high")
# PAIRED_KPIS are measured on the pair, not on one run: their baseline is 0 by definition.


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


def service_kpis(model: GridValueModel) -> dict[str, float]:
    """Per service line offered, `NAME.FIELD` for FIELD in SERVICE_FIELDS: contracts signed,
    uptake (share of its eligible customers holding it at the end), horizon NPV (the
    contracts' discounted cash booked in the run) and lifetime NPV (plus their discounted
    value still to come after the horizon), in the scenario's currency at the start date."""
    market = model.market
    values = market.contract_lifetime_values()
    out = {}
    for k, service in enumerate(market.services):
        mine = values[values["service"] == service.name]
        eligible = service.eligible()
        held = market.adopted[k] & eligible
        out |= {f"{service.name}.contracts": float(len(service.contracts)),
                f"{service.name}.uptake": float(held.sum() / max(eligible.sum(), 1)),
                f"{service.name}.npv_horizon": float(mine["npv_to_date"].sum()),
                f"{service.name}.npv_lifetime": float(mine["lifetime_value"].sum())}
    return out


def kpi_pair(base: GridValueModel, other: GridValueModel) -> dict[str, tuple[float, float]]:
    """The default measure: each KPI of both runs, the paired peak value, and each service
    line's figures (0 for a run that does not offer it)."""
    a, b = run_kpis(base), run_kpis(other)
    out = {k: (a[k], b[k]) for k in a}
    paired = paired_peak_value(base, other)
    out |= {k: (0.0, paired[k]) for k in PAIRED_KPIS}
    lines_a, lines_b = service_kpis(base), service_kpis(other)
    return out | {k: (lines_a.get(k, 0.0), lines_b.get(k, 0.0))
                  for k in sorted(lines_a.keys() | lines_b.keys(), key=_line_order)}


def _line_order(key: str) -> tuple[str, int]:
    name, _, field = key.rpartition(".")
    return name, SERVICE_FIELDS.index(field)


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


def _seed_task(base: Scenario, others: dict[str, Scenario], seed: int, r: int,
               measure: Measure, keep_curves: bool) -> tuple[int, dict, dict]:
    """One seed: the base once, each other scenario against it (a worker's unit of work)."""
    a = GridValueModel(base, seed=int(seed)).run()
    rows, curves = {}, {}
    for label, other in others.items():
        b = GridValueModel(other, seed=int(seed)).run()
        rows[label] = [{"replicate": r, "seed": int(seed), "kpi": kpi, "baseline": float(x),
                        "scenario": float(y)} for kpi, (x, y) in measure(a, b).items()]
        if keep_curves:
            hook = FirstPair()
            hook(0, a, b)
            curves[label] = hook.curves
    return r, rows, curves


def paired_many(base: Scenario, others: dict[str, Scenario], seeds: Sequence[int],
                measure: Measure = kpi_pair, workers: int = 1,
                progress: Callable[[int], None] | None = None
                ) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Each scenario of `others` (by label) against `base`, seed by seed (the base runs once
    per seed); seeds run on `workers` processes. Returns per label the replicate frame (as
    `paired_replicates`) and the first replicate's load curves. Same seeds, same result
    whatever the number of workers."""
    tasks = [(base, others, int(seed), r, measure, r == 0) for r, seed in enumerate(seeds)]
    results = []
    if workers <= 1 or len(tasks) == 1:
        for task in tasks:
            results.append(_seed_task(*task))
            if progress is not None:
                progress(len(results) * len(others))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from gridvalue.experiments.workers import die_with_parent

        with ProcessPoolExecutor(min(workers, len(tasks)),
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            for future in as_completed([pool.submit(_seed_task, *t) for t in tasks]):
                results.append(future.result())
                if progress is not None:
                    progress(len(results) * len(others))
    results.sort(key=lambda item: item[0])
    columns = ["replicate", "seed", "kpi", "baseline", "scenario"]
    frames = {label: pd.DataFrame([row for _, rows, _ in results for row in rows[label]],
                                  columns=columns) for label in others}
    return frames, results[0][2]


def sign_notes(summary: pd.DataFrame, name: str, currency: str) -> list[str]:
    """One line wherever a horizon NPV and its lifetime NPV (the company's, its change
    against the baseline, or a service line's) have opposite signs, saying why."""
    by_kpi = summary.set_index("kpi")
    pairs = [("company_npv", "company_npv_lifetime", "scenario", f"{name}: company NPV"),
             ("company_npv", "company_npv_lifetime", "delta",
              f"{name}: change of company NPV against the baseline")]
    pairs += [(f"{line}.npv_horizon", f"{line}.npv_lifetime", "scenario", f"{line}: NPV")
              for line in dict.fromkeys(k.rpartition(".")[0] for k in by_kpi.index
                                        if k.endswith(".npv_lifetime"))]
    notes = []
    for horizon, lifetime, column, what in pairs:
        if horizon not in by_kpi.index or lifetime not in by_kpi.index:
            continue
        h, life = float(by_kpi.loc[horizon, column]), float(by_kpi.loc[lifetime, column])
        if h * life >= 0:
            continue
        why = ("the upfront costs (equipment, installation, acquisition) are booked within "
               "the horizon, while most of the contracts' income comes after it" if h < 0 else
               "the income so far is booked within the horizon, but what the contracts still "
               "cost after it (upkeep, expected defaults, lasting effects on energy sales) "
               "outweighs what they still bring")
        notes.append(f"note: {what} is {h:+,.0f} {currency} over the horizon but {life:+,.0f} "
                     f"{currency} over the contracts' life: {why}.")
    return notes


def ranking(summaries: dict[str, pd.DataFrame], objective: Objective) -> list[dict]:
    """The scenarios ordered by the objective's mean (best first), with the mean change
    against the baseline and its 95 % CI; a scenario without the KPI comes last (null)."""
    rows = []
    for label, summary in summaries.items():
        found = summary[summary["kpi"] == objective.kpi]
        if len(found):
            row = found.iloc[0]
            rows.append({"scenario": label, "value": float(row["scenario"]),
                         "delta": float(row["delta"]), "ci_low": float(row["ci_low"]),
                         "ci_high": float(row["ci_high"])})
        else:
            rows.append({"scenario": label} | dict.fromkeys(("value", "delta", "ci_low",
                                                             "ci_high"), math.nan))
    rows.sort(key=lambda r: -objective.better(r["value"]))
    return [{"rank": i + 1} | r for i, r in enumerate(rows)]


def kpi_unit(kpi: str, currency: str) -> str:
    """The unit a KPI is in."""
    field = kpi.rpartition(".")[2]
    if field in ("npv_horizon", "npv_lifetime") or kpi in (
            "company_npv", "company_npv_lifetime", "customer_bill_total", "deferral_value"):
        return currency
    if field == "contracts":
        return "contracts"
    if kpi.endswith("uptake") or kpi in ("max_transformer_utilisation", "load_factor"):
        return "share"
    for suffix, unit in (("_kwh", "kWh"), ("_kw", "kW"), ("hours_over_rating", "h"),
                         ("days_over_rating", "feeder-days")):
        if kpi.endswith(suffix):
            return unit
    return "-"


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
    return json.dumps(_records(summary), indent=2)


def _records(summary: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in summary.to_dict("records")]


def many_to_json(summaries: dict[str, pd.DataFrame], notes: dict[str, list[str]],
                 ranked: list[dict], info: dict) -> str:
    """JSON object of an N-way comparison: baseline, replicates, seeds, objective, one entry
    per scenario (its KPI rows as `to_json`, service lines included, and its notes) and the
    ranking (NaN as null)."""
    doc = {"baseline": info["baseline"], "replicates": info["replicates"],
           "seeds": info["seeds"], "objective": info["objective"],
           "scenarios": [{"scenario": label, "kpis": _records(summary),
                          "notes": notes[label]} for label, summary in summaries.items()],
           "ranking": [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                        for k, v in row.items()} for row in ranked]}
    return json.dumps(doc, indent=2)


def format_ranking(ranked: list[dict], objective: Objective, base_name: str,
                   currency: str) -> str:
    """The ranking as an aligned table."""
    unit = kpi_unit(objective.kpi, currency)
    header = ("rank", "scenario", f"{objective.kpi} ({unit})",
              f"change against {base_name}", "95 % CI of change")
    lines = [(str(r["rank"]), r["scenario"], _number(r["value"]), _number(r["delta"]),
              f"[{_number(r['ci_low'])}, {_number(r['ci_high'])}]") for r in ranked]
    return f"ranking by {objective}\n" + _align(header, lines)


def _number(v: float, pct: bool = False) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    if pct:
        return f"{v:+.2f} %"
    return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.0f}"


def _align(header: tuple, lines: list[tuple]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    out = []
    for line in (header, *lines):
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths, strict=True))))
    return "\n".join(out)


def format_lines(summary: pd.DataFrame, name: str, currency: str) -> str:
    """The service lines of a scenario: contracts, uptake, horizon and lifetime NPV (means
    of the replicates), and the 95 % CI of the lifetime NPV's change against the baseline."""
    by_kpi = summary.set_index("kpi")
    lines = []
    for line in dict.fromkeys(k.rpartition(".")[0] for k in by_kpi.index
                              if k.endswith(".npv_lifetime")):
        row = by_kpi.loc[f"{line}.npv_lifetime"]
        lines.append((line, f"{by_kpi.loc[f'{line}.contracts', 'scenario']:,.1f}",
                      f"{100 * by_kpi.loc[f'{line}.uptake', 'scenario']:.1f} %",
                      f"{by_kpi.loc[f'{line}.npv_horizon', 'scenario']:,.0f}",
                      f"{row['scenario']:,.0f}",
                      f"[{_number(row['ci_low'])}, {_number(row['ci_high'])}]"))
    if not lines:
        return f"{name}: no service lines"
    header = (f"service line ({name})", "contracts", "uptake", f"horizon NPV ({currency})",
              f"lifetime NPV ({currency})", "95 % CI of lifetime change")
    return _align(header, lines)


def format_table(summary: pd.DataFrame, base_name: str = "baseline",
                 other_name: str = "scenario", currency: str = "CNY") -> str:
    """Aligned text table of the summary, its columns named by the scenarios."""
    number = _number
    header = ("kpi", "unit", base_name, other_name, "delta", "delta %", "95 % CI of delta")
    lines = []
    for row in summary.to_dict("records"):
        ci = f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"
        lines.append((row["kpi"], kpi_unit(row["kpi"], currency), number(row["baseline"]),
                      number(row["scenario"]), number(row["delta"]),
                      number(row["delta_pct"], True), ci))
    return _align(header, lines)


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
    from gridvalue.experiments.labels import label
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
    ax.set_yticks(y, [label(k, with_unit=False) for k in rows["kpi"]])
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="change against the baseline (%), with the 95 % CI")
    return _png(fig)


def _curve_chart(curves: dict) -> str:
    from gridvalue.experiments.report import FIGSIZE, _png, legend_outside, plt

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
    legend_outside(ax)
    return _png(fig)


def write_compare_report(summary: pd.DataFrame, info: dict, curves: dict, path) -> None:
    """A self-contained HTML page: the KPI table, the changes with CIs, the peak day."""
    import html

    from gridvalue.experiments.labels import label, number
    from gridvalue.experiments.report import _figure

    currency = info.get("currency", "CNY")
    named = summary.rename(columns={"baseline": info["baseline"], "scenario": info["scenario"],
                                    "delta_pct": "delta %", "ci_low": "95 % CI low",
                                    "ci_high": "95 % CI high"})
    named["kpi"] = [label(k, currency, with_unit=False) for k in summary["kpi"]]
    named.insert(1, "unit", [kpi_unit(k, currency) for k in summary["kpi"]])
    table = named.to_html(index=False, float_format=number, na_rep="-")
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


def write_index_report(ranked: list[dict], objective: Objective, info: dict,
                       pages: dict[str, str], notes: dict[str, list[str]], path) -> None:
    """The N-way comparison's front page: the ranking, the notes, a link to each pair's
    report."""
    import html

    rows = "".join(
        f"<tr><td>{r['rank']}</td><td><a href=\"{html.escape(pages[r['scenario']])}\">"
        f"{html.escape(r['scenario'])}</a></td><td>{_number(r['value'])}</td>"
        f"<td>{_number(r['delta'])}</td><td>[{_number(r['ci_low'])}, "
        f"{_number(r['ci_high'])}]</td></tr>" for r in ranked)
    unit = kpi_unit(objective.kpi, info.get("currency", "CNY"))
    items = "".join(f"<li>{html.escape(n)}</li>" for label in pages for n in notes[label])
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gridvalue compare: {len(pages)} scenarios against {html.escape(info['baseline'])}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
table{{border-collapse:collapse}}
th,td{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}}</style></head><body>
<h1>{len(pages)} scenarios against {html.escape(info['baseline'])}</h1>
<p>{info['replicates']} paired replicates (seeds {html.escape(str(info['seeds']))}; every
scenario uses the same seeds as the baseline) · gridvalue {html.escape(info['version'])}</p>
<h2>Ranking by {html.escape(str(objective))}</h2>
<table><tr><th>rank</th><th>scenario</th><th>{html.escape(objective.kpi)} ({unit})</th>
<th>change against {html.escape(info['baseline'])}</th><th>95 % CI of change</th></tr>
{rows}</table>
{f"<h2>Horizon and lifetime values</h2><ul>{items}</ul>" if items else ""}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
