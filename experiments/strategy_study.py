"""The comparative claims of the company's strategies, measured with paired replicates (the
same seeds under each strategy: common random numbers), small enough for a laptop.

    python -m gridvalue.experiments.strategy_study learning --seeds 11,12,13 --tune 1,2,3
    python -m gridvalue.experiments.strategy_study budget --seeds 1,2,3,4,5
    python -m gridvalue.experiments.strategy_study peak --seeds 1,2,3
    python -m gridvalue.experiments.strategy_study voi --seeds 1,2 \
        --strategies fixed/random,fixed,targeted,learning --qualities "bills only,high"

`learning`: on `learning_terms`, `fixed` at the default terms, a grid search of `fixed` over
each service's term menu on the tuning seeds (one service's menu at a time, the other at its
default; then both at their best), and `learning`, on the evaluation seeds: the share of the
gap between the default terms and the best fixed terms that `learning` closes (`--best`
skips the grid search where the best terms are already known from the tuning seeds;
`--no-targeted` skips the `targeted` arm).
`budget`: on `targeted_portfolio`, one shared budget against an equal share per service (and
`fixed`): paired differences of `company_npv_lifetime`.
`peak`: on `peak_targeting`, capacity deferral value (simulation/peaks.py, against the same
seed with no contacts) per CNY of marketing, `peak_targeted` against `fixed` (random
contacts of the same offer).
`voi`: `gridvalue voi`'s grid (experiments/voi.py `run_grid`) under each strategy on the same
seeds: the value of information (predictive minus none analytics, gross and net, at each
data quality) per strategy, and the paired difference of that value between strategies.
`fixed/random` is `fixed` with `company.fixed_contacts = "random"`: a company that does not
act on its data when it chooses whom to contact.
"""

import argparse
import itertools
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from gridvalue.experiments.compare import t_interval
from gridvalue.experiments.runner import run_scenario
from gridvalue.experiments.voi import QUALITY_LEVELS, run_grid
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.peaks import paired_peak_value
from gridvalue.simulation.scenario import STRATEGY_NAMES, load_scenario
from gridvalue.simulation.schema import ScenarioError

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


def parse_best(text: str | None, menus: dict) -> dict[str, float] | None:
    """`--best NAME=VALUE[,NAME=VALUE]`: the best fixed terms, known from the tuning seeds
    (None: search the grid). Raises ScenarioError naming --best."""
    if text is None:
        return None
    best = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name not in menus:
            raise ScenarioError("--best", f"must name a service with a term menu "
                                f"({', '.join(menus) or 'none'}), got {name!r}")
        try:
            best[name] = float(value)
        except ValueError:
            raise ScenarioError("--best", f"{name}: must be a number, got {value!r}") from None
    return best


