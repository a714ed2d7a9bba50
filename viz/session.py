"""One browser session's simulation: its twin, its network layout, and the commands the page
sends (rebuild, advance). Pure Python, no UI: the page runs these in a worker thread and
shows what `publish` hands it.
"""

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator

from gridvalue.simulation.scenario import Scenario
from gridvalue.viz import snapshot
from gridvalue.viz.layout import NetworkLayout, radial_layout
from gridvalue.viz.snapshot import Snapshot
from gridvalue.viz.twin import Twin

Publish = Callable[[Snapshot, NetworkLayout], None]
KeepGoing = Callable[[], bool]
# Models built or stepped at once, over every visitor: more wait their turn.
MAX_RUNNING = max(2, os.cpu_count() or 1)
SLOTS = threading.BoundedSemaphore(MAX_RUNNING)


@contextlib.contextmanager
def slot(keep_going: KeepGoing, slots: threading.BoundedSemaphore = SLOTS,
         poll_s: float = 0.2) -> Iterator[bool]:
    """Wait for one of the server's run slots; yield whether one was taken (False: the
    command was superseded while waiting, so there is nothing to do)."""
    while not slots.acquire(timeout=poll_s):
        if not keep_going():
            yield False
            return
    try:
        yield True
    finally:
        slots.release()


class Session:
    """The per-session state behind the page (never shared between browser sessions)."""

    def __init__(self, publish_every_s: float = 0.8):
        self.twin: Twin | None = None
        self.layout: NetworkLayout | None = None
        self._layout_key: tuple | None = None
        self.publish_every_s = publish_every_s
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Ask a running `advance` to stop after the current day (it still publishes)."""
        self._stop.set()

    def rebuild(self, scenario: Scenario, to_day: int, keep_going: KeepGoing,
                publish: Publish) -> None:
        """Fresh policy and baseline models of `scenario`, stepped to `to_day` (a changed
        parameter keeps the day the user was looking at)."""
        with slot(keep_going) as taken:
            if taken:
                self._rebuild(scenario, to_day, keep_going, publish)

    def _rebuild(self, scenario: Scenario, to_day: int, keep_going: KeepGoing,
                 publish: Publish) -> None:
        twin = Twin(scenario)
        key = (scenario.meta.seed, repr(scenario.network), repr(scenario.population))
        if key != self._layout_key:  # the network changes only with these
            topo = twin.policy.topology
            self.layout = radial_layout(twin.policy.graph, topo.n_transformers,
                                        topo.n_feeders)
            self._layout_key = key
        self.twin = twin
        self._advance(min(to_day, twin.days), keep_going, publish)

    def advance(self, days: int, keep_going: KeepGoing, publish: Publish) -> None:
        """Step the twin up to `days` days, publishing a snapshot now and then and at the end.

        `keep_going()` false means this command was superseded: stop without publishing.
        """
        with slot(keep_going) as taken:
            if taken:
                self._advance(days, keep_going, publish)

    def _advance(self, days: int, keep_going: KeepGoing, publish: Publish) -> None:
        self._stop.clear()
        twin = self.twin
        if twin is None:
            return
        last, wait = time.perf_counter(), self.publish_every_s

        def on_day(day: int) -> None:
            # redraw now and then; never spend more than about half the time redrawing
            nonlocal last, wait
            now = time.perf_counter()
            if now - last >= wait:
                publish(snapshot.take(twin), self.layout)
                last = time.perf_counter()
                wait = max(self.publish_every_s, last - now)

        done = 0
        while done < days and not twin.finished and not self._stop.is_set() and keep_going():
            done += twin.advance(1, on_day)
        if keep_going():
            publish(snapshot.take(twin), self.layout)
