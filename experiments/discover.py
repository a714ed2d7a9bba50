"""Scenario discovery: the boxes of a sweep's parameter space where an output is below (or
above) a threshold, found with PRIM (Friedman & Fisher 1999, as used for scenario discovery
by Bryant & Lempert 2010).

PRIM comes from the standalone `prim` package (D. Hadka's port of EMA Workbench's PRIM):
EMA Workbench 3.0.0 requires Python >= 3.12 and this project runs on 3.11.

Each box is chosen on PRIM's peeling trajectory as the one of highest coverage whose density
is at least `min_density` (the densest one if none reaches it), then its runs are removed
and PRIM looks for the next box; it stops at a box of fewer than two cases or no denser than
the runs left. Coverage: share of all cases of interest inside the box;
density: share of the runs inside the box that are cases of interest; mass: share of all
runs inside it.
"""

import json
import math

import numpy as np
import pandas as pd

from gridvalue.simulation.schema import ScenarioError

MIN_RUNS = 10
MIN_CASES = 2  # a box of one case says nothing


def prim_boxes(x: pd.DataFrame, hit: np.ndarray, min_density: float = 0.8,
               max_boxes: int = 3, peel_alpha: float = 0.05,
               mass_min: float = 0.05) -> list[dict]:
    """PRIM boxes of the rows of `x` (parameters by column) where `hit` is true."""
    import prim
    from prim.scenario_discovery_util import determine_restricted_dims

    hit = np.asarray(hit, dtype=bool)
    if not hit.any():
        return []
    columns = list(x.columns)
    frame = x.reset_index(drop=True).copy()
    for name in columns:  # PRIM peels floats, integers (discrete) and objects (categories)
        if frame[name].dtype == bool or frame[name].dtype.kind in "OUS":
            frame[name] = frame[name].astype(str).astype(object)
    algorithm = prim.Prim(frame, hit, peel_alpha=peel_alpha, paste_alpha=peel_alpha,
                          mass_min=mass_min)
    total_hits = int(hit.sum())
    boxes = []
    for _ in range(max_boxes):
        remaining = algorithm.yi_remaining
        base_share = hit[remaining].mean() if len(remaining) else 0.0
        box = algorithm.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory.reset_index(drop=True)
        dense = trajectory[trajectory["density"] >= min_density]
        i = int(dense["coverage"].idxmax()) if len(dense) else \
            int(trajectory["density"].idxmax())
        box.select(i)
        limits_rec = box._box_lims[i]
        restricted = determine_restricted_dims(limits_rec, algorithm._box_init)
        limits = {}
        for name in columns:
            if name not in restricted:
                continue
            values = limits_rec[name]
            if frame[name].dtype == object:
                limits[name] = sorted(str(v) for v in values[0])
            else:
                limits[name] = [float(values[0]), float(values[1])]
        cases = int(hit[box.yi].sum())
        if cases < MIN_CASES or cases / max(len(box.yi), 1) <= base_share:
            break  # no lift over the runs left: not a box worth reporting
        boxes.append({"box": len(boxes) + 1, "coverage": cases / total_hits,
                      "density": cases / max(len(box.yi), 1),
                      "mass": len(box.yi) / len(frame), "runs": len(box.yi), "cases": cases,
                      "limits": limits})
        algorithm._update_yi_remaining()
        if algorithm.determine_coi(algorithm.yi_remaining) < MIN_CASES:
            break
    return boxes


def discover_store(store, output: str, below: float | None = None,
                   above: float | None = None, min_density: float = 0.8,
                   max_boxes: int = 3) -> dict:
    """Boxes where a sweep's `output` is below / above a threshold, over its parameters."""
    if output not in store.info["outputs"]:
        raise ScenarioError("--output", f"{output!r} is not an output of this sweep (its "
                            f"outputs: {', '.join(store.info['outputs'])})")
    frame = store.read(failed=False)
    params = [p["path"] for p in store.info["parameters"]]
    if len(frame) < MIN_RUNS:
        raise ScenarioError("sweep", f"{len(frame)} finished runs; PRIM needs at least "
                            f"{MIN_RUNS} (run the sweep first)")
    values = frame[output].to_numpy(dtype=float)
    hit = values < below if below is not None else values > above
    condition = f"{output} < {below:,g}" if below is not None else f"{output} > {above:,g}"
    boxes = prim_boxes(frame[params], hit, min_density, max_boxes)
    return {"sweep": store.info["name"], "condition": condition, "runs": len(frame),
            "cases": int(hit.sum()), "share": float(hit.mean()), "min_density": min_density,
            "parameters": {p["path"]: (p["levels"] or p["bounds"])
                           for p in store.info["parameters"]},
            "boxes": boxes}


def _value(v: float) -> str:
    if v == int(v) and abs(v) >= 10:
        return f"{v:,.0f}"
    return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"


def format_result(result: dict) -> str:
    """The boxes as text: one block per box, its limits one per line."""
    lines = [f"{result['sweep']}: {result['cases']:,} of {result['runs']:,} runs "
             f"({100 * result['share']:.1f} %) have {result['condition']}"]
    if not result["boxes"]:
        lines.append("no box: no run meets the condition")
    for box in result["boxes"]:
        lines.append(f"box {box['box']}: coverage {100 * box['coverage']:.1f} %, density "
                     f"{100 * box['density']:.1f} %, mass {100 * box['mass']:.1f} % "
                     f"({box['cases']:,} of its {box['runs']:,} runs)")
        if not box["limits"]:
            lines.append("  (no parameter restricted: the whole space)")
        for name, limit in box["limits"].items():
            whole = result["parameters"].get(name)
            if isinstance(limit[0], str):
                lines.append(f"  {name} in {{{', '.join(limit)}}}")
            else:
                span = f" of [{_value(whole[0])}, {_value(whole[1])}]" if whole and \
                    not isinstance(whole[0], str) else ""
                span = f" of [{_value(min(whole))}, {_value(max(whole))}]" if whole and \
                    len(whole) > 2 and not isinstance(whole[0], str) else span
                lines.append(f"  {_value(limit[0])} <= {name} <= {_value(limit[1])}{span}")
    return "\n".join(lines)


def to_json(result: dict) -> str:
    def clean(v):
        return None if isinstance(v, float) and math.isnan(v) else v

    return json.dumps(result, indent=2, default=clean)