def learning(seeds: list[int], tune: list[int], extra: list[str], best_text: str | None = None,
             with_targeted: bool = True) -> dict:
    """Default terms, the best fixed terms found on `tune` (or `best_text`), `targeted` at the
    default terms (what targeting alone brings; skipped if not `with_targeted`) and learning,
    on `seeds`."""
    scenario = load_scenario("learning_terms", extra)
    menus = {name: (s.term_field, s.term_menu, getattr(s, s.term_field))
             for name, s in scenario.services.items() if s.term_field}
    fixed = extra + ['company.strategy="fixed"']

    def terms(values: dict) -> list[str]:
        return [f"services.{n}.{menus[n][0]}={v}" for n, v in values.items()]

    default = {n: m[2] for n, m in menus.items()}
    given = parse_best(best_text, menus)
    best, grid = dict(default) | (given or {}), "skipped (--best)"
    if given is None:
        grid = {}
        for name, (_, menu, _) in menus.items():
            score = {v: np.mean([_npv("learning_terms", s, fixed + terms(default | {name: v}))
                                 for s in tune]) for v in menu}
            grid[name] = {v: round(x) for v, x in score.items()}
            best[name] = max(score, key=score.get)
    rows = []
    for seed in seeds:
        row = {"seed": seed,
               "default": _npv("learning_terms", seed, fixed + terms(default)),
               "best_fixed": _npv("learning_terms", seed, fixed + terms(best))}
        if with_targeted:
            row["targeted"] = _npv("learning_terms", seed,
                                   extra + ['company.strategy="targeted"'])
        row["learning"] = _npv("learning_terms", seed, extra)
        rows.append(row)
    frame = pd.DataFrame(rows)
    gap = (frame["best_fixed"] - frame["default"]).to_numpy()
    gain = (frame["learning"] - frame["default"]).to_numpy()
    closed = float(gain.sum() / gap.sum()) if gap.sum() != 0 else float("nan")
    out = {"grid_on_tuning_seeds": grid, "best_terms": best, "default_terms": default,
           "runs": frame,
           "learning_minus_default": _ci(gain), "best_minus_default": _ci(gap)}
    if with_targeted:
        out |= {"targeted_minus_default":
                _ci((frame["targeted"] - frame["default"]).to_numpy()),
                "learning_minus_targeted":
                _ci((frame["learning"] - frame["targeted"]).to_numpy())}
    return out | {"gap_closed_share": closed,
                  "seeds_learning_above_default_plus_80pc_gap": int((gain > 0.8 * gap).sum()),
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


# the arms of `voi`: a label and the settings that make it
ARMS = {"fixed/random": ['company.strategy="fixed"', 'company.fixed_contacts="random"'],
        "fixed": ['company.strategy="fixed"', 'company.fixed_contacts="expected_value"']}
ARMS |= {name: [f'company.strategy="{name}"'] for name in STRATEGY_NAMES if name != "fixed"}


def parse_list(text: str, allowed, field: str) -> list[str]:
    """A comma-separated list of names from `allowed` (raises ScenarioError naming `field`)."""
    names = [t.strip() for t in text.split(",")]
    for name in names:
        if name not in allowed:
            raise ScenarioError(field, f"must be among {', '.join(allowed)}, got {name!r}")
    return list(dict.fromkeys(names))


def _voi_grid(task) -> pd.DataFrame:
    """One arm and seed of `voi`: (scenario, arm, seed, qualities, analytics, settings)."""
    scenario, arm, seed, qualities, analytics, extra = task
    started = time.perf_counter()
    runs = run_grid(load_scenario(scenario, extra + ARMS[arm]), [seed], tuple(qualities),
                    tuple(analytics))
    print(f"  {scenario} {arm} seed {seed}: {len(runs)} runs "
          f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    return runs.assign(arm=arm)


def voi_by_strategy(runs: pd.DataFrame) -> pd.DataFrame:
    """Per arm, world, quality and seed: predictive minus none analytics, gross and net."""
    keys = ["arm", "world", "quality", "seed"]
    pair = runs.pivot_table(index=keys, columns="analytics",
                            values=["gross_profit", "net_profit"])
    return pd.DataFrame({
        "voi_gross": pair[("gross_profit", "predictive")] - pair[("gross_profit", "none")],
        "voi_net": pair[("net_profit", "predictive")] - pair[("net_profit", "none")],
        "contracts_none": runs[runs["analytics"] == "none"].set_index(keys)["contracts"],
        "contracts_predictive":
            runs[runs["analytics"] == "predictive"].set_index(keys)["contracts"],
    }).reset_index()


CHANNELS = ("gross_profit", "contacts", "contracts", "signed_estimate_share", "signed_true_share",
            "lifetime_value_per_contract", "default_losses")


def voi_channels(runs: pd.DataFrame) -> pd.DataFrame:
    """Where the value of information comes from: per arm, world, quality and analytics, the
    mean over seeds of the contacts, contracts, the signed customers' estimated and true
    savings shares (the truth read here, by the experiment), a contract's lifetime value
    and the default losses."""
    return (runs.groupby(["arm", "world", "quality", "analytics"], sort=False)[list(CHANNELS)]
            .mean().reset_index())


def voi(seeds: list[int], arms: list[str], qualities: list[str], extra: list[str],
        scenario: str = "value_of_information", jobs: int = 1,
        runs_csv: str | None = None) -> dict:
    """`gridvalue voi`'s grid (predictive and none analytics) under each arm on the same
    seeds: the value of information per arm and quality, and its paired difference between
    arms (95 % t intervals over seeds)."""
    load_scenario(scenario, extra)  # bad input fails before any run
    analytics = ["none", "predictive"]
    tasks = [(scenario, arm, seed, qualities, analytics, extra)
             for arm in arms for seed in seeds]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_voi_grid, tasks))
    else:
        parts = [_voi_grid(t) for t in tasks]
    runs = pd.concat(parts, ignore_index=True)
    if runs_csv:
        runs.to_csv(runs_csv, index=False)
    return voi_summary(runs, arms)


