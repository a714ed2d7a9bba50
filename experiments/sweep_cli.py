"""The `gridvalue sweep` and `gridvalue sensitivity` subcommands."""

import os
import sys
from pathlib import Path

from gridvalue.simulation.schema import ScenarioError

EXIT_RUNS_FAILED = 1


def add_parsers(sub) -> None:
    sweep = sub.add_parser("sweep", help="run a sweep file: a design over scenario parameters "
                           "x replicates, on local processes or a Dask cluster")
    _common(sweep)
    sens = sub.add_parser("sensitivity", help="Sobol or Morris indices of a sweep's outputs "
                          "(runs whatever the sweep has not finished first)")
    _common(sens)
    sens.add_argument("--output", dest="outputs", action="append", default=[], metavar="NAME",
                      help="output to analyse (repeatable; default: every kept output)")


def _common(parser) -> None:
    parser.add_argument("sweep", help="sweep file (.toml) or packaged sweep name")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: one per CPU core)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on an existing Dask cluster (`dask scheduler`)")
    where.add_argument("--dask-local", type=int, metavar="N",
                       help="run on a Dask LocalCluster of N worker processes")
    parser.add_argument("--out", type=Path, help="results folder (default: sweeps/NAME)")
    parser.add_argument("--resume", action="store_true",
                        help="insist on resuming a sweep already in --out (re-running the same "
                        "command resumes anyway)")
    parser.add_argument("--repair", action="store_true",
                        help="rebuild a damaged store (sweep.json, manifest) from the sweep file "
                        "and re-run damaged runs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _executor(args):
    from gridvalue.experiments.sweep import Executor

    if args.scheduler is not None:
        if not args.scheduler.strip():
            raise ScenarioError("--scheduler", "give the scheduler's address, tcp://HOST:PORT")
        return Executor("dask", address=args.scheduler)
    if args.dask_local is not None:
        if args.dask_local < 1:
            raise ScenarioError("--dask-local", f"must be at least 1, got {args.dask_local}")
        return Executor("dask", workers=args.dask_local)
    workers = (os.cpu_count() or 1) if args.workers is None else args.workers
    if workers < 1:
        raise ScenarioError("--workers", f"must be at least 1, got {workers}")
    return Executor("pool", workers=workers)


def _run(args):
    """Load and validate the sweep, run what is missing with a progress bar, write the report."""
    from tqdm import tqdm

    from gridvalue.experiments.sweep import default_root, load_sweep, run_sweep
    from gridvalue.experiments.sweep_report import write_sweep_report

    sweep = load_sweep(args.sweep)
    executor = _executor(args)
    out = args.out or default_root(sweep)
    for warning in sweep.warnings():
        print(f"gridvalue: warning: {warning}", file=sys.stderr)
    bars = []

    def progress(done: int, total: int, failed: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, initial=done, unit="run", desc=sweep.meta.name,
                             disable=args.quiet, file=sys.stderr, postfix={"failed": failed}))
            if done:
                bars[0].write(f"resuming: {done} of {total} runs already done", file=sys.stderr)
            return
        bars[0].update(done + failed - bars[0].n)
        bars[0].set_postfix(failed=failed, refresh=False)

    try:
        store = run_sweep(sweep, out, executor, resume=args.resume, progress=progress,
                          repair=args.repair)
    finally:
        for bar in bars:
            bar.close()
    report = write_sweep_report(store)
    status = store.status()
    print(f"runs:    {status['ok']} ok, {status['failed']} failed of {status['runs']} "
          f"({executor.describe()})")
    print(f"results: {store.root} (pandas: pd.read_parquet('{store.runs_dir}'); duckdb: "
          f"select * from '{store.runs_dir}/*.parquet')")
    print(f"report:  {report}")
    if status["failed"]:
        print(f"gridvalue: {status['failed']} runs failed (errors in the report and the "
              "'error' column); run the same command again to retry them", file=sys.stderr)
    return store, status


def cmd_sweep(args) -> int:
    _, status = _run(args)
    return EXIT_RUNS_FAILED if status["failed"] else 0


def cmd_sensitivity(args) -> int:
    from gridvalue.experiments import sensitivity
    from gridvalue.experiments.sweep import load_sweep

    sweep = load_sweep(args.sweep)  # refuse before running anything
    if sweep.meta.design not in ("sobol", "morris"):
        raise ScenarioError("sweep.design", f"sensitivity needs design = \"sobol\" or "
                            f"\"morris\", {args.sweep} has {sweep.meta.design!r}")
    for name in args.outputs:
        if name not in sweep.outputs:
            raise ScenarioError("--output", f"{name!r} is not an output of this sweep "
                                f"({', '.join(sweep.outputs)})")
    store, _ = _run(args)
    table, files = sensitivity.write(store, args.outputs or None)
    print()
    print(sensitivity.format_tables(table))
    print()
    for warning in sensitivity.warnings(table, store.info):
        print(f"gridvalue: warning: {warning}", file=sys.stderr)
    print("tables:  " + ", ".join(str(f) for f in files[:2]))
    print(f"plot:    {files[2]}")
    return 0


COMMANDS = {"sweep": cmd_sweep, "sensitivity": cmd_sensitivity}
