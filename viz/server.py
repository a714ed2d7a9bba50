"""Starting the page's server: `solara run gridvalue.viz.app` on a host and port."""

import errno
import os
import socket
import sys
from pathlib import Path

from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.viz.catalogue import SCENARIOS_DIR_ENV

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


def environment(scenario: str, scenarios_dir: str = "") -> dict[str, str]:
    """The server's environment: the scenario to open with, the folder of scenarios it may
    offer (none: the packaged ones only); no telemetry, no banner."""
    env = os.environ | {SCENARIO_ENV: scenario, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
                        "SOLARA_THEME_SHOW_BANNER": "False"}
    env.pop(SCENARIOS_DIR_ENV, None)
    if scenarios_dir:
        env[SCENARIOS_DIR_ENV] = scenarios_dir
    return env


def check_address(host: str, port: int) -> None:
    """The server could listen on host:port now (ScenarioError naming --host or --port)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise ScenarioError("--host", f"cannot resolve {host!r}: {exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ScenarioError("--port", f"{port} is already in use on {host}") from None
            raise ScenarioError("--host", f"cannot listen on {host} port {port}: "
                                f"{exc.strerror or exc}") from None


def check(scenario: str, port: int, host: str | None = None,
          scenarios_dir: str | None = None) -> str:
    """Validate the arguments (ScenarioError); return the scenario reference to serve."""
    if not 0 < port < 65536:
        raise ScenarioError("--port", f"must be between 1 and 65535, got {port}")
    if scenarios_dir is not None and not Path(scenarios_dir).is_dir():
        raise ScenarioError("--scenarios", f"{scenarios_dir} is not a folder")
    load_scenario(scenario)  # a bad name, file or value fails here, before any server starts
    if scenario.endswith(".toml") or "/" in scenario:
        scenario = str(Path(scenario).resolve())
    if host is not None:
        check_address(host, port)
    return scenario


def serve(scenario: str = DEFAULT_SCENARIO, host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, scenarios_dir: str | None = None) -> None:
    """Check the arguments, print the address, then become the server (this process is
    replaced, so Ctrl-C and SIGTERM reach the server itself and leave nothing behind)."""
    scenario = check(scenario, port, host, scenarios_dir)
    folder = str(Path(scenarios_dir).resolve()) if scenarios_dir else ""
    shown = f"[{host}]" if ":" in host else host
    print(f"gridvalue viz: {scenario} at http://{shown}:{port}/  (Ctrl-C stops)", flush=True)
    cmd = command(host, port)
    os.execve(cmd[0], cmd, environment(scenario, folder))