def voi_summary(runs: pd.DataFrame, arms: list[str]) -> dict:
    """`voi`'s tables from its runs (one row per run, with its `arm`)."""
    per_seed = voi_by_strategy(runs)
    rows, diffs = [], []
    for (world, quality), part in per_seed.groupby(["world", "quality"], sort=False):
        wide = part.pivot(index="seed", columns="arm", values=["voi_gross", "voi_net"])
        for arm in arms:
            rows.append({"world": world, "quality": quality, "arm": arm,
                         "voi_gross": _ci(wide[("voi_gross", arm)].to_numpy()),
                         "voi_net": _ci(wide[("voi_net", arm)].to_numpy())})
        for a, b in itertools.combinations(arms, 2):
            diffs.append({"world": world, "quality": quality, "difference": f"{b} - {a}",
                          "voi_gross": _ci((wide[("voi_gross", b)]
                                            - wide[("voi_gross", a)]).to_numpy()),
                          "voi_net": _ci((wide[("voi_net", b)]
                                          - wide[("voi_net", a)]).to_numpy())})
    levels = []  # what acting differently on the same data is worth: each arm's NPV paired
    for (world, quality, level), part in runs.groupby(["world", "quality", "analytics"],
                                                      sort=False):
        wide = part.pivot(index="seed", columns="arm", values="gross_profit")
        for arm in arms[1:]:
            levels.append({"world": world, "quality": quality, "analytics": level,
                           "difference": f"{arm} - {arms[0]}",
                           "gross_profit": _ci((wide[arm] - wide[arms[0]]).to_numpy())})
    return {"per_seed": per_seed, "channels": voi_channels(runs),
            "gross_profit_against_first_arm": pd.DataFrame(levels),
            "value_of_information": pd.DataFrame(rows),
            "paired_differences": pd.DataFrame(diffs)}


def _number(v: float) -> str:
    """Money to the unit with thousands separators, small figures (shares, ratios) to 3
    decimals."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strategy_study", description=__doc__.split("\n")[0])
    parser.add_argument("claim", choices=("learning", "budget", "peak", "voi"))
    parser.add_argument("--seeds", default="11,12,13")
    parser.add_argument("--tune", default="1,2,3")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--best", help="learning: NAME=VALUE[,...], the best fixed terms "
                        "(skips the grid search on --tune)")
    parser.add_argument("--no-targeted", action="store_true",
                        help="learning: skip the targeted arm")
    parser.add_argument("--strategies", default="fixed/random,fixed,targeted,learning",
                        help=f"voi: arms, among {', '.join(ARMS)}")
    parser.add_argument("--qualities", default="bills only,high",
                        help=f"voi: data qualities, among {', '.join(QUALITY_LEVELS)}")
    parser.add_argument("--scenario", default="value_of_information", help="voi: scenario")
    parser.add_argument("--jobs", type=int, default=1, help="voi: processes")
    parser.add_argument("--runs-csv", help="voi: write every run's metrics to this file")
    parser.add_argument("--from-runs", help="voi: the tables from a --runs-csv file (no run)")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
        if args.claim == "learning":
            out = learning(seeds, [int(s) for s in args.tune.split(",")], args.overrides,
                           args.best, not args.no_targeted)
        elif args.claim == "budget":
            out = budget(seeds, args.overrides)
        elif args.claim == "peak":
            out = peak(seeds, args.overrides)
        elif args.from_runs:
            if not Path(args.from_runs).is_file():
                raise ScenarioError("--from-runs", f"no such file: {args.from_runs}")
            runs = pd.read_csv(args.from_runs)
            out = voi_summary(runs, list(dict.fromkeys(runs["arm"])))
        else:
            if args.jobs < 1:
                raise ScenarioError("--jobs", f"must be at least 1, got {args.jobs}")
            out = voi(seeds, parse_list(args.strategies, ARMS, "--strategies"),
                      parse_list(args.qualities, QUALITY_LEVELS, "--qualities"),
                      args.overrides, args.scenario, args.jobs, args.runs_csv)
    except ScenarioError as error:
        print(f"strategy_study: error: {error}", file=sys.stderr)
        return 2
    for key, value in out.items():
        text = (value.to_string(index=False, float_format=_number)
                if isinstance(value, pd.DataFrame) else value)
        print(f"{key}:\n{text}" if isinstance(value, pd.DataFrame) else f"{key}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
