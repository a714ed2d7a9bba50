"""Self-contained HTML reports (charts embedded as PNG) that a strategist can open anywhere."""

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gridvalue.agents.grid_company import ENERGY_SALES  # noqa: E402
from gridvalue.experiments.labels import label, npv_note, number  # noqa: E402
from gridvalue.experiments.screening import curve_bands  # noqa: E402

FIGSIZE = (8, 3.4)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight",
                metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def legend_outside(ax, **kwargs) -> None:
    """The legend to the right of the axes, off the data (the saved figure grows to fit)."""
    ax.legend(**({"fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0),
                  "frameon": False, "borderaxespad": 0.0} | kwargs))


def _figure(title: str, png: str) -> str:
    return (f"<figure><img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>"
            f"<figcaption>{html.escape(title)}</figcaption></figure>")


def _peak_day_chart(result) -> str:
    load = result["system_load"]
    peak_day = result.summary["peak_day"]
    day = load[load["timestamp"].dt.strftime("%Y-%m-%d") == peak_day]
    hours = day["interval"].to_numpy() * 24 / len(day)
    mean_day = load.groupby("interval")["load_kw"].mean()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot(hours, day["load_kw"].to_numpy() / 1000, label=f"peak day {peak_day}")
    ax.plot(hours, mean_day.to_numpy() / 1000, label="mean day", linestyle="--")
    ax.set(xlabel="hour of day", ylabel="system load (MW)")
    legend_outside(ax)
    return _png(fig)


def _daily_peak_chart(result) -> str:
    daily, feeders = result["daily"], result["feeders_daily"]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot(daily["date"], daily["system_peak_kw"] / 1000, label="system peak")
    top = feeders.groupby("feeder")["peak_kw"].max().nlargest(3).index
    for f in top:
        rows = feeders[feeders["feeder"] == f]
        ax.plot(rows["date"], rows["peak_kw"] / 1000, linewidth=0.8, label=f"feeder {f} peak")
    ax.set(ylabel="daily peak (MW)")
    legend_outside(ax)
    fig.autofmt_xdate()
    return _png(fig)


def _ledger_chart(result) -> str:
    ledger = result["ledger"]
    monthly = ledger.pivot_table(index="month", columns="item", values="amount",
                                 aggfunc="sum").fillna(0.0)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    bottom_pos = bottom_neg = 0.0
    for item in monthly.columns:
        values = monthly[item].to_numpy() / 1e6
        base = bottom_pos if values.sum() >= 0 else bottom_neg
        ax.bar(monthly.index, values, bottom=base, label=item)
        if values.sum() >= 0:
            bottom_pos = base + values
        else:
            bottom_neg = base + values
    ax.plot(monthly.index, monthly.sum(axis=1) / 1e6, color="black", marker="o", label="net")
    ax.set(ylabel=f"million {result.scenario.meta.currency}")
    legend_outside(ax)
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def _annual_chart(result) -> str:
    """Net cash per year of each service line (annual.parquet; energy sales apart)."""
    annual = result["annual"]
    lines = annual[annual["service_line"] != ENERGY_SALES].pivot_table(
        index="year", columns="service_line", values="net_cash", aggfunc="sum").fillna(0.0)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for line in lines.columns:
        ax.plot(lines.index, lines[line] / 1e6, marker="o", label=line)
    energy = annual[annual["service_line"] == ENERGY_SALES].set_index("year")["net_cash"]
    if not len(lines.columns):
        ax.plot(energy.index, energy / 1e6, marker="o", label=ENERGY_SALES)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="year", ylabel=f"million {result.scenario.meta.currency} net cash")
    legend_outside(ax)
    return _png(fig)


def _uptake_chart(result) -> str:
    """Share of eligible customers holding each service, by segment, at each decision."""
    uptake = result["uptake"]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for (service, segment), rows in uptake.groupby(["service", "segment"], sort=True):
        ax.plot(rows["date"], 100 * rows["uptake_share"], marker=".",
                label=f"{service} · {segment}")
    ax.set(ylabel="uptake (% of eligible)")
    legend_outside(ax)
    fig.autofmt_xdate()
    return _png(fig)


def _service_line_chart(result) -> str:
    """Horizon totals of each service line by item (energy sales, far larger, left out; the
    margin it loses to services is the `margin_lost` item here)."""
    ledger = result["ledger"]
    ledger = ledger[ledger["service_line"] != ENERGY_SALES]
    lines = ledger.pivot_table(index="service_line", columns="item", values="amount",
                               aggfunc="sum").fillna(0.0) / 1e6
    fig, ax = plt.subplots(figsize=FIGSIZE)
    y = np.arange(len(lines))
    left_pos, left_neg = np.zeros(len(lines)), np.zeros(len(lines))
    for item in lines.columns:
        values = lines[item].to_numpy()
        left = np.where(values >= 0, left_pos, left_neg)
        ax.barh(y, values, left=left, label=item)
        left_pos += np.maximum(values, 0)
        left_neg += np.minimum(values, 0)
    ax.scatter(lines.sum(axis=1), y, color="black", zorder=3, label="net")
    ax.set_yticks(y, lines.index)
    ax.set(xlabel=f"million {result.scenario.meta.currency} over the horizon")
    ax.axvline(0, color="grey", linewidth=0.8)
    legend_outside(ax)
    return _png(fig)


