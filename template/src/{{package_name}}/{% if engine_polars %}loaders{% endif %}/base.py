"""What every destination loader provides, and what they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..loading import Loader as AnyLoader
from ..transformers import aggregate

if TYPE_CHECKING:
    import polars as pl

    from ..config import DatasetConfig


Loader = AnyLoader["pl.DataFrame"]
"""The destinations of this engine: they load its pl.DataFrame."""


def build_aggregate(detail: pl.LazyFrame, dataset: DatasetConfig, decimals: int) -> pl.DataFrame:
    """The dataset's aggregate table computed from its whole detail table."""
    return aggregate(detail, dataset.aggregate, dataset.timestamp, decimals).collect()
