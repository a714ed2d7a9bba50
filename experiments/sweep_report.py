"""The sweep report: one self-contained HTML page of response curves and surfaces with the
spread over replicates, for every kept output."""

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from gridvalue.experiments.labels import label, number, unit  # noqa: E402
from gridvalue.experiments.report import _figure, _png, legend_outside  # noqa: E402

FIGSIZE = (8, 3.4)
MAX_CURVES = 5


def _point_stats(frame: pd.DataFrame, params: list[str], output: str) -> pd.DataFrame:
    """Per point: parameters, mean, sd, min and max of `output` over its replicates."""
    stats = frame.groupby("point").agg(
        **{p: (p, "first") for p in params}, mean=(output, "mean"), sd=(output, "std"),
        low=(output, "min"), high=(output, "max"), n=(output, "size"))
    return stats.fillna({"sd": 0.0})


def _curve_chart(frame: pd.DataFrame, params: list[str], output: str) -> str:
    """Grid: the output against the first parameter, one line per level of the second (the
    rest averaged); band: min-max over replicates; dots: each replicate."""
    stats = _point_stats(frame, params, output)
    x_name = params[0]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    groups = list(stats.groupby(params[1])) if len(params) > 1 else [(None, stats)]
    if len(groups) > MAX_CURVES:  # evenly spaced levels of the second parameter
        groups = [groups[i] for i in np.linspace(0, len(groups) - 1, MAX_CURVES).astype(int)]
    for level, rows in groups:
        curve = rows.groupby(x_name)[["mean", "low", "high"]].mean().sort_index()
        name = (f"{_short(params[1])} = {number(level)}" if level is not None
                else "mean over replicates")
        line, = ax.plot(curve.index, curve["mean"], marker="o", label=name)
        ax.fill_between(curve.index, curve["low"], curve["high"], alpha=0.12,
                        color=line.get_color())
        points = frame[frame["point"].isin(rows.index)]
        ax.scatter(points[x_name], points[output], s=6, alpha=0.5, color=line.get_color())
    ax.set(xlabel=label(x_name), ylabel=label(output))
    _plain_axes(ax)
    legend_outside(ax, fontsize=7)
    return _png(fig)


def _surface_chart(frame: pd.DataFrame, params: list[str], output: str) -> str:
    """Grid with two or more parameters: the mean over replicates on the first two."""
    stats = _point_stats(frame, params, output)
    surface = stats.pivot_table(index=params[1], columns=params[0], values="mean",
                                aggfunc="mean")
    fig, ax = plt.subplots(figsize=FIGSIZE)
    image = ax.imshow(surface.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(surface.shape[1]), [number(v) for v in surface.columns], fontsize=7)
    ax.set_yticks(range(surface.shape[0]), [number(v) for v in surface.index], fontsize=7)
    ax.set(xlabel=label(params[0]), ylabel=label(params[1]))
    bar = fig.colorbar(image, ax=ax, label=f"{label(output)}, mean over replicates")
    _plain_axis(bar.ax.yaxis)
    return _png(fig)


def _scatter_chart(frame: pd.DataFrame, params: list[str], output: str) -> str:
    """Sampled designs: the output against each parameter (point means, bars: min-max over
    replicates), with a binned mean."""
    stats = _point_stats(frame, params, output)
    ncols = min(3, len(params))
    nrows = -(-len(params) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8, 2.6 * nrows), sharey=True,
                             squeeze=False)
    for ax, name in zip(axes.flat, params, strict=False):
        x = stats[name].to_numpy(dtype=float)
        ax.errorbar(x, stats["mean"], yerr=[stats["mean"] - stats["low"],
                                            stats["high"] - stats["mean"]],
                    fmt="o", markersize=3, alpha=0.5, elinewidth=0.6)
        edges = np.unique(np.quantile(x, np.linspace(0, 1, 7)))
        if len(edges) > 2:
            bins = pd.cut(x, edges, include_lowest=True)
            binned = stats.groupby(bins, observed=True)["mean"].mean()
            centres = [b.mid for b in binned.index]
            ax.plot(centres, binned.to_numpy(), color="black", linewidth=1.5,
                    label="binned mean")
        ax.set_xlabel(label(name), fontsize=8)
        ax.tick_params(labelsize=7)
        _plain_axes(ax)
    for ax in axes.flat[len(params):]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel(label(output), fontsize=8)
    if axes.flat[0].get_legend_handles_labels()[0]:
        axes.flat[0].legend(fontsize=7, frameon=False, loc="lower left",
                            bbox_to_anchor=(0.0, 1.02))
    fig.tight_layout()
    return _png(fig)


