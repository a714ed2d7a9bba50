"""Self-contained HTML reports (charts embedded as PNG) that a strategist can open anywhere."""

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIGSIZE = (8, 3.4)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight",
                metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


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
    ax.legend()
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
    ax.legend(fontsize=8)
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
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def _transformer_chart(result) -> str:
    tx = result["transformers"]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.hist(tx["peak_utilisation"], bins=30)
    ax.axvline(1.0, color="red", linestyle="--", label="rating")
    ax.set(xlabel="annual peak / rating", ylabel="transformers")
    ax.legend()
    return _png(fig)


def _summary_rows(summary: dict) -> str:
    rows = []
    for key, value in summary.items():
        text = f"{value:,.3f}" if isinstance(value, float) else html.escape(str(value))
        rows.append(f"<tr><th>{html.escape(key)}</th><td>{text}</td></tr>")
    return "\n".join(rows)


def write_run_report(result, path: Path) -> Path:
    """One HTML page: summary, peak-day load, daily peaks, monthly P&L, transformer loading."""
    meta = result.meta
    scenario = result.scenario.meta
    figures = [
        _figure("System load on the peak day and on the mean day", _peak_day_chart(result)),
        _figure("Daily peaks: system and the three highest feeders", _daily_peak_chart(result)),
        _figure("The company's monthly P&L by item", _ledger_chart(result)),
        _figure("Transformer loading: annual peak over rating", _transformer_chart(result)),
    ]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gridvalue run: {html.escape(scenario.name)}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
table{{border-collapse:collapse}}
th,td{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}}
figure{{margin:1.5em 0}}img{{max-width:100%}}</style></head><body>
<h1>Run report: {html.escape(scenario.name)}</h1>
<p>{html.escape(scenario.description)}</p>
<p>Seed {meta["seed"]} · scenario hash <code>{meta["scenario_hash"][:12]}</code> ·
gridvalue {html.escape(meta["gridvalue_version"])} · {scenario.days} days from
{scenario.start_date} · wall {meta["wall_seconds"]} s</p>
<h2>Summary</h2><table>{_summary_rows(result.summary)}</table>
<h2>Charts</h2>{"".join(figures)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
