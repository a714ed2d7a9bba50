"""The value-of-information experiment: what better data and analytics are worth, net of
what the platform costs, in several worlds the analytics do not know.

One scenario is run in every world (simulation/worlds.py) at every data-quality level x
analytics level, with the same seeds (common random numbers). Per world and seed, each run
is paired with the run at `analytics = "none"` of the same data quality: the difference is
what the analytics made of the data, gross (before the `data_platform` ledger line) and net
(after it). The net value of the whole platform (meters and analytics) is each run against
"bills only" with analytics none. Each difference is a mean over replicates with its 95 %
confidence interval; estimate/truth correlations and the measurement error of the savings
contracts are reported as levels.
"""

import dataclasses
import html
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from gridvalue.experiments.atomic import atomic_folder
from gridvalue.experiments.compare import t_interval
from gridvalue.simulation.dataplatform import derived_histories
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.population import ENTERPRISE
from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.simulation.worlds import WORLDS

ANALYTICS = ("none", "segments", "predictive")
NO_PLATFORM = ("bills only", "none")  # the reference of the platform's net value
TEXT_KPIS = ("gross_profit", "net_profit", "net_value_of_platform", "uptake_per_contact",
             "default_losses", "peak_reduction_kw", "corr_savings", "corr_hazard",
             "mv_error_sd_pp")  # the printed table's columns (all KPIs are in the files)

# Data quality: what the platform holds (coverage is the same for every customer type).
QUALITY_LEVELS: dict[str, dict] = {
    "bills only": {"coverage": 0.0, "history_months": 12},
    "low": {"coverage": 0.3, "history_months": 3},
    "medium": {"coverage": 0.6, "history_months": 12},
    "high": {"coverage": 1.0, "history_months": 24},
}

# KPIs: paired uplift over analytics none at the same quality (or over NO_PLATFORM)...
UPLIFTS = {
    "gross_profit": "company NPV incl. remaining contracts, before platform costs",
    "net_profit": "company NPV incl. remaining contracts, after platform costs",
    "net_value_of_platform": "net NPV against bills only and analytics none",
    "uptake_per_contact": "contracts per marketing contact",
    "default_losses": "default losses",
    "peak_reduction_kw": "system peak reduction (kW)",
}
# ... and levels of each run (mean over replicates)
LEVELS = {
    "corr_savings": "correlation of savings estimate and truth (enterprises, at the start)",
    "corr_flexibility": "correlation of flexibility estimate and truth (enterprises)",
    "corr_hazard": "correlation of hazard estimate and truth (enterprises)",
    "mv_error_mean_pp": "measured minus true savings, mean (pp of the baseline)",
    "mv_error_sd_pp": "measured minus true savings, sd (pp of the baseline)",
}
METRICS = UPLIFTS | LEVELS


def with_platform(scenario: Scenario, quality: str, analytics: str,
                  world: str | None = None) -> Scenario:
    """The scenario at one data-quality level and analytics level (and world)."""
    level = QUALITY_LEVELS[quality]
    platform = dataclasses.replace(
        scenario.data_platform, analytics=analytics,
        household_meter_coverage_share=level["coverage"],
        enterprise_meter_coverage_share=level["coverage"],
        microgrid_meter_coverage_share=level["coverage"],
        history_months=level["history_months"],
        world=world or scenario.data_platform.world)
    return dataclasses.replace(scenario, data_platform=platform)


def strategy_label(scenario: Scenario) -> str:
    """The company's strategy as the experiment records it (`company.strategy`; a `fixed`
    company contacting at random, `company.fixed_contacts = "random"`, is `fixed/random`)."""
    company = scenario.company
    if company.strategy == "fixed" and company.fixed_contacts == "random":
        return "fixed/random"
    return company.strategy