def _category_chart(frame: pd.DataFrame, param: str, output: str) -> str:
    """A text or yes/no parameter: one bar per level, the mean over its runs (the other
    parameters averaged), whiskers min-max over point means, dots: each run."""
    stats = _point_stats(frame, [param], output)
    levels = list(dict.fromkeys(frame[param]))
    means = [stats.loc[stats[param] == v, "mean"] for v in levels]
    centre = np.array([m.mean() for m in means])
    low = np.array([m.min() for m in means])
    high = np.array([m.max() for m in means])
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(1.6, 0.5 * len(levels) + 1)))
    y = np.arange(len(levels))
    ax.barh(y, centre, height=0.55, color="tab:blue", alpha=0.8)
    ax.errorbar(centre, y, xerr=[np.maximum(centre - low, 0), np.maximum(high - centre, 0)],
                fmt="none", ecolor="black", capsize=3)
    for i, v in enumerate(levels):
        runs = frame.loc[frame[param] == v, output].to_numpy(dtype=float)
        ax.scatter(runs, np.full(len(runs), i) + 0.34, s=6, color="black", alpha=0.5)
    ax.set_yticks(y, [str(v) for v in levels])
    ax.invert_yaxis()
    ax.set(xlabel=f"{label(output)}, mean over runs", ylabel=_short(param))
    _plain_axis(ax.xaxis)
    return _png(fig)


def _short(path: str) -> str:
    return path.rsplit(".", 1)[-1].replace("_", " ")


def _plain_axis(axis) -> None:
    """Tick labels with thousands separators, never an offset or scientific notation."""
    from matplotlib.ticker import FuncFormatter

    def tick(value, _position) -> str:
        text = number(float(value))
        return text.rstrip("0").rstrip(".") if "." in text else text

    axis.set_major_formatter(FuncFormatter(tick))


def _plain_axes(ax) -> None:
    for axis in (ax.xaxis, ax.yaxis):
        if not axis.get_scale() == "log" and axis.get_converter() is None:
            _plain_axis(axis)


