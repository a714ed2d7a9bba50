"""A private generator's next draws, taken ahead on one background thread.

`DrawAhead` wraps a generator that nothing else draws from and a function `draw(rng, key)`
(NumPy fills its arrays with the GIL released). `take(key)` returns what `draw` would return
now; `ahead(key)` starts the next `take`'s draw on the module's single worker thread, so the
caller's other work overlaps it (`shared_rows` lends the same thread to row-by-row passes).
The generator's numbers and their order are exactly those of calling `draw` in turn: `take`
always waits for the pending draw, uses it when its key (the draw's sizes) is the same, and
otherwise rewinds the generator to where the pending draw began and draws its own. Pickling
or copying resolves the pending draw and carries its arrays (threads and futures are not
picklable). Off (`GRIDVALUE_PREFETCH=0`): `ahead` does nothing, every `take` draws in the
caller's thread and `shared_rows` runs its pass there.
"""

import os
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

PREFETCH_ENV = "GRIDVALUE_PREFETCH"  # 0 (or false, no, off): no background draws
SHARED_MIN_ROWS = 20_000  # rows from which `shared_rows` lends the pass to the worker too

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def prefetch_enabled() -> bool:
    """Whether draws are taken ahead: `GRIDVALUE_PREFETCH`, on unless 0, false, no or off."""
    return os.environ.get(PREFETCH_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def _worker() -> ThreadPoolExecutor:
    """The process's one worker thread, started on first use (one queue: draws run in the
    order they were asked for)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="gridvalue-prefetch")
        return _pool


def _drain() -> None:
    """Wait for every queued draw (before a fork: a child must not inherit a generator that
    a thread, absent there, is filling)."""
    pool = _pool
    if pool is not None:
        try:
            pool.submit(lambda: None).result()
        except RuntimeError:  # shut down at interpreter exit: nothing queued
            pass


def _forget_worker() -> None:
    """In a forked child: the parent's worker thread does not exist; start a new one on use."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


os.register_at_fork(before=_drain, after_in_child=_forget_worker)


def shared_rows(part: Callable[[slice], None], n: int, chunks: int = 8) -> None:
    """`part(slice(0, n))` in `chunks` slices taken in turn by the caller and, beside it, the
    worker thread, when n >= SHARED_MIN_ROWS and prefetching is on: for row-by-row compiled
    passes (nogil) whose rows are computed alone, so the results are the same whoever takes
    which slice. The worker joins once it is free of queued draws; the caller never waits for a
    slice the worker has not started."""
    if n < SHARED_MIN_ROWS or not prefetch_enabled():
        part(slice(0, n))
        return
    bounds = np.linspace(0, n, chunks + 1).astype(int)
    taken = iter(range(chunks))
    lock = threading.Lock()

    def take_all() -> None:
        while True:
            with lock:
                i = next(taken, None)
            if i is None:
                return
            part(slice(bounds[i], bounds[i + 1]))

    future = _worker().submit(take_all)
    try:
        take_all()
    finally:
        if not future.cancel():
            future.result()


class TwoBuffers:
    """Two sets of arrays (float64 unless told) handed out in turn and kept from call to call,
    so that a day's arrays stay intact while the next day's are written and no page is
    allocated anew (at a million customers a fresh (n, 24) array costs about 24 ms a day in
    page faults). A copy (pickle, deepcopy) starts with none."""

    def __init__(self, dtype=np.float64):
        self.dtype = dtype
        self._sets: list[tuple[np.ndarray, ...]] = []
        self._turn = 0

    def next(self, *shapes: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        """The next set of arrays of these shapes (contents left from two calls before)."""
        if not self._sets or [a.shape for a in self._sets[0]] != [tuple(s) for s in shapes]:
            self._sets = [tuple(np.empty(s, self.dtype) for s in shapes) for _ in range(2)]
        arrays = self._sets[self._turn]
        self._turn = 1 - self._turn
        return arrays

    def __getstate__(self) -> dict:
        return {"dtype": self.dtype, "_sets": [], "_turn": 0}


class DrawAhead:
    """`draw(rng, key)` on `rng`, the next call's taken ahead while the caller works."""

    def __init__(self, rng: np.random.Generator, draw: Callable, enabled: bool | None = None):
        self.rng, self.draw = rng, draw
        self.enabled = prefetch_enabled() if enabled is None else enabled
        # (key, generator state before the draw, future, or None once its result is held, result)
        self._pending: tuple[Hashable, dict, Future | None, object] | None = None

    def take(self, key: Hashable):
        """What `draw(rng, key)` gives at this point of the generator's stream."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending_key, start, future, result = pending
            if future is not None:
                result = future.result()  # the generator is the thread's until then
            if pending_key == key:
                return result
            self.rng.bit_generator.state = start  # as if the pending draw never happened
        return self.draw(self.rng, key)

    def ahead(self, key: Hashable) -> None:
        """Start the next `take(key)`'s draw on the worker thread (nothing when off)."""
        if not self.enabled or self._pending is not None:
            return
        start = self.rng.bit_generator.state
        self._pending = (key, start, _worker().submit(self.draw, self.rng, key), None)

    def settle(self) -> None:
        """Wait for the pending draw, keeping it for the next `take`."""
        if self._pending is not None and self._pending[2] is not None:
            key, start, future, _ = self._pending
            self._pending = (key, start, None, future.result())

    def __getstate__(self) -> dict:
        self.settle()
        return self.__dict__.copy()
