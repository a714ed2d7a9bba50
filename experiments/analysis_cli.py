"""The `gridvalue optimise` and `gridvalue discover` subcommands."""

import json
import sys
from pathlib import Path

from gridvalue.experiments import limits
from gridvalue.experiments.atomic import safe_name
from gridvalue.simulation.schema import ScenarioError

MAX_OBJECTIVES = 2


def add_parsers(sub) -> None:
    opt = sub.add_parser("optimise", help="search a scenario's terms with Optuna on common "
                         "random numbers; the best points re-run on more seeds, with CIs")
    opt.add_argument("scenario", help="packaged scenario name or .toml path")
    opt.add_argument("--objective", dest="objectives", action="append", default=[],
                     metavar="KPI[:min]", required=True,
                     help="KPI to maximise (:min to minimise); twice for a Pareto front")
    opt.add_argument("--constraint", dest="constraints", action="append", default=[],
                     metavar="'KPI>=X'", help="a bound the mean must meet (repeatable)")
    opt.add_argument("--over", dest="terms", action="append", default=[],
                     metavar="PATH=LOW:HIGH[:STEP]", required=True,
                     help="a numeric scenario parameter to search (repeatable)")
    opt.add_argument("--budget", type=int, default=20, help="trials (default 20)")
    opt.add_argument("--replicates", type=int, default=2,
                     help="seeds per trial, the same for every trial (default 2)")
    opt.add_argument("--final-replicates", type=int, default=6,
                     help="seeds for re-running the best points (default 6)")
    opt.add_argument("--top", type=int, default=3, help="best points re-run (default 3)")
    opt.add_argument("--seed", type=int, help="first seed and the sampler's seed (default: "
                     "the scenario's meta.seed)")
    opt.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.FIELD=VALUE", help="override one parameter (repeatable)")
    opt.add_argument("--out", type=Path, help="results folder (default: runs/optimise-NAME); "
                     "the same command again resumes it")
    opt.add_argument("--format", choices=("table", "json"), default="table")
    opt.add_argument("--quiet", action="store_true", help="no progress bar")

    disc = sub.add_parser("discover", help="scenario discovery with PRIM: boxes of a sweep's "
                          "parameter space where an output is below or above a threshold")
    disc.add_argument("sweep", type=Path, help="a sweep's results folder (sweeps/NAME)")
    disc.add_argument("--output", required=True, help="the sweep output to test")
    side = disc.add_mutually_exclusive_group(required=True)
    side.add_argument("--below", type=float, metavar="X", help="cases: output < X")
    side.add_argument("--above", type=float, metavar="X", help="cases: output > X")
    disc.add_argument("--min-density", type=float, default=0.8,
                      help="least share of cases in a box (default 0.8)")
    disc.add_argument("--boxes", type=int, default=3, help="at most this many boxes (default 3)")
    disc.add_argument("--format", choices=("table", "json"), default="table")


def _positive(name: str, value: int, most: int) -> None:
    if not 1 <= value <= most:
        raise ScenarioError(name, f"must be between 1 and {most:,}, got {value}")


def cmd_optimise(args) -> int:
    from tqdm import tqdm

    from gridvalue.experiments import optimise
    from gridvalue.experiments.atomic import output_lock, preflight
    from gridvalue.experiments.objectives import parse_constraint, parse_objective
    from gridvalue.simulation.scenario import load_scenario

    objectives = tuple(parse_objective(o) for o in args.objectives)
    if len(objectives) > MAX_OBJECTIVES:
        raise ScenarioError("--objective", f"at most {MAX_OBJECTIVES}, got {len(objectives)}")
    constraints = tuple(parse_constraint(c) for c in args.constraints)
    _positive("--budget", args.budget, optimise.MAX_BUDGET)
    _positive("--replicates", args.replicates, limits.MAX_REPLICATES)
    _positive("--final-replicates", args.final_replicates, limits.MAX_REPLICATES)
    _positive("--top", args.top, args.budget)
    if args.final_replicates < args.replicates:
        raise ScenarioError("--final-replicates", f"must be at least --replicates "
                            f"({args.replicates}), got {args.final_replicates}")
    if args.seed is not None and not 0 <= args.seed <= 2**63 - 1:
        raise ScenarioError("--seed", f"must be between 0 and 2**63 - 1, got {args.seed}")
    scenario = load_scenario(args.scenario, args.overrides)
    optimise.check_kpis_offered([o.kpi for o in objectives] + [c.kpi for c in constraints],
                                scenario, "--objective" if not constraints else
                                "--objective/--constraint")
    terms = tuple(optimise.parse_term(t, scenario) for t in args.terms)
    paths = [t.path for t in terms]
    if len(set(paths)) != len(paths):
        raise ScenarioError("--over", "names a parameter twice")
    limits.check_run(scenario)
    seed = scenario.meta.seed if args.seed is None else args.seed
    search = optimise.Search(scenario, terms, objectives, constraints, args.budget,
                             args.replicates, args.final_replicates, args.top, seed)
    out = args.out or Path("runs") / f"optimise-{safe_name(scenario.meta.name)}"
    preflight(out, limits.FOLDER_BASE_BYTES + 10_000 * (args.budget * args.replicates
                                                        + args.top * args.final_replicates),
              allow_existing=True)
    optimise.Store.check(out, search)
    with output_lock(out), tqdm(total=1, unit="run", desc=f"optimise {scenario.meta.name}",
                                disable=args.quiet, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = optimise.run_search(search, out, progress=progress)
        text = json.dumps(result, indent=2, default=_plain) + "\n"
        from gridvalue.simulation.files import write_atomic

        write_atomic(out / "result.json", lambda f: f.write(text.encode()))
    if args.format == "json":
        print(text, end="")
    else:
        print(optimise.format_result(result, scenario.meta.currency))
        print(f"results: {out}")
    return 0


def _plain(value):
    if isinstance(value, float) and value != value:
        return None
    return value.item() if hasattr(value, "item") else str(value)


def cmd_discover(args) -> int:
    from gridvalue.experiments import discover
    from gridvalue.experiments.store import SweepStore

    if not (args.sweep / "sweep.json").is_file():
        raise ScenarioError("sweep", f"{args.sweep} is not a sweep's results folder (no "
                            "sweep.json); run `gridvalue sweep` first")
    if not 0 < args.min_density <= 1:
        raise ScenarioError("--min-density", f"must be in (0, 1], got {args.min_density}")
    _positive("--boxes", args.boxes, 100)
    threshold = args.below if args.below is not None else args.above
    if threshold != threshold or threshold in (float("inf"), float("-inf")):
        raise ScenarioError("--below" if args.below is not None else "--above",
                            f"must be a finite number, got {threshold}")
    store = SweepStore(args.sweep)
    result = discover.discover_store(store, args.output, args.below, args.above,
                                     args.min_density, args.boxes)
    if args.format == "json":
        print(discover.to_json(result))
    else:
        print(discover.format_result(result))
    return 0


COMMANDS = {"optimise": cmd_optimise, "discover": cmd_discover}
