"""Typed parameter fields with unit, source and bounds, and the validator that builds them.

Every scenario parameter is declared with `param(...)`, so its unit, source and bounds live
next to its default and the parameter table in the docs is generated from the code.
"""

import dataclasses
import datetime
import math
import typing
from collections.abc import Callable, Mapping
from typing import Any

# The bounds (±) of a number whose param(...) declares none (every packaged one declares its own).
FALLBACK_MAX = 1e12


class ScenarioError(ValueError):
    """Bad scenario input: `field` names where, `problem` says what is wrong."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def param(
    default: Any,
    unit: str,
    source: str,
    doc: str,
    *,
    min: float | None = None,
    max: float | None = None,
    min_exclusive: bool = False,
    choices: tuple | None = None,
) -> Any:
    """A scenario parameter with its default, unit, source, description and bounds."""
    meta = {"unit": unit, "source": source, "doc": doc, "min": min, "max": max,
            "min_exclusive": min_exclusive, "choices": choices}
    return dataclasses.field(default=default, metadata=meta)


def table(cls: type, doc: str) -> Any:
    """A nested table (a dataclass) with its documentation."""
    return dataclasses.field(default_factory=cls, metadata={"doc": doc, "table": True})


def registry_table(registry: "Callable[[], Mapping[str, type]]", doc: str) -> Any:
    """A table of named sub-tables, each validated by the dataclass `registry()[name]`."""
    return dataclasses.field(default_factory=dict,
                             metadata={"doc": doc, "registry": registry})


def dynamic_table(builder: "Callable[[Any, str], Any]", rows: "Callable[[str], list[dict]]",
                  doc: str) -> Any:
    """A table validated by `builder(data, path)`, documented by `rows(path)` (e.g. named
    entries whose fields depend on a value inside them)."""
    return dataclasses.field(default_factory=dict,
                             metadata={"doc": doc, "dynamic": builder, "rows": rows})


class Shares:
    """Mixin for a table of shares: each in 0..1 and all summing to 1."""

    def check_shares(self, path: str) -> None:
        total = sum(getattr(self, f.name) for f in dataclasses.fields(self))
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ScenarioError(path, f"shares must sum to 1, they sum to {total:g}")


def _type_name(value: Any) -> str:
    return type(value).__name__


def _coerce(value: Any, kind: Any, path: str) -> Any:
    """Check `value` against the annotated `kind` and return it in canonical form."""
    if kind is bool:
        if not isinstance(value, bool):
            raise ScenarioError(path, f"expected true or false, got {_type_name(value)} {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(path, f"expected an integer, got {_type_name(value)} {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(path, f"expected a number, got {_type_name(value)} {value!r}")
        if not math.isfinite(value):
            raise ScenarioError(path, f"must be a finite number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise ScenarioError(path, f"expected a string, got {_type_name(value)} {value!r}")
        return value
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, list | tuple):
            raise ScenarioError(path, f"expected a list, got {_type_name(value)} {value!r}")
        item_kind = typing.get_args(kind)[0]
        return tuple(_coerce(v, item_kind, f"{path}[{i}]") for i, v in enumerate(value))
    if kind is datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise ScenarioError(path, f"not a date (expected YYYY-MM-DD): {value!r}") from None
        raise ScenarioError(path, f"not a date (expected YYYY-MM-DD): {value!r}")
    raise TypeError(f"{path}: unsupported parameter type {kind!r}")  # a bug in the schema


def _check_bounds(value: Any, meta: Mapping, path: str) -> None:
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            _check_bounds(item, meta, f"{path}[{i}]")
        return
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ScenarioError(path, f"must be one of {allowed}, got {value!r}")
    low, high = meta.get("min"), meta.get("max")
    if low is None and isinstance(value, int | float) and not isinstance(value, bool):
        low = -FALLBACK_MAX
    if low is not None:
        if meta.get("min_exclusive") and not value > low:
            raise ScenarioError(path, f"must be greater than {_fmt(low)}, got {_show(value)}")
        if value < low:
            raise ScenarioError(path, f"must be at least {_fmt(low)}, got {_show(value)}")
    if high is None and isinstance(value, int | float) and not isinstance(value, bool):
        high = FALLBACK_MAX  # a number declared without a bound still gets one
    if high is not None and value > high:
        raise ScenarioError(path, f"must be at most {_fmt(high)}, got {_show(value)}")


def _fmt(bound: Any) -> str:
    """A bound in a message: floats as %g, dates as YYYY-MM-DD."""
    if isinstance(bound, datetime.date):
        return bound.isoformat()
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else repr(value)


def build(cls: type, data: Any, path: str) -> Any:
    """Validate the mapping `data` against dataclass `cls` and build it (defaults fill gaps)."""
    if not isinstance(data, Mapping):
        raise ScenarioError(path or "scenario", f"expected a table, got {_type_name(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            allowed = ", ".join(fields) or "none yet"
            raise ScenarioError(_join(path, key), f"unknown key (allowed: {allowed})")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, f in fields.items():
        where = _join(path, name)
        if f.metadata.get("table"):
            values[name] = build(hints[name], data.get(name, {}), where)
        elif "registry" in f.metadata:
            values[name] = _build_registry(f.metadata["registry"](), data.get(name, {}), where)
        elif "dynamic" in f.metadata:
            values[name] = f.metadata["dynamic"](data.get(name, {}), where)
        elif name in data:
            value = _coerce(data[name], hints[name], where)
            _check_bounds(value, f.metadata, where)
            values[name] = value
    built = cls(**values)
    if isinstance(built, Shares):
        built.check_shares(path)
    check = getattr(built, "check", None)
    if check is not None:
        check(path)
    return built


def _build_registry(registry: Mapping[str, type], data: Any, path: str) -> dict:
    if not isinstance(data, Mapping):
        raise ScenarioError(path, f"expected a table, got {_type_name(data)}")
    built = {}
    for key, value in data.items():
        if key not in registry:
            raise ScenarioError(_join(path, key),
                                f"unknown name (known: {', '.join(sorted(registry))})")
        built[key] = build(registry[key], value, _join(path, key))
    return built


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def to_dict(obj: Any) -> Any:
    """The dataclass tree as nested plain dicts (dates stay dates, for TOML)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return list(obj)
    return obj


def parameter_rows(cls: type, path: str = "") -> list[dict]:
    """One row per parameter of `cls` (recursively): path, default, unit, source, doc."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        where = _join(path, f.name)
        if f.metadata.get("table"):
            rows.extend(parameter_rows(hints[f.name], where))
            continue
        if "registry" in f.metadata:
            for name, sub_cls in sorted(f.metadata["registry"]().items()):
                rows.extend(parameter_rows(sub_cls, _join(where, name)))
            continue
        if "dynamic" in f.metadata:
            rows.extend(f.metadata["rows"](where))
            continue
        rows.append({"parameter": where, "default": f.default, "unit": f.metadata.get("unit"),
                     "range": value_range(f.metadata), "source": f.metadata.get("source"),
                     "description": f.metadata.get("doc")})
    return rows


def value_range(meta: Mapping) -> str:
    """The accepted values of a parameter as text: `0 to 1`, `>0 to 100`, `one of: a, b`."""
    if meta.get("choices") is not None:
        return "one of: " + ", ".join(str(c) for c in meta["choices"])
    low, high = meta.get("min"), meta.get("max")
    if low is None and high is None:
        return "-"
    lo = "" if low is None else (">" if meta.get("min_exclusive") else "") + _fmt(low)
    hi = "" if high is None else _fmt(high)
    return f"{lo} to {hi}".strip() if lo else f"at most {hi}"
