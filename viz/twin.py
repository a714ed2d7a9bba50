"""A scenario and its baseline twin, stepped together with the same seed.

The twin is the same scenario (population, network, profiles, company, market, horizon, seed)
with the policy sections put back to the packaged baseline's: no services, baseline tariff and
data platform. Common random numbers make the difference between the two the policy's effect.
"""

import threading
from collections.abc import Callable

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import Scenario, load_scenario, scenario_from_dict

POLICY_SECTIONS = ("services", "tariff", "storage", "data_platform", "report")


def baseline_twin(scenario: Scenario) -> Scenario:
    """`scenario` with its policy sections replaced by the packaged baseline's."""
    raw = scenario.to_dict()
    base = load_scenario("baseline").to_dict()
    for section in POLICY_SECTIONS:
        raw[section] = base[section]
    raw["meta"]["name"] = f"{scenario.meta.name} (baseline)"
    return scenario_from_dict(raw)


class Twin:
    """The policy model and its baseline twin; `advance` steps both in lockstep."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.policy = GridValueModel(scenario)
        self.baseline = GridValueModel(baseline_twin(scenario))
        self.lock = threading.Lock()  # held while stepping; snapshots read under it

    @property
    def day(self) -> int:
        """Days simulated so far."""
        return self.policy.steps

    @property
    def days(self) -> int:
        return self.policy.days

    @property
    def finished(self) -> bool:
        return not self.policy.running

    def advance(self, days: int, on_day: Callable[[int], None] | None = None,
                stop: threading.Event | None = None) -> int:
        """Step both models up to `days` days (not past the horizon); return days stepped.

        `on_day(day)` is called after each day; setting `stop` ends the loop after a day.
        """
        done = 0
        while done < days and not self.finished:
            if stop is not None and stop.is_set():
                break
            with self.lock:
                self.policy.step()
                self.baseline.step()
            done += 1
            if on_day is not None:
                on_day(self.day)
        return done
