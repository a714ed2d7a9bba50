"""Electrical networks as arrays: published feeders from pandapower (and SimBench), and the
synthetic network with impedances from standard cable and overhead-line types.

A `Grid` holds buses (nominal kV), lines (ohm, farad, ampere ratings), two-winding
transformers (pandapower's parameters in SI units), sources (slack buses) and base-case loads
in kW (static generators as negative loads). `simulation/powerflow.py` solves it.
"""

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from gridvalue.simulation.schema import ScenarioError

S_BASE_MVA = 1.0  # per-unit base of the LinDistFlow fast path
UNRATED_KA = 1e3  # pandapower marks unrated lines with max_i_ka 99999


@dataclass(frozen=True)
class Grid:
    """A balanced network: every array is indexed by its element's position."""

    name: str
    bus_kv: np.ndarray  # (n_bus,) nominal voltage
    bus_label: tuple  # names in the source network (pandapower index)
    line_from: np.ndarray
    line_to: np.ndarray
    line_r_ohm: np.ndarray
    line_x_ohm: np.ndarray
    line_c_f: np.ndarray  # total shunt capacitance
    line_max_a: np.ndarray  # thermal rating, inf where unrated
    line_label: tuple
    trafo_hv: np.ndarray
    trafo_lv: np.ndarray
    trafo_sn_kva: np.ndarray
    trafo_vk_share: np.ndarray  # short-circuit voltage, share of rated voltage
    trafo_vkr_share: np.ndarray  # its resistive part
    trafo_pfe_kw: np.ndarray
    trafo_i0_share: np.ndarray
    trafo_ratio_pu: np.ndarray  # off-nominal ratio from the tap position (1: neutral)
    trafo_label: tuple
    source_bus: np.ndarray
    source_vm_pu: np.ndarray
    load_bus: np.ndarray
    load_p_kw: np.ndarray  # base case; negative for generation
    load_q_kvar: np.ndarray
    shunt_bus: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    shunt_p_kw: np.ndarray = field(default_factory=lambda: np.zeros(0))  # at 1 pu
    shunt_q_kvar: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frequency_hz: float = 50.0

    @property
    def n_bus(self) -> int:
        return len(self.bus_kv)

    @property
    def n_line(self) -> int:
        return len(self.line_from)

    @property
    def n_trafo(self) -> int:
        return len(self.trafo_hv)

    @property
    def n_branch(self) -> int:
        return self.n_line + self.n_trafo

    @property
    def branch_from(self) -> np.ndarray:
        return np.concatenate([self.line_from, self.trafo_hv]).astype(np.int64)

    @property
    def branch_to(self) -> np.ndarray:
        return np.concatenate([self.line_to, self.trafo_lv]).astype(np.int64)

    def branch_z_pu(self) -> tuple[np.ndarray, np.ndarray]:
        """Series resistance and reactance of lines then transformers, pu on S_BASE_MVA."""
        z_base = self.bus_kv[self.line_from] ** 2 / S_BASE_MVA
        scale = S_BASE_MVA / (self.trafo_sn_kva / 1000.0)
        r_t = self.trafo_vkr_share * scale
        x_t = np.sqrt(np.maximum(self.trafo_vk_share**2 - self.trafo_vkr_share**2, 0.0)) * scale
        return (np.concatenate([self.line_r_ohm / z_base, r_t]),
                np.concatenate([self.line_x_ohm / z_base, x_t]))

    def branch_labels(self) -> list[str]:
        return [f"line {x}" for x in self.line_label] + [f"trafo {x}" for x in self.trafo_label]


# ---- published networks ------------------------------------------------------------------------
def _pandapower_networks() -> dict:
    import pandapower.networks as pn

    return {
        "case33bw": pn.case33bw,
        "cigre_lv": pn.create_cigre_network_lv,
        "cigre_mv": pn.create_cigre_network_mv,
        "cigre_mv_pv_wind": lambda: pn.create_cigre_network_mv(with_der="pv_wind"),
        "kerber_dorfnetz": pn.create_kerber_dorfnetz,
        "kerber_landnetz_freileitung_1": pn.create_kerber_landnetz_freileitung_1,
        "kerber_landnetz_freileitung_2": pn.create_kerber_landnetz_freileitung_2,
        "kerber_landnetz_kabel_1": pn.create_kerber_landnetz_kabel_1,
        "kerber_landnetz_kabel_2": pn.create_kerber_landnetz_kabel_2,
        "kerber_vorstadtnetz_kabel_1": pn.create_kerber_vorstadtnetz_kabel_1,
        "kerber_vorstadtnetz_kabel_2": pn.create_kerber_vorstadtnetz_kabel_2,
        "lv_schutterwald": pn.lv_schutterwald,
        "mv_oberrhein": pn.mv_oberrhein,
    }


