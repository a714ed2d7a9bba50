"""Solara components of the page: scenario picker, lever fields, run controls, KPI cards, the
side-by-side table and the chart cards. They take plain values and callbacks; the page
(viz/app.py) owns the state.
"""

import html
from collections.abc import Callable

import solara

from gridvalue.experiments.labels import money, npv_note
from gridvalue.viz import charts
from gridvalue.viz.layout import NetworkLayout
from gridvalue.viz.levers import BoundLever, format_value
from gridvalue.viz.snapshot import Snapshot

STEP_SIZES = {"1 day": 1, "1 week": 7, "1 month": 30}
TONES = {"good": "#1a7f37", "bad": "#cf222e"}

CSS = """
.gv-kpi { padding: 14px 18px !important; min-height: 118px; }
.gv-kpi-label { display: block; font-size: 0.78rem; text-transform: uppercase;
  letter-spacing: 0.04em; color: #57606a; }
.gv-kpi-value { display: block; font-size: 1.65rem; font-weight: 600; line-height: 1.3; }
.gv-kpi-note { display: block; font-size: 0.78rem; color: #57606a; }
.gv-table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
.gv-table th { text-align: right; color: #57606a; font-weight: 600; padding: 4px 10px;
  border-bottom: 1px solid #d0d7de; }
.gv-table th:first-child, .gv-table td:first-child { text-align: left; }
.gv-table td { text-align: right; padding: 4px 10px; border-bottom: 1px solid #eaeef2;
  font-variant-numeric: tabular-nums; }
.gv-description { color: #57606a; font-size: 0.85rem; }
.gv-group { font-size: 0.8rem; font-weight: 600; color: #57606a; margin: 10px 0 0 0;
  text-transform: uppercase; letter-spacing: 0.04em; }
.gv-status { font-size: 0.95rem; color: #24292f; }
.gv-card-title { font-size: 0.95rem; font-weight: 600; color: #24292f; }
.gv-card-note { font-size: 0.78rem; color: #57606a; }
"""


@solara.component
def ScenarioPicker(names: list[str], value: str, descriptions: dict[str, str],
                   on_value: Callable[[str], None], disabled: bool = False):
    solara.Select("Scenario", values=names, value=value, on_value=on_value, disabled=disabled)
    solara.Text(descriptions.get(value, ""), classes=["gv-description"])


def hint(lever: BoundLever) -> str:
    """The line under a field: its scenario path and the range it suggests."""
    low, high = lever.lever.low, lever.lever.high
    if low is not None and high is not None:
        return f"{lever.path} · {low:,g} to {high:,g}"
    if low is not None:
        return f"{lever.path} · at least {low:,g}"
    return lever.path


@solara.component
def LeverField(lever: BoundLever, text: str, error: str,
               on_text: Callable[[str, str], None], disabled: bool = False):
    """A typed field; a value the schema rejects shows its one-line message under it."""
    if lever.lever.kind == "choice":
        solara.Select(lever.label, values=[str(c) for c in lever.lever.choices], value=text,
                      on_value=lambda t: on_text(lever.path, t), disabled=disabled)
        return
    solara.InputText(lever.label, value=text, on_value=lambda t: on_text(lever.path, t),
                     error=error or False, message=None if error else hint(lever),
                     disabled=disabled, dense=True)


@solara.component
def LeverPanel(levers: list[BoundLever], texts: dict[str, str], errors: dict[str, str],
               on_text: Callable[[str, str], None], disabled: bool = False):
    group = None
    for lever in levers:
        if lever.group != group:
            group = lever.group
            solara.Text(group, classes=["gv-group"])
        LeverField(lever, texts.get(lever.path, format_value(lever.value)),
                   errors.get(lever.path, ""), on_text, disabled)


@solara.component
def RunControls(on_run, on_step, on_reset, on_stop, step_size: str,
                on_step_size: Callable[[str], None], running: bool, finished: bool):
    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
        solara.Button("Run", icon_name="mdi-play", color="primary", on_click=on_run,
                      disabled=running or finished, classes=["gv-run"])
        solara.Button("Step", icon_name="mdi-step-forward", on_click=on_step,
                      disabled=running or finished, outlined=True, classes=["gv-step"])
        solara.Button("Stop", icon_name="mdi-stop", on_click=on_stop, disabled=not running,
                      outlined=True, classes=["gv-stop"])
        solara.Button("Reset", icon_name="mdi-restore", on_click=on_reset, outlined=True,
                      classes=["gv-reset"])
    solara.ToggleButtonsSingle(step_size, values=list(STEP_SIZES), on_value=on_step_size,
                               dense=True)


@solara.component
def KpiCard(label: str, value: str, note: str, tone: str = ""):
    with solara.Card(margin=0, classes=["gv-kpi"]):
        solara.Text(label, classes=["gv-kpi-label"])
        solara.Text(value, classes=["gv-kpi-value"], style={"color": TONES.get(tone, "#24292f")})
        solara.Text(note, classes=["gv-kpi-note"])


def _tone(value: float, good_if_positive: bool = True) -> str:
    if abs(value) < 1e-9:
        return ""
    return "good" if (value > 0) == good_if_positive else "bad"


