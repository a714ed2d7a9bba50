"""A PV what-if on a published LV grid: voltage rise, hosting capacity per feeder, and how
losses change when the peak is shaved. Prints markdown tables (the README's figures).

Usage: python benchmarks/pv_whatif.py [NETWORK]   (default: kerber_dorfnetz)
The midday base case is the grid's own base load x MIDDAY_LOAD_SHARE (an assumption), PV at
unity power factor spread equally over the load buses; limits are the scenario defaults.
"""

import sys
import warnings

import numpy as np

from gridvalue.simulation.grids import load_grid
from gridvalue.simulation.hosting import feeders_of, hosting_capacity
from gridvalue.simulation.powerflow import AcPowerFlow
from gridvalue.simulation.scenario import Network

MIDDAY_LOAD_SHARE = 0.25
PV_KW_PER_LOAD = (0.0, 2.0, 4.0, 6.0, 8.0)
PEAK_SHAVE_SHARES = (0.0, 0.1, 0.2)


def main(name: str) -> None:
    limits = Network()
    grid = load_grid(name)
    ac = AcPowerFlow(grid)
    n = len(grid.load_bus)
    p0, q0 = MIDDAY_LOAD_SHARE * grid.load_p_kw, MIDDAY_LOAD_SHARE * grid.load_q_kvar
    print(f"## {name}: {grid.n_bus} buses, {n} loads, {grid.load_p_kw.sum():.0f} kW base load\n")
    print("| PV per load bus (kW) | PV total (kW) | max voltage (pu) | max line loading | "
          "transformer loading | substation import (kW) | losses (kW) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for pv in PV_KW_PER_LOAD:
        res = ac.solve(p0 - pv, q0)
        lines = np.nan_to_num(res.loading[0, :grid.n_line])
        trafos = res.loading[0, grid.n_line:]
        print(f"| {pv:.0f} | {pv * n:.0f} | {res.vm_pu.max():.4f} | {lines.max():.1%} | "
              f"{trafos.max() if len(trafos) else float('nan'):.1%} | {res.source_kw[0]:.1f} | "
              f"{res.losses_kw[0]:.2f} |")
    bus_feeder, _ = feeders_of(grid)
    hosting = hosting_capacity(ac, p0, q0, bus_feeder[grid.load_bus], np.ones(n),
                               limits.voltage_max_pu, limits.line_max_loading_share)
    counts = np.bincount(bus_feeder[grid.load_bus][bus_feeder[grid.load_bus] >= 0])
    print(f"\nHosting capacity per feeder (upper voltage {limits.voltage_max_pu} pu, loading "
          f"{limits.line_max_loading_share:.0%}):\n")
    print("| feeder | load buses | hosting (kW) | binds | where |")
    print("|---:|---:|---:|---|---|")
    for row in hosting.itertuples():
        print(f"| {row.feeder} | {counts[row.feeder]} | {row.hosting_kw:.0f} | {row.binding} | "
              f"{row.element} |")
    print("\nLosses at the grid's base-case peak when the peak is shaved (every load scaled):\n")
    print("| peak shaved | losses (kW) | change |")
    print("|---:|---:|---:|")
    base = ac.solve(grid.load_p_kw, grid.load_q_kvar).losses_kw[0]
    for share in PEAK_SHAVE_SHARES:
        k = 1.0 - share
        losses = ac.solve(k * grid.load_p_kw, k * grid.load_q_kvar).losses_kw[0]
        print(f"| {share:.0%} | {losses:.2f} | {losses / base - 1:+.1%} |")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(sys.argv[1] if len(sys.argv) > 1 else "kerber_dorfnetz")
