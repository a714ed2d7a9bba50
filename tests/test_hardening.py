"""Hostile input and process faults: a table-driven corpus, one block per class of issue 20.

Every bad case must give one line `gridvalue: error: FIELD: PROBLEM` on stderr, exit 2, no
traceback, nothing written, and (for the output checks) no simulation started. The corpus runs
`gridvalue.experiments.cli.main` in this process with the working directory in a temporary
folder; the process-fault cases (SIGKILL of a sweep) run the real command.
"""

import collections
import contextlib
import datetime
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from gridvalue.experiments import atomic, cli, compare, limits, runner, sweep, voi
from gridvalue.experiments.store import SweepStore
from gridvalue.experiments.sweep import Executor, load_sweep, run_sweep
from gridvalue.simulation import scenario as scenario_module
from gridvalue.simulation.scenario import Scenario, load_scenario
from gridvalue.simulation.schema import ScenarioError, parameter_rows
from gridvalue.viz import catalogue, session
from gridvalue.viz.levers import levers_for, parse_text

TINY = ["--set", "population.households=20", "--set", "population.enterprises=4",
        "--set", "population.microgrids=0", "--set", "meta.days=3", "--quiet"]
shutil_usage = collections.namedtuple("usage", "total used free")
TINY_TOML = "[meta]\ndays = 3\n[population]\nhouseholds = 20\nenterprises = 4\nmicrogrids = 0\n"


def tree(root: Path) -> list[str]:
    """Every path under root (symlinks not followed)."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(found)


def one_line_exit_2(capsys, argv: list[str], expected: str) -> str:
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("gridvalue: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert expected in err, err
    return err


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A temporary working folder; the simulation and the replicate runners refuse to start."""
    monkeypatch.chdir(tmp_path)

    def never(*args, **kwargs):
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(runner, "run_scenario", never)
    monkeypatch.setattr(compare, "paired_replicates", never)
    monkeypatch.setattr(compare, "paired_many", never)
    monkeypatch.setattr(voi, "run_grid", never)
    monkeypatch.setattr(Executor, "open", never)
    return tmp_path


# ---- class 1: a name is a name, never a path ----------------------------------------------

@pytest.mark.parametrize("name, folder", [
    ("baseline", "baseline"), ("ee_shared_savings", "ee_shared_savings"),
    ("../../escape", "escape"), ("/abs/path", "abs_path"), ("a\x00b", "a_b"), ("", "unnamed"),
    ("..", "unnamed"), (".hidden", "hidden"), ("a/../../b", "a_b"), ("x" * 300, "x" * 100),
    ("tab\tand space", "tab_and_space"), ("~root", "root"), ("C:\\windows", "C_windows"),
])
def test_a_name_becomes_one_safe_folder_name(name, folder):
    assert atomic.safe_name(name) == folder


@pytest.mark.parametrize("name", ["../../escape", "/tmp/gridvalue-escape", "a/b/c"])
def test_a_scenario_name_cannot_put_results_outside_runs(tmp_path, monkeypatch, capsys, name):
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["run", "baseline", *TINY, "--set", f'meta.name="{name}"'])
    assert rc == 0, capsys.readouterr().err
    made = [p for p in tree(tmp_path) if "/" not in p]
    assert made == ["runs"]
    (folder,) = os.listdir(tmp_path / "runs")
    assert folder.startswith(atomic.safe_name(name) + "-seed42-")
    assert not Path("/tmp/gridvalue-escape-seed42").exists()


def test_a_sweep_name_cannot_put_results_outside_sweeps(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[sweep]\nname = "/tmp/gridvalue-sweep-escape"\nmodel = "ishigami"\n'
                    'design = "grid"\n[parameters]\nx1 = { levels = [0.0, 1.0] }\n')
    assert sweep.default_root(load_sweep(path)) == Path("sweeps/tmp_gridvalue-sweep-escape")


# ---- class 2: the output is checked before the work ----------------------------------------

def _read_only(tmp: Path) -> str:
    folder = tmp / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    return str(folder / "out")


def _file_parent(tmp: Path) -> str:
    (tmp / "afile").write_text("x")
    return "afile/out"


def _symlink(tmp: Path) -> str:
    (tmp / "real").mkdir()
    (tmp / "link").symlink_to(tmp / "real")
    return "link"


def _dangling(tmp: Path) -> str:
    (tmp / "dangling").symlink_to(tmp / "nowhere")
    return "dangling"


def _not_empty(tmp: Path) -> str:
    (tmp / "full").mkdir()
    (tmp / "full" / "x").write_text("x")
    return "full"


def _a_file(tmp: Path) -> str:
    (tmp / "f").write_text("x")
    return "f"


