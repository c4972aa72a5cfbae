"""Transformers: small typed functions from a Dask DataFrame to a Dask DataFrame, one per stage.

Each stage maps a plain pandas function over the partitions (``*_partition``,
``keep_winners``, ...), so the work runs in parallel on the cluster and the
functions are easy to test on small pandas frames.
"""

from .aggregate import aggregate
from .clean import clean
from .dedupe import dedupe
from .derive import derive, round_half_away_from_zero
from .pii import protect
from .validate import validate

__all__ = [
    "aggregate",
    "clean",
    "dedupe",
    "derive",
    "protect",
    "round_half_away_from_zero",
    "validate",
]
