"""Transformers: small functions from a lazy DuckDB relation to a lazy relation, one per stage."""

from .aggregate import aggregate, column_types
from .clean import clean
from .dedupe import dedupe
from .derive import derive
from .pii import protect
from .validate import rejected_rows, valid_rows, validate

__all__ = [
    "aggregate",
    "clean",
    "column_types",
    "dedupe",
    "derive",
    "protect",
    "rejected_rows",
    "valid_rows",
    "validate",
]