def check_worlds(text: str | None, scenario: Scenario) -> list[str]:
    """The worlds of a comma-separated list (the scenario's world if None); raises
    ScenarioError naming --world."""
    if text is None:
        return [scenario.data_platform.world]
    worlds = [w.strip() for w in text.split(",")]
    for w in worlds:
        if w not in WORLDS:
            raise ScenarioError("--world", f"must be one of {', '.join(WORLDS)}, got {w!r}")
    return list(dict.fromkeys(worlds))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def run_metrics(model: GridValueModel) -> dict[str, float]:
    """A finished run's headline figures for the experiment (the truth is read here, by the
    experiment, to score the estimates; the company never sees it)."""
    ledger, market = model.company.ledger, model.market
    rate = model.scenario.company.discount_rate_per_year
    contracts = sum(len(s.contracts) for s in market.services)
    contacts = int(market.contacted.sum())
    net = model.company_npv(lifetime=True)
    platform = ledger.npv(rate, "data_platform")
    c, est = model.customers, model.platform.initial_estimates
    ent = np.flatnonzero(c["customer_type"] == ENTERPRISE)
    errors = model.platform.measurement.error_shares() * 100.0
    signed = np.concatenate([svc.contracts["customer"] for svc in market.services]
                            ).astype(int) if contracts else np.zeros(0, dtype=int)
    lifetime = market.contract_lifetime_values()["lifetime_value"].to_numpy()
    return {
        "net_profit": net,
        "gross_profit": net - platform,
        "platform_cost": -platform,
        "contracts": float(contracts),
        "contacts": float(contacts),
        "uptake_per_contact": contracts / contacts if contacts else 0.0,
        "default_losses": ledger.writeoff_total(),
        "system_peak_kw": float(model.system_kw.max()),
        "corr_savings": _corr(est.efficiency_estimate_share[ent],
                              c["efficiency_potential_share"][ent]),
        "corr_flexibility": _corr(est.flexibility_estimate_share[ent],
                                  model.type_column("flexibility_share")[ent]),
        "corr_hazard": _corr(est.default_hazard_estimate_per_year[ent],
                             c["default_hazard_per_year"][ent]),
        "mv_error_mean_pp": float(errors.mean()) if len(errors) else np.nan,
        "mv_error_sd_pp": float(errors.std()) if len(errors) > 1 else np.nan,
        # who signed: their hidden and estimated savings shares, and what a contract is worth
        "signed_true_share": float(c["efficiency_potential_share"][signed].mean())
        if len(signed) else np.nan,
        "signed_estimate_share": float(est.efficiency_estimate_share[signed].mean())
        if len(signed) else np.nan,
        "lifetime_value_per_contract": float(lifetime.mean()) if len(lifetime) else np.nan,
    }


def run_grid(scenario: Scenario, seeds: "list[int]", qualities=tuple(QUALITY_LEVELS),
             analytics=ANALYTICS, progress: Callable[[], None] | None = None,
             worlds: "tuple[str, ...] | list[str] | None" = None) -> pd.DataFrame:
    """One row per run: world, quality, analytics, seed, the company's strategy
    (`strategy_label`) and its metrics. The quality levels'
    histories of a world and seed are simulated once, at the longest, and the shorter ones
    derived from it (simulation/dataplatform.py `derived_histories`; byte-identical)."""
    rows, strategy = [], strategy_label(scenario)
    months = {QUALITY_LEVELS[quality]["history_months"] for quality in qualities}
    with derived_histories(months):
        for world in worlds or [scenario.data_platform.world]:
            for seed in seeds:
                for quality in qualities:
                    for level in analytics:
                        model = GridValueModel(with_platform(scenario, quality, level, world),
                                               seed=seed).run()
                        rows.append({"world": world, "quality": quality, "analytics": level,
                                     "seed": seed, "strategy": strategy}
                                    | run_metrics(model))
                        if progress is not None:
                            progress()
    return pd.DataFrame(rows)


