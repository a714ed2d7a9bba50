"""The sweep report reads right: labelled tables without exponents, a chart for a text
parameter, and sensitivity indices with a warning when N is too small for their intervals."""

import re
from pathlib import Path

import pytest

from gridvalue.experiments import sensitivity
from gridvalue.experiments.sweep import Executor, packaged_sweeps, run_sweep
from gridvalue.experiments.sweep_report import write_sweep_report

SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d+")
CATEGORICAL = """
[sweep]
name = "enrolment"
scenario = "portfolio"
design = "grid"
replicates = 2
seed = 5
outputs = ["contracts", "household_peak_kw", "company_npv_lifetime"]

[set]
"meta.days" = 35
"population.households" = 80
"population.enterprises" = 10
"population.microgrids" = 0

[parameters]
"services.price_packages.enrolment" = { levels = ["opt_in", "default"] }
"""


def categorical_store(tmp_path: Path):
    path = tmp_path / "enrolment.toml"
    path.write_text(CATEGORICAL)
    return run_sweep(path, tmp_path / "enrolment", Executor("inline"))


def tables(page: str) -> str:
    return " ".join(re.findall(r"<table>.*?</table>", page, flags=re.S))


def test_text_parameter_gets_a_chart_per_output_and_labelled_tables(tmp_path):
    store = categorical_store(tmp_path)
    page = write_sweep_report(store).read_text()
    captions = re.findall(r"<figcaption>([^<]*)", page)
    assert len(captions) == 3 == page.count("<img")  # one bar chart per output, no curves
    assert all(" by Services · price packages · enrolment" in c for c in captions)
    text = tables(page)
    assert "Company NPV over the contracts&#x27; life (CNY), mean" in text
    assert "Service contracts signed (count), mean" in text
    assert "Households&#x27; peak (kW), mean" in text
    assert not SCIENTIFIC.search(text)
    # default enrolment signs far more households than opt-in: the chart has two levels
    frame = store.read(failed=False)
    signed = frame.groupby("services.price_packages.enrolment")["contracts"].mean()
    assert signed["default"] > signed["opt_in"]


def ishigami(tmp_path: Path, samples: int):
    text = Path(packaged_sweeps()["ishigami"]).read_text()
    (tmp_path / str(samples)).mkdir()
    path = tmp_path / str(samples) / "ishigami.toml"
    path.write_text(text.replace("samples = 512", f"samples = {samples}"))
    return run_sweep(path, tmp_path / f"ishigami{samples}", Executor("inline"))


def test_small_n_is_warned_in_the_report_and_in_markdown(tmp_path):
    store = ishigami(tmp_path, 8)
    page = write_sweep_report(store).read_text()
    assert "<h2>Sensitivity (sobol indices)</h2>" in page
    assert "Warning: N = 8 base samples: too few for the confidence intervals" in page
    assert "First-order index S1" in page and "Total index ST" in page
    table, files = sensitivity.write(store)
    markdown = files[1].read_text()
    lines = markdown.splitlines()
    assert lines[0] == "# Sensitivity of ishigami"
    assert "> **Warning:** N = 8 base samples" in markdown
    header = lines.index("| Parameter | First-order index S1 | ± 95 % CI of S1 | Total index ST "
                         "| ± 95 % CI of ST |")
    assert lines[header + 1] == "|---|---:|---:|---:|---:|"
    rows = lines[header + 2:header + 5]
    assert [r.split(" | ")[0] for r in rows] == ["| `x1`", "| `x2`", "| `x3`"]
    x1 = table.set_index("parameter").loc["x1", "S1"]
    assert f"{x1:.3f}" in rows[0]


@pytest.mark.parametrize("samples", [64])
def test_enough_samples_drop_the_n_warning(tmp_path, samples):
    store = ishigami(tmp_path, samples)
    table = sensitivity.analyse(store)
    found = sensitivity.warnings(table, store.info)
    assert not any(w.startswith("N = ") for w in found)
    assert sensitivity.samples(store.info) == samples
