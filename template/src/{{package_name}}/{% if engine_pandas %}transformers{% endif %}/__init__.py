"""Transformers: small pure functions from a DataFrame to a DataFrame, one per stage."""

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
