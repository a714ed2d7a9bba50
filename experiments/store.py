"""The results store of a sweep: one Parquet file per run, written atomically, and a manifest.

    OUT/sweep.json         the sweep's hash, parameters, outputs and a log of its sessions
    OUT/sweep.toml         the sweep file as given
    OUT/manifest.parquet   every planned run: run, point, replicate, seed, parameter values
    OUT/runs/r000123.parquet   one row per finished run: the manifest's columns, the outputs,
                           status ("ok" or "failed"), error, wall_seconds

A run's file is written to a hidden temporary name, flushed to disk and renamed, so a file is
either whole or absent. Re-opening the same sweep resumes it: runs whose file says "ok" are
skipped, failed and missing ones run again and overwrite their own file (never a second row).
Read the results with `SweepStore.read()` (pandas) or `SweepStore.duckdb()` (DuckDB over
`runs/*.parquet`).
"""

import datetime
import json
import os
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

import gridvalue
from gridvalue.experiments.atomic import atomic_folder
from gridvalue.simulation.files import write_atomic
from gridvalue.simulation.schema import ScenarioError

ARROW_TYPES = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}


REPAIR_HINT = "run the same command with --repair to rebuild it and re-run damaged runs"
RUN_FILE = re.compile(r"^r(\d{6,})\.parquet$")


