"""Starting the page's server: `solara run gridvalue.viz.app` on a host and port."""

import os
import socket
import sys
from pathlib import Path

from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError

APP = "gridvalue.viz.app"
SCENARIO_ENV = "GRIDVALUE_VIZ_SCENARIO"  # the scenario the page opens with
# The page opens on a what-if: the baseline against its own twin shows no difference.
DEFAULT_SCENARIO = "ee_shared_savings"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def command(host: str, port: int) -> list[str]:
    """The `solara run` command line of the page (production mode: no reloader)."""
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def environment(scenario: str) -> dict[str, str]:
    """The server's environment: the scenario to open with; no telemetry, no banner."""
    return os.environ | {SCENARIO_ENV: scenario, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
                         "SOLARA_THEME_SHOW_BANNER": "False"}


def check(scenario: str, port: int) -> str:
    """Validate the arguments (ScenarioError); return the scenario reference to serve."""
    if not 0 < port < 65536:
        raise ScenarioError("--port", f"must be between 1 and 65535, got {port}")
    load_scenario(scenario)  # a bad name, file or value fails here, before any server starts
    if scenario.endswith(".toml") or "/" in scenario:
        scenario = str(Path(scenario).resolve())
    return scenario


def serve(scenario: str = DEFAULT_SCENARIO, host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT) -> None:
    """Check the arguments, print the address, then become the server (this process is
    replaced, so Ctrl-C and SIGTERM reach the server itself and leave nothing behind)."""
    scenario = check(scenario, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"gridvalue viz: {scenario} at http://{shown}:{port}/  (Ctrl-C stops)", flush=True)
    cmd = command(host, port)
    os.execve(cmd[0], cmd, environment(scenario))
