"""The `gridvalue` command line: run, compare, voi, scenarios, params, sweep, sensitivity, viz,
calibrate, optimise, discover, grid, validate.

Input errors print one line on stderr naming the field and the problem, and exit with 2.
"""

import argparse
import signal
import sys
import threading
from pathlib import Path

from gridvalue.experiments import analysis_cli, calibrate, grid_cli, limits, sweep_cli, validate
from gridvalue.experiments.atomic import output_lock, preflight, safe_name
from gridvalue.simulation.schema import ScenarioError

EXIT_BAD_INPUT = 2
MAX_SEED = 2**63 - 1  # as meta.seed


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
    run.add_argument("--no-report", action="store_true",
                     help="write the tables only: no report.html (its charts cost about as "
                          "much CPU as a year of the default population)")

    compare = sub.add_parser("compare", help="paired runs of scenarios against a base over "
                             "replicates: KPI means, deltas and 95 %% CIs, service lines, a "
                             "ranking, and a report")
    compare.add_argument("baseline", help="packaged scenario name or .toml path (the base)")
    compare.add_argument("scenarios", nargs="+", metavar="scenario",
                         help="one or more packaged scenario names or .toml paths, each paired "
                         "with the base")
    compare.add_argument("--replicates", type=int, default=5,
                         help="paired replicates; replicate r uses seed S+r for all (default 5)")
    compare.add_argument("--seed", type=int, help="first seed (default: the baseline's meta.seed)")
    compare.add_argument("--objective", default="company_npv_lifetime", metavar="KPI[:min]",
                         help="KPI the scenarios are ranked by, higher is better unless :min "
                         "(default: company_npv_lifetime)")
    compare.add_argument("--workers", type=int, default=1, metavar="N",
                         help="processes running seeds in parallel (default 1)")
    compare.add_argument("--format", choices=("table", "json"), default="table")
    compare.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="SECTION.FIELD=VALUE",
                         help="override one parameter in every scenario (repeatable)")
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
    voi.add_argument("--world", help="comma-separated worlds to run in (default: the "
                     "scenario's data_platform.world): always_on, operating_hours, "
                     "weather_sensitive, mixed, no_signature")
    voi.add_argument("--format", choices=("table", "json"), default="table")
    voi.add_argument("--out", type=Path, help="results folder (default: runs/voi-NAME-TIME)")
    voi.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("scenarios", help="list the packaged scenarios with their descriptions")

    sweep_cli.add_parsers(sub)
    analysis_cli.add_parsers(sub)
    grid_cli.add_parsers(sub)
    calibrate.add_parser(sub)
    validate.add_parser(sub)

    viz = sub.add_parser("viz", help="start the interactive web view (Solara) of a scenario")
    viz.add_argument("scenario", nargs="?", default="ee_shared_savings",
                     help="packaged scenario name or path to a .toml file the page opens with "
                     "(default: ee_shared_savings; the baseline twin is always there)")
    viz.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                     "127.0.0.1, this machine only)")
    viz.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    viz.add_argument("--scenarios", metavar="DIR", help="also offer the .toml files in DIR in "
                     "the page's picker (default: the packaged scenarios only)")

    params = sub.add_parser("params", help="print the parameter table (defaults, units, sources)")
    params.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    return parser


def _cmd_run(args) -> int:
    from tqdm import tqdm

    from gridvalue.experiments.runner import (
        check_finite,
        check_out_dir,
        default_run_dir,
        run_scenario,
        write_results,
    )
    from gridvalue.simulation.scenario import load_scenario

    _check_seed(args.seed)
    scenario = load_scenario(args.scenario, args.overrides)
    limits.check_run(scenario)
    seed = scenario.meta.seed if args.seed is None else args.seed
    out = args.out or default_run_dir(scenario.meta.name, seed)
    preflight(out, limits.run_folder_bytes(scenario))
    check_out_dir(out)
    with output_lock(out), tqdm(total=scenario.meta.days, unit="day", desc=scenario.meta.name,
                                disable=args.quiet, file=sys.stderr) as bar:
        result = run_scenario(scenario, seed=args.seed,
                              progress=lambda done: bar.update(done - bar.n))
        check_finite(result.summary)
        out = write_results(result, out, report=not args.no_report)
    print(format_summary(result.summary, result.scenario.meta.currency))
    print(f"results: {out}")
    if not args.no_report:
        print(f"report:  {out / 'report.html'}")
    return 0


def _check_replicates_and_seed(args) -> None:
    if args.replicates < 1:
        raise ScenarioError("--replicates", f"must be at least 1, got {args.replicates}")
    limits.check_replicates(args.replicates)
    _check_seed(args.seed)