def _read_info(marker: Path) -> dict:
    """sweep.json, or ScenarioError naming the file: a one-line diagnosis of the damage."""
    try:
        info = json.loads(marker.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problem = f"damaged ({type(exc).__name__}: {exc})"
        raise ScenarioError(str(marker), f"{problem[:200]}; {REPAIR_HINT}") from None
    needed = ("hash", "name", "runs", "columns", "sessions")
    if not isinstance(info, dict) or any(k not in info for k in needed):
        raise ScenarioError(str(marker), f"damaged (not a sweep's record); {REPAIR_HINT}")
    try:
        [(str(n), ARROW_TYPES[k]) for n, k in info["columns"]]
    except (KeyError, TypeError, ValueError):
        raise ScenarioError(str(marker), f"damaged (bad columns); {REPAIR_HINT}") from None
    return info


class SweepStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.info = _read_info(self.root / "sweep.json")
        self.schema = pa.schema([(name, ARROW_TYPES[kind]) for name, kind in
                                 self.info["columns"]])
        self._plan = None

    # ---- opening ------------------------------------------------------------------------
    @staticmethod
    def check(root: Path, sweep, resume: bool = False, repair: bool = False) -> bool:
        """Whether `root` holds this sweep already (False: it can be created there); raises
        ScenarioError for another sweep, a folder holding anything else, a missing sweep to
        `resume`, or a damaged sweep.json (unless `repair`)."""
        root = Path(root)
        marker = root / "sweep.json"
        if marker.exists() or (repair and (root / "manifest.parquet").exists()):
            try:
                info = _read_info(marker)
            except ScenarioError:
                if not repair:
                    raise
                SweepStore._check_manifest(root, sweep)
                return True
            if info["hash"] != sweep.hash():
                raise ScenarioError("--out", f"{root} holds a different sweep "
                                    f"({info['name']}, hash {info['hash'][:12]}); give another "
                                    "--out or remove it")
            return True
        if resume:
            raise ScenarioError("--resume", f"no sweep to resume in {root}")
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ScenarioError("--out", f"{root} already exists and is not a sweep folder")
        return False

    @classmethod
    def open(cls, root: Path, sweep, resume: bool = False, repair: bool = False) -> "SweepStore":
        """The store of `sweep` at `root`: resumed when it holds the same sweep, created
        (atomically) when absent; a folder holding anything else is refused. A damaged
        store is refused with a one-line diagnosis, or with `repair` its sweep.json and
        manifest are rewritten from `sweep` and its damaged run files set aside (as hidden
        `.rNNNNNN.parquet.damaged`, so they run again)."""
        if not cls.check(root, sweep, resume, repair):
            cls._create(Path(root), sweep)
        elif repair:
            cls._repair(Path(root), sweep)
        store = cls(root)
        store._clean_temporaries()
        store._check_runs(repair)
        return store

    @staticmethod
    def _check_manifest(root: Path, sweep) -> None:
        """A readable manifest must be this sweep's (repair never adopts another's runs)."""
        import pandas as pd

        try:
            stored = pd.read_parquet(root / "manifest.parquet")
        except Exception:  # noqa: BLE001 - unreadable: rewritten by the repair
            return
        planned = sweep.manifest()
        if not (stored.shape == planned.shape and list(stored.columns) == list(planned.columns)
                and stored.equals(planned)):
            raise ScenarioError("--out", f"{root} holds another sweep's manifest; give another "
                                "--out or remove it")

    @classmethod
    def _repair(cls, root: Path, sweep) -> None:
        cls._check_manifest(root, sweep)
        info = cls._info(sweep)
        try:
            info["sessions"] = _read_info(root / "sweep.json")["sessions"]
        except ScenarioError:
            pass
        (root / "runs").mkdir(exist_ok=True)
        manifest = sweep.manifest()
        write_atomic(root / "manifest.parquet",
                      lambda f: manifest.to_parquet(f, index=False))
        if not (root / "sweep.toml").is_file():
            shutil.copyfile(sweep.source, root / "sweep.toml")
        text = (json.dumps(info, indent=2, default=str) + "\n").encode()
        write_atomic(root / "sweep.json", lambda f: f.write(text))

    def _check_runs(self, repair: bool) -> None:
        """Diagnose damaged run files in one line, or (`repair`) set them aside."""
        try:
            self.manifest()
        except Exception as exc:  # noqa: BLE001 - any unreadable manifest
            raise ScenarioError(str(self.root / "manifest.parquet"),
                                f"damaged ({type(exc).__name__}); {REPAIR_HINT}") from None
        try:
            self._dataset().to_table(columns=["run", "status"])
            return  # the fast path: every file reads with the sweep's schema
        except Exception:  # noqa: BLE001 - find which files are damaged
            pass
        damaged = self.damaged_runs()
        if not damaged:
            return
        if not repair:
            path, reason = damaged[0]
            more = f" ({len(damaged)} damaged files in all)" if len(damaged) > 1 else ""
            raise ScenarioError(str(path), f"damaged run file: {reason}{more}; {REPAIR_HINT}")
        for path, _ in damaged:
            os.replace(path, path.parent / f".{path.name}.damaged")

    def damaged_runs(self) -> list[tuple[Path, str]]:
        """Files in runs/ that are not a whole run file of this sweep, with the reason."""
        damaged = []
        runs = self.info["runs"]
        for path in sorted(self.runs_dir.iterdir()):
            if path.name.startswith((".", "_")):
                continue  # hidden: temporaries and set-aside files (the dataset skips them)
            match = RUN_FILE.match(path.name)
            if not match or not path.is_file() or int(match.group(1)) >= runs:
                damaged.append((path, "not a run file of this sweep"))
                continue
            try:
                table = pq.read_table(path)
                rows = table.cast(self.schema).to_pylist()
            except Exception as exc:  # noqa: BLE001 - unreadable, truncated, wrong columns
                damaged.append((path, f"{type(exc).__name__}: {str(exc)[:120]}"))
                continue
            if len(rows) != 1 or rows[0]["run"] != int(match.group(1)) or \
                    rows[0]["status"] not in ("ok", "failed"):
                damaged.append((path, "not one row of its own run"))
        return damaged

    @staticmethod
    def _info(sweep) -> dict:
        manifest = sweep.manifest()
        param_kinds = [(p.path, p.kind.__name__) for p in sweep.parameters]
        columns = ([("run", "int"), ("point", "int"), ("replicate", "int"), ("seed", "int")]
                   + param_kinds + [(o, "float") for o in sweep.outputs]
                   + [("status", "str"), ("error", "str"), ("wall_seconds", "float")])
        info = {
            "name": sweep.meta.name, "hash": sweep.hash(), "source": sweep.source,
            "model": sweep.meta.model, "design": sweep.meta.design,
            "replicates": sweep.meta.replicates, "seed": sweep.meta.seed,
            "points": int(manifest["point"].nunique()), "runs": len(manifest),
            "parameters": [{"path": p.path, "kind": p.kind.__name__, "levels": list(p.levels),
                            "bounds": list(p.bounds) if p.bounds else None}
                           for p in sweep.parameters],
            "outputs": list(sweep.outputs), "columns": columns, "problem": sweep.problem()
            if sweep.meta.design in ("sobol", "morris") else None,
            "morris_levels": sweep.meta.morris_levels,
            "gridvalue_version": gridvalue.__version__,
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "sessions": [],
        }
        return info

    @classmethod
    def _create(cls, root: Path, sweep) -> None:
        manifest = sweep.manifest()
        info = cls._info(sweep)
        with atomic_folder(root) as tmp:
            (tmp / "runs").mkdir()
            manifest.to_parquet(tmp / "manifest.parquet", index=False)
            shutil.copyfile(sweep.source, tmp / "sweep.toml")
            (tmp / "sweep.json").write_text(json.dumps(info, indent=2, default=str) + "\n")

    def _clean_temporaries(self) -> None:
        for tmp in self.runs_dir.glob(".*.tmp-*"):
            tmp.unlink(missing_ok=True)

    # ---- writing ------------------------------------------------------------------------
    def manifest(self):
        import pandas as pd

        if self._plan is None:
            self._plan = pd.read_parquet(self.root / "manifest.parquet")
        return self._plan

    def path_of(self, run: int) -> Path:
        return self.runs_dir / f"r{run:06d}.parquet"

    def write(self, result: dict) -> Path:
        """Store one run's result row (its manifest columns added), atomically."""
        plan = self.manifest()
        row = plan.iloc[int(result["run"])].to_dict() | result
        table = pa.Table.from_pylist([{name: row.get(name) for name in self.schema.names}],
                                     schema=self.schema)
        path = self.path_of(int(result["run"]))
        write_atomic(path, lambda f: pq.write_table(table, f))
        return path

    def log_session(self, started: datetime.datetime, executor: str, ok: int,
                    failed: int) -> None:
        """Append this session to sweep.json (atomically)."""
        self.info["sessions"].append({
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "executor": executor, "runs_ok_total": ok, "runs_failed_this_session": failed})
        text = (json.dumps(self.info, indent=2, default=str) + "\n").encode()
        write_atomic(self.root / "sweep.json", lambda f: f.write(text))

    # ---- reading ------------------------------------------------------------------------
    def _dataset(self) -> ds.Dataset:
        return ds.dataset(self.runs_dir, format="parquet", schema=self.schema)

    def finished_runs(self) -> set[int]:
        """Runs whose stored result is ok."""
        table = self._dataset().to_table(columns=["run", "status"],
                                         filter=ds.field("status") == "ok")
        return set(table.column("run").to_pylist())

    def read(self, failed: bool = True):
        """Every stored run as one pandas DataFrame, sorted by run (failed runs too unless
        `failed=False`)."""
        frame = self._dataset().to_table().to_pandas()
        if not failed:
            frame = frame[frame["status"] == "ok"]
        return frame.sort_values("run", ignore_index=True)

    def duckdb(self, connection=None):
        """A DuckDB relation over runs/*.parquet (`.df()`, `.filter(...)`, SQL via
        `duckdb.sql("select ... from rel")`); columns named by dotted path need "quotes"."""
        import duckdb

        con = connection or duckdb.connect()
        return con.read_parquet(str(self.runs_dir / "*.parquet"))

    def status(self) -> dict:
        frame = self._dataset().to_table(columns=["status"]).to_pandas()
        ok = int((frame["status"] == "ok").sum())
        failed = int((frame["status"] != "ok").sum())
        return {"runs": self.info["runs"], "ok": ok, "failed": failed,
                "missing": self.info["runs"] - ok - failed}
