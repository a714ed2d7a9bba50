"""Global sensitivity of a sweep's outputs to its parameters, with SALib.

A `sobol` design gives first-order (S1) and total (ST) Sobol indices (Saltelli's estimator,
bootstrap confidence intervals); a `morris` design gives Morris elementary-effect statistics
(mu*, sigma). Each design point's output is the mean over its finished replicates.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from gridvalue.simulation.schema import ScenarioError


def point_outputs(store, outputs: list[str]) -> pd.DataFrame:
    """Mean of each output over a point's finished replicates, one row per design point."""
    frame = store.read(failed=False)
    means = frame.groupby("point")[outputs].mean()
    n_points = store.info["points"]
    missing = n_points - len(means)
    if missing:
        raise ScenarioError("sensitivity", f"{missing} of {n_points} design points have no "
                            "finished run; run the same command again to retry them")
    return means.reindex(range(n_points))


def analyse(store, outputs: list[str] | None = None) -> pd.DataFrame:
    """One row per (output, parameter) with the design's indices and their confidence."""
    info = store.info
    if info["design"] not in ("sobol", "morris"):
        raise ScenarioError("sweep.design", f"sensitivity needs design = \"sobol\" or "
                            f"\"morris\", this sweep has {info['design']!r}")
    outputs = outputs or info["outputs"]
    for name in outputs:
        if name not in info["outputs"]:
            raise ScenarioError("--output", f"{name!r} is not an output of this sweep "
                                f"({', '.join(info['outputs'])})")
    problem = info["problem"]
    means = point_outputs(store, outputs)
    rows = []
    for name in outputs:
        y = means[name].to_numpy(dtype=float)
        if info["design"] == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, seed=info["seed"])
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            from SALib.analyze import morris

            plan = store.manifest().drop_duplicates("point").sort_values("point")
            x = plan[problem["names"]].to_numpy(dtype=float)
            res = morris.analyze(problem, x, y, num_levels=info["morris_levels"],
                                 seed=info["seed"])
            keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        for j, parameter in enumerate(problem["names"]):
            rows.append({"output": name, "parameter": parameter}
                        | {k: float(np.asarray(res[k])[j]) for k in keys})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path, design: str) -> Path:
    """One panel per output: S1 and ST bars with confidence (sobol) or mu* and sigma (morris)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gridvalue.experiments.labels import label

    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(len(outputs), 1, figsize=(8, 1.2 + 0.45 * table["parameter"]
                                                        .nunique() * len(outputs)),
                             squeeze=False)
    for ax, name in zip(axes[:, 0], outputs, strict=True):
        rows = table[table["output"] == name]
        y = np.arange(len(rows))
        if design == "sobol":
            ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order S1")
            ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total ST")
            ax.set_xlim(min(0.0, rows["S1"].min() - 0.05), max(1.05, rows["ST"].max() + 0.05))
        else:
            ax.barh(y - 0.2, rows["mu_star"], 0.4, xerr=rows["mu_star_conf"], label="mu*")
            ax.barh(y + 0.2, rows["sigma"], 0.4, label="sigma")
        ax.set_yticks(y, rows["parameter"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(label(name), fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)  # off the bars
    fig.tight_layout()
    fig.savefig(path, dpi=96, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def samples(info: dict) -> int:
    """The design's sample count: Sobol base samples N or Morris trajectories r."""
    d = len(info["problem"]["names"])
    return info["points"] // (d + 2 if info["design"] == "sobol" else d + 1)


def warnings(table: pd.DataFrame, info: dict) -> list[str]:
    """Why the indices may not be trusted: too few samples for the intervals, intervals wider
    than the 0-1 range Sobol indices live in, or indices outside that range beyond their
    interval (Saltelli et al. 2010: N in the hundreds to thousands is usual)."""
    from gridvalue.experiments.sweep import MIN_SAMPLES

    found = []
    n, (_, advised, what) = samples(info), MIN_SAMPLES[info["design"]]
    if n < advised:
        found.append(f"N = {n} {what}: too few for the confidence intervals (bootstrap over "
                     f"{n}); {advised} or more are advised, so read the indices as rough")
    if info["design"] == "sobol" and len(table):
        widest = float(table[["S1_conf", "ST_conf"]].max().max())
        if widest > 0.25:
            found.append(f"the widest 95 % interval is ±{widest:.2f} on indices that lie "
                         "between 0 and 1: the ranking of parameters is not settled")
        outside = table[(table["S1"] < -table["S1_conf"]) | (table["ST"] > 1 + table["ST_conf"])
                        | (table["S1"] < -0.05) | (table["ST"] > 1.05)]
        if len(outside):
            found.append(f"{len(outside)} indices fall outside 0 to 1 (e.g. "
                         f"{outside['parameter'].iloc[0]}: S1 = {outside['S1'].iloc[0]:.2f}, "
                         f"ST = {outside['ST'].iloc[0]:.2f}), a sign of sampling error")
    return found


def format_markdown(table: pd.DataFrame, info: dict) -> str:
    """sensitivity.md: a heading, the warnings, and one Markdown table per output with
    labelled columns."""
    from gridvalue.experiments.labels import label, number

    design = info["design"]
    lines = [f"# Sensitivity of {info['name']}", "",
             f"{design} design, {info['points']} points ({samples(info)} "
             f"{'base samples' if design == 'sobol' else 'trajectories'}), each point the mean "
             f"of {info['replicates']} replicate(s).", ""]
    for warning in warnings(table, info):
        lines.append(f"> **Warning:** {warning}.")
        lines.append("")
    for name, rows in table.groupby("output", sort=False):
        columns = [c for c in rows.columns if c not in ("output", "parameter")]
        lines.append(f"## {label(name)}")
        lines.append("")
        lines.append("| Parameter | " + " | ".join(label(c) for c in columns) + " |")
        lines.append("|---|" + "---:|" * len(columns))
        for row in rows.to_dict("records"):
            cells = [f"`{row['parameter']}`"] + [number(float(row[c]), 3) for c in columns]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write(store, outputs: list[str] | None = None) -> tuple[pd.DataFrame, list[Path]]:
    """Analyse and write sensitivity.csv, sensitivity.md (Markdown) and sensitivity.png into
    the store."""
    table = analyse(store, outputs)
    csv, md, png = (store.root / f"sensitivity.{ext}" for ext in ("csv", "md", "png"))
    table.to_csv(csv, index=False)
    md.write_text(format_markdown(table, store.info))
    plot(table, png, store.info["design"])
    return table, [csv, md, png]


def format_tables(table: pd.DataFrame) -> str:
    """One aligned table per output."""
    parts = []
    for name, rows in table.groupby("output", sort=False):
        body = rows.drop(columns="output").to_string(index=False, float_format="{:.3f}".format)
        parts.append(f"{name}\n{body}")
    return "\n\n".join(parts)
