"""Batch data pipeline: extract, clean, validate, de-duplicate, aggregate and load.

Run it with the console script or ``python -m`` and the ``run`` command; see ``cli``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version(__package__ or __name__)
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