def _check_seed(seed: int | None) -> None:
    if seed is not None and seed < 0:
        raise ScenarioError("--seed", f"must be at least 0, got {seed}")
    if seed is not None and seed > MAX_SEED:
        raise ScenarioError("--seed", f"must be at most {MAX_SEED}, got {seed}")


def _check_pairable(base, other, ref: str) -> None:
    for field in ("network", "population"):
        if getattr(base, field) != getattr(other, field):
            raise ScenarioError(ref, f"its [{field}] differs from the baseline's: "
                                "paired runs need the same network and customers")
    for field in ("start_date", "days", "intervals_per_day"):
        if getattr(base.meta, field) != getattr(other.meta, field):
            raise ScenarioError(ref, f"its meta.{field} differs from the baseline's: "
                                "paired runs need the same horizon")


def _cmd_compare(args) -> int:
    import datetime

    from tqdm import tqdm

    import gridvalue
    from gridvalue.experiments import compare
    from gridvalue.experiments.atomic import atomic_folder
    from gridvalue.experiments.objectives import parse_objective
    from gridvalue.experiments.runner import check_out_dir
    from gridvalue.simulation.scenario import load_scenario

    _check_replicates_and_seed(args)
    objective = parse_objective(args.objective)
    if not 1 <= args.workers <= limits.MAX_WORKERS:
        raise ScenarioError("--workers", f"must be between 1 and {limits.MAX_WORKERS}, got "
                            f"{args.workers}")
    base = load_scenario(args.baseline, args.overrides)
    others = {}
    for ref in args.scenarios:
        other = load_scenario(ref, args.overrides)
        _check_pairable(base, other, ref)
        label = other.meta.name
        while label in others:
            label += "'"
        others[label] = other
    limits.check_run(base, processes=min(args.workers, args.replicates))
    for other in others.values():
        limits.check_run(other, processes=min(args.workers, args.replicates))
    first = base.meta.seed if args.seed is None else args.seed
    seeds = list(range(first, first + args.replicates))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    names = [safe_name(o.meta.name) for o in others.values()]
    tail = names[0] if len(names) == 1 else f"{names[0]}-and-{len(names) - 1}-more"
    out = args.out or Path("runs") / f"compare-{safe_name(base.meta.name)}-{tail}-{stamp}"
    preflight(out, limits.FOLDER_BASE_BYTES * len(others) + 2_000 * args.replicates
              * len(others))
    check_out_dir(out)
    currency = base.meta.currency
    total = args.replicates * len(others)
    with output_lock(out), tqdm(total=total, unit="pair",
                                desc=f"{len(others)} vs {base.meta.name}",
                                disable=args.quiet, file=sys.stderr) as bar:
        frames, curves = compare.paired_many(base, others, seeds, workers=args.workers,
                                             progress=lambda done: bar.update(done - bar.n))
        summaries = {label: compare.summarise_pairs(f) for label, f in frames.items()}
        notes = {label: compare.sign_notes(summaries[label], label, currency)
                 for label in others}
        ranked = compare.ranking(summaries, objective)
        info = {"baseline": base.meta.name, "replicates": args.replicates, "seeds": seeds,
                "version": gridvalue.__version__, "objective": args.objective,
                "currency": currency}
        single = len(others) == 1
        text = compare.to_json(next(iter(summaries.values()))) if single else \
            compare.many_to_json(summaries, notes, ranked, info)
        with atomic_folder(out) as tmp:
            (tmp / "compare.json").write_text(text + "\n")
            pages = {}
            for i, (label, other) in enumerate(others.items()):
                name = "report.html" if single else f"report-{i + 1}-{safe_name(label)}.html"
                csv = "replicates.csv" if single else f"replicates-{i + 1}-{safe_name(label)}.csv"
                frames[label].to_csv(tmp / csv, index=False)
                compare.write_compare_report(
                    summaries[label], info | {"scenario": label,
                                              "description": other.meta.description},
                    curves.get(label, {}), tmp / name)
                pages[label] = name
            if not single:
                compare.write_index_report(ranked, objective, info, pages, notes,
                                           tmp / "report.html")
    if args.format == "json":
        print(text)
    else:
        for label, summary in summaries.items():
            print(f"{label} against {base.meta.name}: {args.replicates} paired "
                  f"replicates, seeds {seeds[0]}-{seeds[-1]}")
            print(compare.format_table(summary, base.meta.name, label, currency))
            print()
            print(compare.format_lines(summary, label, currency))
            for note in notes[label]:
                print(note)
            print()
        if not single:
            print(compare.format_ranking(ranked, objective, base.meta.name, currency))
    sys.stdout.flush()
    print(f"report: {out / 'report.html'}", file=sys.stderr)
    return 0


