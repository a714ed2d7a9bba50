"""The company's decision log on the page (runs with a strategy other than `fixed`): for the
latest month of decisions, per service, the budget, the contacts and their cost, the
expected profit, the credit threshold and the term offered to each segment
(agents/strategies/, decisions.parquet)."""

import html

import pandas as pd
import solara


def latest_month(decisions: pd.DataFrame) -> pd.DataFrame:
    """One row per service for the latest month of the log: budget, contacts, marketing,
    expected profit and threshold, and the terms offered per segment ("segment: value")."""
    if decisions.empty:
        return pd.DataFrame()
    month = decisions[decisions["date"] == decisions["date"].max()]
    rows = []
    for service, part in month.groupby("service", sort=False):
        terms = part.dropna(subset=["term_value"])
        offered = ", ".join(f"{seg} {value:g}" for seg, value in
                            zip(terms["segment"], terms["term_value"], strict=True))
        rows.append({"service": service, "budget_cny": part["budget_cny"].iloc[0],
                     "contacts": int(part["contacts"].sum()),
                     "marketing_cny": part["marketing_cny"].sum(),
                     "expected_value_cny": part["expected_value_cny"].sum(),
                     "score_threshold": part["score_threshold"].iloc[0],
                     "terms": f"{terms['term'].iloc[0]}: {offered}" if len(terms) else "–"})
    return pd.DataFrame(rows)


def decisions_html(decisions: pd.DataFrame, currency: str) -> str:
    """The latest month's decisions as the page's table."""
    frame = latest_month(decisions)
    if frame.empty:
        return "<p class='gv-card-note'>No decisions yet: they are made on each month's " \
               "first day.</p>"
    month = pd.Timestamp(decisions["date"].max()).date().isoformat()
    head = (f"<tr><th>{month}</th><th>budget ({currency})</th><th>contacts</th>"
            f"<th>marketing ({currency})</th><th>expected profit ({currency})</th>"
            "<th>score threshold</th><th>terms per segment</th></tr>")
    body = "".join(
        f"<tr><td>{html.escape(r.service)}</td><td>{r.budget_cny:,.0f}</td>"
        f"<td>{r.contacts:,}</td><td>{r.marketing_cny:,.0f}</td>"
        f"<td>{r.expected_value_cny:,.0f}</td><td>{r.score_threshold:g}</td>"
        f"<td>{html.escape(r.terms)}</td></tr>" for r in frame.itertuples())
    return f"<table class='gv-table gv-decisions'>{head}{body}</table>"


@solara.component
def Decisions(strategy: str, decisions: pd.DataFrame, currency: str):
    with solara.Card(margin=0):
        solara.Text(f"The company's decisions (strategy: {strategy})",
                    classes=["gv-card-title"])
        solara.HTML(tag="div", unsafe_innerHTML=decisions_html(decisions, currency))
        solara.Text("The latest month's budget split, contacts, credit threshold and terms; "
                    "every month is in decisions.parquet.", classes=["gv-card-note"])