PANDAPOWER_NETWORKS = ("case33bw", "cigre_lv", "cigre_mv", "cigre_mv_pv_wind", "kerber_dorfnetz",
                       "kerber_landnetz_freileitung_1", "kerber_landnetz_freileitung_2",
                       "kerber_landnetz_kabel_1", "kerber_landnetz_kabel_2",
                       "kerber_vorstadtnetz_kabel_1", "kerber_vorstadtnetz_kabel_2",
                       "lv_schutterwald", "mv_oberrhein")


def is_simbench_code(name: str) -> bool:
    """SimBench codes look like `1-LV-rural1--0-sw` (version-level-type-switch)."""
    parts = name.split("-")
    return len(parts) >= 5 and parts[0].isdigit()


def check_source(name: str, field: str = "network.source") -> None:
    """Raise ScenarioError unless `name` is synthetic, a known pandapower network or a
    SimBench code."""
    if name == "synthetic" or name in PANDAPOWER_NETWORKS or is_simbench_code(name):
        return
    raise ScenarioError(field, f"unknown network {name!r} (synthetic, "
                        f"{', '.join(PANDAPOWER_NETWORKS)}, or a SimBench code such as "
                        "'1-LV-rural1--0-sw')")


def pandapower_net(name: str, field: str = "network.source"):
    """The named pandapower (or SimBench) network, its warnings silenced."""
    check_source(name, field)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if is_simbench_code(name):
            try:
                import simbench
            except ImportError:
                raise ScenarioError(field, f"{name!r} is a SimBench code; install "
                                    "the optional extra: pip install 'gridvalue[simbench]'"
                                    ) from None
            try:
                return simbench.get_simbench_net(name)
            except Exception as exc:  # simbench raises bare errors for unknown codes
                raise ScenarioError(field, f"SimBench has no grid {name!r}: "
                                    f"{exc}") from None
        return _pandapower_networks()[name]()


def _finite(values, default: float = 0.0) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.where(np.isfinite(a), a, default)


