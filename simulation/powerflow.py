"""Balanced AC power flow on a `Grid` (power-grid-model's C++ Newton-Raphson, many intervals
in one batch call), and a vectorised LinDistFlow over all intervals as the fast path.

Both take per-load active and reactive power, kW and kvar, as (intervals, loads) arrays.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gridvalue.simulation.grids import S_BASE_MVA, Grid

SOURCE_SK_VA = 1e15  # an ideal slack: short-circuit power far beyond any load
UNRATED_A = 1e9


class PowerFlowError(RuntimeError):
    """An interval whose power flow did not converge; `scenario` is its row in the batch."""

    def __init__(self, scenario: int, message: str):
        self.scenario = scenario
        super().__init__(message)


@dataclass(frozen=True)
class FlowResult:
    """Per solved interval (rows): bus voltages, branch loading (lines then transformers,
    share of rating, NaN where unrated), from-side current, and losses."""

    vm_pu: np.ndarray  # (K, n_bus)
    loading: np.ndarray  # (K, n_branch)
    current_a: np.ndarray | None  # (K, n_branch), with `detail`
    losses_kw: np.ndarray  # (K,)
    source_kw: np.ndarray  # (K,)
    failed: np.ndarray  # (K,) bool: did not converge (only with allow_failures)


class AcPowerFlow:
    """power-grid-model's model of the grid, built once and solved in batches."""

    def __init__(self, grid: Grid, tolerance_pu: float = 1e-8, max_iterations: int = 30):
        from power_grid_model import PowerGridModel

        self.grid = grid
        self.tolerance_pu = tolerance_pu
        self.max_iterations = max_iterations
        self._input, self._load_ids = _pgm_input(grid)
        self.model = PowerGridModel(self._input, system_frequency=grid.frequency_hz)
        rated = np.concatenate([grid.line_max_a, np.full(grid.n_trafo, 1.0)])
        self._rated = np.isfinite(rated)

    def solve(self, p_kw: np.ndarray, q_kvar: np.ndarray, allow_failures: bool = False,
              detail: bool = False) -> FlowResult:
        """Solve each row of (K, n_load) loads; raise PowerFlowError on the first row that
        does not converge (with `allow_failures`, mark it in `failed` instead). `detail`
        adds branch currents."""
        from power_grid_model import initialize_array
        from power_grid_model.errors import PowerGridBatchError, PowerGridError

        p_kw, q_kvar = np.atleast_2d(p_kw), np.atleast_2d(q_kvar)
        k, n = p_kw.shape
        update = initialize_array("update", "sym_load", (k, n))
        update["id"] = self._load_ids[None, :]
        update["p_specified"] = p_kw * 1e3
        update["q_specified"] = q_kvar * 1e3
        branch_out = ["loading", "i_from"] if detail else ["loading"]
        try:
            out = self.model.calculate_power_flow(
                update_data={"sym_load": update}, error_tolerance=self.tolerance_pu,
                max_iterations=self.max_iterations, threading=-1,
                output_component_types={"node": ["u_pu"], "line": branch_out,
                                        "transformer": branch_out, "source": ["p"]},
                continue_on_batch_error=allow_failures)
        except PowerGridBatchError as exc:
            bad = int(np.min(exc.failed_scenarios))
            raise PowerFlowError(bad, _first_line(exc.error_messages[0])) from None
        except PowerGridError as exc:
            raise PowerFlowError(0, _first_line(str(exc))) from None
        failed = np.zeros(k, dtype=bool)
        error = getattr(self.model, "batch_error", None) if allow_failures else None
        if error is not None:
            failed[np.asarray(error.failed_scenarios, dtype=np.int64)] = True
        g = self.grid
        parts = [out[c] for c in ("line", "transformer") if c in out]

        def branch(field: str) -> np.ndarray:
            cols = [p[field].reshape(k, -1) for p in parts]
            return np.concatenate(cols, axis=1) if cols else np.zeros((k, 0))

        loading = branch("loading")
        loading[:, ~self._rated] = np.nan
        source_kw = out["source"]["p"].reshape(k, -1).sum(axis=1) / 1e3
        return FlowResult(
            vm_pu=out["node"]["u_pu"].reshape(k, g.n_bus),
            loading=loading, current_a=branch("i_from") if detail else None,
            losses_kw=source_kw - p_kw.sum(axis=1), source_kw=source_kw, failed=failed)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0].strip() if message.strip() else "no detail"


