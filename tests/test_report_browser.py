"""A run report and a sweep report as a reader sees them: opened in Debian's headless Chromium,
their tables hold no scientific notation and carry units; a screenshot is saved of each.

Skipped only where /usr/bin/chromium is absent outside CI (as tests/test_viz_browser.py).
"""

import os
import re

import pytest

from gridvalue.experiments.report import write_run_report
from gridvalue.experiments.runner import run_scenario
from gridvalue.viz.browser import (
    CHROMIUM,
    SCIENTIFIC,
    browser_page,
    report_screenshot,
    report_tables,
)

if not CHROMIUM.exists() and os.environ.get("CI"):
    raise RuntimeError(f"{CHROMIUM} is absent under CI: .ci/run should have installed it")
pytestmark = [pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
              pytest.mark.slow]  # a simulation and a browser each: 20-35 s under load

SMALL = {"population.households": 150, "population.enterprises": 40,
         "population.microgrids": 1, "meta.days": 45}


def read_tables(report):
    with browser_page({"width": 1000, "height": 1200}) as page:
        page.goto(report.resolve().as_uri())
        texts = report_tables(page)
        images = page.evaluate("() => [...document.images].map(i => i.naturalWidth)")
    return "\n".join(texts), images


def test_run_report_in_a_browser(tmp_path):
    result = run_scenario("portfolio", seed=3, overrides=SMALL)
    report = write_run_report(result, tmp_path / "report.html")
    text, images = read_tables(report)
    assert not re.search(SCIENTIFIC, text), re.search(SCIENTIFIC, text)
    for shown in ("System peak (kW)", "Energy revenue (CNY)", "Company NPV over the "
                  "contracts' life (CNY)", "Energy delivered (MWh)"):
        assert shown in text
    assert "system_peak_kw" not in text and "company_npv" not in text
    revenue = f"{round(result.summary['energy_revenue']):,}"
    assert len(revenue) > 6 and revenue in text  # thousands separators, not 1.2e+06
    assert len(images) >= 7 and all(w > 300 for w in images)  # every chart decoded
    shot = report_screenshot(report, tmp_path / "report-run.png")
    assert shot.stat().st_size > 50_000


SWEEP = """
[sweep]
name = "terms"
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
"services.pv_lease.lease_per_kwp_month" = { levels = [25.0, 45.0] }
"""


def test_sweep_report_in_a_browser(tmp_path):
    from gridvalue.experiments.sweep import Executor, run_sweep
    from gridvalue.experiments.sweep_report import write_sweep_report

    path = tmp_path / "terms.toml"
    path.write_text(SWEEP)
    report = write_sweep_report(run_sweep(path, tmp_path / "terms", Executor("inline")))
    text, images = read_tables(report)
    assert not re.search(SCIENTIFIC, text), re.search(SCIENTIFIC, text)
    for shown in ("Company NPV over the contracts' life (CNY), mean",
                  "Households' peak (kW), sd", "CNY/kWp/month",
                  "Services · pv lease · lease per kwp month (CNY/kWp/month)"):
        assert shown in text
    assert "company_npv_lifetime" not in text
    assert len(images) == 3 * 2 and all(w > 300 for w in images)  # curve + bars per output
    shot = report_screenshot(report, tmp_path / "report-sweep.png")
    assert shot.stat().st_size > 50_000
