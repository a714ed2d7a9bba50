"""The comparative claims of the company's strategies, measured with paired replicates (the
same seeds under each strategy: common random numbers), small enough for a laptop.

    python -m gridvalue.experiments.strategy_study learning --seeds 11,12,13 --tune 1,2,3
    python -m gridvalue.experiments.strategy_study budget --seeds 1,2,3,4,5
    python -m gridvalue.experiments.strategy_study peak --seeds 1,2,3

`learning`: on `learning_terms`, `fixed` at the default terms, a grid search of `fixed` over
each service's term menu on the tuning seeds (one service's menu at a time, the other at its
default; then both at their best), and `learning`, on the evaluation seeds: the share of the
gap between the default terms and the best fixed terms that `learning` closes.
`budget`: on `targeted_portfolio`, one shared budget against an equal share per service (and
`fixed`): paired differences of `company_npv_lifetime`.
`peak`: on `peak_targeting`, capacity deferral value (simulation/peaks.py, against the same
seed with no contacts) per CNY of marketing, `peak_targeted` against `fixed` (random
contacts of the same offer).
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd

from gridvalue.experiments.compare import t_interval
from gridvalue.experiments.runner import run_scenario
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.peaks import paired_peak_value
from gridvalue.simulation.scenario import load_scenario

KPI = "company_npv_lifetime"


def _npv(scenario: str, seed: int, overrides: list[str]) -> float:
    started = time.perf_counter()
    value = float(run_scenario(scenario, seed=seed, overrides=overrides).summary[KPI])
    print(f"  {scenario} seed {seed} {' '.join(overrides[-2:])}: {value:,.0f} "
          f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    return value


def _ci(d: np.ndarray, digits: int = 0) -> str:
    low, high = t_interval(d)
    return f"{d.mean():,.{digits}f} [{low:,.{digits}f}, {high:,.{digits}f}]"


def learning(seeds: list[int], tune: list[int], extra: list[str]) -> dict:
    """Default terms, the best fixed terms found on `tune`, `targeted` at the default terms
    (what targeting alone brings) and learning, on `seeds`."""
    scenario = load_scenario("learning_terms", extra)
    menus = {name: (s.term_field, s.term_menu, getattr(s, s.term_field))
             for name, s in scenario.services.items() if s.term_field}
    fixed = extra + ['company.strategy="fixed"']

    def terms(values: dict) -> list[str]:
        return [f"services.{n}.{menus[n][0]}={v}" for n, v in values.items()]

    default = {n: m[2] for n, m in menus.items()}
    best, grid = dict(default), {}
    for name, (_, menu, _) in menus.items():
        score = {v: np.mean([_npv("learning_terms", s, fixed + terms(default | {name: v}))
                             for s in tune]) for v in menu}
        grid[name] = {v: round(x) for v, x in score.items()}
        best[name] = max(score, key=score.get)
    rows = []
    for seed in seeds:
        rows.append({"seed": seed,
                     "default": _npv("learning_terms", seed, fixed + terms(default)),
                     "best_fixed": _npv("learning_terms", seed, fixed + terms(best)),
                     "targeted": _npv("learning_terms", seed,
                                      extra + ['company.strategy="targeted"']),
                     "learning": _npv("learning_terms", seed, extra)})
    frame = pd.DataFrame(rows)
    gap = (frame["best_fixed"] - frame["default"]).to_numpy()
    gain = (frame["learning"] - frame["default"]).to_numpy()
    closed = float(gain.sum() / gap.sum()) if gap.sum() != 0 else float("nan")
    return {"grid_on_tuning_seeds": grid, "best_terms": best, "default_terms": default,
            "runs": frame,
            "learning_minus_default": _ci(gain), "best_minus_default": _ci(gap),
            "targeted_minus_default": _ci((frame["targeted"] - frame["default"]).to_numpy()),
            "learning_minus_targeted": _ci((frame["learning"] - frame["targeted"]).to_numpy()),
            "gap_closed_share": closed,
            # >= 0 on average <=> learning closes at least 80 % of the gap
            "learning_minus_default_minus_80pc_gap": _ci(gain - 0.8 * gap)}


def _spend(model, item: str) -> dict[str, float]:
    """What the company spent on `item` by service line (CNY, positive)."""
    ledger = model.company.ledger.to_frame()
    part = ledger[ledger["item"] == item]
    return {k: float(-v) for k, v in part.groupby("service_line")["amount"].sum().items()}


def budget(seeds: list[int], extra: list[str]) -> dict:
    """One shared budget against equal per-service budgets of the same total."""
    rows = []
    for seed in seeds:
        row = {"seed": seed}
        for label, setting in (("shared", []), ("equal", ['company.budget_split="equal"']),
                               ("fixed", ['company.strategy="fixed"'])):
            started = time.perf_counter()
            model = GridValueModel("targeted_portfolio", seed=seed, overrides=extra + setting)
            model.run()
            row[label] = float(model.company_npv(lifetime=True))
            for line, cny in _spend(model, "marketing").items():
                row[f"{label}_mkt_{line[:11]}"] = cny
            print(f"  targeted_portfolio seed {seed} {label}: {row[label]:,.0f} "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        rows.append(row)
    frame = pd.DataFrame(rows).fillna(0.0)
    return {"runs": frame,
            "shared_minus_equal": _ci((frame["shared"] - frame["equal"]).to_numpy()),
            "shared_minus_fixed": _ci((frame["shared"] - frame["fixed"]).to_numpy())}


DEMAND_SIDE_SPEND = ("marketing", "capex", "payments_to_customers")


def peak(seeds: list[int], extra: list[str]) -> dict:
    """Deferral value per CNY of marketing and of what the offers cost the company up front
    (devices, payments to customers): peak_targeted against random contacts (fixed) of the
    same offer."""
    rows = []
    for seed in seeds:
        runs = {}
        for label, setting in (("none", ['company.strategy="fixed"',
                                         "services.home_energy_management.contacts_per_month=0"]),
                               ("fixed", ['company.strategy="fixed"']),
                               ("peak_targeted", [])):
            model = GridValueModel("peak_targeting", seed=seed, overrides=extra + setting)
            model.run()
            runs[label] = model
        for label in ("fixed", "peak_targeted"):
            value = paired_peak_value(runs["none"], runs[label])["deferral_value"]
            marketing = sum(_spend(runs[label], "marketing").values())
            spend = sum(sum(_spend(runs[label], item).values()) for item in DEMAND_SIDE_SPEND)
            contracts = sum(len(s.contracts) for s in runs[label].market.services)
            rows.append({"seed": seed, "strategy": label, "deferral_value": value,
                         "marketing": marketing, "spend": spend, "contracts": contracts,
                         "deferral_per_cny": value / spend if spend > 0 else float("nan")})
        print(f"  peak_targeting seed {seed} done", file=sys.stderr, flush=True)
    frame = pd.DataFrame(rows)
    wide = frame.pivot(index="seed", columns="strategy", values="deferral_per_cny")
    both = wide.dropna()
    return {"runs": frame,
            "per_cny_peak_minus_fixed": _ci((both["peak_targeted"] - both["fixed"]).to_numpy(),
                                            digits=3),
            "seeds_with_spend_under_both": len(both),
            "seeds_peak_above_fixed": int((both["peak_targeted"] > both["fixed"]).sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strategy_study", description=__doc__.split("\n")[0])
    parser.add_argument("claim", choices=("learning", "budget", "peak"))
    parser.add_argument("--seeds", default="11,12,13")
    parser.add_argument("--tune", default="1,2,3")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.claim == "learning":
        out = learning(seeds, [int(s) for s in args.tune.split(",")], args.overrides)
    elif args.claim == "budget":
        out = budget(seeds, args.overrides)
    else:
        out = peak(seeds, args.overrides)
    for key, value in out.items():
        text = value.to_string(index=False) if isinstance(value, pd.DataFrame) else value
        print(f"{key}:\n{text}" if isinstance(value, pd.DataFrame) else f"{key}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
