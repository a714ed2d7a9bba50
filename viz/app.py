"""The interactive page: `solara run gridvalue.viz.app` (or `gridvalue viz`).

A scenario and its baseline twin step together in a worker thread (viz/session.py); the page
shows KPIs, a side-by-side table and charts from the latest snapshot. Every browser session
gets its own models (`use_memo` inside `Page`, never at module level). Levers are data
(viz/levers.py); values are validated by the scenario schema and a rejected value shows its
one-line message instead of reaching the model.
"""

import os

import solara
import solara.lab

from gridvalue.simulation.schema import ScenarioError
from gridvalue.viz.catalogue import catalogue, check_size, start_name
from gridvalue.viz.components import (
    CSS,
    STEP_SIZES,
    Charts,
    Comparison,
    KpiCards,
    LeverPanel,
    RunControls,
    ScenarioPicker,
)
from gridvalue.viz.decisions import Decisions
from gridvalue.viz.levers import apply, check_range, levers_for, parse_text
from gridvalue.viz.server import DEFAULT_SCENARIO, SCENARIO_ENV
from gridvalue.viz.session import Session


def _choices(start: str) -> tuple[list[str], dict[str, str], dict[str, str], str]:
    """The picker's names, their descriptions, what each loads, and the start's name: the
    packaged scenarios, the --scenarios folder's files and the start scenario, nothing else."""
    entries = catalogue(start)
    first = start_name(start, entries)
    refs = {name: ref for name, (ref, _) in entries.items()}
    refs.setdefault(first, start)  # the operator's start scenario (its error shows if bad)
    descriptions = {name: text for name, (_, text) in entries.items()}
    return list(entries), descriptions, refs, first


@solara.component
def Page(session: Session | None = None):
    """The whole page. `session` is for tests; by default each browser session makes its own."""
    start = os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO)
    names, descriptions, refs, first = solara.use_memo(lambda: _choices(start),
                                                       dependencies=[start])
    ref = solara.use_reactive(first)  # a name in `refs`, never a path from the browser
    overrides = solara.use_reactive({})
    texts = solara.use_reactive({})  # what was typed into fields whose value was rejected
    errors = solara.use_reactive({})
    step_size = solara.use_reactive("1 month")
    view = solara.use_reactive(None)  # (Snapshot, NetworkLayout) last published
    given = session
    session = solara.use_memo(lambda: given or Session(), dependencies=[])

    def load(name: str, changed: dict):
        scenario = apply(refs[name], changed)
        check_size(scenario)
        return scenario

    try:
        scenario = load(ref.value, overrides.value)
        page_error = ""
    except ScenarioError as exc:
        scenario, page_error = None, f"Cannot load the scenario: {exc}"

    def work(command: str, days: int = 0, scenario=None, to_day: int = 0):
        def publish(snap, layout):
            if task.is_current():
                view.set((snap, layout))

        if command == "rebuild":
            session.rebuild(scenario, to_day, task.is_current, publish)
        else:
            session.advance(days, task.is_current, publish)

    task = solara.lab.use_task(work, dependencies=None, raise_error=False)
    snap, layout = view.value if view.value is not None else (None, None)
    day = snap.day if snap is not None else 0

    def rebuild(new_scenario, to_day: int = 0):
        task("rebuild", scenario=new_scenario, to_day=to_day)

    def first_build():
        if scenario is not None:
            rebuild(scenario)

    solara.use_effect(first_build, dependencies=[])

    def on_scenario(name: str):
        if name == ref.value or name not in refs:  # only the list's items, never a path
            return
        ref.set(name)
        overrides.set({})
        texts.set({})
        errors.set({})
        try:
            rebuild(load(name, {}))
        except ScenarioError:
            pass  # shown as the page's error line

    levers = {lever.path: lever for lever in levers_for(scenario)} if scenario else {}

    def on_text(path: str, text: str):
        lever = levers[path]
        try:
            value = parse_text(lever, text)
            changed = overrides.value | {path: value}
            new_scenario = apply(refs[ref.value], changed)  # the schema's message first
            check_range(lever, value)
            check_size(new_scenario)
        except ScenarioError as exc:
            texts.set(texts.value | {path: text})
            errors.set(errors.value | {path: str(exc)})
            return
        texts.set({k: v for k, v in texts.value.items() if k != path})
        errors.set({k: v for k, v in errors.value.items() if k != path})
        if value == lever.value:
            return
        overrides.set(changed)
        rebuild(new_scenario, to_day=day)

    def on_run():
        task("advance", days=scenario.meta.days)

    def on_step():
        task("advance", days=STEP_SIZES[step_size.value])

    def on_stop():
        session.request_stop()  # the worker stops after the day it is on and shows it

    def on_reset():
        if scenario is not None:
            rebuild(scenario)

    solara.Style(CSS)
    solara.Title("gridvalue · what-if view")
    with solara.AppBarTitle():
        solara.Text("gridvalue · what-if view")
    with solara.Columns([3, 9], gutters_dense=True):
        with solara.Column(gap="8px"):
            with solara.Card(margin=0):
                ScenarioPicker(names, ref.value, descriptions, on_scenario)
            with solara.Card(margin=0):
                RunControls(on_run, on_step, on_reset, on_stop, step_size.value, step_size.set,
                            running=task.pending, finished=snap is not None and snap.finished)
            with solara.Card(margin=0):
                solara.Text("Levers", classes=["gv-card-title"])
                LeverPanel(list(levers.values()), texts.value, errors.value, on_text)
        with solara.Column(gap="8px"):
            if page_error:
                solara.Error(page_error, dense=True)
            for message in errors.value.values():
                solara.Error(f"Not applied: {message}", dense=True)
            if task.error:
                solara.Error(f"The run stopped: {type(task.exception).__name__}: "
                             f"{task.exception}", dense=True)
            if snap is None:
                if page_error:
                    return
                solara.ProgressLinear(True)
                solara.Text("Building the scenario and its baseline twin…")
                return
            status = f"Day {snap.day:,} of {snap.days:,}"
            if snap.started:
                status += f" · {snap.date}"
            if task.pending:
                status += " · running…"
            solara.Text(status, classes=["gv-status"])
            solara.ProgressLinear(100.0 * snap.day / max(snap.days, 1))
            KpiCards(snap)
            Comparison(snap)
            if snap.strategy != "fixed":
                Decisions(snap.strategy, snap.decisions, snap.currency)
            Charts(snap, layout)
