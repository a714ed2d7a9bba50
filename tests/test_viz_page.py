"""The page without a browser: `solara.render`, real models, real worker threads."""

import time

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara

from gridvalue.viz.app import Page
from gridvalue.viz.server import SCENARIO_ENV
from gridvalue.viz.session import Session

SCENARIO = """extends = "ee_shared_savings"
[meta]
days = 60
[population]
households = 400
enterprises = 120
microgrids = 2
"""
WAIT_S = 30


@pytest.fixture
def page(tmp_path, monkeypatch):
    """The rendered page on a small scenario, once it has built its models."""
    path = tmp_path / "small.toml"
    path.write_text(SCENARIO)
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    session = Session()
    box, rc = solara.render(solara.AppLayout(children=[Page(session)]), handle_error=False)
    status(rc, "Day 0 of 60")
    yield rc, session
    rc.close()


def status(rc, text: str):
    """Wait for the status line to read `text`, then for the worker thread's render that set
    it to finish (it renders the rest of the page after the status line)."""
    rc.find(v.Html, class_="gv-status", children=[text]).wait_for(timeout=WAIT_S)
    time.sleep(0.3)


def field(rc, label: str):
    return rc.find(v.TextField, label=label).widget


def type_into(rc, label: str, text: str):
    widget = field(rc, label)
    widget.v_model = text
    widget.fire_event("focusout", None)


def alerts(rc) -> list[str]:
    return [" ".join(map(str, w.children)) for w in rc.find(v.Alert).widgets]


def images(rc) -> list[bytes]:
    return [w.value for w in rc.find(widgets.Image).widgets]


def kpi(rc, label: str) -> str:
    """The value shown on the KPI card with this label."""
    labels = [w.children[0] for w in rc.find(v.Html, class_="gv-kpi-label").widgets]
    values = [w.children[0] for w in rc.find(v.Html, class_="gv-kpi-value").widgets]
    return values[labels.index(label)]


def test_a_control_changes_the_model_parameter(page):
    rc, session = page
    assert session.twin.policy.scenario.services["shared_savings"].contacts_per_month == 40
    type_into(rc, "Marketing contacts (customers/month)", "120")
    rc.find(v.TextField, label="Marketing contacts (customers/month)",
            v_model="120").wait_for(timeout=WAIT_S)
    status(rc, "Day 0 of 60")
    rc.find(v.Btn, class_="gv-step", disabled=False).wait_for(timeout=WAIT_S)
    assert session.twin.policy.scenario.services["shared_savings"].contacts_per_month == 120
    assert session.twin.baseline.scenario.services == {}
    assert not alerts(rc)


def test_a_run_fills_the_charts(page):
    rc, session = page
    before = images(rc)
    assert len(before) == 6 and all(before)
    assert kpi(rc, "Service uptake") == "0.0 %"
    rc.find(v.Btn, class_="gv-run").widget.click()
    status(rc, "Day 60 of 60 · 2025-03-01")
    after = images(rc)
    assert len(after) == 6
    assert all(a != b for a, b in zip(after, before, strict=True))  # every chart redrawn
    assert session.twin.finished
    assert float(kpi(rc, "Service uptake").rstrip(" %")) > 0
    assert rc.find(v.Btn, class_="gv-run").widget.disabled  # nothing left to run


def test_step_and_reset(page):
    rc, session = page
    rc.find(v.Btn, class_="gv-step").widget.click()
    status(rc, "Day 30 of 60 · 2025-01-30")
    rc.find(v.Btn, class_="gv-reset").widget.click()
    status(rc, "Day 0 of 60")
    assert session.twin.day == 0


def test_a_parameter_change_keeps_the_day(page):
    rc, session = page
    rc.find(v.Btn, class_="gv-step").widget.click()
    status(rc, "Day 30 of 60 · 2025-01-30")
    type_into(rc, "Credit-score threshold (score 0-100)", "60")
    rc.find(v.TextField, v_model="60").wait_for(timeout=WAIT_S)
    rc.find(v.Btn, class_="gv-step", disabled=False).wait_for(timeout=WAIT_S)
    status(rc, "Day 30 of 60 · 2025-01-30")
    assert not alerts(rc)
    assert session.twin.scenario.services["shared_savings"].score_threshold == 60.0
    assert session.twin.day == 30


