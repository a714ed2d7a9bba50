"""Packaging: every folder with Python code installs under the `gridvalue` namespace."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_INSTALLED = {"tests", "benchmarks", "docs"}


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"gridvalue"}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and (rel.parts[0] in NOT_INSTALLED or rel.parts[0].startswith(".")):
            continue
        found.add(".".join(("gridvalue", *rel.parts)))
    assert found == listed
