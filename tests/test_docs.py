"""The documentation: the generated reference pages are current, the README stays two screens
and links only to files that exist (mkdocs build --strict, run by `make test`, checks the
site's own links)."""

import re
from pathlib import Path

from gridvalue.experiments import cli_reference

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current():
    """docs/cli.md is what `make docs-ref` generates from the argument parser now."""
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == cli_reference.markdown(), (
        "docs/cli.md is stale: run `make docs-ref`")


def test_cli_reference_names_every_subcommand_and_option():
    text = cli_reference.markdown()
    for command in ("run", "compare", "voi", "sweep", "validate", "grid", "params"):
        assert f"## `gridvalue {command}`" in text
    assert "`--replicates REPLICATES`" in text and "`--out OUT`" in text


def test_readme_is_two_screens_and_its_links_exist():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 150
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert local, "the README links into docs/"
    for link in local:
        assert (ROOT / link).exists(), link