@pytest.mark.parametrize("label, text, message", [
    ("Households (customers)", "-5", "population.households: must be at least 0, got -5"),
    ("Households (customers)", "", "population.households: is empty; type a value"),
    ("Households (customers)", "lots", "expected a whole number, got 'lots'"),
    ("Households (customers)", "200000",
     "population.households: must be at most 100000 in the view, got 200000"),
    ("Company's share of savings, first month (0-1)", "1.5",
     "services.shared_savings.share_start: must be at most 1, got 1.5"),
    ("Horizon (days)", "0", "meta.days: must be at least 1, got 0"),
])
def test_a_bad_value_shows_a_message_and_changes_nothing(page, label, text, message):
    rc, session = page
    twin = session.twin
    type_into(rc, label, text)
    rc.find(v.Alert, children=[f"Not applied: {message}" if "lots" not in message else
                               "Not applied: population.households: " + message]
            ).wait_for(timeout=WAIT_S)
    widget = field(rc, label)
    assert widget.error and widget.v_model == text  # the field keeps what was typed, in red
    assert session.twin is twin  # no rebuild
    # a good value clears the message
    type_into(rc, label, "300" if "Households" in label else "0.7" if "share" in label
              else "60")
    rc.find(v.Btn, class_="gv-step", disabled=False).wait_for(timeout=WAIT_S)
    assert not alerts(rc)


def test_a_run_does_not_block_and_can_be_stopped(monkeypatch):
    monkeypatch.setenv(SCENARIO_ENV, "ee_shared_savings")  # 2,248 customers, 365 days
    session = Session(publish_every_s=0.2)
    box, rc = solara.render(solara.AppLayout(children=[Page(session)]), handle_error=False)
    try:
        status(rc, "Day 0 of 365")
        stop = rc.find(v.Btn, class_="gv-stop").widget
        assert stop.disabled
        rc.find(v.Btn, class_="gv-run").widget.click()
        # the page renders progress while the worker thread steps
        deadline = time.monotonic() + WAIT_S
        while "running" not in rc.find(v.Html, class_="gv-status").widget.children[0]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not stop.disabled
        stop.click()
        rc.find(v.Btn, class_="gv-stop", disabled=True).wait_for(timeout=WAIT_S)
        day = session.twin.day
        assert 0 < day < 365
        status(rc, f"Day {day} of 365 · {session.twin.policy.dates[day - 1].isoformat()}")
    finally:
        rc.close()


def test_the_scenario_picker_switches_scenario_and_levers(page):
    rc, session = page
    assert rc.find(v.TextField, label="Marketing contacts (customers/month)").widgets
    picker = rc.find(v.Select, label="Scenario").widget
    assert "baseline" in picker.items and "credit_screening" in picker.items
    picker.v_model = "baseline"
    rc.find(v.Html, children=["Today's business: flat prices, no services, 2,248 customers on "
                              "a synthetic feeder network in a central-China town (Wuhan's "
                              "climate), one year"]).wait_for(timeout=WAIT_S)
    status(rc, "Day 0 of 365")
    assert session.twin.scenario.meta.name == "baseline"
    assert not rc.find(v.TextField, label="Marketing contacts (customers/month)").widgets
    assert kpi(rc, "Service uptake") == "–"


def test_a_bad_scenario_file_shows_one_line(tmp_path, monkeypatch):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "baseline"\n[population]\nhouseholds = -1\n')
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    box, rc = solara.render(solara.AppLayout(children=[Page(Session())]), handle_error=False)
    try:
        rc.find(v.Alert, children=["Cannot load the scenario: population.households: "
                                   "must be at least 0, got -1"]).wait_for(timeout=WAIT_S)
        assert not rc.find(v.ProgressLinear).widgets
    finally:
        rc.close()
