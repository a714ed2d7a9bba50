"""Shared fixtures: small scenarios that run in well under a second."""

import pytest

from gridvalue.simulation.model import GridValueModel

SMALL = {
    "population.households": 300,
    "population.enterprises": 60,
    "population.microgrids": 3,
    "meta.days": 14,
}


@pytest.fixture
def small_overrides() -> dict:
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_model() -> GridValueModel:
    """A 14-day run of a small population, run once per test session."""
    return GridValueModel("baseline", overrides=SMALL).run()