def _money(value: float, currency: str) -> str:
    """Signed, with thousands separators; tens of millions and more in millions."""
    if abs(value) >= 1e7:
        return f"{value / 1e6:+,.1f} M {currency}"
    return money(value, currency, signed=True)


def npv_card(snap: Snapshot) -> tuple[str, str, str]:
    """The NPV card's value, note and tone: once the run has ended, the value over the
    contracts' life, with the horizon's beside it and, where their signs differ, why."""
    cur = snap.currency
    horizon = _money(snap.npv_delta, cur)
    if snap.npv_lifetime_delta is None:
        return (horizon, "over the days simulated, vs baseline; the value over the contracts' "
                "life shows when the run ends", _tone(snap.npv_delta))
    note = f"over the contracts' life, vs baseline · over the {snap.days:,} days: {horizon}"
    if npv_note(snap.npv_delta, snap.npv_lifetime_delta, cur):
        note += (" (costs paid up front, income after the horizon)"
                 if snap.npv_lifetime_delta > 0 else
                 " (income so far, costs and losses still to come)")
    return _money(snap.npv_lifetime_delta, cur), note, _tone(
        snap.npv_lifetime_delta)


@solara.component
def KpiCards(snap: Snapshot):
    cur = snap.currency
    uptake = "–" if snap.uptake_share is None else f"{100 * snap.uptake_share:.1f} %"
    peak_note = "system peak to date, vs baseline"
    if snap.shows_households:
        cut = snap.household_peak_reduction_pct
        peak_note += f"; households' peak {abs(cut):.1f} % {'lower' if cut >= 0 else 'higher'}"
    with solara.ColumnsResponsive(default=12, small=6, large=3, gutters_dense=True):
        KpiCard("Peak reduction", f"{snap.peak_reduction_pct:.2f} %", peak_note,
                _tone(snap.peak_reduction_pct))
        KpiCard("Company NPV vs baseline", *npv_card(snap))
        KpiCard("Service uptake", uptake,
                f"{snap.contracts:,} contracts; share of eligible customers"
                if snap.services else "no services on offer")
        KpiCard("Default losses", f"{snap.default_losses:,.0f} {cur}",
                "contracts that defaulted, to date",
                "bad" if snap.default_losses > 0 else "")


def comparison_html(snap: Snapshot) -> str:
    """The side-by-side table: policy, baseline and the difference."""
    head = (f"<tr><th>to day {snap.day:,}</th><th>{html.escape(snap.scenario)}</th>"
            "<th>baseline twin</th><th>difference</th></tr>")
    body = []
    for row in snap.rows:
        def fmt(v, digits=row.digits):
            return f"{v:,.{digits}f}"
        delta = row.delta
        sign = f"{delta:+,.{row.digits}f}" if abs(delta) >= 0.5 * 10**-row.digits else "0"
        body.append(f"<tr><td>{html.escape(row.label)}</td><td>{fmt(row.policy)}</td>"
                    f"<td>{fmt(row.baseline)}</td><td>{sign}</td></tr>")
    return f"<table class='gv-table'>{head}{''.join(body)}</table>"


@solara.component
def Comparison(snap: Snapshot):
    with solara.Card(margin=0):
        solara.Text("Side by side with the baseline (same seed)", classes=["gv-card-title"])
        solara.HTML(tag="div", unsafe_innerHTML=comparison_html(snap))


@solara.component
def ChartCard(title: str, note: str, draw: Callable, snap: Snapshot, extra: tuple = ()):
    """A chart redrawn only when the data it draws changes."""
    figure = solara.use_memo(lambda: draw(snap, *extra),
                             dependencies=[charts.key(draw, snap, *extra)])
    with solara.Card(margin=0):
        solara.Text(title, classes=["gv-card-title"])
        solara.FigureMatplotlib(figure, dependencies=[figure], format="png", dpi=100,
                                pil_kwargs={"compress_level": 1})
        solara.Text(note, classes=["gv-card-note"])


@solara.component
def Charts(snap: Snapshot, layout: NetworkLayout | None):
    with solara.ColumnsResponsive(default=12, large=6, gutters_dense=True):
        ChartCard("System load on the peak day", "The baseline's highest-load day to date; "
                  "green: load the policy shaved off.", charts.peak_day, snap)
        ChartCard("Service uptake by segment", "Contract holders over eligible customers, "
                  "after each month's offers.", charts.uptake, snap)
        ChartCard("Company P&L by service line", "Cash to date minus the baseline's, by item; "
                  "dots: net.", charts.pnl, snap)
        ChartCard("Customers' bill changes", "Energy bill plus service payments less what the "
                  "company paid them, against the baseline.", charts.bills, snap)
    if layout is not None:
        with solara.ColumnsResponsive(default=12, large=6, gutters_dense=True):
            ChartCard("Network: uptake per transformer", "One marker per MV/LV transformer, "
                      "sized by customers served.", charts.network, snap, (layout, "uptake"))
            ChartCard("Network: transformer loading", "Peak load to date over rating; red "
                      "above 100 %.", charts.network, snap, (layout, "loading"))
            if len(snap.transformer_vm_min):
                ChartCard("Network: voltage", "Lowest voltage the power flow solved at each "
                          "transformer to date.", charts.network, snap, (layout, "voltage"))
