"""Shared fixtures: the small scenarios the tests run, so the populations and horizons are in
one place and each test file names only how its scenario differs.

- `small(households, enterprises, microgrids, days, **settings)`: a factory of the overrides
  of a small scenario (the defaults: 300 households, 60 enterprises, 3 microgrids, 14 days).
- `mechanics`: settings that test a service's mechanics, not choice (tests/test_choice.py):
  the offers customers consider are taken.
- `as_set_args(overrides)`: the same overrides as `--set` arguments of the command line.
- `small_overrides`: the overrides of the test file's small scenario; the default small one
  unless the file overrides the fixture (module-scoped there, built with `small`).
- `small_model`: a 14-day run of the default small scenario, run once per test session.

The factories are pure, so they are session-scoped; the dicts they give are never mutated
by a test (tests merge into a new dict: `small_overrides | {...}`).
"""

import types

import pytest

from gridvalue.simulation.model import GridValueModel

MECHANICS = types.MappingProxyType({  # read-only: shared by the whole session
    "choice.ceiling": "off",
    "choice.self_finance": False,
})


def _small(households: int = 300, enterprises: int = 60, microgrids: int | None = 3,
           days: int | None = 14, **settings) -> dict:
    """Overrides of a small scenario: the population (microgrids None: the scenario's own),
    the horizon in days (None: the scenario's own) and any further `settings` by dotted path
    (`small(**{"market.initial_awareness_share": 1.0})`)."""
    out = {"population.households": households, "population.enterprises": enterprises}
    if microgrids is not None:
        out["population.microgrids"] = microgrids
    if days is not None:
        out["meta.days"] = days
    return out | settings


def _as_set_args(overrides: dict) -> list[str]:
    return [a for key, value in overrides.items() for a in ("--set", f"{key}={value}")]


@pytest.fixture(scope="session")
def small():
    return _small


@pytest.fixture(scope="session")
def mechanics():
    return MECHANICS


@pytest.fixture(scope="session")
def as_set_args():
    return _as_set_args


@pytest.fixture
def small_overrides(small) -> dict:
    return small()


@pytest.fixture(scope="session")
def small_model(small) -> GridValueModel:
    """A 14-day run of a small population, run once per test session."""
    return GridValueModel("baseline", overrides=small()).run()
