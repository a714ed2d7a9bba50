"""The `gridvalue` command line: run, compare, voi, scenarios, params, sweep, sensitivity, viz,
calibrate.

Input errors print one line on stderr naming the field and the problem, and exit with 2.
"""

import argparse
import sys
from pathlib import Path

from gridvalue.experiments import calibrate, sweep_cli
from gridvalue.simulation.schema import ScenarioError

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and exit code 2."""

    def error(self, message: str):
        raise ScenarioError("arguments", message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gridvalue", description="Agent-based market simulation of a "
                     "distribution grid company selling data-driven energy services.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write its results folder and report")
    run.add_argument("scenario", nargs="?", default="baseline",
                     help="packaged scenario name or path to a .toml file (default: baseline)")
    run.add_argument("--seed", type=int, help="override meta.seed")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.FIELD=VALUE", help="override one parameter (repeatable)")
    run.add_argument("--out", type=Path, help="results folder (default: runs/NAME-seedN-TIME)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    compare = sub.add_parser("compare", help="paired runs of two scenarios over replicates: "
                             "KPI means, deltas and 95 %% CIs, and a report")
    compare.add_argument("baseline", help="packaged scenario name or .toml path")
    compare.add_argument("scenario", help="packaged scenario name or .toml path")
    compare.add_argument("--replicates", type=int, default=5,
                         help="paired replicates; replicate r uses seed S+r for both (default 5)")
    compare.add_argument("--seed", type=int, help="first seed (default: the baseline's meta.seed)")
    compare.add_argument("--format", choices=("table", "json"), default="table")
    compare.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="SECTION.FIELD=VALUE",
                         help="override one parameter in both scenarios (repeatable)")
    compare.add_argument("--out", type=Path,
                         help="folder for report.html and compare.json "
                              "(default: runs/compare-BASE-SCENARIO-TIME)")
    compare.add_argument("--quiet", action="store_true", help="no progress bar")

    voi = sub.add_parser("voi", help="value of information: paired runs over data-quality and "
                         "analytics levels, uplift over analytics none with 95 %% CIs")
    voi.add_argument("scenario", nargs="?", default="value_of_information",
                     help="packaged scenario name or .toml path (default: value_of_information)")
    voi.add_argument("--replicates", type=int, default=5,
                     help="seeds per level (default 5): seed, seed+1, ...")
    voi.add_argument("--seed", type=int, help="first seed (default: the scenario's meta.seed)")
    voi.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="SECTION.FIELD=VALUE", help="override one parameter (repeatable)")
    voi.add_argument("--out", type=Path, help="results folder (default: runs/voi-NAME-TIME)")
    voi.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("scenarios", help="list the packaged scenarios with their descriptions")

    sweep_cli.add_parsers(sub)
    calibrate.add_parser(sub)

    viz = sub.add_parser("viz", help="start the interactive web view (Solara) of a scenario")
    viz.add_argument("scenario", nargs="?", default="ee_shared_savings",
                     help="packaged scenario name or path to a .toml file the page opens with "
                     "(default: ee_shared_savings; the baseline twin is always there)")
    viz.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                     "127.0.0.1, this machine only)")
    viz.add_argument("--port", type=int, default=8765, help="port (default: 8765)")

    params = sub.add_parser("params", help="print the parameter table (defaults, units, sources)")
    params.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    return parser


def _cmd_run(args) -> int:
    from tqdm import tqdm

    from gridvalue.experiments.runner import (
        check_out_dir,
        default_out_dir,
        run_scenario,
        write_results,
    )
    from gridvalue.simulation.scenario import load_scenario

    if args.seed is not None and args.seed < 0:
        raise ScenarioError("--seed", f"must be at least 0, got {args.seed}")
    scenario = load_scenario(args.scenario, args.overrides)
    if args.out is not None:
        check_out_dir(args.out)
    with tqdm(total=scenario.meta.days, unit="day", desc=scenario.meta.name,
              disable=args.quiet, file=sys.stderr) as bar:
        result = run_scenario(scenario, seed=args.seed,
                              progress=lambda done: bar.update(done - bar.n))
    out = write_results(result, args.out or default_out_dir(result))
    print(format_summary(result.summary, result.scenario.meta.currency))
    print(f"results: {out}")
    print(f"report:  {out / 'report.html'}")
    return 0


def _check_replicates_and_seed(args) -> None:
    if args.replicates < 1:
        raise ScenarioError("--replicates", f"must be at least 1, got {args.replicates}")
    if args.seed is not None and args.seed < 0:
        raise ScenarioError("--seed", f"must be at least 0, got {args.seed}")


def _cmd_compare(args) -> int:
    import datetime

    from tqdm import tqdm

    import gridvalue
    from gridvalue.experiments import compare
    from gridvalue.experiments.atomic import atomic_folder
    from gridvalue.experiments.runner import check_out_dir
    from gridvalue.simulation.scenario import load_scenario

    _check_replicates_and_seed(args)
    base = load_scenario(args.baseline, args.overrides)
    other = load_scenario(args.scenario, args.overrides)
    for field in ("network", "population"):
        if getattr(base, field) != getattr(other, field):
            raise ScenarioError(args.scenario, f"its [{field}] differs from the baseline's: "
                                "paired runs need the same network and customers")
    for field in ("start_date", "days", "intervals_per_day"):
        if getattr(base.meta, field) != getattr(other.meta, field):
            raise ScenarioError(args.scenario, f"its meta.{field} differs from the baseline's: "
                                "paired runs need the same horizon")
    first = base.meta.seed if args.seed is None else args.seed
    seeds = list(range(first, first + args.replicates))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"compare-{base.meta.name}-{other.meta.name}-{stamp}"
    check_out_dir(out)
    hook = compare.FirstPair()
    with tqdm(total=args.replicates, unit="pair", desc=f"{other.meta.name} vs {base.meta.name}",
              disable=args.quiet, file=sys.stderr) as bar:
        frame = compare.paired_replicates(base, other, seeds, on_pair=hook,
                                          progress=lambda done: bar.update(done - bar.n))
    summary = compare.summarise_pairs(frame)
    info = {"baseline": base.meta.name, "scenario": other.meta.name,
            "description": other.meta.description, "replicates": args.replicates,
            "seeds": seeds, "version": gridvalue.__version__}
    with atomic_folder(out) as tmp:
        (tmp / "compare.json").write_text(compare.to_json(summary) + "\n")
        frame.to_csv(tmp / "replicates.csv", index=False)
        compare.write_compare_report(summary, info, hook.curves, tmp / "report.html")
    if args.format == "json":
        print(compare.to_json(summary))
    else:
        print(f"{other.meta.name} against {base.meta.name}: {args.replicates} paired "
              f"replicates, seeds {seeds[0]}-{seeds[-1]}")
        print(compare.format_table(summary))
    sys.stdout.flush()
    print(f"report: {out / 'report.html'}", file=sys.stderr)
    return 0


def format_summary(summary: dict, currency: str) -> str:
    """The run summary as an aligned two-column table."""
    labels = {
        "households": "households", "enterprises": "enterprises", "microgrids": "microgrids",
        "feeders": "feeders", "transformers": "transformers", "days": "days simulated",
        "system_peak_kw": "system peak (kW)", "system_peak_time": "system peak at",
        "energy_mwh": "energy delivered (MWh)", "load_factor": "load factor",
        "max_feeder_peak_kw": "highest feeder peak (kW)",
        "transformers_over_rating": "transformers over rating",
        "transformer_hours_over_rating": "transformer-hours over rating",
        "energy_revenue": f"energy revenue ({currency})",
        "wholesale_cost": f"wholesale energy cost ({currency})",
        "capacity_cost": f"capacity cost of peak ({currency})",
        "company_margin": f"company margin ({currency})",
        "company_npv": f"company NPV over the horizon ({currency})",
        "company_npv_lifetime": f"company NPV incl. contracts' remaining value ({currency})",
        "contracts": "service contracts signed",
        "contracts_defaulted": "service contracts defaulted",
        "service_revenue": f"service revenue ({currency})",
        "default_losses": f"default losses ({currency})",
    }
    width = max(len(v) for v in labels.values())
    lines = []
    for key, label in labels.items():
        value = summary[key]
        text = f"{value:,.3f}" if key == "load_factor" else (
            f"{round(value):,}" if isinstance(value, float) else str(value))
        lines.append(f"{label:<{width}}  {text:>16}")
    return "\n".join(lines)


def _cmd_voi(args) -> int:
    import datetime

    from tqdm import tqdm

    from gridvalue.experiments import voi
    from gridvalue.experiments.runner import check_out_dir
    from gridvalue.simulation.scenario import load_scenario

    _check_replicates_and_seed(args)
    scenario = load_scenario(args.scenario, args.overrides)
    voi.check_scenario(scenario)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"voi-{scenario.meta.name}-{stamp}"
    check_out_dir(out)
    first = scenario.meta.seed if args.seed is None else args.seed
    seeds = list(range(first, first + args.replicates))
    total = len(seeds) * len(voi.QUALITY_LEVELS) * len(voi.ANALYTICS)
    with tqdm(total=total, unit="run", desc="voi", disable=args.quiet, file=sys.stderr) as bar:
        runs = voi.run_grid(scenario, seeds, progress=lambda: bar.update(1))
    table = voi.uplift_table(runs)
    voi.write_voi(scenario, runs, table, out, seeds)
    print(voi.format_table(table[table["analytics"] != "none"], scenario.meta.currency))
    print(f"uplift over analytics none, mean [95 % CI] of {len(seeds)} paired replicates")
    print(f"results: {out}")
    print(f"report:  {out / 'report.html'}")
    return 0


def _cmd_scenarios(args) -> int:
    from gridvalue.simulation.scenario import load_scenario, packaged_scenarios

    for name in sorted(packaged_scenarios()):
        print(f"{name:<24} {load_scenario(name).meta.description}")
    return 0


def _cmd_viz(args) -> int:
    from gridvalue.viz.server import serve

    serve(args.scenario, args.host, args.port)  # replaces this process with the server
    return 0


def _cmd_params(args) -> int:
    from gridvalue.simulation.parameters import parameter_table

    print(parameter_table(args.format), end="")
    return 0


COMMANDS = {"run": _cmd_run, "compare": _cmd_compare, "voi": _cmd_voi,
            "scenarios": _cmd_scenarios, "params": _cmd_params, **sweep_cli.COMMANDS,
            "calibrate": calibrate.run,
            "viz": _cmd_viz}


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"gridvalue: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("gridvalue: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
