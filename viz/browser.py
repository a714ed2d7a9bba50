"""Driving the page in a real browser: a `solara run` server on localhost and headless
Chromium (Debian's, through Playwright), for the end-to-end test and the README screenshot.

    python -m gridvalue.viz.browser docs/screenshot.png [SCENARIO]

runs SCENARIO (default: the page's default, ee_shared_savings) to its end in the page and
saves a screenshot;

    python -m gridvalue.viz.browser --report runs/NAME/report.html docs/report-run.png

saves a screenshot of the whole of a written HTML report. Playwright is a test dependency
(`pip install -e .[test]`).
"""

import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from gridvalue.viz.server import (
    DEFAULT_HOST,
    DEFAULT_SCENARIO,
    command,
    environment,
    free_port,
)

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download its own browser here: Debian's chromium, with these flags.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1500, "height": 2050}


@contextlib.contextmanager
def running_server(scenario: str, timeout_s: float = 90.0) -> Iterator[str]:
    """Start `solara run gridvalue.viz.app` on 127.0.0.1 and a free port; yield its URL once
    it answers; stop it afterwards."""
    port = free_port()
    url = f"http://{DEFAULT_HOST}:{port}/"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command(DEFAULT_HOST, port), env=environment(scenario),
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(url, proc, log, timeout_s)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen, log, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"the solara server exited with {proc.returncode}: {tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the solara server did not answer at {url} within {timeout_s:.0f} s")


@contextlib.contextmanager
def browser_page(viewport: dict | None = None) -> Iterator:
    """A Playwright page in headless Debian Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page(viewport=viewport or VIEWPORT)
        finally:
            browser.close()


def open_page(page, url: str, timeout_s: float = 60.0) -> None:
    """Load the page and wait until the models are built (day 0 shown)."""
    page.goto(url)
    page.locator(".gv-status").first.wait_for(timeout=timeout_s * 1000)


def status(page) -> str:
    return page.locator(".gv-status").first.inner_text()


def kpi(page, label: str) -> str:
    """The value on the KPI card with this label (labels are shown in upper case)."""
    labels = [t.strip().lower() for t in page.locator(".gv-kpi-label").all_inner_texts()]
    return page.locator(".gv-kpi-value").nth(labels.index(label.lower())).inner_text()


def run_to_end(page, timeout_s: float = 120.0) -> None:
    """Press Run and wait for the last day (status 'Day N of N' and no longer running)."""
    page.locator(".gv-run").click()
    page.wait_for_function(
        """() => { const s = document.querySelector('.gv-status');
                   if (!s) return false;
                   const m = s.innerText.match(/Day ([\\d,]+) of ([\\d,]+)/);
                   return m && m[1] === m[2] && !s.innerText.includes('running'); }""",
        timeout=timeout_s * 1000)
    page.wait_for_timeout(500)  # let the last images arrive


def screenshot(out: Path, scenario: str = DEFAULT_SCENARIO) -> Path:
    """Run `scenario` to its end in the page and save a screenshot to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with running_server(scenario) as url, browser_page() as page:
        open_page(page, url)
        run_to_end(page)
        page.screenshot(path=str(out))
    return out


REPORT_VIEWPORT = {"width": 1000, "height": 1200}
SCIENTIFIC = r"\d(?:\.\d+)?[eE][+-]?\d+"  # 5.689e+07


def report_tables(page) -> list[str]:
    """The text of every table on an open report page."""
    return page.locator("table").all_inner_texts()


def report_screenshot(report: Path, out: Path, full_page: bool = True) -> Path:
    """Open a self-contained HTML report (run, sweep or compare) in Chromium and save a
    screenshot of the whole page."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with browser_page(REPORT_VIEWPORT) as page:
        page.goto(Path(report).resolve().as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(out), full_page=full_page)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "--report":
        print(report_screenshot(Path(args[1]), Path(args[2])))
        return 0
    if not args or len(args) > 2 or args[0].startswith("--"):
        print("usage: python -m gridvalue.viz.browser OUT.png [SCENARIO]\n"
              "       python -m gridvalue.viz.browser --report REPORT.html OUT.png",
              file=sys.stderr)
        return 2
    print(screenshot(Path(args[0]), *args[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