def _table(frame: pd.DataFrame, currency: str = "CNY") -> str:
    """An HTML table: headers labelled with units, numbers with thousands separators."""
    head = "".join(f"<th>{html.escape(_header(str(c), currency))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{html.escape(number(v))}</td>"
        if isinstance(v, int | float | np.number) and not isinstance(v, bool)
        else f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def _header(column: str, currency: str) -> str:
    """'system_peak_kw mean' -> 'System peak (kW), mean'."""
    key, _, stat = column.rpartition(" ")
    if stat in ("mean", "sd") and key:
        return f"{label(key, currency)}, {stat}"
    return label(column, currency) if column not in ("parameter", "type", "unit") else column


def _sensitivity_section(store) -> str:
    """Sobol or Morris indices as a table, with the warnings of sensitivity.warnings."""
    from gridvalue.experiments import sensitivity
    from gridvalue.simulation.schema import ScenarioError

    try:
        table = sensitivity.analyse(store)
    except ScenarioError as exc:
        return f"<h2>Sensitivity</h2><p>Not computed: {html.escape(str(exc))}</p>"
    notes = "".join(f"<p class='warning'>Warning: {html.escape(w)}.</p>"
                    for w in sensitivity.warnings(table, store.info))
    parts = [f"<h2>Sensitivity ({html.escape(store.info['design'])} indices)</h2>{notes}"]
    for output, rows in table.groupby("output", sort=False):
        shown = rows.drop(columns="output").copy()
        for column in shown.columns[1:]:
            shown[column] = [number(float(v), 3) for v in shown[column]]
        parts.append(f"<h3>{html.escape(label(output))}</h3>{_table(shown)}")
    return "".join(parts)


def write_sweep_report(store, path: Path | None = None) -> Path:
    """Write report.html into the store (or to `path`)."""
    info = store.info
    path = path or store.root / "report.html"
    frame = store.read()
    ok = frame[frame["status"] == "ok"]
    failed = frame[frame["status"] != "ok"]
    params = [p["path"] for p in info["parameters"]]
    numeric = [p["path"] for p in info["parameters"] if p["kind"] in ("int", "float")]
    categorical = [p for p in params if p not in numeric]
    sections = []
    for output in info["outputs"]:
        figures = []
        if len(ok):
            figures.extend(_figure(f"{label(output)} by {label(p)}: mean, min-max over "
                                   "points and each run", _category_chart(ok, p, output))
                           for p in categorical)
        if len(ok) and info["design"] == "grid" and numeric:
            levels = {p["path"]: len(p["levels"]) for p in info["parameters"]}
            numeric = sorted(numeric, key=lambda p: -levels[p])  # x: the most levels
            ordered = numeric + [p for p in params if p not in numeric]
            figures.append(_figure(f"{label(output)} against {label(ordered[0])}: mean, min-max "
                                   "band and each replicate", _curve_chart(ok, ordered, output)))
            if len(numeric) >= 2:
                figures.append(_figure(f"{label(output)}: response surface (mean over "
                                       "replicates)", _surface_chart(ok, numeric, output)))
        elif len(ok) and numeric:
            figures.append(_figure(f"{label(output)} against each parameter (point means, "
                                   "min-max over replicates)", _scatter_chart(ok, numeric,
                                                                               output)))
        sections.append(f"<h2>{html.escape(label(output))}</h2>{''.join(figures)}")
    if info["design"] in ("sobol", "morris") and len(ok):
        sections.append(_sensitivity_section(store))
    if len(ok) and info["design"] == "grid":
        stats = ok.groupby("point").agg(**{p: (p, "first") for p in params},
                                        **{f"{o} mean": (o, "mean") for o in info["outputs"]},
                                        **{f"{o} sd": (o, "std") for o in info["outputs"]})
        sections.append(f"<h2>Point means and spread over replicates</h2>{_table(stats)}")
    if len(failed):
        shown = failed[["run", "point", "replicate", "seed", "error"]].head(50)
        sections.append(f"<h2>Failed runs ({len(failed)})</h2>{_table(shown)}")
    parameters = pd.DataFrame([{"parameter": p["path"], "type": p["kind"],
                                "unit": unit(p["path"]) or "-",
                                "levels or bounds": ", ".join(
                                    str(v) if isinstance(v, str | bool) else number(v)
                                    for v in (p["bounds"] or p["levels"]))}
                               for p in info["parameters"]])
    sessions = "".join(f"<li>{html.escape(s['started_utc'])} to {html.escape(s['finished_utc'])}"
                       f" on {html.escape(s['executor'])}</li>" for s in info["sessions"])
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>gridvalue sweep: {html.escape(info["name"])}</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto}}
table{{border-collapse:collapse;font-size:90%}}
th,td{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}
.warning{{background:#fff8c5;border-left:4px solid #bf8700;padding:6px 10px}}
figure{{margin:1.5em 0}}img{{max-width:100%}}</style></head><body>
<h1>Sweep report: {html.escape(info["name"])}</h1>
<p>{info["design"]} design · {info["points"]} points × {info["replicates"]} replicates =
{info["runs"]} runs: {len(ok)} ok, {len(failed)} failed, {info["runs"] - len(frame)} not run ·
sweep seed {info["seed"]} · hash <code>{info["hash"][:12]}</code> ·
gridvalue {html.escape(info["gridvalue_version"])}</p>
<h2>Parameters</h2>{_table(parameters)}
<p>Sessions:</p><ul>{sessions}</ul>
{"".join(sections)}
</body></html>
"""
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