def uplift_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per world, quality, analytics and KPI: the mean and 95 % CI over replicates of the
    paired uplift (UPLIFTS: over analytics none at the same quality and seed; the platform's
    net value over NO_PLATFORM where it was run) or of the level (LEVELS). Peak reduction is
    the reference run's peak minus this run's."""
    if "world" not in runs:
        runs = runs.assign(world="always_on")
    runs = runs.assign(peak_reduction_kw=-runs["system_peak_kw"],
                       net_value_of_platform=runs["net_profit"])
    base = runs[runs["analytics"] == "none"].set_index(["world", "quality", "seed"])
    rows = []
    for (world, quality, level), group in runs.groupby(["world", "quality", "analytics"],
                                                       sort=False):
        ref = base.loc[[(world, quality, s) for s in group["seed"]]]
        keys = [(world, NO_PLATFORM[0], s) for s in group["seed"]]
        platform_ref = base.loc[keys] if all(k in base.index for k in keys) else None
        for kpi in METRICS:
            if kpi in LEVELS:
                values = group[kpi].to_numpy(dtype=float)
            elif kpi == "net_value_of_platform":
                if platform_ref is None:
                    continue
                values = group[kpi].to_numpy() - platform_ref[kpi].to_numpy()
            else:
                values = group[kpi].to_numpy() - ref[kpi].to_numpy()
            values = values[~np.isnan(values)]
            if not len(values):
                continue
            low, high = t_interval(values)
            rows.append({"world": world, "quality": quality, "analytics": level, "kpi": kpi,
                         "mean": float(values.mean()), "ci_low": low, "ci_high": high,
                         "replicates": len(values)})
    return pd.DataFrame(rows)


JSON_KEYS = ("world", "quality", "analytics", "kpi", "mean", "ci_low", "ci_high")


def to_json(table: pd.DataFrame) -> str:
    """The table as a JSON list of rows with JSON_KEYS (NaN as null)."""
    rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v)
             for k, v in zip(JSON_KEYS, r, strict=True)}
            for r in table[list(JSON_KEYS)].itertuples(index=False)]
    return json.dumps(rows, indent=1)


def _digits(kpi: str) -> int:
    return 3 if kpi in ("uptake_per_contact", "corr_savings", "corr_flexibility",
                        "corr_hazard") else (2 if kpi.startswith("mv_") else 0)


def format_table(table: pd.DataFrame, currency: str, strategy: str | None = None) -> str:
    """One aligned text table per world: one line per quality x analytics, one column per
    KPI, 'mean [low, high]'. Its header names the world (and the company's `strategy`)."""
    def cell(row) -> str:
        digits = _digits(row["kpi"])
        sign = "+" if row["kpi"] in UPLIFTS else ""

        def fmt(v: float) -> str:
            return f"{v:{sign},.{digits}f}"

        if np.isnan(row["ci_low"]):
            return fmt(row["mean"])
        return f"{fmt(row['mean'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"

    labels = {"gross_profit": f"gross uplift ({currency})",
              "net_profit": f"net uplift ({currency})",
              "net_value_of_platform": f"net vs no platform ({currency})",
              "uptake_per_contact": "uptake/contact", "default_losses":
              f"default losses ({currency})", "peak_reduction_kw": "peak reduction (kW)",
              "corr_savings": "r savings", "corr_flexibility": "r flexibility",
              "corr_hazard": "r hazard", "mv_error_mean_pp": "M&V error mean (pp)",
              "mv_error_sd_pp": "M&V err sd (pp)"}
    out = []
    for world, part in table.groupby("world", sort=False):
        wide = part.assign(text=part.apply(cell, axis=1)).pivot_table(
            index=["quality", "analytics"], columns="kpi", values="text", aggfunc="first",
            sort=False)
        kpis = [k for k in TEXT_KPIS if k in wide.columns]
        header = ["quality", "analytics"] + [labels[k] for k in kpis]
        body = [[q, a] + [wide.loc[(q, a), k] if isinstance(wide.loc[(q, a), k], str)
                          else "-" for k in kpis] for q, a in wide.index]
        widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header))]
        lines = [f"world: {world}" + (f", strategy: {strategy}" if strategy else "")]
        for r in [header] + body:
            lines.append("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w)
                                   for i, (v, w) in enumerate(zip(r, widths, strict=True))))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def check_scenario(scenario: Scenario) -> None:
    """The experiment needs a service on offer (raises ScenarioError naming `services`)."""
    if not scenario.services:
        raise ScenarioError("services", "the scenario offers no service: information has "
                            "nothing to be worth (add a [services.NAME] table)")


