"""The `gridvalue grid NAME` subcommand: solve a published network's own base case."""

import json

from gridvalue.simulation.grids import check_source
from gridvalue.simulation.schema import ScenarioError


def add_parsers(sub) -> None:
    grid = sub.add_parser("grid", help="solve a published network's base case (AC power flow): "
                          "losses, minimum voltage and its bus, maximum line loading")
    grid.add_argument("name", help="pandapower network (case33bw, cigre_lv, cigre_mv, kerber_*, "
                      "lv_schutterwald, mv_oberrhein) or a SimBench code")
    grid.add_argument("--format", choices=("table", "json"), default="table")


LABELS = {
    "network": "network", "buses": "buses", "lines": "lines", "transformers": "transformers",
    "load_kw": "load (kW)", "generation_kw": "generation (kW)", "losses_kw": "losses (kW)",
    "min_voltage_pu": "minimum voltage (pu)", "min_voltage_bus": "  at bus (1-based)",
    "min_voltage_bus_index": "  pandapower bus index", "max_voltage_pu": "maximum voltage (pu)",
    "max_line_loading_percent": "maximum line loading (%)",
    "max_line_loading_line": "  on line (pandapower index)",
    "max_line_current_a": "maximum line current (A)",
    "max_transformer_loading_percent": "maximum transformer loading (%)", "solver": "solver",
}


def cmd_grid(args) -> int:
    import warnings

    from gridvalue.simulation.powerflow import base_case

    if args.name == "synthetic":
        raise ScenarioError("name", "the synthetic network has no base case of its own; name "
                            "a published network")
    check_source(args.name, "name")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = base_case(args.name, "name")
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return 0
    width = max(len(v) for v in LABELS.values())
    for key, label in LABELS.items():
        value = result.get(key)
        text = "-" if value is None else (f"{value:,.4f}" if isinstance(value, float)
                                          else str(value))
        print(f"{label:<{width}}  {text:>20}")
    return 0


COMMANDS = {"grid": cmd_grid}
