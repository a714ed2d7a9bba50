"""Shared fixtures: small scenarios that run in well under a second (their overrides:
tests/small_scenarios.py)."""

import pytest
from small_scenarios import small

from gridvalue.simulation.model import GridValueModel

SMALL = small()  # 300 households, 60 enterprises, 3 microgrids, 14 days


@pytest.fixture
def small_overrides() -> dict:
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_model() -> GridValueModel:
    """A 14-day run of a small population, run once per test session."""
    return GridValueModel("baseline", overrides=SMALL).run()
