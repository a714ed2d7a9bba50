"""The run report: every chart a strategist needs is on the page for the run it describes."""

import re

from small_scenarios import small

from gridvalue.experiments.report import write_run_report
from gridvalue.experiments.runner import run_scenario

SMALL = small(150, 120, 2, days=62)


def _captions(path):
    text = path.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    return re.findall(r"<figcaption>([^<]*)", text), images


def test_baseline_report_has_load_and_pnl_but_no_service_charts(tmp_path):
    result = run_scenario("baseline", seed=1, overrides={**SMALL, "meta.days": 10})
    captions, images = _captions(write_run_report(result, tmp_path / "r.html"))
    assert len(images) == len(captions) == 5
    assert not any("uptake" in c or "service line" in c for c in captions)


def test_service_report_adds_uptake_service_lines_and_screening_curve(tmp_path):
    result = run_scenario("credit_screening", seed=1,
                          overrides=SMALL | {"report.screening_thresholds": [0, 60]})
    captions, images = _captions(write_run_report(result, tmp_path / "r.html"))
    assert len(images) == len(captions) == 8
    assert "Service uptake over time by segment" in captions
    assert any("by service line" in c for c in captions)
    assert any(c.startswith("Credit screening: shared_savings") for c in captions)
    assert "Net cash per year (annual.parquet)" in captions
    assert list(result["screening"]["threshold"]) == [0.0, 60.0]