def grid_from_pandapower(net, name: str) -> Grid:
    """Convert a pandapower network: closed bus-bus switches merge buses, open line and
    transformer switches take the element out, static generators become negative loads.
    Three-winding transformers, impedances, wards and PV generators are refused."""
    for element in ("trafo3w", "impedance", "ward", "xward", "dcline", "gen"):
        if element in net and len(net[element]) and net[element]["in_service"].any():
            raise ScenarioError("network.source", f"{name}: {element} elements are not supported")
    buses = net.bus[net.bus["in_service"]]
    parent = {int(b): int(b) for b in buses.index}

    def find(b: int) -> int:
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    sw = net.switch
    open_lines, open_trafos = set(), set()
    for row in sw.itertuples():
        if row.et == "b" and row.closed and row.bus in parent and int(row.element) in parent:
            parent[find(int(row.bus))] = find(int(row.element))
        elif row.et == "l" and not row.closed:
            open_lines.add(int(row.element))
        elif row.et == "t" and not row.closed:
            open_trafos.add(int(row.element))
    roots = sorted({find(b) for b in parent})
    position = {r: i for i, r in enumerate(roots)}
    bus_of = {b: position[find(b)] for b in parent}

    def idx(series) -> np.ndarray:
        return np.array([bus_of[int(b)] for b in series], dtype=np.int64)

    lines = net.line[net.line["in_service"] & ~net.line.index.isin(sorted(open_lines))]
    lines = lines[lines["from_bus"].isin(parent.keys()) & lines["to_bus"].isin(parent.keys())]
    par = lines["parallel"].to_numpy(float)
    max_ka = lines["max_i_ka"].to_numpy(float) * lines["df"].to_numpy(float) * par
    trafos = net.trafo[net.trafo["in_service"] & ~net.trafo.index.isin(sorted(open_trafos))]
    tap = (_finite(trafos["tap_pos"]) - _finite(trafos["tap_neutral"])) \
        * _finite(trafos["tap_step_percent"]) / 100.0
    tap_lv = (trafos["tap_side"] == "lv").to_numpy()
    ratio = np.where(tap_lv, 1.0 / (1.0 + tap), 1.0 + tap)
    # rated winding voltages off the buses' nominal ones are an off-nominal ratio too
    hv_kv = net.bus.loc[trafos["hv_bus"], "vn_kv"].to_numpy(float)
    lv_kv = net.bus.loc[trafos["lv_bus"], "vn_kv"].to_numpy(float)
    ratio = ratio * (trafos["vn_hv_kv"].to_numpy(float) / hv_kv) \
        / (trafos["vn_lv_kv"].to_numpy(float) / lv_kv)
    tpar = trafos["parallel"].to_numpy(float)
    loads = net.load[net.load["in_service"]]
    sgens = net.sgen[net.sgen["in_service"]] if len(net.sgen) else net.sgen
    ext = net.ext_grid[net.ext_grid["in_service"]]
    shunts = net.shunt[net.shunt["in_service"]] if len(net.shunt) else net.shunt
    return Grid(
        name=name,
        bus_kv=net.bus.loc[roots, "vn_kv"].to_numpy(float),
        bus_label=tuple(int(r) for r in roots),
        line_from=idx(lines["from_bus"]), line_to=idx(lines["to_bus"]),
        line_r_ohm=(lines["r_ohm_per_km"] * lines["length_km"]).to_numpy(float) / par,
        line_x_ohm=(lines["x_ohm_per_km"] * lines["length_km"]).to_numpy(float) / par,
        line_c_f=(lines["c_nf_per_km"] * lines["length_km"]).to_numpy(float) * par * 1e-9,
        line_max_a=np.where(max_ka >= UNRATED_KA, np.inf, max_ka * 1000.0),
        line_label=tuple(int(i) for i in lines.index),
        trafo_hv=idx(trafos["hv_bus"]), trafo_lv=idx(trafos["lv_bus"]),
        trafo_sn_kva=trafos["sn_mva"].to_numpy(float) * 1000.0 * tpar,
        trafo_vk_share=trafos["vk_percent"].to_numpy(float) / 100.0,
        trafo_vkr_share=trafos["vkr_percent"].to_numpy(float) / 100.0,
        trafo_pfe_kw=_finite(trafos["pfe_kw"]) * tpar,
        trafo_i0_share=_finite(trafos["i0_percent"]) / 100.0,
        trafo_ratio_pu=ratio,
        trafo_label=tuple(int(i) for i in trafos.index),
        source_bus=idx(ext["bus"]), source_vm_pu=ext["vm_pu"].to_numpy(float),
        load_bus=np.concatenate([idx(loads["bus"]), idx(sgens["bus"]) if len(sgens)
                                 else np.zeros(0, np.int64)]),
        load_p_kw=np.concatenate([(loads["p_mw"] * loads["scaling"]).to_numpy(float),
                                  -(sgens["p_mw"] * sgens["scaling"]).to_numpy(float)
                                  if len(sgens) else np.zeros(0)]) * 1000.0,
        load_q_kvar=np.concatenate([(loads["q_mvar"] * loads["scaling"]).to_numpy(float),
                                    -(sgens["q_mvar"] * sgens["scaling"]).to_numpy(float)
                                    if len(sgens) else np.zeros(0)]) * 1000.0,
        shunt_bus=idx(shunts["bus"]) if len(shunts) else np.zeros(0, np.int64),
        shunt_p_kw=(shunts["p_mw"] * shunts["step"]).to_numpy(float) * 1000.0
        if len(shunts) else np.zeros(0),
        shunt_q_kvar=(shunts["q_mvar"] * shunts["step"]).to_numpy(float) * 1000.0
        if len(shunts) else np.zeros(0),
        frequency_hz=float(getattr(net, "f_hz", 50.0) or 50.0),
    )


def load_grid(name: str, field: str = "network.source") -> Grid:
    """A published network by name (see `PANDAPOWER_NETWORKS`) or SimBench code."""
    return grid_from_pandapower(pandapower_net(name, field), name)


# ---- the synthetic network ---------------------------------------------------------------------
# MV line types (pandapower standard types library, 6/10 kV cables and 10 kV overhead lines):
# name, r ohm/km, x ohm/km, c nF/km, rated A.
CABLE_TYPES = (
    ("NA2XS2Y 1x70 RM/25 6/10 kV", 0.443, 0.123, 280.0, 217.0),
    ("NA2XS2Y 1x95 RM/25 6/10 kV", 0.313, 0.123, 315.0, 249.0),
    ("NA2XS2Y 1x120 RM/25 6/10 kV", 0.253, 0.113, 340.0, 280.0),
    ("NA2XS2Y 1x150 RM/25 6/10 kV", 0.206, 0.110, 360.0, 315.0),
    ("NA2XS2Y 1x185 RM/25 6/10 kV", 0.161, 0.110, 406.0, 358.0),
    ("NA2XS2Y 1x240 RM/25 6/10 kV", 0.122, 0.105, 456.0, 416.0),
)
OVERHEAD_TYPES = (
    ("48-AL1/8-ST1A 10.0", 0.5939, 0.350, 10.10, 210.0),
    ("70-AL1/11-ST1A 10.0", 0.4132, 0.339, 10.40, 290.0),
    ("94-AL1/15-ST1A 10.0", 0.3060, 0.330, 10.75, 350.0),
    ("122-AL1/20-ST1A 10.0", 0.2376, 0.323, 11.10, 410.0),
    ("149-AL1/24-ST1A 10.0", 0.1940, 0.315, 11.25, 470.0),
)


