"""PV hosting capacity: the PV kW a feeder takes before a limit binds.

PV (at unity power factor) is added on one feeder at a time, spread over its connection
points by `weights`, on top of a base case (the least-loaded solved interval of a run, or a
published grid's base case scaled down). The hosting capacity is the largest total that
keeps every bus at or below the upper voltage limit, every line and transformer at or below
its loading limit, and the power flow converging; all feeders are searched together in one
batch per step (doubling, then bisection to `rel_tol`).
"""

import numpy as np
import pandas as pd

from gridvalue.simulation.grids import Grid
from gridvalue.simulation.powerflow import AcPowerFlow


def feeders_of(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Feeder of each bus and of each branch of a radial-ish published grid: walking down
    from the first source, the branches leaving the first bus where the network splits each
    start a feeder (buses above it get -1). Loops are cut where a bus is reached twice."""
    frm, to = grid.branch_from, grid.branch_to
    adj: dict[int, list[int]] = {}
    for b in range(grid.n_branch):
        adj.setdefault(int(frm[b]), []).append(b)
        adj.setdefault(int(to[b]), []).append(b)
    root = int(grid.source_bus[0])
    parent = {root: -1}
    children: dict[int, list[tuple[int, int]]] = {}
    stack = [root]
    while stack:
        bus = stack.pop()
        for b in adj.get(bus, []):
            other = int(to[b]) if int(frm[b]) == bus else int(frm[b])
            if other in parent:
                continue
            parent[other] = bus
            children.setdefault(bus, []).append((b, other))
            stack.append(other)
    head = root
    while len(children.get(head, [])) == 1:
        head = children[head][0][1]
    bus_feeder = np.full(grid.n_bus, -1)
    branch_feeder = np.full(grid.n_branch, -1)
    for f, (b, first) in enumerate(sorted(children.get(head, []))):
        branch_feeder[b] = f
        stack = [first]
        while stack:
            bus = stack.pop()
            bus_feeder[bus] = f
            for b2, child in children.get(bus, []):
                branch_feeder[b2] = f
                stack.append(child)
    return bus_feeder, branch_feeder


def _violations(res, vmax: float, loading_max: float) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    over_v = np.nan_to_num(res.vm_pu.max(axis=1), nan=np.inf) - vmax
    loading = np.nan_to_num(res.loading, nan=0.0)
    over_l = loading.max(axis=1) - loading_max if loading.shape[1] else np.full(len(over_v),
                                                                                -np.inf)
    return (over_v > 0) | (over_l > 0) | res.failed, over_v, over_l


def hosting_capacity(ac: AcPowerFlow, base_p_kw: np.ndarray, base_q_kvar: np.ndarray,
                     load_feeder: np.ndarray, weights: np.ndarray, vmax_pu: float,
                     loading_max: float, rel_tol: float = 0.01,
                     start_kw: float = 100.0) -> pd.DataFrame:
    """Hosting capacity of each feeder (the values of `load_feeder` >= 0), kW, with the
    limit that binds just above it and where."""
    feeders = np.unique(load_feeder[load_feeder >= 0])
    share = np.zeros((len(feeders), len(load_feeder)))
    for i, f in enumerate(feeders):
        w = np.where(load_feeder == f, weights, 0.0)
        share[i] = w / w.sum() if w.sum() > 0 else (load_feeder == f) / (load_feeder == f).sum()

    def solve(pv_kw: np.ndarray):
        p = base_p_kw[None, :] - pv_kw[:, None] * share
        q = np.repeat(base_q_kvar[None, :], len(pv_kw), axis=0)
        res = ac.solve(p, q, allow_failures=True)
        return res, _violations(res, vmax_pu, loading_max)[0]

    _, at_zero = solve(np.zeros(len(feeders)))
    lo = np.zeros(len(feeders))
    hi = np.full(len(feeders), start_kw)
    for _ in range(40):  # doubling until every feeder is over a limit
        _, bad = solve(hi)
        if bad.all():
            break
        lo = np.where(bad, lo, hi)
        hi = np.where(bad, hi, hi * 2)
    while ((hi - lo) > rel_tol * hi).any():
        mid = (lo + hi) / 2
        _, bad = solve(mid)
        lo, hi = np.where(bad, lo, mid), np.where(bad, mid, hi)
    lo = np.where(at_zero, 0.0, lo)
    res, _ = solve(np.where(at_zero, 0.0, hi))
    _, over_v, over_l = _violations(res, vmax_pu, loading_max)
    g = ac.grid
    labels = g.branch_labels()
    binding, element = [], []
    for k in range(len(feeders)):
        if res.failed[k]:
            binding.append("convergence")
            element.append("")
        elif over_v[k] >= over_l[k]:
            binding.append("voltage")
            element.append(f"bus {g.bus_label[int(np.argmax(res.vm_pu[k]))]}")
        else:
            binding.append("loading")
            element.append(labels[int(np.nanargmax(res.loading[k]))])
    return pd.DataFrame({"feeder": feeders, "hosting_kw": lo, "binding": binding,
                         "element": element, "binding_at_base_case": at_zero})
