"""The load engine's draws taken ahead on a background thread (simulation/prefetch.py) give
the arrays of the serial engine, day after day, after a pickle or a copy mid-run, when the
number of customers changes and in a forked child; the option turns them off. Row-by-row
passes shared with the same thread give the serial results."""

import copy
import multiprocessing
import pickle
import threading
import time

import numpy as np
import pandas as pd
import pytest

from gridvalue.experiments.runner import model_tables
from gridvalue.simulation import prefetch
from gridvalue.simulation.dataplatform import clear_history_cache
from gridvalue.simulation.loads import LoadEngine
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.tables import Table

DAYS = 8


def _model(noise: str = "normal") -> GridValueModel:
    return GridValueModel("baseline", seed=11, overrides={
        "population.households": 150, "population.enterprises": 20,
        "population.microgrids": 1, "meta.days": DAYS, "profiles.interval_noise": noise})


def _engines(model: GridValueModel) -> tuple[LoadEngine, LoadEngine]:
    """A prefetching and a serial engine on the model's scenario and seed."""
    ahead = LoadEngine(model.scenario, Streams(model.streams.seed), prefetch=True)
    serial = LoadEngine(model.scenario, Streams(model.streams.seed), prefetch=False)
    return ahead, serial


@pytest.mark.parametrize("noise", ["normal", "table"])
def test_prefetching_engine_gives_the_serial_arrays(noise):
    model = _model(noise)
    ahead, serial = _engines(model)
    for day in range(DAYS):
        a, b = ahead.gross_kw(model.customers, day), serial.gross_kw(model.customers, day)
        np.testing.assert_array_equal(a, b)
        assert serial.noise_draws._pending is None  # off: nothing drawn ahead
        if day + 1 < DAYS:
            assert ahead.noise_draws._pending is not None  # on: tomorrow's draws pending
    assert ahead.noise_draws._pending is None  # none after the horizon's last day
    # and the model's own engine (on by default) gives the same days
    assert model.loads.noise_draws.enabled
    np.testing.assert_array_equal(model.loads.gross_kw(model.customers, 0),
                                  LoadEngine(model.scenario, Streams(model.streams.seed),
                                             prefetch=False).gross_kw(model.customers, 0))


def test_pickle_and_copy_mid_run_carry_the_pending_draws():
    model = _model()
    ahead, serial = _engines(model)
    for day in range(3):
        np.testing.assert_array_equal(ahead.gross_kw(model.customers, day),
                                      serial.gross_kw(model.customers, day))
    assert ahead.noise_draws._pending is not None
    restored = pickle.loads(pickle.dumps(ahead))
    copied = copy.deepcopy(ahead)
    for day in range(3, DAYS):
        expected = serial.gross_kw(model.customers, day)
        for engine in (restored, copied, ahead):
            np.testing.assert_array_equal(engine.gross_kw(model.customers, day), expected)


def test_a_call_with_other_sizes_draws_what_the_serial_engine_draws():
    """The pending draws are for n customers; a call with fewer rewinds the stream first."""
    model = _model()
    ahead, serial = _engines(model)
    fewer = Table("customers", {k: v[:100] for k, v in model.customers.columns.items()})
    for day, customers in enumerate([model.customers, fewer, fewer, model.customers,
                                     model.customers]):
        np.testing.assert_array_equal(ahead.gross_kw(customers, day),
                                      serial.gross_kw(customers, day))


def test_a_forked_child_draws_the_serial_arrays():
    """A fork waits for the pending draw (no generator half-filled by an absent thread) and
    the child starts its own worker thread."""
    model = _model()
    ahead, serial = _engines(model)
    ahead.gross_kw(model.customers, 0)
    serial.gross_kw(model.customers, 0)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def child() -> None:
        queue.put([ahead.gross_kw(model.customers, day).tobytes() for day in (1, 2)])

    process = context.Process(target=child)
    process.start()
    days = queue.get(timeout=120)
    process.join(timeout=60)
    assert process.exitcode == 0
    assert days == [serial.gross_kw(model.customers, day).tobytes() for day in (1, 2)]


@pytest.mark.parametrize("value, enabled", [("0", False), ("off", False), ("1", True),
                                            (None, True)])
def test_the_environment_turns_prefetch_off(monkeypatch, value, enabled):
    if value is None:
        monkeypatch.delenv(prefetch.PREFETCH_ENV, raising=False)
    else:
        monkeypatch.setenv(prefetch.PREFETCH_ENV, value)
    model = _model()
    assert model.loads.noise_draws.enabled is enabled
    model.step()
    assert (model.loads.noise_draws._pending is not None) is enabled


def test_shared_rows_takes_every_slice_once_on_both_threads(monkeypatch):
    monkeypatch.delenv(prefetch.PREFETCH_ENV, raising=False)
    monkeypatch.setattr(prefetch, "SHARED_MIN_ROWS", 1)
    seen, threads = [], set()

    def part(rows: slice) -> None:
        seen.extend(range(1000)[rows])
        threads.add(threading.get_ident())
        time.sleep(0.02)  # the GIL released: the worker takes slices meanwhile

    prefetch.shared_rows(part, 1000)
    assert sorted(seen) == list(range(1000))
    assert len(threads) == 2
    seen.clear()
    monkeypatch.setenv(prefetch.PREFETCH_ENV, "0")  # off: one call in the caller's thread
    prefetch.shared_rows(part, 1000)
    assert seen == list(range(1000))


def test_shared_rows_raises_what_a_slice_raises(monkeypatch):
    monkeypatch.setattr(prefetch, "SHARED_MIN_ROWS", 1)

    def part(rows: slice) -> None:
        if rows.start == 0:
            raise ValueError("the first slice")

    with pytest.raises(ValueError, match="the first slice"):
        prefetch.shared_rows(part, 100)


@pytest.mark.parametrize("scenario", ["baseline", "tou_pricing", "realtime_pricing",
                                      "price_packages"])
def test_rows_shared_with_the_worker_give_the_serial_tables(monkeypatch, scenario):
    """Every shared pass (the day's demand, the response, the bills, price_packages' history
    days) on two threads, and the history's draws taken ahead, give the tables of the run
    without any background thread."""
    overrides = {"population.households": 150, "population.enterprises": 20,
                 "population.microgrids": 1, "meta.days": 20}

    def tables() -> dict:
        clear_history_cache()  # the platform's history simulated again each time
        model = GridValueModel(scenario, seed=4, overrides=overrides).run()
        return model_tables(model)

    monkeypatch.setattr(prefetch, "SHARED_MIN_ROWS", 1)
    monkeypatch.delenv(prefetch.PREFETCH_ENV, raising=False)
    shared = tables()
    monkeypatch.setenv(prefetch.PREFETCH_ENV, "0")
    serial = tables()
    assert shared.keys() == serial.keys()
    for name in shared:
        pd.testing.assert_frame_equal(shared[name], serial[name], check_exact=True)
