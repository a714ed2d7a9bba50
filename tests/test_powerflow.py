"""AC power flow and DistFlow against published base cases and pandapower's own solver."""

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from gridvalue.experiments.cli import main
from gridvalue.simulation.grids import load_grid, pandapower_net
from gridvalue.simulation.powerflow import AcPowerFlow, LinDistFlow, PowerFlowError

# A day of load levels (share of the base case), evening peak: 24 hourly factors.
DAY_SHAPE = np.array([0.45, 0.40, 0.38, 0.37, 0.38, 0.45, 0.60, 0.75, 0.80, 0.78, 0.76, 0.78,
                      0.80, 0.76, 0.72, 0.72, 0.78, 0.90, 1.00, 0.98, 0.90, 0.78, 0.62, 0.50])


def test_case33bw_base_case_reproduces_baran_and_wu(capsys):
    """Baran & Wu (1989): 202.68 kW of losses, 0.9131 pu at bus 18 (REFERENCES.md)."""
    assert main(["grid", "case33bw", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["losses_kw"] == pytest.approx(202.68, abs=0.01)
    assert result["min_voltage_pu"] == pytest.approx(0.9131, abs=0.00005)
    assert result["min_voltage_bus"] == 18  # Baran & Wu number buses 1-33 from the substation
    assert result["min_voltage_bus_index"] == 17  # pandapower's 0-based index
    assert result["load_kw"] == pytest.approx(3715.0)


def solve_both(name: str):
    """The named grid solved by pandapower's Newton-Raphson and, converted, by
    power-grid-model (AcPowerFlow): (pandapower net, converted grid, our result)."""
    import pandapower as pp

    net = pandapower_net(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(net, numba=False)
    grid = load_grid(name)
    return net, grid, AcPowerFlow(grid).solve(grid.load_p_kw, grid.load_q_kvar)


def assert_losses_and_voltages_match(net, grid, res) -> None:
    pp_losses = (net.res_line.pl_mw.sum() + net.res_trafo.pl_mw.sum()) * 1000
    assert res.losses_kw[0] == pytest.approx(pp_losses, rel=0.005)
    pp_vm = net.res_bus.loc[list(grid.bus_label), "vm_pu"].to_numpy()
    assert np.abs(res.vm_pu[0] - pp_vm).max() < 1e-3  # pi (here) vs t transformer model


@pytest.mark.parametrize("name", ["cigre_lv", "kerber_dorfnetz", "mv_oberrhein"])
def test_ac_solution_matches_pandapower(name):
    """The converted grid solved by power-grid-model against pandapower's Newton-Raphson on
    the same network (transformers with taps and iron losses, switches, generation)."""
    net, grid, res = solve_both(name)
    assert_losses_and_voltages_match(net, grid, res)
    pp_loading = net.res_line.loc[list(grid.line_label), "loading_percent"].to_numpy() / 100
    assert np.nanmax(np.abs(res.loading[0, :grid.n_line] - pp_loading)) < 0.01


def test_simbench_grid_matches_pandapower():
    """A SimBench code through the optional extra (skipped without `simbench`)."""
    pytest.importorskip("simbench")
    assert_losses_and_voltages_match(*solve_both("1-LV-rural1--0-sw"))


def test_distflow_is_within_1_percent_of_ac_losses_over_a_day():
    """The fast path over 24 intervals of case33bw: losses within 1 % and voltages within
    0.005 pu of AC in every interval. Plain LinDistFlow (no loss correction) gets the
    voltages but misses the losses by about 8 %."""
    grid = load_grid("case33bw")
    p = DAY_SHAPE[:, None] * grid.load_p_kw[None, :]
    q = DAY_SHAPE[:, None] * grid.load_q_kvar[None, :]
    ac = AcPowerFlow(grid).solve(p, q)
    vm, losses = LinDistFlow(grid, passes=1).solve(p, q)
    np.testing.assert_allclose(losses, ac.losses_kw, rtol=0.01)
    assert np.abs(vm - ac.vm_pu).max() < 0.005
    vm0, losses0 = LinDistFlow(grid, passes=0).solve(p, q)
    assert np.abs(vm0 - ac.vm_pu).max() < 0.005
    assert losses0[18] < 0.95 * ac.losses_kw[18]


def test_distflow_refuses_a_meshed_grid():
    with pytest.raises(ValueError, match="radial|source"):
        LinDistFlow(load_grid("mv_oberrhein"))


def test_overloaded_grid_does_not_converge_and_names_the_interval():
    grid = load_grid("case33bw")
    levels = np.array([1.0, 1.0, 12.0])[:, None]
    with pytest.raises(PowerFlowError) as info:
        AcPowerFlow(grid).solve(levels * grid.load_p_kw, levels * grid.load_q_kvar)
    assert info.value.scenario == 2


def _gridvalue(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                          capture_output=True, text=True, cwd=cwd,
                          env=os.environ | {"PYTHONWARNINGS": "ignore"})


@pytest.mark.parametrize("args, message", [
    (["grid", "nosuch"], "name: unknown network 'nosuch'"),
    (["grid", "synthetic"], "name: the synthetic network has no base case"),
    (["run", "--set", 'network.source="nosuch"'], "network.source: unknown network 'nosuch'"),
    (["run", "--set", 'network.power_flow="peak_min"', "--set", "network.mv_kv=0.4",
      "--set", "meta.days=2", "--set", "population.households=300"],
     "network.power_flow: did not converge on 2025-01-01 (day 0), interval"),
])
def test_bad_network_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    extra = ["--out", str(out), "--quiet"] if args[0] == "run" else []
    proc = _gridvalue(*args, *extra, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridvalue: error: ")
    assert message in lines[0]
    assert not out.exists() and list(tmp_path.iterdir()) == []
