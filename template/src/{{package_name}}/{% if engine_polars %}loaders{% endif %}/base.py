"""What every destination loader provides, and what they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..loading import Loader as AnyLoader
from ..staging import STREAMING
from ..transformers import aggregate

if TYPE_CHECKING:
    import polars as pl

    from ..config import DatasetConfig


Loader = AnyLoader["pl.LazyFrame"]
"""The destinations of this engine: they load a lazy scan of the staged detail rows."""


def build_aggregate(detail: pl.LazyFrame, dataset: DatasetConfig, decimals: int) -> pl.DataFrame:
    """The dataset's aggregate table computed from its whole detail table.

    The group-by streams over ``detail``: memory grows with the number of
    groups, not of rows.
    """
    return aggregate_plan(detail, dataset, decimals).collect(engine=STREAMING)


def aggregate_plan(detail: pl.LazyFrame, dataset: DatasetConfig, decimals: int) -> pl.LazyFrame:
    """The plan of the dataset's aggregate table over its whole detail table ``detail``."""
    return aggregate(detail, dataset.aggregate, dataset.timestamp, decimals)
