"""`gridvalue viz`: bad arguments fail fast with one line; good ones start a local server."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from gridvalue.viz.server import check, command, free_port


def gridvalue(*args):
    return subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", *args],
                          capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PYTHONWARNINGS": "ignore"})


@pytest.mark.parametrize("args, message", [
    (["viz", "nosuch"], "gridvalue: error: scenario: no packaged scenario named 'nosuch'"),
    (["viz", "missing.toml"], "missing.toml: file not found"),
    (["viz", "--port", "0"], "gridvalue: error: --port: must be between 1 and 65535, got 0"),
    (["viz", "--port", "70000"], "--port: must be between 1 and 65535, got 70000"),
    (["viz", "--port", "many"], "gridvalue: error: arguments: argument --port: invalid int"),
])
def test_bad_arguments_one_line_exit_2(args, message):
    proc = gridvalue(*args)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1 and not proc.stdout


def test_the_server_binds_to_localhost_unless_asked():
    cmd = command("127.0.0.1", 8765)
    assert cmd[1:4] == ["-m", "solara", "run"] and "gridvalue.viz.app" in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"


def test_a_scenario_file_is_passed_as_an_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "case.toml").write_text('extends = "baseline"\n')
    monkeypatch.chdir(tmp_path)
    assert check("case.toml", 8765) == str(tmp_path / "case.toml")
    assert check("baseline", 8765) == "baseline"


def test_gridvalue_viz_serves_the_page():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gridvalue.experiments.cli", "viz",
                             "baseline", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith(f"gridvalue viz: baseline at http://127.0.0.1:{port}/")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200 and b"solara" in page.read().lower()
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
    finally:
        proc.terminate()  # the command became the server: nothing is left behind
        proc.wait(timeout=15)
    time.sleep(0.5)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
