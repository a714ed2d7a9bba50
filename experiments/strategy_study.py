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


def _ci(d: np.ndarray) -> str:
    low, high = t_interval(d)
    return f"{d.mean():,.0f} [{low:,.0f}, {high:,.0f}]"


def learning(seeds: list[int], tune: list[int], extra: list[str]) -> dict:
    """Default terms, the best fixed terms found on `tune`, and learning, on `seeds`."""
    scenario = load_scenario("learning_terms", extra)
    menus = {name: (s.term_field, s.term_menu, getattr(s, s.term_field))
             for name, s in scenario.services.items() if s.term_field}
    fixed = extra + ['company.strategy="fixed"']

    def terms(values: dict) -> list[str]:
        return [f"services.{n}.{menus[n][0]}={v}" for n, v in values.items()]

    default = {n: m[2] for n, m in menus.items()}
    best = dict(default)
    for name, (_, menu, _) in menus.items():
        score = {v: np.mean([_npv("learning_terms", s, fixed + terms(default | {name: v}))
                             for s in tune]) for v in menu}
        best[name] = max(score, key=score.get)
    rows = []
    for seed in seeds:
        rows.append({"seed": seed,
                     "default": _npv("learning_terms", seed, fixed + terms(default)),
                     "best_fixed": _npv("learning_terms", seed, fixed + terms(best)),
                     "learning": _npv("learning_terms", seed, extra)})
    frame = pd.DataFrame(rows)
    gap = frame["best_fixed"] - frame["default"]
    gain = frame["learning"] - frame["default"]
    closed = float(gain.sum() / gap.sum()) if gap.sum() != 0 else float("nan")
    return {"best_terms": best, "default_terms": default, "runs": frame,
            "learning_minus_default": _ci(gain.to_numpy()),
            "best_minus_default": _ci(gap.to_numpy()), "gap_closed_share": closed}


def budget(seeds: list[int], extra: list[str]) -> dict:
    """One shared budget against equal per-service budgets of the same total."""
    rows = [{"seed": s,
             "shared": _npv("targeted_portfolio", s, extra),
             "equal": _npv("targeted_portfolio", s, extra + ['company.budget_split="equal"']),
             "fixed": _npv("targeted_portfolio", s, extra + ['company.strategy="fixed"'])}
            for s in seeds]
    frame = pd.DataFrame(rows)
    return {"runs": frame,
            "shared_minus_equal": _ci((frame["shared"] - frame["equal"]).to_numpy()),
            "shared_minus_fixed": _ci((frame["shared"] - frame["fixed"]).to_numpy())}


def _marketing(model) -> float:
    ledger = model.company.ledger.to_frame()
    return float(-ledger.loc[ledger["item"] == "marketing", "amount"].sum())


def peak(seeds: list[int], extra: list[str]) -> dict:
    """Deferral value per CNY of marketing: peak_targeted against random contacts."""
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
            spend = _marketing(runs[label])
            rows.append({"seed": seed, "strategy": label, "deferral_value": value,
                         "marketing": spend,
                         "deferral_per_cny": value / spend if spend > 0 else float("nan")})
    frame = pd.DataFrame(rows)
    wide = frame.pivot(index="seed", columns="strategy", values="deferral_per_cny")
    return {"runs": frame,
            "per_cny_peak_minus_fixed": _ci((wide["peak_targeted"] - wide["fixed"]).to_numpy())}


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
