"""Customers onto a published grid's load buses (`network.source` other than synthetic).

Each load of the published network with a positive base load becomes a connection point
(the simulation's "transformer"): its rating is the published base load x
`grid_load_headroom` (kW; kVA at the scenario's power factor), its feeder the cable or line
group it hangs on (simulation/hosting.py `feeders_of`). The published static generators
stay as they are.

The rule, deterministic (no random draw): customers that get their own transformer on the
synthetic network (industrial enterprises and microgrids) go first, then the rest, each group
by coincident design peak, largest first; each customer goes to the connection point with the
most room left (rating minus the design peaks already placed), so the largest customers land
on the largest load buses. A population whose total design peak exceeds the grid's total
rating is refused with a one-line error.
"""

import numpy as np
import scipy.sparse as sp

from gridvalue.simulation.grids import Grid
from gridvalue.simulation.hosting import feeders_of
from gridvalue.simulation.network import Topology
from gridvalue.simulation.population import ENTERPRISE, MICROGRID
from gridvalue.simulation.schema import ScenarioError


def _incidence(parent: np.ndarray, n_parents: int) -> sp.csr_matrix:
    n = len(parent)
    return sp.csr_matrix((np.ones(n), (parent, np.arange(n))), shape=(n_parents, n))


def grid_topology(grid: Grid, customer_type: np.ndarray, sector: np.ndarray,
                  coincident_kw: np.ndarray, params) -> tuple[Topology, np.ndarray]:
    """The topology of customers on `grid`, and for each grid load its connection point
    (-1 for the published generators)."""
    points = np.flatnonzero(grid.load_p_kw > 0)
    if len(points) == 0:
        raise ScenarioError("network.source", f"{grid.name} has no loads to connect customers to")
    capacity_kw = grid.load_p_kw[points] * params.grid_load_headroom
    need_kw = float(coincident_kw.sum())
    if need_kw > capacity_kw.sum():
        raise ScenarioError("population", f"{grid.name} hosts {capacity_kw.sum():,.0f} kW of "
                            f"design load ({len(points)} load buses x network.grid_load_headroom"
                            f" {params.grid_load_headroom:g}); this population's coincident "
                            f"design peak is {need_kw:,.0f} kW")
    dedicated = ((customer_type == ENTERPRISE) & (sector == 0)) | (customer_type == MICROGRID)
    order = np.lexsort((np.arange(len(coincident_kw)), -coincident_kw, ~dedicated))
    room = capacity_kw.copy()
    point_of = np.zeros(len(coincident_kw), dtype=np.int32)
    for c in order:  # largest first onto the roomiest point
        k = int(np.argmax(room))
        point_of[c] = k
        room[k] -= coincident_kw[c]
    bus_feeder, _ = feeders_of(grid)
    point_feeder = np.maximum(bus_feeder[grid.load_bus[points]], 0).astype(np.int32)
    n_feeders = int(point_feeder.max()) + 1
    rating_kva = capacity_kw / params.power_factor
    feeder_kva = np.bincount(point_feeder, weights=rating_kva, minlength=n_feeders)
    topology = Topology(
        customer_transformer=point_of,
        transformer_feeder=point_feeder,
        transformer_rating_kva=rating_kva,
        feeder_rating_kva=feeder_kva,
        power_factor=params.power_factor,
        customer_to_transformer=_incidence(point_of, len(points)),
        transformer_to_feeder=_incidence(point_feeder, n_feeders),
    )
    load_point = np.full(len(grid.load_bus), -1)
    load_point[points] = np.arange(len(points))
    return topology, load_point
