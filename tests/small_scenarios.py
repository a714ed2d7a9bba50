"""Small scenarios the tests share (imported by conftest.py and the test files; `tests/` is on
pytest's `pythonpath`).

`small(...)` gives the overrides of a small population and a short horizon; each test file
names only how its scenario differs, so the populations and horizons the tests run are in one
place.
"""

MECHANICS = {  # test the services' mechanics, not choice (tests/test_choice.py): offers
    "choice.ceiling": "off",  # considered are taken
    "choice.self_finance": False,
}


def small(households: int = 300, enterprises: int = 60, microgrids: int | None = 3,
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


def as_set_args(overrides: dict) -> list[str]:
    """The same overrides as `--set` arguments of the command line."""
    return [a for key, value in overrides.items() for a in ("--set", f"{key}={value}")]
