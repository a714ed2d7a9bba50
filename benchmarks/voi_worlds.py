"""The value of information per world (issue #16): does predictive analytics' uplift over
analytics none grow with data quality where the world leaves a signal?

Runs the `value_of_information` scenario (or SCENARIO) in each world at every data-quality
level with analytics none and predictive, on the same seeds (common random numbers; the
history cache shares one simulated history per world, seed and history length), and prints
per world: predictive's paired uplift over none at each quality (gross, net, uptake per
contact, default losses, peak reduction; mean and 95 % t interval over seeds), the
estimate/truth correlations, the paired *step* of the gross uplift between adjacent quality
levels, the paired *trend* (per seed the least-squares slope of the gross uplift on the
quality index 0..3, then a t interval over seeds) and high - bills only (the claim "value
grows with data quality", seed by seed), and what the signed contracts were (true and
estimated savings share, lifetime value per contract, contacts). Writes runs.csv to OUT.

    .venv/bin/python benchmarks/voi_worlds.py REPLICATES WORLDS OUT [key=value ...]
    .venv/bin/python benchmarks/voi_worlds.py report OUT/runs.csv   # the tables again
"""

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from gridvalue.experiments.compare import t_interval
from gridvalue.experiments.voi import QUALITY_LEVELS, run_grid, uplift_table
from gridvalue.simulation.scenario import load_scenario


def _ci(values: np.ndarray) -> str:
    low, high = t_interval(values)
    return f"{values.mean():+,.0f} [{low:+,.0f}, {high:+,.0f}]"


def quality_trend(uplift: np.ndarray) -> np.ndarray:
    """(seeds, levels) paired uplift at quality index 0, 1, ... -> per seed the least-squares
    slope of the uplift on the index."""
    x = np.arange(uplift.shape[1], dtype=float)
    x -= x.mean()
    return (uplift - uplift.mean(axis=1, keepdims=True)) @ x / (x @ x)


def report(runs: pd.DataFrame) -> None:
    table = uplift_table(runs)
    pred = table[table["analytics"] == "predictive"].set_index(["world", "quality", "kpi"])
    qualities = list(QUALITY_LEVELS)
    for world in dict.fromkeys(runs["world"]):
        print(f"\n### {world}\n")
        print("| quality | gross uplift | net uplift | uptake/contact | default losses "
              "| peak reduction (kW) | r savings | r hazard | contracts | contacts "
              "| true e signed | est e signed | LV/contract |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for q in qualities:
            def cell(kpi, digits=0, scale=1.0, world=world, q=q):
                r = pred.loc[(world, q, kpi)]
                return (f"{r['mean'] / scale:+,.{digits}f} [{r['ci_low'] / scale:+,.{digits}f}, "
                        f"{r['ci_high'] / scale:+,.{digits}f}]")
            part = runs[(runs["world"] == world) & (runs["quality"] == q)
                        & (runs["analytics"] == "predictive")]
            level = {k: pred.loc[(world, q, k), "mean"] for k in ("corr_savings", "corr_hazard")}
            print(f"| {q} | {cell('gross_profit', 0, 1e3)} k | {cell('net_profit', 0, 1e3)} k | "
                  f"{cell('uptake_per_contact', 3)} | {cell('default_losses', 0, 1e3)} k | "
                  f"{cell('peak_reduction_kw', 0)} | {level['corr_savings']:.2f} | "
                  f"{level['corr_hazard']:.2f} | {part['contracts'].mean():.0f} | "
                  f"{part['contacts'].mean():.0f} | "
                  f"{part['signed_true_share'].mean():.3f} | "
                  f"{part['signed_estimate_share'].mean():.3f} | "
                  f"{part['lifetime_value_per_contract'].mean():+,.0f} |")
        # the monotone claim: the paired step of the gross uplift between adjacent levels
        wide = runs[runs["world"] == world].pivot_table(
            index="seed", columns=["quality", "analytics"], values="gross_profit")
        uplift = {q: (wide[(q, "predictive")] - wide[(q, "none")]).to_numpy() for q in qualities}
        steps = [f"{a} -> {b}: {_ci((uplift[b] - uplift[a]) / 1e3)} k"
                 for a, b in zip(qualities, qualities[1:], strict=False)]
        print("\nstep of the gross uplift (paired over seeds): " + "; ".join(steps))
        matrix = np.column_stack([uplift[q] for q in qualities]) / 1e3
        print(f"trend (k CNY per quality level): {_ci(quality_trend(matrix))}; "
              f"{qualities[-1]} - {qualities[0]}: {_ci(matrix[:, -1] - matrix[:, 0])} k; "
              f"seeds: {len(matrix)}")


def main() -> None:
    if sys.argv[1] == "report":
        report(pd.read_csv(sys.argv[2]))
        return
    replicates, worlds, out = int(sys.argv[1]), sys.argv[2].split(","), Path(sys.argv[3])
    overrides = {}
    for item in sys.argv[4:]:  # key=value, the value in TOML (true, 3, 0.5, "text")
        key, value = item.split("=", 1)
        overrides[key] = tomllib.loads(f"v = {value}")["v"]
    scenario = load_scenario(overrides.pop("scenario", "value_of_information"), overrides)
    seeds = [scenario.meta.seed + i for i in range(replicates)]
    out.mkdir(parents=True, exist_ok=True)
    runs = pd.DataFrame()
    for world in worlds:  # world by world: each world's rows are written as they finish
        runs = pd.concat([runs, run_grid(scenario, seeds, analytics=("none", "predictive"),
                                         worlds=[world])], ignore_index=True)
        runs.to_csv(out / "runs.csv", index=False)
    report(runs)


if __name__ == "__main__":
    main()
