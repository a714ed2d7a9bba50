"""The run report: every chart a strategist needs is on the page for the run it describes."""

import re

import pytest

from gridvalue.experiments import report
from gridvalue.experiments.labels import label, npv_note, number
from gridvalue.experiments.report import write_run_report
from gridvalue.experiments.runner import run_scenario


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(150, 120, 2, days=62)


def _captions(path):
    text = path.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    return re.findall(r"<figcaption>([^<]*)", text), images


def test_baseline_report_has_load_and_pnl_but_no_service_charts(tmp_path, small_overrides):
    result = run_scenario("baseline", seed=1, overrides={**small_overrides, "meta.days": 10})
    captions, images = _captions(write_run_report(result, tmp_path / "r.html"))
    assert len(images) == len(captions) == 5
    assert not any("uptake" in c or "service line" in c for c in captions)


def test_service_report_adds_uptake_service_lines_and_screening_curve(tmp_path, small_overrides):
    result = run_scenario("credit_screening", seed=1,
                          overrides=small_overrides | {"report.screening_thresholds": [0, 60]})
    captions, images = _captions(write_run_report(result, tmp_path / "r.html"))
    assert len(images) == len(captions) == 8
    assert "Service uptake over time by segment" in captions
    assert any("by service line" in c for c in captions)
    assert any(c.startswith("Credit screening: shared_savings") for c in captions)
    assert "Net cash per year (annual.parquet)" in captions
    # the curve is drawn over the scenario's three seeds, each common to both thresholds
    curves = result["screening"]
    assert list(curves["threshold"]) == [0.0, 60.0] * 3
    assert list(curves["seed"]) == [1, 1, 2, 2, 3, 3]


SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d+")


@pytest.mark.parametrize("value, text", [(5.689e7, "56,890,000"), (-512_257.3, "-512,257"),
                                         (0.5534, "0.553"), (12.345, "12.35"), (3, "3"),
                                         (2.5e-5, "0.0000250"), (float("nan"), "–")])
def test_numbers_have_separators_and_never_an_exponent(value, text):
    assert number(value) == text


def test_labels_carry_units():
    assert label("system_peak_kw") == "System peak (kW)"
    assert label("company_npv_lifetime", "EUR") == "Company NPV over the contracts' life (EUR)"
    assert label("tariff.residential_price_per_kwh").endswith("(CNY/kWh)")  # the schema's unit
    assert label("no_such_key") == "No such key"


def test_npv_note_only_where_signs_differ():
    assert npv_note(-512_257, 511_025).startswith(
        "Over the contracts' life the NPV is +511,025 CNY; over the days simulated it is "
        "-512,257 CNY")
    assert npv_note(100.0, 2_000.0) == "" and npv_note(-5.0, -7.0) == ""


def test_summary_table_has_labels_units_and_no_exponent(tmp_path, small_overrides):
    result = run_scenario("baseline", seed=1, overrides={**small_overrides, "meta.days": 10})
    page = write_run_report(result, tmp_path / "r.html").read_text()
    table = page[page.index("<table>"):page.index("</table>")]
    assert "System peak (kW)" in table and "Energy revenue (CNY)" in table
    assert "system_peak_kw" not in table and not SCIENTIFIC.search(table)
    revenue = result.summary["energy_revenue"]
    assert revenue > 1e4 and f"{round(revenue):,}" in table


def test_legends_sit_off_the_data(monkeypatch, tmp_path, small_overrides):
    """Every chart's legend lies outside its axes, so no bar or line is hidden."""
    result = run_scenario("credit_screening", seed=1,
                          overrides=small_overrides | {"report.screening_thresholds": [0, 60],
                                                       "report.screening_seeds": 2})
    figures = []
    monkeypatch.setattr(report, "_png", lambda fig: figures.append(fig) or "")
    write_run_report(result, tmp_path / "r.html")
    checked = 0
    for fig in figures:
        fig.canvas.draw()
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            box, frame = legend.get_window_extent(), ax.get_window_extent()
            assert box.x0 >= frame.x1 - 1 or box.y1 <= frame.y0 + 1 or box.y0 >= frame.y1 - 1
            checked += 1
    assert checked == len(figures) == 8  # one legend per chart, each off its axes
