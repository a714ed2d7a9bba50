"""`gridvalue discover`: PRIM recovers a known box; the command reads a sweep store."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridvalue.experiments.cli import main
from gridvalue.experiments.discover import prim_boxes
from gridvalue.experiments.sweep import Executor, run_sweep


def test_prim_recovers_a_known_box_on_a_synthetic_function():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(0, 1, size=(3000, 3)), columns=["a", "b", "c"])
    inside = x["a"].between(0.2, 0.5) & (x["b"] > 0.6)
    hit = inside.to_numpy() & (rng.uniform(size=3000) < 0.95)  # 5 % noise inside the box
    boxes = prim_boxes(x, hit, min_density=0.8, max_boxes=1)
    box = boxes[0]
    assert set(box["limits"]) == {"a", "b"}  # c does not matter and is left free
    a, b = box["limits"]["a"], box["limits"]["b"]
    assert a[0] == pytest.approx(0.2, abs=0.04) and a[1] == pytest.approx(0.5, abs=0.04)
    assert b[0] == pytest.approx(0.6, abs=0.04)
    assert box["coverage"] > 0.8 and box["density"] > 0.8
    assert box["cases"] == int(hit[box_mask(x, box)].sum())


def box_mask(x: pd.DataFrame, box: dict) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for name, (low, high) in box["limits"].items():
        mask &= x[name].between(low, high).to_numpy()
    return mask


def test_no_case_gives_no_box():
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    assert prim_boxes(x, np.zeros(50, dtype=bool)) == []


SWEEP = """
[sweep]
model = "ishigami"
design = "latin"
samples = 300
seed = 4

[parameters]
x1 = { bounds = [-3.141592653589793, 3.141592653589793] }
x2 = { bounds = [-3.141592653589793, 3.141592653589793] }
x3 = { bounds = [-3.141592653589793, 3.141592653589793] }
"""


@pytest.fixture(scope="module")
def ishigami_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("disc")
    (folder / "s.toml").write_text(SWEEP)
    return run_sweep(folder / "s.toml", folder / "store", Executor("inline")).root


def run(capsys, *args):
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, capsys.readouterr()


def test_discover_cli_on_a_sweep(ishigami_store, capsys):
    # Ishigami: y = sin x1 (1 + 0.1 x3^4) + 7 sin^2 x2 < 0 needs sin x1 < 0: x1 in (-pi, 0)
    code, out = run(capsys, "discover", ishigami_store, "--output", "y", "--below", "0",
                    "--format", "json")
    assert code == 0, out.err
    doc = json.loads(out.out)
    assert doc["condition"] == "y < 0" and doc["runs"] == 300 and doc["boxes"]
    first = doc["boxes"][0]
    low, high = first["limits"]["x1"]
    assert -np.pi <= low < high <= 0.2 and first["coverage"] > 0.8
    assert first["density"] > doc["share"]  # the box is denser in cases than the whole
    assert all(b["cases"] >= 2 for b in doc["boxes"])
    code, out = run(capsys, "discover", ishigami_store, "--output", "y", "--above", "8")
    assert code == 0 and "coverage" in out.out and "density" in out.out


@pytest.mark.parametrize("args, message", [
    (["--output", "z", "--above", "1"], "--output: 'z' is not an output"),
    (["--output", "y"], "one of the arguments --below --above is required"),
    (["--output", "y", "--above", "nan"], "--above: must be a finite number"),
    (["--output", "y", "--above", "1", "--min-density", "0"], "--min-density: must be in"),
])
def test_discover_bad_input(ishigami_store, capsys, args, message):
    code, out = run(capsys, "discover", ishigami_store, *args)
    assert code == 2 and out.err.count("\n") == 1 and message in out.err


def test_discover_refuses_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    code, out = run(capsys, "discover", tmp_path, "--output", "y", "--above", "1")
    assert code == 2 and "not a sweep's results folder" in out.err


def test_a_text_parameter_is_peeled_as_categories():
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"kind": rng.choice(["flat", "tou", "cpp"], 600),
                      "p": rng.uniform(0, 1, 600), "k": rng.integers(1, 10, 600)})
    hit = ((x["kind"] == "tou") & (x["p"] > 0.5)).to_numpy()
    box = prim_boxes(x, hit)[0]
    assert box["limits"]["kind"] == ["tou"] and "k" not in box["limits"]
    assert box["coverage"] > 0.9 and box["limits"]["p"][0] > 0.3