def _uplift_chart(table: pd.DataFrame, kpi: str, ylabel: str, scale: float = 1.0) -> str:
    """Grouped bars: a KPI per quality level and analytics level, 95 % CI whiskers."""
    import matplotlib.pyplot as plt

    from gridvalue.experiments.report import FIGSIZE, _png

    rows = table[(table["kpi"] == kpi) & (table["analytics"] != "none")]
    qualities = list(dict.fromkeys(rows["quality"]))
    levels = list(dict.fromkeys(rows["analytics"]))
    x = np.arange(len(qualities))
    width = 0.8 / max(len(levels), 1)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for i, level in enumerate(levels):
        part = rows[rows["analytics"] == level].set_index("quality").reindex(qualities)
        mean = part["mean"].to_numpy() / scale
        err = np.vstack([mean - part["ci_low"].to_numpy() / scale,
                         part["ci_high"].to_numpy() / scale - mean])
        ax.bar(x + (i - (len(levels) - 1) / 2) * width, np.nan_to_num(mean), width,
               label=level, yerr=None if np.isnan(err).all() else np.nan_to_num(err),
               capsize=3)
    ax.set_xticks(x, qualities)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="data quality", ylabel=ylabel)
    ax.legend(title="analytics", fontsize=8)
    return _png(fig)


def _html_table(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   ("world", "quality", "analytics", "KPI", "mean", "95 % CI"))
    body = []
    for row in table.itertuples():
        digits = _digits(row.kpi)
        ci = ("–" if np.isnan(row.ci_low) else
              f"[{row.ci_low:,.{digits}f}, {row.ci_high:,.{digits}f}]")
        body.append(f"<tr><td>{row.world}</td><td>{html.escape(row.quality)}</td>"
                    f"<td>{row.analytics}</td><td>{html.escape(METRICS[row.kpi])}</td>"
                    f"<td>{row.mean:,.{digits}f}</td><td>{ci}</td></tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_voi(scenario: Scenario, runs: pd.DataFrame, table: pd.DataFrame, out: Path,
              seeds: "list[int]") -> Path:
    """Write runs.csv, uplift.csv, uplift.json, scenario.toml and a self-contained
    report.html to `out`, atomically (a temporary folder renamed into place)."""
    from gridvalue.experiments.report import _figure
    from gridvalue.experiments.runner import check_out_dir

    check_out_dir(out)
    with atomic_folder(out) as tmp:
        runs.to_csv(tmp / "runs.csv", index=False)
        table.to_csv(tmp / "uplift.csv", index=False)
        (tmp / "uplift.json").write_text(to_json(table) + "\n")
        (tmp / "scenario.toml").write_text(scenario.to_toml())
        currency = scenario.meta.currency
        charts = []
        for world, part in table.groupby("world", sort=False):
            charts += [_figure(f"{title} (world: {world})",
                               _uplift_chart(part, kpi, label, scale))
                       for kpi, label, scale, title in (
                ("net_profit", f"million {currency}", 1e6, "Net profit uplift over analytics "
                 "= none (company NPV incl. remaining contracts, after platform costs), mean "
                 "and 95 % CI of paired differences"),
                ("gross_profit", f"million {currency}", 1e6, "Gross profit uplift over "
                 "analytics = none (before platform costs)"),
                ("uptake_per_contact", "contracts per contact", 1.0,
                 "Uptake per marketing contact: uplift over analytics = none"),
                ("corr_savings", "correlation", 1.0,
                 "Correlation of the savings estimate with the truth"))]
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
<p>The company's strategy: <b>{html.escape(strategy_label(scenario))}</b>
(<code>company.strategy</code>, agents/strategies/).
In each world, each data-quality level is run with analytics none, segments and
predictive, with seeds {html.escape(", ".join(map(str, seeds)))} (common random numbers).
Each run is paired with the analytics = none run of the same world, quality and seed; the
uplift is the mean paired difference, with its 95 % t confidence interval over {len(seeds)}
replicates, gross (before the data_platform ledger line: meters, platform operation,
analytics) and net (after it). Analytics none uses the billing file only (bill size,
payment record, the labelled outcomes' group means), so at zero coverage every level sees
the same information and differs only in what its analytics cost.</p>
<ul>{levels}</ul>
<h2>Charts</h2>{"".join(charts)}
<h2>Table</h2>{_html_table(table)}
</body></html>
"""
        (tmp / "report.html").write_text(page, encoding="utf-8")
    return out
