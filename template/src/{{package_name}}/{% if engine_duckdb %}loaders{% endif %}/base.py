"""What every destination loader provides, and what they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..loading import Loader as AnyLoader
from ..transformers import aggregate, column_types

if TYPE_CHECKING:
    import duckdb

    from ..config import DatasetConfig


Loader = AnyLoader["duckdb.DuckDBPyRelation"]
"""The destinations of this engine: they load its duckdb.DuckDBPyRelation."""


def build_aggregate(
    detail: duckdb.DuckDBPyRelation, dataset: DatasetConfig, decimals: int
) -> duckdb.DuckDBPyRelation:
    """The dataset's aggregate table computed from its whole detail table (lazily)."""
    return aggregate(detail, dataset.aggregate, dataset.timestamp, column_types(dataset), decimals)
