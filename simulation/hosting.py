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
    """Feeder of each bus and of each branch: walking down from each source, the branches
    leaving the first bus where the network splits each start a feeder (buses above it get
    -1). Loops are cut where a bus is reached twice; a network with several sources (such as
    lv_schutterwald's 14 LV networks) numbers the feeders of each in turn."""
    frm, to = grid.branch_from, grid.branch_to
    adj: dict[int, list[int]] = {}
    for b in range(grid.n_branch):
        adj.setdefault(int(frm[b]), []).append(b)
        adj.setdefault(int(to[b]), []).append(b)
    bus_feeder = np.full(grid.n_bus, -1)
    branch_feeder = np.full(grid.n_branch, -1)
    seen: set[int] = set()
    next_feeder = 0
    for root in (int(b) for b in grid.source_bus):
        if root in seen:
            continue
        seen.add(root)
        children: dict[int, list[tuple[int, int]]] = {}
        stack = [root]
        while stack:
            bus = stack.pop()
            for b in adj.get(bus, []):
                other = int(to[b]) if int(frm[b]) == bus else int(frm[b])
                if other in seen:
                    continue
                seen.add(other)
                children.setdefault(bus, []).append((b, other))
                stack.append(other)
        head = root
        while len(children.get(head, [])) == 1:
            head = children[head][0][1]
        for b, first in sorted(children.get(head, [])):
            branch_feeder[b] = next_feeder
            stack = [first]
            while stack:
                bus = stack.pop()
                bus_feeder[bus] = next_feeder
                for b2, child in children.get(bus, []):
                    branch_feeder[b2] = next_feeder
                    stack.append(child)
            next_feeder += 1
    return bus_feeder, branch_feeder


def _per_feeder_max(values: np.ndarray, feeder: np.ndarray, n: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Per feeder 0..n-1: the largest of `values` (NaN skipped) and where it is."""
    best = np.full(n, -np.inf)
    where = np.full(n, -1)
    ok = (feeder >= 0) & np.isfinite(values)
    order = np.flatnonzero(ok)[np.argsort(values[ok], kind="stable")]
    best[feeder[order]] = values[order]  # the last write per feeder is its largest
    where[feeder[order]] = order
    return best, where


def hosting_capacity(ac: AcPowerFlow, base_p_kw: np.ndarray, base_q_kvar: np.ndarray,
                     load_feeder: np.ndarray, weights: np.ndarray, vmax_pu: float,
                     loading_max: float, rel_tol: float = 0.01, start_kw: float = 100.0,
                     independent: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Hosting capacity of each feeder (the values of `load_feeder` >= 0), kW, with the
    limit that binds just above it and where.

    Feeders are tried one at a time (one batch scenario each). With `independent` = (feeder
    of each bus, feeder of each branch), feeders that share nothing but an ideal source (the
    synthetic network) are tried all together in one scenario, each judged on its own buses
    and branches."""
    feeders = np.unique(load_feeder[load_feeder >= 0])
    n_f = len(feeders)
    share = np.zeros((n_f, len(load_feeder)))
    for i, f in enumerate(feeders):
        w = np.where(load_feeder == f, weights, 0.0)
        share[i] = w / w.sum() if w.sum() > 0 else (load_feeder == f) / (load_feeder == f).sum()
    g = ac.grid

    def evaluate(pv_kw: np.ndarray):
        """Per feeder: over a limit?, voltage and loading excess, worst bus and branch."""
        if independent is not None:
            p = base_p_kw[None, :] - (pv_kw[:, None] * share).sum(axis=0)[None, :]
            res = ac.solve(p, base_q_kvar[None, :], allow_failures=True)
            bus_f = np.where(independent[0] >= 0, np.searchsorted(feeders, independent[0]), -1)
            br_f = np.where(independent[1] >= 0, np.searchsorted(feeders, independent[1]), -1)
            vmax, vbus = _per_feeder_max(res.vm_pu[0], bus_f, n_f)
            lmax, lbr = _per_feeder_max(res.loading[0], br_f, n_f)
            failed = np.full(n_f, bool(res.failed[0]))
        else:
            p = base_p_kw[None, :] - pv_kw[:, None] * share
            res = ac.solve(p, np.repeat(base_q_kvar[None, :], n_f, axis=0), allow_failures=True)
            vmax, vbus = res.vm_pu.max(axis=1), res.vm_pu.argmax(axis=1)
            loading = np.nan_to_num(res.loading, nan=-np.inf)
            lmax = loading.max(axis=1) if loading.shape[1] else np.full(n_f, -np.inf)
            lbr = loading.argmax(axis=1) if loading.shape[1] else np.full(n_f, -1)
            failed = res.failed
        over_v, over_l = vmax - vmax_pu, lmax - loading_max
        return (over_v > 0) | (over_l > 0) | failed, over_v, over_l, vbus, lbr, failed

    at_zero = evaluate(np.zeros(n_f))[0]
    lo = np.zeros(n_f)
    hi = np.full(n_f, start_kw)
    for _ in range(40):  # doubling until every feeder is over a limit
        bad = evaluate(hi)[0]
        if bad.all():
            break
        lo = np.where(bad, lo, hi)
        hi = np.where(bad, hi, hi * 2)
    while ((hi - lo) > rel_tol * hi).any():
        mid = (lo + hi) / 2
        bad = evaluate(mid)[0]
        lo, hi = np.where(bad, lo, mid), np.where(bad, mid, hi)
    lo = np.where(at_zero, 0.0, lo)
    _, over_v, over_l, vbus, lbr, failed = evaluate(np.where(at_zero, 0.0, hi))
    labels = g.branch_labels()
    binding, element = [], []
    for k in range(n_f):
        if failed[k]:
            binding.append("convergence")
            element.append("")
        elif over_v[k] >= over_l[k]:
            binding.append("voltage")
            element.append(f"bus {g.bus_label[int(vbus[k])]}")
        else:
            binding.append("loading")
            element.append(labels[int(lbr[k])])
    return pd.DataFrame({"feeder": feeders, "hosting_kw": lo, "binding": binding,
                         "element": element, "binding_at_base_case": at_zero})
