"""Reading scenario files: the packaged scenarios, `extends` chains, `--set` overrides and
the input limits (size, nesting, chain length). It knows TOML and files, not the schema:
`simulation/scenario.py` builds and validates the sections from the raw dict it returns.
"""

import copy
import os
import stat
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from gridvalue.simulation.schema import ScenarioError

# The packaged scenarios: package data under the `gridvalue` root (installed with
# gridvalue.experiments), found without importing that higher layer.
SCENARIO_FOLDER = ("experiments", "scenarios")


def packaged_scenarios() -> dict[str, Path]:
    """Packaged scenario names and their files."""
    folder = resources.files("gridvalue").joinpath(*SCENARIO_FOLDER)
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def _locate(ref: str, relative_to: Path | None) -> Path:
    if ref.endswith(".toml") or "/" in ref:
        path = Path(ref)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path
    packaged = packaged_scenarios()
    if ref not in packaged:
        raise ScenarioError("scenario", f"no packaged scenario named {ref!r} "
                            f"(packaged: {', '.join(sorted(packaged))}); give a .toml path")
    return packaged[ref]


# Input limits: a scenario or sweep file is small, shallow TOML (the packaged ones are under
# 4 kB and 4 levels deep).
MAX_FILE_BYTES = 1_000_000
MAX_NESTING = 16  # tables and arrays inside each other
MAX_EXTENDS = 16  # files in an `extends` chain
MAX_OVERRIDE_CHARS = 10_000


def _nesting(value: Any) -> int:
    """How deeply tables and lists nest in `value` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _parse_toml(text: str, where: str) -> dict:
    """tomllib.loads with the nesting limit; ScenarioError naming `where`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(where, f"malformed TOML: {exc}") from None
    except RecursionError:
        data = None
    if data is None or _nesting(data) > MAX_NESTING:
        raise ScenarioError(where, f"nested more than {MAX_NESTING} tables or arrays deep")
    return data


def _read_toml(path: Path) -> dict:
    """A scenario or sweep file: a regular file of at most MAX_FILE_BYTES, UTF-8 TOML."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not block the open
    except FileNotFoundError:
        raise ScenarioError(str(path), "file not found") from None
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ScenarioError(str(path), f"cannot read file: {kind}")
        raise ScenarioError(str(path), f"file is {info.st_size:,} bytes; at most "
                            f"{MAX_FILE_BYTES:,}")
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ScenarioError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(str(path), f"file is over {MAX_FILE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), f"cannot read file: {exc}") from None
    return _parse_toml(text, str(path))


def _merge(base: dict, child: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve_raw(ref: str, relative_to: Path | None, chain: tuple[str, ...]) -> dict:
    if len(chain) >= MAX_EXTENDS:
        raise ScenarioError("extends", f"a chain of more than {MAX_EXTENDS} files")
    located = _locate(ref, relative_to)
    try:
        path = located.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL
        raise ScenarioError("scenario", f"cannot resolve {ref!r}: {exc}") from None
    if str(path) in chain:
        raise ScenarioError("extends", f"circular inheritance through {path.name}")
    raw = _read_toml(path)
    raw.setdefault("meta", {})
    if isinstance(raw["meta"], dict):
        raw["meta"].setdefault("name", path.stem)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError("extends", f"expected a scenario name or path, got {parent!r}")
    base = _resolve_raw(parent, path.parent, chain + (str(path),))
    base.get("meta", {}).pop("description", None)  # a child describes itself
    return _merge(base, raw)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse `section.field=value` (the value in TOML syntax, or a bare string)."""
    key, sep, value_text = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError("--set", f"expected section.field=value, got {text!r}")
    if len(text) > MAX_OVERRIDE_CHARS:
        raise ScenarioError("--set", f"longer than {MAX_OVERRIDE_CHARS:,} characters")
    parts = key.split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f"--set {key}", "expected a dotted path section.field")
    if len(parts) > MAX_NESTING:
        raise ScenarioError(f"--set {key[:60]}", f"more than {MAX_NESTING} parts")
    try:
        value = _parse_toml(f"v = {value_text.strip()}", f"--set {key}")["v"]
    except ScenarioError as exc:
        if "nested" in exc.problem:
            raise
        value = value_text.strip()
    return parts, value


def apply_overrides(raw: dict, overrides: list[str] | dict[str, Any]) -> dict:
    """Set each dotted path in the raw scenario dict (validated later, with the rest)."""
    raw = copy.deepcopy(raw)
    items = ([parse_override(o) for o in overrides] if isinstance(overrides, list)
             else [(k.split("."), v) for k, v in overrides.items()])
    for parts, value in items:
        if len(parts) + _nesting(value) > MAX_NESTING:
            raise ScenarioError(".".join(parts)[:80], f"nested more than {MAX_NESTING} tables "
                                "or arrays deep")
        node = raw
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise ScenarioError(where, f"is a value, not a table; cannot set {'.'.join(parts)}")
            node = child
        node[parts[-1]] = value
    return raw
