"""What the view may open, and how big a visitor's models may be.

The scenario picker offers a fixed catalogue: the packaged scenarios, the `.toml` files in the
folder given at start-up (`gridvalue viz --scenarios DIR`) and the scenario the server was
started with. A picked value is looked up in it, never read as a path, so a crafted message
from a browser cannot make the server read its files. Each visitor's models are capped in
customers × days (and in memory), and lever text in length.
"""

import functools
import os
from pathlib import Path

from gridvalue.simulation.scenario import Scenario, load_scenario, packaged_scenarios
from gridvalue.simulation.schema import ScenarioError

SCENARIOS_DIR_ENV = "GRIDVALUE_VIZ_SCENARIOS"  # the folder given with --scenarios
MAX_CUSTOMER_DAYS = 10_000_000  # per model: 27,000 customers for a year, about 1 min of work
MAX_CATALOGUE_FILES = 200
MAX_LEVER_CHARS = 64


@functools.cache
def _packaged() -> dict[str, tuple[str, str]]:
    return {name: (name, load_scenario(name).meta.description)
            for name in sorted(packaged_scenarios())}


def _is_path(ref: str) -> bool:
    return ref.endswith(".toml") or "/" in ref


def catalogue(start: str, folder: str | None = None) -> dict[str, tuple[str, str]]:
    """Name shown in the picker → (reference to load, description), for the packaged
    scenarios, the regular `.toml` files directly in `folder` (default: the start-up folder
    from the environment) and the start scenario. Files that do not load are left out."""
    entries = dict(_packaged())
    folder = os.environ.get(SCENARIOS_DIR_ENV) if folder is None else folder
    files = []
    if folder:
        try:
            files = sorted(p for p in Path(folder).iterdir()
                           if p.suffix == ".toml" and p.is_file())[:MAX_CATALOGUE_FILES]
        except OSError:
            files = []
    if _is_path(start):
        files.append(Path(start))
    for path in files:
        name = path.stem if path.stem not in entries else f"{path.stem} ({path.name})"
        try:
            entries.setdefault(name, (str(path.resolve()),
                                      load_scenario(str(path.resolve())).meta.description))
        except (ScenarioError, OSError):
            continue
    return entries


def start_name(start: str, entries: dict[str, tuple[str, str]]) -> str:
    """The picker's name of the start scenario."""
    if start in entries:
        return start
    if _is_path(start):
        resolved = str(Path(start).resolve())
        for name, (ref, _) in entries.items():
            if ref == resolved:
                return name
    return start


def check_size(scenario: Scenario) -> None:
    """Refuse a visitor's scenario beyond the view's caps (ScenarioError): customers × days
    per model, and the memory of the policy model and its twin."""
    from gridvalue.experiments import limits

    n, days = scenario.n_customers, scenario.meta.days
    if n * days > MAX_CUSTOMER_DAYS:
        raise ScenarioError("population", f"the view runs at most {MAX_CUSTOMER_DAYS:,} "
                            f"customer-days per model, this is {n * days:,} ({n:,} customers "
                            f"× {days:,} days); use `gridvalue run` for bigger cases")
    needed = 2 * (limits.run_memory_bytes(scenario) - limits.PROCESS_BASE_BYTES)
    limits.check_memory(needed, f"a model of {n:,} customers and its twin")