def _locked(tmp: Path) -> str:
    (tmp / ".busy.lock").write_text(f"{os.getppid()}\n")  # a live process holds it
    return "busy"


OUT_CASES = [
    pytest.param(lambda t: "", "--out: must name a new folder", id="empty"),
    pytest.param(lambda t: ".", "--out: must name a new folder", id="dot"),
    pytest.param(lambda t: "sub/..", "--out: must name a new folder", id="dotdot"),
    pytest.param(lambda t: "/", "--out: must name a new folder", id="root"),
    pytest.param(_file_parent, "afile is a file, not a folder", id="file-as-parent"),
    pytest.param(_symlink, "is a symbolic link", id="symlink"),
    pytest.param(_dangling, "is a symbolic link", id="dangling-symlink"),
    pytest.param(_not_empty, "already exists and is not an empty folder", id="not-empty"),
    pytest.param(_a_file, "already exists and is not a folder", id="a-file"),
    pytest.param(lambda t: "a" * 300, "at most 255", id="300-char-name"),
    pytest.param(lambda t: "x/" * 2100, "longer than 4096 bytes", id="4200-byte-path"),
    pytest.param(lambda t: "nul\x00name", "NUL character", id="nul"),
    pytest.param(lambda t: "/proc/gridvalue/out", "cannot create folders in /proc",
                 id="virtual-fs"),
    pytest.param(_locked, "is being written by process", id="concurrent-writer"),
    pytest.param(_read_only, "is not writable", id="read-only", marks=pytest.mark.skipif(
        os.geteuid() == 0, reason="root writes into read-only folders")),
]
COMMANDS = {
    "run": lambda out: ["run", "baseline", "--out", out, *TINY],
    "compare": lambda out: ["compare", "baseline", "tou_pricing", "--replicates", "2",
                            "--out", out, *TINY],
    "voi": lambda out: ["voi", "--replicates", "1", "--out", out, *TINY],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("make_out, expected", OUT_CASES)
def test_a_bad_output_is_refused_before_the_work(here, capsys, command, make_out, expected):
    out = make_out(here)
    before = tree(here)
    one_line_exit_2(capsys, COMMANDS[command](out), expected)
    assert tree(here) == before


def test_a_full_disk_is_found_before_the_work(here, capsys, monkeypatch):
    monkeypatch.setattr(atomic.shutil, "disk_usage",
                        lambda p: shutil_usage(total=10**9, used=10**9 - 10_000, free=10_000))
    for command in COMMANDS.values():
        one_line_exit_2(capsys, command("out"), "the results need about")
    assert tree(here) == []


def test_a_sweep_output_is_checked_before_workers_start(here, capsys):
    (here / "afile").write_text("x")
    (here / "s.toml").write_text('[sweep]\nmodel = "ishigami"\n[parameters]\n'
                                 'x1 = { levels = [0.0, 1.0] }\n')
    before = tree(here)
    for out, expected in (("afile/x", "is a file"), (".", "must name a new folder"),
                          ("a" * 300, "at most 255")):
        one_line_exit_2(capsys, ["sweep", "s.toml", "--out", out, "--quiet"], expected)
    assert tree(here) == before


def test_a_disk_that_fills_while_writing_is_one_line_and_leaves_nothing(tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.chdir(tmp_path)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    one_line_exit_2(capsys, ["run", "baseline", "--out", "out", *TINY],
                    "--out: cannot write out: No space left on device")
    assert tree(tmp_path) == []


def test_two_writers_of_one_folder_the_second_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with atomic.output_lock(tmp_path / "out"):
        one_line_exit_2(capsys, ["run", "baseline", "--out", "out", *TINY],
                        f"is being written by process {os.getpid()}")
    assert tree(tmp_path) == []


def test_a_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".out.lock").write_text(f"{dead.pid}\n")
    with atomic.output_lock(tmp_path / "out"):
        assert (tmp_path / ".out.lock").read_text().strip() == str(os.getpid())
    assert tree(tmp_path) == []


# ---- class 3: killed work leaves nothing behind ---------------------------------------------

def test_stale_partial_folders_of_dead_processes_are_cleaned_on_the_next_write(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".old.partial-{dead.pid}"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "big.parquet").write_bytes(b"x" * 1000)
    (tmp_path / ".old.lock").write_text(f"{dead.pid}\n")
    live = tmp_path / f".other.partial-{os.getppid()}"
    live.mkdir()
    with atomic.atomic_folder(tmp_path / "new") as tmp:
        (tmp / "a").write_text("a")
    assert tree(tmp_path) == sorted([live.name, "new", "new/a"])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_a_killed_sweep_parent(tmp_path, how):
    path = tmp_path / "s.toml"
    path.write_text('[sweep]\ndesign = "grid"\nreplicates = 50\n[set]\n"meta.days" = 60\n'
                    '"population.households" = 200\n[parameters]\n'
                    '"population.enterprises" = { levels = [20, 40] }\n')
    proc = subprocess.Popen([sys.executable, "-m", "gridvalue.experiments.cli", "sweep",
                             str(path), "--out", str(tmp_path / "out"), "--workers", "2",
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ | {"PYTHONWARNINGS": "ignore"})
    workers: list[int] = []
    deadline = time.monotonic() + 120
    while len(workers) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None
        workers = [c for c in _children(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        time.sleep(0.2)
    assert len(workers) == 2
    time.sleep(1.0)  # the workers are importing or running
    os.kill(proc.pid, how)
    proc.wait(timeout=120)
    deadline = time.monotonic() + 5 + (120 if how == signal.SIGTERM else 0)
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [w for w in workers if _alive(w)]


# ---- class 4: limits fail fast, before allocating -------------------------------------------

def _fifo(tmp: Path, name: str = "fifo.toml") -> Path:
    path = tmp / name
    os.mkfifo(path)
    return path


def _extends_fifo(tmp: Path) -> str:
    _fifo(tmp, "parent.toml")
    (tmp / "child.toml").write_text('extends = "parent.toml"\n')
    return "child.toml"


def _chain(tmp: Path, n: int = 40) -> str:
    for i in range(n):
        (tmp / f"c{i}.toml").write_text(f'extends = "c{i + 1}.toml"\n')
    (tmp / f"c{n}.toml").write_text(TINY_TOML)
    return "c0.toml"


def _deep(tmp: Path, depth: int = 50_000) -> str:
    (tmp / "deep.toml").write_text("a = " + "[" * depth + "]" * depth + "\n")
    return "deep.toml"


def _deep_tables(tmp: Path) -> str:
    (tmp / "tables.toml").write_text("[" + ".".join(["t"] * 40) + "]\nx = 1\n")
    return "tables.toml"


def _big(tmp: Path) -> str:
    (tmp / "big.toml").write_text("# " + "x" * 2_000_000 + "\n")
    return "big.toml"


def _dir(tmp: Path) -> str:
    (tmp / "folder.toml").mkdir()
    return "folder.toml"


def _binary(tmp: Path) -> str:
    (tmp / "bin.toml").write_bytes(b"\xff\xfe\x00\x01")
    return "bin.toml"


def _loop(tmp: Path) -> str:
    (tmp / "loop.toml").symlink_to(tmp / "loop.toml")
    return "loop.toml"


INPUT_CASES = [
    pytest.param(lambda t: str(_fifo(t)), "not a regular file", id="fifo"),
    pytest.param(_extends_fifo, "not a regular file", id="extends-fifo"),
    pytest.param(lambda t: "/dev/zero", "/dev/zero: cannot read file: not a regular file",
                 id="dev-zero"),
    pytest.param(_chain, "extends: a chain of more than 16 files", id="extends-chain"),
    pytest.param(_deep, "nested more than 16 tables or arrays deep", id="nested-50000"),
    pytest.param(lambda t: _deep(t, 800), "nested more than 16", id="nested-800"),
    pytest.param(_deep_tables, "nested more than 16", id="dotted-tables-40"),
    pytest.param(_big, "at most 1,000,000", id="2-MB-file"),
    pytest.param(_dir, "cannot read file: a folder", id="folder"),
    pytest.param(_binary, "cannot read file", id="not-utf8"),
    pytest.param(_loop, "loop.toml", id="symlink-loop"),
]


@pytest.mark.parametrize("make_input, expected", INPUT_CASES)
def test_bad_input_files_fail_fast(here, capsys, make_input, expected):
    ref = make_input(here)
    before = tree(here)
    one_line_exit_2(capsys, ["run", ref, "--quiet"], expected)
    assert tree(here) == before


@pytest.mark.parametrize("make_input, expected", [
    c for c in INPUT_CASES if c.id not in ("extends-fifo", "extends-chain")])
def test_bad_sweep_files_fail_fast(here, capsys, make_input, expected):
    ref = make_input(here)
    if not ref.endswith(".toml") and "/" not in ref:
        ref = f"./{ref}"
    one_line_exit_2(capsys, ["sweep", ref, "--quiet"], expected)


def test_a_sweep_whose_base_scenario_is_a_fifo_fails_fast(here, capsys):
    _fifo(here, "base.toml")
    (here / "s.toml").write_text('[sweep]\nscenario = "base.toml"\n[parameters]\n'
                                 '"meta.days" = { levels = [1, 2] }\n')
    one_line_exit_2(capsys, ["sweep", "s.toml"], "not a regular file")


SET_CASES = [
    ("population.households=1e9", "population.households: expected an integer"),
    ("population.households=1000000000", "population.households: must be at most 10000000"),
    ("population.household_size_mean=1e300", "household_size_mean: must be at most 20"),
    ("storage.grid_battery_hours=1e308", "storage.grid_battery_hours: must be at most 24"),
    ("population.household_kwh_median=1e300", "household_kwh_median: must be at most 100000"),
    ("population.household_kwh_median=inf", "must be a finite number"),
    ("population.household_kwh_median=nan", "must be a finite number"),
    ("response.household_daily_elasticity=-1e300", "must be at least -5"),
    ("tariff.residential_price_per_kwh=1e12", "must be at most 100"),
    ("meta.start_date=9999-12-31", "meta.start_date: must be at most 2200-12-31, got 9999-12-31"),
    ("meta.start_date=0001-01-01", "meta.start_date: must be at least 1900-01-01"),
    ("meta.start_date=1899-12-31", "must be at least 1900-01-01"),
    ("meta.seed=-1", "meta.seed: must be at least 0"),
    ("meta.name=" + "[" * 5000 + "]" * 5000, "--set: longer than 10,000 characters"),
    ("meta.name=" + "[" * 100 + "]" * 100, "nested more than 16"),
    ("meta.days=" + "{a=" * 30 + "1" + "}" * 30, "nested more than 16"),
    (".".join(["a"] * 40) + "=1", "more than 16 parts"),
    ("market.small_world_links=100000", "must be at most 1000"),
    ("services.shared_savings.innovation_p_per_year=1e300", "must be at most 12"),
    ("network.feeder_rating_kva=1e300", "must be at most 10000000"),
]


@pytest.mark.parametrize("override, expected", SET_CASES)
def test_values_the_model_cannot_run_are_refused(here, capsys, override, expected):
    one_line_exit_2(capsys, ["run", "baseline", "--set", override, "--quiet"], expected)
    assert tree(here) == []


def test_a_run_beyond_the_memory_is_refused_with_the_figure(here, capsys, monkeypatch):
    monkeypatch.setattr(limits, "available_memory_bytes", lambda: 4e9)
    err = one_line_exit_2(capsys, ["run", "baseline", "--set", "population.households="
                                   "10000000", "--quiet"], "population: a run of 10,000,248 ")
    assert "needs about 15.6 GB of memory; 4.0 GB is available" in err
    for command in (["compare", "baseline", "tou_pricing"], ["voi"]):
        one_line_exit_2(capsys, [*command, "--set", "population.households=10000000"],
                        "of memory")
    assert tree(here) == []


@pytest.mark.parametrize("argv, expected", [
    (["compare", "baseline", "tou_pricing", "--replicates", "1000000000000"],
     "--replicates: must be at most 100,000, got 1,000,000,000,000"),
    (["voi", "--replicates", "1000000000000"], "--replicates: must be at most 100,000"),
    (["compare", "baseline", "tou_pricing", "--replicates", "1e12"], "invalid int value"),
    (["sweep", "short_runs", "--workers", "100000"], "--workers: must be at most 1024"),
    (["run", "--seed", "99999999999999999999999"], "--seed: must be at most"),
    (["compare", "baseline", "tou_pricing", "--seed", "9" * 30], "--seed: must be at most"),
])
def test_counts_beyond_the_limits_are_refused(here, capsys, argv, expected):
    one_line_exit_2(capsys, argv, expected)
    assert tree(here) == []


def test_memory_estimate_matches_the_measured_runs():
    """bench_scale.py measured 395 / 550 / 1,942 MB peak for the baseline at 10,000 /
    100,000 / 1,000,000 customers over a year, and 1,363 MB for price_packages (which
    simulates the platform's history) at 100,000 (docs/performance.md); the estimate stays
    within 25 %."""
    for name, customers, measured in (("baseline", 10_000, 395e6), ("baseline", 100_000, 550e6),
                                      ("baseline", 1_000_000, 1_942e6),
                                      ("price_packages", 100_000, 1_363e6)):
        scenario = load_scenario(name, {"population.households": customers - 248})
        assert abs(limits.run_memory_bytes(scenario) / measured - 1) < 0.25, name


# ---- class 5: every number has an upper bound, documented ------------------------------------

def test_every_number_has_bounds_and_the_table_shows_them():
    rows = parameter_rows(Scenario)
    numeric = [r for r in rows if isinstance(r["default"], int | float)
               and not isinstance(r["default"], bool)]
    assert len(numeric) > 150
    for row in numeric:
        assert " to " in row["range"] or row["range"].startswith("one of"), row["parameter"]
    table = Path(__file__).resolve().parent.parent / "docs" / "parameters.md"
    assert "| `population.household_kwh_median` | `2000.0` | kWh/yr | >0 to 100000 |" in \
        table.read_text()


def test_a_number_declared_without_bounds_still_gets_one():
    from gridvalue.simulation.schema import FALLBACK_MAX, _check_bounds

    with pytest.raises(ScenarioError, match="must be at most 1e\\+12"):
        _check_bounds(FALLBACK_MAX * 10, {}, "x")
    with pytest.raises(ScenarioError, match="must be at least -1e\\+12"):
        _check_bounds(-FALLBACK_MAX * 10, {}, "x")


@pytest.mark.parametrize("start", ["1900-01-01", "2200-12-31"])
def test_the_ends_of_the_date_range_run(start):
    result = runner.run_scenario("baseline", overrides={
        "meta.start_date": datetime.date.fromisoformat(start), "meta.days": 3,
        "population.households": 20, "population.enterprises": 4, "population.microgrids": 0,
        "data_platform.history_months": 60})
    assert np.isfinite([v for v in result.summary.values() if isinstance(v, float)]).all()


def test_a_non_finite_result_is_refused_and_nothing_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    real = runner.summarise
    monkeypatch.setattr(runner, "summarise", lambda m, t: real(m, t) | {"company_npv": np.nan})
    one_line_exit_2(capsys, ["run", "baseline", *TINY], "non-finite company_npv")
    assert tree(tmp_path) == []


# ---- class 6: a damaged sweep store ---------------------------------------------------------

ISHIGAMI = ('[sweep]\nmodel = "ishigami"\ndesign = "grid"\n[parameters]\n'
            'x1 = { levels = [0.0, 1.0, 2.0] }\nx2 = { levels = [0.5, 1.5] }\n')


def _truncate_json(out: Path):
    text = (out / "sweep.json").read_text()
    (out / "sweep.json").write_text(text[: len(text) // 2])


def _garbage_run(out: Path):
    (out / "runs" / "r000002.parquet").write_bytes(b"not parquet at all")


def _truncated_run(out: Path):
    path = out / "runs" / "r000003.parquet"
    path.write_bytes(path.read_bytes()[:40])


def _stranger(out: Path):
    (out / "runs" / "notes.txt").write_text("hello")


def _wrong_row(out: Path):
    (out / "runs" / "r000001.parquet").write_bytes((out / "runs" / "r000004.parquet")
                                                   .read_bytes())


def _garbage_manifest(out: Path):
    (out / "manifest.parquet").write_bytes(b"garbage")


def _json_list(out: Path):
    (out / "sweep.json").write_text("[1, 2, 3]\n")


DAMAGE = [
    pytest.param(_truncate_json, "sweep.json: damaged (JSONDecodeError", id="truncated-json"),
    pytest.param(_json_list, "sweep.json: damaged (not a sweep's record)", id="json-not-a-dict"),
    pytest.param(_garbage_run, "r000002.parquet: damaged run file", id="garbage-run"),
    pytest.param(_truncated_run, "r000003.parquet: damaged run file", id="truncated-run"),
    pytest.param(_stranger, "notes.txt: damaged run file: not a run file", id="stranger"),
    pytest.param(_wrong_row, "r000001.parquet: damaged run file: not one row of its own run",
                 id="wrong-row"),
    pytest.param(_garbage_manifest, "manifest.parquet: damaged", id="garbage-manifest"),
]


@pytest.mark.parametrize("damage, expected", DAMAGE)
def test_a_damaged_store_is_diagnosed_in_one_line_and_repair_reruns_it(tmp_path, capsys,
                                                                       monkeypatch, damage,
                                                                       expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(ISHIGAMI)
    reference = run_sweep("s.toml", "ref", Executor("inline")).read()
    run_sweep("s.toml", "out", Executor("inline"))
    damage(tmp_path / "out")
    argv = ["sweep", "s.toml", "--out", "out", "--workers", "1", "--quiet"]
    if damage is not _wrong_row:  # a valid file in the wrong place reads fine on the fast path
        one_line_exit_2(capsys, argv, expected)
    if damage is _wrong_row:
        store = SweepStore(tmp_path / "out")
        assert store.damaged_runs()[0][1] == "not one row of its own run"
    assert cli.main(argv + ["--repair"]) == 0, capsys.readouterr().err
    repaired = SweepStore(tmp_path / "out").read()
    pd.testing.assert_frame_equal(repaired.drop(columns="wall_seconds"),
                                  reference.drop(columns="wall_seconds"))
    assert cli.main(argv) == 0  # and it opens normally afterwards


def test_repair_never_adopts_another_sweeps_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(ISHIGAMI)
    (tmp_path / "t.toml").write_text(ISHIGAMI.replace("[0.5, 1.5]", "[0.5, 2.5]"))
    run_sweep("s.toml", "out", Executor("inline"))
    _truncate_json(tmp_path / "out")
    one_line_exit_2(capsys, ["sweep", "t.toml", "--out", "out", "--repair", "--quiet"],
                    "holds another sweep's manifest")


# ---- class 7: degenerate designs -------------------------------------------------------------

DESIGNS = [
    ('[sweep]\ndesign = "latin"\n[parameters]\n"population.households" = '
     '{ bounds = [10.2, 10.4] }', "rounds to the single value 10"),
    ('[sweep]\ndesign = "latin"\n[parameters]\n"population.households" = '
     '{ bounds = [9.6, 10.4] }', "rounds to the single value 10"),
    ('[sweep]\ndesign = "grid"\n[parameters]\n"meta.seed" = { levels = [1, 2] }',
     "parameters.meta.seed: every run's seed overrides meta.seed"),
    ('[sweep]\ndesign = "sobol"\nsamples = 4\n[parameters]\n"meta.days" = { bounds = [7, 14] }',
     "sweep.samples: a sobol design needs at least 8 base samples, got 4"),
    ('[sweep]\ndesign = "morris"\nsamples = 1\n[parameters]\n"meta.days" = '
     '{ bounds = [7, 14] }', "sweep.samples: a morris design needs at least 2 trajectories"),
    ('[sweep]\ndesign = "latin"\nsamples = 1000000\nreplicates = 100000\n[parameters]\n'
     '"meta.days" = { bounds = [7, 14] }', "the design has 100,000,000,000 runs; at most "
     "1,000,000"),
    ('[sweep]\nreplicates = 1000000\n[parameters]\n"meta.days" = { levels = [7] }',
     "sweep.replicates: must be at most 100000"),
]


@pytest.mark.parametrize("body, expected", DESIGNS)
def test_degenerate_or_oversized_designs_are_refused(tmp_path, body, expected):
    path = tmp_path / "s.toml"
    path.write_text(body)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert expected in str(info.value)


def test_a_grid_of_ten_to_the_ten_points_is_refused_before_it_is_built(tmp_path, capsys):
    levels = "{ levels = [" + ", ".join(str(0.01 * i) for i in range(10)) + "] }"
    paths = ["choice.logit_scale", "choice.taste_sd_household", "market.word_of_mouth_per_year",
             "market.initial_awareness_share", "company.discount_rate_per_year",
             "company.wholesale_price_per_kwh", "company.loss_share",
             "company.capacity_cost_per_kw_year", "company.deferral_cost_per_kw_year",
             "tariff.export_price_per_kwh"]
    body = '[sweep]\ndesign = "grid"\n[parameters]\n' + "".join(
        f'"{p}" = {levels}\n' for p in paths)
    (tmp_path / "s.toml").write_text(body)
    start = time.perf_counter()
    one_line_exit_2(capsys, ["sweep", str(tmp_path / "s.toml")],
                    "sweep: the design has 10,000,000,000 runs")
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("body, warning", [
    ('[sweep]\ndesign = "sobol"\nsamples = 16\n[parameters]\n"meta.days" = { bounds = [7, 14] }',
     "sweep.samples: 16 base samples give wide intervals"),
    ('[sweep]\ndesign = "morris"\nsamples = 4\n[parameters]\n"meta.days" = { bounds = [7, 14] }',
     "sweep.samples: 4 trajectories give wide intervals"),
    ('[sweep]\ndesign = "grid"\n[parameters]\n"meta.days" = { levels = [7] }',
     "design: one point, so no parameter varies"),
    ('[sweep]\ndesign = "latin"\n[parameters]\n"meta.days" = { bounds = [7, 8] }',
     "parameters.meta.days: an integer over only 2 values"),
])
def test_weak_designs_are_warned_about(tmp_path, body, warning):
    path = tmp_path / "s.toml"
    path.write_text(body)
    assert warning in "\n".join(load_sweep(path).warnings())


# ---- class 8: the view picks only from its list ---------------------------------------------

def test_the_picker_offers_only_packaged_names_the_folder_and_the_start(tmp_path):
    (tmp_path / "mine.toml").write_text('extends = "baseline"\n[meta]\ndescription = "Mine"\n')
    (tmp_path / "broken.toml").write_text("not toml [")
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "notes.txt").write_text("x")
    entries = catalogue.catalogue("baseline", str(tmp_path))
    assert "mine" in entries and entries["mine"] == (str(tmp_path / "mine.toml"), "Mine")
    assert not {"broken", "fifo", "notes"} & set(entries)
    assert set(entries) - {"mine"} == set(scenario_module.packaged_scenarios())
    assert "mine" not in catalogue.catalogue("baseline", "")


PICKS = ["/etc/passwd", "/root/.ssh/id_rsa", "/dev/zero", "../../etc/hosts.toml", "x.toml",
         "nosuch", "/proc/self/environ"]


def test_a_crafted_pick_is_ignored_by_the_page(tmp_path, monkeypatch):
    """Set the picker's value as a crafted websocket message would: nothing is loaded."""
    import ipyvuetify as v
    import solara

    from gridvalue.viz import app
    from gridvalue.viz.server import SCENARIO_ENV

    path = tmp_path / "small.toml"
    path.write_text('extends = "baseline"\n' + TINY_TOML)
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    loaded = []
    real_apply = app.apply
    monkeypatch.setattr(app, "apply", lambda ref, o: loaded.append(ref) or real_apply(ref, o))
    box, rc = solara.render(solara.AppLayout(children=[app.Page(session.Session())]),
                            handle_error=False)
    try:
        picker = rc.find(v.Select, label="Scenario").widget
        assert set(picker.items) == set(scenario_module.packaged_scenarios()) | {"small"}
        for picked in PICKS:
            picker.v_model = picked
        time.sleep(0.5)
        assert set(loaded) <= {str(path.resolve())}
        shown = " ".join(" ".join(map(str, w.children)) for w in rc.find(v.Alert).widgets)
        assert not any(p in shown for p in PICKS) and "not found" not in shown
    finally:
        rc.close()


@pytest.mark.parametrize("text, expected", [
    ("[" * 5000 + "]" * 5000, "longer than 64 characters"),
    ("1" * 65, "longer than 64 characters"),
    ("[" * 30 + "]" * 30, "expected a whole number"),
    ("nan", "expected a whole number"),
])
def test_lever_text_is_bounded(text, expected):
    lever = next(b for b in levers_for(load_scenario("baseline"))
                 if b.path == "population.households")
    with pytest.raises(ScenarioError, match=expected):
        parse_text(lever, text)


def test_a_visitors_models_are_capped_in_customer_days():
    big = load_scenario("baseline", {"population.households": 100_000, "meta.days": 3660})
    with pytest.raises(ScenarioError, match="the view runs at most 10,000,000 customer-days"):
        catalogue.check_size(big)
    catalogue.check_size(load_scenario("ee_shared_savings"))  # the packaged cases fit


def test_runs_beyond_the_servers_slots_wait_their_turn():
    slots = threading.BoundedSemaphore(1)
    order, held = [], session.slot(lambda: True, slots)
    with session.slot(lambda: True, slots) as taken:
        assert taken
        waiting = threading.Thread(target=lambda: order.append(held.__enter__()))
        waiting.start()
        time.sleep(0.5)
        assert order == []  # blocked while the slot is held
    waiting.join(timeout=5)
    assert order == [True]
    with session.slot(lambda: False, slots) as taken:  # superseded while waiting: nothing
        assert taken is False
    held.__exit__(None, None, None)
    with session.slot(lambda: False, slots) as taken:
        assert taken is True


# ---- class 9: odd CLI errors ----------------------------------------------------------------

def test_viz_host_and_port_errors_are_one_line(here, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_exit_2(capsys, ["viz", "baseline", "--port", str(port)],
                        f"--port: {port} is already in use on 127.0.0.1")
    one_line_exit_2(capsys, ["viz", "--host", "not a host"], "--host: cannot resolve")
    one_line_exit_2(capsys, ["viz", "--host", "192.0.2.1"], "--host: cannot listen on")
    one_line_exit_2(capsys, ["viz", "--scenarios", "nowhere"], "--scenarios: nowhere is not")


@pytest.mark.parametrize("address", ["not a url", "tcp://", "tcp://host:notaport"])
def test_a_bad_scheduler_address_is_one_line(tmp_path, monkeypatch, capsys, address):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(ISHIGAMI)
    one_line_exit_2(capsys, ["sweep", "s.toml", "--scheduler", address], "--scheduler: ")
    assert tree(tmp_path) == ["s.toml"]


def test_any_os_error_and_memory_error_is_one_line(monkeypatch, capsys):
    def broken(args):
        raise OSError(5, "Input/output error", "some/file")

    monkeypatch.setitem(cli.COMMANDS, "scenarios", broken)
    one_line_exit_2(capsys, ["scenarios"], "some/file: Input/output error")

    def hungry(args):
        raise MemoryError()

    monkeypatch.setitem(cli.COMMANDS, "scenarios", hungry)
    one_line_exit_2(capsys, ["scenarios"], "memory: ran out of memory")


def test_a_new_subcommand_gets_the_error_handling_for_free(monkeypatch, capsys):
    """Subcommands added to COMMANDS run inside main's one handler."""
    def deep(args):
        def down(n):
            return down(n + 1)
        return down(0)

    monkeypatch.setitem(cli.COMMANDS, "scenarios", deep)
    one_line_exit_2(capsys, ["scenarios"], "input: nested too deeply to read")


# ---- fuzz: every input runs or gives one line, exit 2; never a NaN ---------------------------

def _numeric_fields(ref: str) -> list[tuple[str, dict]]:
    scenario = load_scenario(ref)
    rows = parameter_rows(Scenario)
    offered = {f"services.{name}." for name in scenario.services}
    fixed = ("population.households", "population.enterprises", "population.microgrids",
             "meta.days", "meta.seed", "data_platform.history_months")
    fields = []
    for row in rows:
        path = row["parameter"]
        if path in fixed or (path.startswith("services.") and
                             not any(path.startswith(o) for o in offered)):
            continue
        if isinstance(row["default"], int | float) and not isinstance(row["default"], bool) \
                and " to " in row["range"]:
            fields.append((path, row))
    return fields


FUZZ_SCENARIOS = ("baseline", "ee_shared_savings", "pv_investment", "equipment_services",
                  "microgrid_services", "price_packages", "battery_peak_shaving",
                  "cpp_events", "realtime_pricing")
FIELDS = {ref: _numeric_fields(ref) for ref in FUZZ_SCENARIOS}
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def _bounds(row: dict) -> tuple[float, float]:
    text = row["range"].replace(">", "")
    low, high = (float(x) for x in text.split(" to "))
    return low, high


@st.composite
def overrides(draw):
    ref = draw(st.sampled_from(FUZZ_SCENARIOS))
    picks = draw(st.lists(st.sampled_from(FIELDS[ref]), min_size=1, max_size=4,
                          unique_by=lambda f: f[0]))
    sets = []
    for path, row in picks:
        low, high = _bounds(row)
        is_int = isinstance(row["default"], int)
        value = draw(st.one_of(
            st.sampled_from([low, high, row["default"]]),
            st.floats(low, high, allow_nan=False),
            st.sampled_from([high * 10 + 1, low - 1, float("inf"), float("nan"), -1e308])))
        if is_int and np.isfinite(value):
            value = int(round(value))
        text = {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value))
        sets.append(f"{path}={'nan' if value != value else text}")
    if draw(st.integers(0, 4)) == 0:  # now and then a malformed or unknown override too
        section = draw(st.sampled_from(["meta", "population", "tariff", "x"]))
        sets.append(f"{section}.{draw(TEXT)}={draw(TEXT)}")
    return ref, sets


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=overrides())
def test_fuzz_scenario_values_run_or_fail_in_one_line(tmp_path_factory, case):
    ref, sets = case
    out = tmp_path_factory.mktemp("fuzz") / "out"
    argv = ["run", ref, "--out", str(out), "--quiet",
            "--set", "population.households=25", "--set", "population.enterprises=6",
            "--set", "population.microgrids=1", "--set", "meta.days=35"]
    for s in sets:
        argv += ["--set", s]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = cli.main(argv)
    text = err.getvalue()
    assert rc in (0, 2), (argv, text)
    if rc == 2:
        assert text.startswith("gridvalue: error: ") and text.count("\n") == 1, text
        assert not out.exists()
    else:
        summary = json.loads((out / "meta.json").read_text())["summary"]
        numbers = [v for v in summary.values() if isinstance(v, int | float)]
        assert np.isfinite(numbers).all(), (argv, summary)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(TEXT, st.builds(lambda k, v: f"{k}={v}", TEXT, TEXT),
                      st.builds(lambda k, v: f"population.{k}={v}",
                                st.sampled_from(["households", "household_kwh_median",
                                                 "sector_shares", "x"]), TEXT)))
def test_fuzz_set_strings_load_or_fail_in_one_line(text):
    """Through the command: the scenario loads (the run is stopped right after) or the
    command prints one line and exits 2."""
    def loaded(scenario, processes=1):
        raise ScenarioError("fuzz", "loaded")

    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.setattr(limits, "check_run", loaded)
        rc = cli.main(["run", "baseline", "--set", text, "--quiet"])
    message = err.getvalue()
    assert rc == 2 and message.startswith("gridvalue: error: ") and message.count("\n") == 1
