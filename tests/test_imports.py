"""The module graph of gridvalue has no cycle, counting imports inside functions.

Walks every module's imports with `ast` (module-level, function-level and `TYPE_CHECKING`
blocks alike), so a circle hidden behind a function-level import fails here.
"""

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simulation", "agents", "experiments", "viz")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("gridvalue", *parts))


def module_graph() -> nx.DiGraph:
    """Edges module -> gridvalue module it imports (a `from X import name` of a submodule
    counts as importing that submodule). The services registry imports every module of its
    package (`simulation/services/__init__.py`, by name at run time): edges too."""
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import submodule` imports the submodule; any other name
                # comes from the module itself
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                           else node.module for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph.add_edge(name, target)
    registry = "gridvalue.simulation.services"
    for name in modules:
        if name.startswith(registry + ".") and name.count(".") == registry.count(".") + 1:
            graph.add_edge(registry, name)
    return graph


def test_the_walk_sees_function_level_imports():
    graph = module_graph()
    # cli.py imports the scenario module inside `_cmd_scenarios` only
    assert graph.has_edge("gridvalue.experiments.cli", "gridvalue.simulation.scenario")
    assert graph.has_edge("gridvalue.simulation.services",
                          "gridvalue.simulation.services.efficiency")
    assert graph.number_of_edges() > 100


def test_the_module_graph_has_no_cycle():
    graph = module_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_lower_layers_do_not_import_higher_ones():
    """simulation/ and agents/ never import experiments/ or viz/; agents/ never imports the
    model or the market that drive them (docs/architecture.md)."""
    graph = module_graph()
    high = ("gridvalue.experiments", "gridvalue.viz")
    drivers = ("gridvalue.simulation.model", "gridvalue.simulation.market")
    for a, b in graph.edges:
        if a.startswith(("gridvalue.simulation", "gridvalue.agents")):
            assert not b.startswith(high), (a, b)
        if a.startswith("gridvalue.agents"):
            assert b not in drivers, (a, b)


def test_the_packaged_scenarios_are_found_without_importing_experiments():
    import subprocess
    import sys

    code = ("import sys; from gridvalue.simulation.scenario import packaged_scenarios; "
            "assert 'baseline' in packaged_scenarios(); "
            "assert 'gridvalue.experiments' not in sys.modules, 'imported experiments'")
    subprocess.run([sys.executable, "-c", code], check=True)
