"""gridvalue: agent-based market simulation of a grid company's data-driven energy services."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gridvalue")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
