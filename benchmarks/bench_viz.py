"""How fast the page answers in a real browser: a `solara run` server and headless Chromium.

    .venv/bin/python benchmarks/bench_viz.py [SCENARIO ...]   (default: baseline ee_shared_savings)

For each scenario: open the page, then time (click to redrawn charts) a one-month step, a
parameter change at that day (the seed: both models rebuilt and stepped back to day 30),
and a run of the rest of the year. Prints one line per scenario.
"""

import sys
import time

from gridvalue.viz.browser import browser_page, open_page, run_to_end, running_server

FIRST_CHART = "document.querySelectorAll('.v-card img')[0]"


def _chart_src(page) -> str:
    return page.evaluate(f"{FIRST_CHART} ? {FIRST_CHART}.src.length + ':' + "
                         f"{FIRST_CHART}.src.slice(-64) : ''")


def _wait_redrawn(page, before: str, status_has: str) -> None:
    page.wait_for_function(
        """([first, before, has]) => { const img = eval(first);
             const s = document.querySelector('.gv-status').innerText;
             const src = img ? img.src.length + ':' + img.src.slice(-64) : '';
             return src !== before && s.includes(has) && !s.includes('running'); }""",
        arg=[FIRST_CHART, before, status_has], timeout=120_000)


def bench(scenario: str) -> dict:
    with running_server(scenario) as url, browser_page() as page:
        clock = time.perf_counter()
        open_page(page, url)
        opened = time.perf_counter() - clock

        before = _chart_src(page)
        clock = time.perf_counter()
        page.locator(".gv-step").click()
        _wait_redrawn(page, before, "Day 30 of")
        step = time.perf_counter() - clock

        before = _chart_src(page)
        field = page.get_by_label("Seed (-)")
        field.fill("43")
        clock = time.perf_counter()
        field.press("Enter")
        _wait_redrawn(page, before, "Day 30 of")
        change = time.perf_counter() - clock

        clock = time.perf_counter()
        run_to_end(page)
        run = time.perf_counter() - clock
    return {"open": opened, "step": step, "change": change, "run": run}


def main(argv: list[str]) -> int:
    for scenario in argv or ["baseline", "ee_shared_savings"]:
        t = bench(scenario)
        print(f"{scenario:<20} open {t['open']:5.2f} s  step one month {t['step']:5.2f} s  "
              f"parameter change at day 30 {t['change']:5.2f} s  run to day 365 "
              f"{t['run']:5.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