def _screening_chart(result) -> str:
    """The line's lifetime NPV and the default losses at each threshold: the mean over the
    seeds, a min-max band and each seed's curve faintly."""
    curves = result["screening"]
    if "seed" not in curves:
        curves = curves.assign(seed=result.meta["seed"])
    currency = result.scenario.meta.currency
    seeds = curves["seed"].nunique()
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for column, sign, marker, name in (
            ("line_npv_lifetime", 1, "o", "service line NPV over the contracts' life"),
            ("default_losses", -1, "s", "default losses within the horizon (negative)")):
        band = curve_bands(curves.assign(**{column: sign * curves[column] / 1e6}), column)
        line, = ax.plot(band.index, band["mean"], marker=marker,
                        label=f"{name}, mean of {seeds} seed{'s' if seeds > 1 else ''}")
        if seeds > 1:
            ax.fill_between(band.index, band["min"], band["max"], alpha=0.18,
                            color=line.get_color(), label="min-max over seeds")
            for _, one in curves.groupby("seed"):
                ax.plot(one["threshold"], sign * one[column] / 1e6, color=line.get_color(),
                        linewidth=0.6, alpha=0.35)
    ax.set(xlabel="credit-score threshold (score 0-100)", ylabel=f"million {currency}")
    ax.axhline(0, color="grey", linewidth=0.8)
    legend_outside(ax)
    return _png(fig)


def _transformer_chart(result) -> str:
    tx = result["transformers"]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.hist(tx["peak_utilisation"], bins=30)
    ax.axvline(1.0, color="red", linestyle="--", label="rating")
    ax.set(xlabel="annual peak / rating", ylabel="transformers")
    legend_outside(ax)
    return _png(fig)


def _summary_rows(summary: dict, currency: str) -> str:
    """Label with unit, value with thousands separators (labels.py)."""
    rows = []
    for key, value in summary.items():
        rows.append(f"<tr><th>{html.escape(label(key, currency))}</th>"
                    f"<td class='num'>{html.escape(number(value))}</td></tr>")
    return "\n".join(rows)


def _decision_table(result) -> str:
    """The strategy's decisions over the run (decisions.parquet) per service: contacts, the
    marketing they cost, their expected profit and the credit threshold applied."""
    decisions = result.tables.get("decisions")
    if decisions is None or not len(decisions):
        return ""
    per = decisions.groupby("service", sort=True).agg(
        contacts=("contacts", "sum"), marketing_cny=("marketing_cny", "sum"),
        expected_value_cny=("expected_value_cny", "sum"),
        score_threshold=("score_threshold", "mean"))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["service", *per.columns])
    body = "".join(
        f"<tr><th>{html.escape(str(name))}</th>"
        + "".join(f"<td>{v:,.0f}</td>" for v in row) + "</tr>"
        for name, row in per.iterrows())
    strategy = html.escape(str(decisions["strategy"].iloc[0]))
    return (f"<h2>Decisions (strategy {strategy}, decisions.parquet)</h2>"
            f"<table><tr>{head}</tr>{body}</table>")


def write_run_report(result, path: Path) -> Path:
    """One HTML page: summary, peak-day load, daily peaks, uptake by segment, monthly P&L, net
    cash per year, P&L by service line, transformer loading, and the screening curve where
    the run has one."""
    meta = result.meta
    scenario = result.scenario.meta
    figures = [
        _figure("System load on the peak day and on the mean day", _peak_day_chart(result)),
        _figure("Daily peaks: system and the three highest feeders", _daily_peak_chart(result)),
        _figure("The company's monthly P&L by item", _ledger_chart(result)),
        _figure("Net cash per year (annual.parquet)", _annual_chart(result)),
        _figure("Transformer loading: annual peak over rating", _transformer_chart(result)),
    ]
    if len(result["uptake"]):
        figures.insert(2, _figure("Service uptake over time by segment", _uptake_chart(result)))
        figures.insert(4, _figure("The company's P&L by service line over the horizon "
                                  "(energy sales apart)",
                                  _service_line_chart(result)))
    if "screening" in result.tables:
        figures.append(_figure(
            f"Credit screening: {result.scenario.report.screening_service} at each "
            "score threshold (each seed common to all thresholds; band: min-max over seeds)",
            _screening_chart(result)))
    summary = result.summary
    note = npv_note(summary["company_npv"], summary["company_npv_lifetime"], scenario.currency)
    note = f"<p class='note'>{html.escape(note)}</p>" if note else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gridvalue run: {html.escape(scenario.name)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
table{{border-collapse:collapse}}
th,td{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}
.note{{background:#fff8c5;padding:6px 10px}}
figure{{margin:1.5em 0}}img{{max-width:100%}}</style></head><body>
<h1>Run report: {html.escape(scenario.name)}</h1>
<p>{html.escape(scenario.description)}</p>
<p>Seed {meta["seed"]} · scenario hash <code>{meta["scenario_hash"][:12]}</code> ·
gridvalue {html.escape(meta["gridvalue_version"])} · {scenario.days} days from
{scenario.start_date} · wall {meta["wall_seconds"]} s</p>
<h2>Summary</h2>{note}<table>{_summary_rows(result.summary, scenario.currency)}</table>
{_decision_table(result)}
<h2>Charts</h2>{"".join(figures)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