def line_type(design_a: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Index of the smallest standard type whose rating covers each design current, and the
    number of parallel circuits (more than one only beyond the largest type)."""
    types = CABLE_TYPES if kind == "cable" else OVERHEAD_TYPES
    rated = np.array([t[4] for t in types])
    parallel = np.maximum(np.ceil(design_a / rated[-1]), 1.0)
    per_circuit = design_a / parallel
    index = np.minimum(np.searchsorted(rated, per_circuit), len(rated) - 1)
    return index, parallel


def transformer_vk_share(sn_kva: np.ndarray) -> np.ndarray:
    """Short-circuit voltage by rating: 4 % to 630 kVA, 5 % to 1,250, 6 % above (IEC 60076-5
    Table 1 minimum impedances; pandapower's 10/0.4 kV standard types use 4-6 %)."""
    return np.select([sn_kva <= 630, sn_kva <= 1250], [0.04, 0.05], 0.06)


def synthetic_grid(graph, topology, params) -> Grid:
    """The synthetic network with impedances: substation (slack) -> MV sections (feeder heads
    merged into the substation busbar) -> MV/LV transformers -> one LV bus per transformer
    carrying its customers' net load. Each MV section gets the smallest standard type whose
    rating covers its design current: the downstream transformers' rated kVA x
    `line_design_factor` at `mv_kv`. LV service lines are not modelled."""
    n_tx = topology.n_transformers
    # buses: 0 substation, 1..n_tx transformer MV side, n_tx+1.. LV side
    bus_of = {"substation": 0}
    for f in range(topology.n_feeders):
        bus_of[f"F{f}"] = 0
    for t in range(n_tx):
        bus_of[f"T{t}"] = 1 + t
    # NetworkX yields each edge from the node added first: (parent, child) here
    edges = [(u, v, d) for u, v, d in graph.edges(data=True) if d["kind"] == "mv_line"]
    frm = np.array([bus_of[u] for u, _, _ in edges], dtype=np.int64)
    to = np.array([bus_of[v] for _, v, _ in edges], dtype=np.int64)
    length = np.array([max(d["length_km"], 0.001) for _, _, d in edges])
    assert len(np.unique(to)) == len(to) == n_tx, "every transformer hangs off one MV section"
    rating = topology.transformer_rating_kva
    downstream = _downstream_sum(frm, to, np.concatenate([[0.0], rating]), n_tx + 1)
    design_a = downstream[to] * params.line_design_factor / (math.sqrt(3) * params.mv_kv)
    kind, parallel = line_type(design_a, params.line_kind)
    types = CABLE_TYPES if params.line_kind == "cable" else OVERHEAD_TYPES
    table = np.array([t[1:] for t in types])
    r, x, c_nf, amps = (table[kind, j] for j in range(4))
    lv = 1 + n_tx + np.arange(n_tx)
    return Grid(
        name="synthetic",
        bus_kv=np.concatenate([np.full(1 + n_tx, params.mv_kv), np.full(n_tx, 0.4)]),
        bus_label=("substation",) + tuple(f"T{t}" for t in range(n_tx))
        + tuple(f"T{t}_lv" for t in range(n_tx)),
        line_from=frm.astype(np.int64), line_to=to.astype(np.int64),
        line_r_ohm=r * length / parallel, line_x_ohm=x * length / parallel,
        line_c_f=c_nf * length * parallel * 1e-9, line_max_a=amps * parallel,
        line_label=tuple(f"T{t - 1}" for t in to),
        trafo_hv=np.arange(1, n_tx + 1), trafo_lv=lv,
        trafo_sn_kva=rating.astype(float),
        trafo_vk_share=transformer_vk_share(rating),
        trafo_vkr_share=np.full(n_tx, params.transformer_load_loss_share),
        trafo_pfe_kw=np.zeros(n_tx), trafo_i0_share=np.zeros(n_tx),
        trafo_ratio_pu=np.ones(n_tx),
        trafo_label=tuple(f"T{t}" for t in range(n_tx)),
        source_bus=np.array([0]), source_vm_pu=np.array([params.source_vm_pu]),
        load_bus=lv, load_p_kw=np.zeros(n_tx), load_q_kvar=np.zeros(n_tx),
    )


def _downstream_sum(frm: np.ndarray, to: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    """Sum of `value` over each bus and everything below it in a tree of edges frm -> to."""
    parent = np.full(n, -1)
    parent[to] = frm
    depth = np.zeros(n, dtype=np.int64)
    for b in range(n):  # depth by walking up (trees here are shallow enough)
        d, p = 0, parent[b]
        while p >= 0:
            d, p = d + 1, parent[p]
        depth[b] = d
    total = value.astype(float).copy()
    for b in np.argsort(-depth, kind="stable"):
        if parent[b] >= 0:
            total[parent[b]] += total[b]
    return total