# the run summary's rows, in order (labels and units from experiments/labels.py)
SUMMARY_KEYS = (
    "households", "enterprises", "microgrids", "feeders", "transformers", "days",
    "system_peak_kw", "system_peak_time", "energy_mwh", "load_factor", "max_feeder_peak_kw",
    "transformers_over_rating", "transformer_hours_over_rating", "energy_revenue",
    "wholesale_cost", "capacity_cost", "company_margin", "company_npv", "company_npv_lifetime",
    "contracts", "contracts_defaulted", "service_revenue", "default_losses")


def format_summary(summary: dict, currency: str) -> str:
    """The run summary as an aligned two-column table: labels with units, numbers with
    thousands separators; a note where the horizon and lifetime NPVs differ in sign."""
    from gridvalue.experiments.labels import label, npv_note, number

    rows = [(label(key, currency), number(summary[key], 3 if key == "load_factor" else None))
            for key in SUMMARY_KEYS]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {text:>16}" for name, text in rows]
    note = npv_note(summary["company_npv"], summary["company_npv_lifetime"], currency)
    return "\n".join(lines + ([note] if note else []))


def _cmd_voi(args) -> int:
    import datetime

    from tqdm import tqdm

    from gridvalue.experiments import voi
    from gridvalue.experiments.runner import check_out_dir
    from gridvalue.simulation.scenario import load_scenario

    _check_replicates_and_seed(args)
    scenario = load_scenario(args.scenario, args.overrides)
    voi.check_scenario(scenario)
    limits.check_run(scenario)
    worlds = voi.check_worlds(args.world, scenario)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"voi-{safe_name(scenario.meta.name)}-{stamp}"
    preflight(out, limits.FOLDER_BASE_BYTES + 20_000 * args.replicates)
    check_out_dir(out)
    first = scenario.meta.seed if args.seed is None else args.seed
    seeds = list(range(first, first + args.replicates))
    total = len(worlds) * len(seeds) * len(voi.QUALITY_LEVELS) * len(voi.ANALYTICS)
    with output_lock(out), tqdm(total=total, unit="run", desc="voi", disable=args.quiet,
                                file=sys.stderr) as bar:
        runs = voi.run_grid(scenario, seeds, progress=lambda: bar.update(1), worlds=worlds)
        table = voi.uplift_table(runs)
        voi.write_voi(scenario, runs, table, out, seeds)
    if args.format == "json":
        print(voi.to_json(table))
        return 0
    print(voi.format_table(table[table["analytics"] != "none"], scenario.meta.currency,
                           voi.strategy_label(scenario)))
    print(f"uplift over analytics none (levels for r and M&V), mean [95 % CI] of {len(seeds)} "
          "paired replicates")
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

    serve(args.scenario, args.host, args.port, args.scenarios)  # becomes the server
    return 0


def _cmd_params(args) -> int:
    from gridvalue.simulation.parameters import parameter_table

    print(parameter_table(args.format), end="")
    return 0


COMMANDS = {"run": _cmd_run, "compare": _cmd_compare, "voi": _cmd_voi,
            "scenarios": _cmd_scenarios, "params": _cmd_params, **sweep_cli.COMMANDS,
            "calibrate": calibrate.run, "viz": _cmd_viz, **grid_cli.COMMANDS,
            **analysis_cli.COMMANDS, "validate": validate.run}


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C, so locks, temporary folders and workers are cleaned up."""


def _on_sigterm(signum, frame):
    raise Terminated()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:2000]


def main(argv: list[str] | None = None) -> int:
    """Every subcommand runs inside this one error handler: bad input, a limit, an output that
    cannot be written or a resource that ran out is one line `gridvalue: error: FIELD:
    PROBLEM` and exit 2, never a traceback."""
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    else:
        previous = None
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        return _fail(str(exc))
    except RecursionError:
        return _fail("input: nested too deeply to read")
    except MemoryError:
        return _fail("memory: ran out of memory; try a smaller population, horizon, "
                     "replicates or design")
    except OSError as exc:  # a disk that filled, a folder that went away, a closed pipe
        where = exc.filename if exc.filename is not None else "system"
        return _fail(f"{where}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("gridvalue: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("gridvalue: terminated", file=sys.stderr)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _fail(message: str) -> int:
    print(f"gridvalue: error: {_one_line(message)}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