def _pgm_input(grid: Grid) -> tuple[dict, np.ndarray]:
    from power_grid_model import LoadGenType, WindingType, initialize_array

    ids = iter(range(10**9))

    def new(component: str, n: int):
        a = initialize_array("input", component, n)
        a["id"] = [next(ids) for _ in range(n)]
        return a

    g = grid
    node = new("node", g.n_bus)
    node["u_rated"] = g.bus_kv * 1e3
    line = new("line", g.n_line)
    line["from_node"], line["to_node"] = node["id"][g.line_from], node["id"][g.line_to]
    line["from_status"] = line["to_status"] = 1
    line["r1"], line["x1"], line["c1"], line["tan1"] = g.line_r_ohm, g.line_x_ohm, g.line_c_f, 0.0
    line["i_n"] = np.where(np.isfinite(g.line_max_a), g.line_max_a, UNRATED_A)
    tr = new("transformer", g.n_trafo)
    tr["from_node"], tr["to_node"] = node["id"][g.trafo_hv], node["id"][g.trafo_lv]
    tr["from_status"] = tr["to_status"] = 1
    tr["u1"] = g.bus_kv[g.trafo_hv] * 1e3 * g.trafo_ratio_pu
    tr["u2"] = g.bus_kv[g.trafo_lv] * 1e3
    sn = g.trafo_sn_kva * 1e3
    tr["sn"], tr["uk"], tr["pk"] = sn, g.trafo_vk_share, g.trafo_vkr_share * sn
    tr["p0"] = g.trafo_pfe_kw * 1e3
    tr["i0"] = np.maximum(g.trafo_i0_share, tr["p0"] / sn)
    tr["winding_from"], tr["winding_to"], tr["clock"] = WindingType.delta, WindingType.wye_n, 5
    tr["tap_side"], tr["tap_pos"], tr["tap_min"], tr["tap_max"], tr["tap_nom"] = 0, 0, 0, 0, 0
    tr["tap_size"] = 0.0
    src = new("source", len(g.source_bus))
    src["node"], src["status"], src["u_ref"] = node["id"][g.source_bus], 1, g.source_vm_pu
    src["sk"], src["rx_ratio"], src["z01_ratio"] = SOURCE_SK_VA, 0.1, 1.0
    load = new("sym_load", len(g.load_bus))
    load["node"], load["status"], load["type"] = node["id"][g.load_bus], 1, LoadGenType.const_power
    load["p_specified"], load["q_specified"] = g.load_p_kw * 1e3, g.load_q_kvar * 1e3
    data = {"node": node, "line": line, "transformer": tr, "source": src, "sym_load": load}
    if len(g.shunt_bus):
        sh = new("shunt", len(g.shunt_bus))
        v2 = (g.bus_kv[g.shunt_bus] * 1e3) ** 2
        sh["node"], sh["status"] = node["id"][g.shunt_bus], 1
        sh["g1"], sh["b1"] = g.shunt_p_kw * 1e3 / v2, -g.shunt_q_kvar * 1e3 / v2
        data["shunt"] = sh
    return {k: v for k, v in data.items() if len(v)}, load["id"].copy()


