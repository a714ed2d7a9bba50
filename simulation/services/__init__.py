"""Services the grid company sells: one module per family, each service registered by name.

A scenario selects and parameterises a service with a `[services.NAME]` table. Every module in
this package is imported on first use, so adding a service is adding one module.
"""

import importlib
import pkgutil

from gridvalue.simulation.services.base import REGISTRY, Service


def registry() -> dict[str, type[Service]]:
    """All registered services by name (imports every module of the package once)."""
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base":
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def params_registry() -> dict[str, type]:
    """Each registered service's parameter dataclass, by service name."""
    return {name: cls.Params for name, cls in registry().items()}


def reads_estimates(scenario) -> bool:
    """Whether anything in a run of `scenario` reads the data platform's estimates (so the
    platform simulates its history): a service or a competitor's offer whose class
    `reads_estimates`, a company strategy other than `fixed` (they rank contacts by the
    estimates), or `data_platform.history = "always"`."""
    if scenario.data_platform.history == "always" or scenario.company.strategy != "fixed":
        return True
    services = registry()
    offers = list(scenario.services) + [spec.offer for spec in scenario.competitors.values()]
    return any(services[name].reads_estimates for name in offers)
