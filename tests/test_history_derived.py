"""A `voi`'s shorter histories derived from the longest (simulation/dataplatform.py
`derived_histories`) are byte-identical to the ones simulated on their own."""

import dataclasses

import numpy as np
import pytest

from gridvalue.simulation import dataplatform as dp
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.scenario import load_scenario

SMALL = {"meta.days": 3, "population.households": 120, "population.enterprises": 90,
         "population.microgrids": 2}


def _inputs(world: str, months: int, seed: int = 4):
    scenario = load_scenario("value_of_information", SMALL | {
        "data_platform.world": world, "data_platform.history_months": months})
    model = GridValueModel(scenario, seed=seed)
    return model.scenario, model.customers, model.type_column("flexibility_share"), seed


def _same(a: dp._History, b: dp._History) -> None:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        assert x.dtype == y.dtype and x.shape == y.shape, field.name
        assert x.tobytes() == y.tobytes(), field.name  # byte for byte, NaN included


@pytest.mark.parametrize("world", ["mixed", "no_signature", "weather_sensitive"])
def test_derived_histories_are_the_separately_simulated_ones(world):
    scenario, customers, flex, seed = _inputs(world, 24)
    family = dp._simulate_history(scenario, customers, flex, Streams(seed), windows=(3, 12, 24))
    assert sorted(family) == [3, 12, 24]
    for months in (3, 12, 24):
        alone = dp._simulate_history(*_inputs(world, months)[:3], Streams(seed))
        _same(family[months], alone)
    assert family[3].daily_kwh.shape[1] < family[12].daily_kwh.shape[1] < \
        family[24].daily_kwh.shape[1]
    assert not np.array_equal(family[3].profile_kw, family[24].profile_kw)


def test_a_planned_voi_simulates_the_longest_history_once(monkeypatch):
    calls = []
    simulate = dp._simulate_history

    def counted(scenario, *args, **kwargs):
        calls.append(scenario.data_platform.history_months)
        return simulate(scenario, *args, **kwargs)

    monkeypatch.setattr(dp, "_simulate_history", counted)
    dp.clear_history_cache()
    with dp.derived_histories([3, 12, 24]):
        planned = {m: dp._cached_history(*_inputs("mixed", m)[:3], Streams(4))
                   for m in (12, 3, 24)}
    assert calls == [24]
    dp.clear_history_cache()
    for months in (3, 12, 24):
        _same(planned[months], dp._cached_history(*_inputs("mixed", months)[:3], Streams(4)))
    assert calls == [24, 3, 12, 24]  # without the plan: one each
    dp.clear_history_cache()


def test_a_window_longer_than_the_history_is_refused():
    scenario, customers, flex, seed = _inputs("mixed", 3)
    with pytest.raises(ValueError, match="shorter"):
        dp._simulate_history(scenario, customers, flex, Streams(seed), windows=(3, 12))