class LinDistFlow:
    """DistFlow (Baran & Wu 1989) on a radial grid with one source, all intervals at once.

    Pass 0 is the linearised LinDistFlow: branch flows are the sums of the loads below,
    squared voltages fall by 2(rP + xQ) per branch, losses are r(P^2 + Q^2)/v^2. Each further
    pass adds the losses below each branch to its flow and the (r^2 + x^2) l term to its
    voltage drop, which converges to the exact branch-flow solution. Line charging,
    transformer magnetising and off-nominal ratios are left out."""

    def __init__(self, grid: Grid, passes: int = 3):
        if len(grid.source_bus) != 1:
            raise ValueError("LinDistFlow needs a radial grid with one source")
        self.grid = grid
        self.passes = passes
        frm, to = grid.branch_from, grid.branch_to
        n, nb = grid.n_bus, grid.n_branch
        adj: dict[int, list[int]] = {}
        for b in range(nb):
            adj.setdefault(int(frm[b]), []).append(b)
            adj.setdefault(int(to[b]), []).append(b)
        root = int(grid.source_bus[0])
        parent_branch = np.full(n, -1)
        parent_bus = np.full(n, -1)
        upper = np.zeros(nb, dtype=np.int64)  # each branch's bus nearer the source
        lower = np.zeros(nb, dtype=np.int64)
        seen, stack = {root}, [root]
        while stack:
            bus = stack.pop()
            for b in adj.get(bus, []):
                other = int(to[b]) if int(frm[b]) == bus else int(frm[b])
                if other in seen:
                    if parent_branch[bus] != b:
                        raise ValueError("LinDistFlow needs a radial grid (this one has a loop)")
                    continue
                seen.add(other)
                parent_branch[other], parent_bus[other] = b, bus
                upper[b], lower[b] = bus, other
                stack.append(other)
        rows, cols = [], []
        for bus in range(n):  # branch b is above bus j: D[b, j] = 1
            p = bus
            while parent_branch[p] >= 0:
                rows.append(parent_branch[p])
                cols.append(bus)
                p = parent_bus[p]
        self.below = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(nb, n))
        self.branch_below = self.below[:, lower].tocsr()  # branch b' at or below branch b
        self.upper = upper
        self.r_pu, self.x_pu = grid.branch_z_pu()
        self.v0 = float(grid.source_vm_pu[0])
        self._to_bus = sp.csr_matrix((np.ones(len(grid.load_bus)),
                                      (grid.load_bus, np.arange(len(grid.load_bus)))),
                                     shape=(n, len(grid.load_bus)))
        self._below_load = (self.below @ self._to_bus).tocsr()

    def loss_shape(self, p_kw: np.ndarray, q_kvar: np.ndarray) -> np.ndarray:
        """Series losses (K,) of the lossless flows at flat voltage, kW: the cheapest pass,
        for scaling to AC losses solved at a few intervals."""
        scale = 1e-3 / S_BASE_MVA
        flow_p = self._below_load @ (np.atleast_2d(p_kw).T * scale)
        flow_q = self._below_load @ (np.atleast_2d(q_kvar).T * scale)
        return (self.r_pu[:, None] * (flow_p**2 + flow_q**2)).sum(axis=0) / scale

    def solve(self, p_kw: np.ndarray, q_kvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bus voltages (K, n_bus) in pu and losses (K,) in kW for (K, n_load) loads."""
        p_kw, q_kvar = np.atleast_2d(p_kw), np.atleast_2d(q_kvar)
        scale = 1e-3 / S_BASE_MVA
        load_p = self.below @ (self._to_bus @ (p_kw.T * scale))  # (n_branch, K) pu
        load_q = self.below @ (self._to_bus @ (q_kvar.T * scale))
        r, x = self.r_pu[:, None], self.x_pu[:, None]
        flow_p, flow_q, sq = load_p, load_q, np.zeros_like(load_p)
        for step in range(self.passes + 1):
            v2 = self.v0**2 - 2.0 * (self.below.T @ (r * flow_p + x * flow_q
                                                     - 0.5 * (r**2 + x**2) * sq))
            v2 = np.maximum(v2, 1e-6)
            sq = (flow_p**2 + flow_q**2) / v2[self.upper]  # squared current, pu
            if step < self.passes:
                flow_p = load_p + self.branch_below @ (r * sq)
                flow_q = load_q + self.branch_below @ (x * sq)
        losses = (r * sq).sum(axis=0)
        return np.sqrt(v2).T, losses / scale


def base_case(name: str, field: str = "network.source") -> dict:
    """Solve a published network's own base case: losses, extreme voltages, line loading."""
    from gridvalue.simulation.grids import load_grid

    grid = load_grid(name, field)
    res = AcPowerFlow(grid).solve(grid.load_p_kw[None, :], grid.load_q_kvar[None, :],
                                  detail=True)
    vm = res.vm_pu[0]
    low, high = int(np.argmin(vm)), int(np.argmax(vm))
    lines = slice(0, grid.n_line)
    line_loading = res.loading[0, lines]
    rated = np.isfinite(line_loading)
    worst = int(np.nanargmax(line_loading)) if rated.any() else None
    trafo_loading = res.loading[0, grid.n_line:]
    return {
        "network": name,
        "buses": grid.n_bus, "lines": grid.n_line, "transformers": grid.n_trafo,
        "load_kw": round(float(grid.load_p_kw[grid.load_p_kw > 0].sum()), 4),
        "generation_kw": round(float(-grid.load_p_kw[grid.load_p_kw < 0].sum()) + 0.0, 4),
        "losses_kw": round(float(res.losses_kw[0]), 4),
        "min_voltage_pu": round(float(vm[low]), 6),
        "min_voltage_bus": low + 1,
        "min_voltage_bus_index": grid.bus_label[low],
        "max_voltage_pu": round(float(vm[high]), 6),
        "max_voltage_bus": high + 1,
        "max_line_loading_percent": round(float(line_loading[worst]) * 100, 4)
        if worst is not None else None,
        "max_line_loading_line": grid.line_label[worst] if worst is not None else None,
        "max_line_current_a": round(float(res.current_a[0, lines].max()), 4)
        if grid.n_line else None,
        "max_transformer_loading_percent": round(float(trafo_loading.max()) * 100, 4)
        if grid.n_trafo else None,
        "solver": "power-grid-model Newton-Raphson",
    }
