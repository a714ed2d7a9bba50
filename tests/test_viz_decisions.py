"""The company's decision log on the page: shown for runs with a strategy other than fixed
(budget split, contacts, thresholds, terms per segment), from the policy run's own log."""

import time

import ipyvuetify as v
import pytest
import solara

from gridvalue.simulation.scenario import load_scenario
from gridvalue.viz import snapshot
from gridvalue.viz.decisions import Decisions, decisions_html, latest_month
from gridvalue.viz.twin import Twin

SMALL = {"population.households": 5, "population.enterprises": 60,
         "population.microgrids": 0, "meta.years": 0, "meta.days": 40}


@pytest.fixture(scope="module")
def learning():
    twin = Twin(load_scenario("learning_terms", SMALL))
    twin.advance(40)  # two months of decisions (1 January, 1 February)
    return twin


def test_the_view_shows_the_latest_month_of_decisions(learning):
    snap = snapshot.take(learning)
    log = learning.policy.company.strategy.frame()
    assert snap.strategy == "learning" and snap.decisions.equals(log)
    table = latest_month(snap.decisions)
    latest = log[log["date"] == log["date"].max()]
    assert list(table["service"]) == ["maintenance_subscription"]
    assert table["contacts"].iloc[0] == latest["contacts"].sum()
    menu = learning.scenario.services["maintenance_subscription"].term_menu
    offered = dict(zip(latest["segment"], latest["term_value"], strict=True))
    assert len(offered) >= 2 and set(offered.values()) <= set(menu)  # a level per segment
    page = decisions_html(snap.decisions, snap.currency)
    assert "fee_per_kw_month" in page
    assert all(f"{seg} {value:g}" in page for seg, value in offered.items())
    box, rc = solara.render(Decisions(snap.strategy, snap.decisions, snap.currency),
                            handle_error=False)
    title = rc.find(v.Html, class_="gv-card-title").widget.children[0]
    assert title == "The company's decisions (strategy: learning)"
    rc.close()


def test_a_fixed_run_carries_no_decision_card():
    twin = Twin(load_scenario("learning_terms", SMALL | {"company.strategy": "fixed",
                                                         "meta.days": 2}))
    twin.advance(2)
    snap = snapshot.take(twin)
    assert snap.strategy == "fixed" and snap.decisions.empty
    assert "No decisions yet" in decisions_html(snap.decisions, snap.currency)


def status(rc, text: str, timeout_s: float = 30):
    """Wait for the page's status line to read `text`, then for the render that set it."""
    rc.find(v.Html, class_="gv-status", children=[text]).wait_for(timeout=timeout_s)
    time.sleep(0.3)


def test_the_page_shows_the_card_for_a_learning_run(tmp_path, monkeypatch):
    """The whole page on a small learning run: after a month's step the card names the
    strategy and shows the month's terms per segment."""
    from gridvalue.viz.app import Page
    from gridvalue.viz.server import SCENARIO_ENV
    from gridvalue.viz.session import Session

    path = tmp_path / "learn.toml"
    path.write_text('extends = "learning_terms"\n[meta]\nyears = 0\ndays = 40\n'
                    "[population]\nhouseholds = 5\nenterprises = 60\nmicrogrids = 0\n")
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    session = Session()
    box, rc = solara.render(solara.AppLayout(children=[Page(session)]), handle_error=False)
    try:
        status(rc, "Day 0 of 40")
        rc.find(v.Btn, class_="gv-step").widget.click()  # a month: January's decisions
        status(rc, "Day 30 of 40 · 2025-01-30")
        titles = [w.children[0] for w in rc.find(v.Html, class_="gv-card-title").widgets]
        assert "The company's decisions (strategy: learning)" in titles
        log = session.twin.policy.company.strategy.frame()
        assert len(log) and log["date"].nunique() == 1
        shown = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets
                 if "gv-decisions" in w.unsafe_innerHTML]
        assert shown == [decisions_html(log, "CNY")]
    finally:
        rc.close()
