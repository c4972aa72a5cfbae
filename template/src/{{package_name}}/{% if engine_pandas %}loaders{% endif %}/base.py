"""What every destination loader provides, and what they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..loading import Loader as AnyLoader
from ..transformers import aggregate

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from ..config import DatasetConfig


Loader = AnyLoader["pd.DataFrame"]
"""The destinations of this engine: they load its pd.DataFrame."""


def build_aggregate(detail: pd.DataFrame, dataset: DatasetConfig, decimals: int) -> pd.DataFrame:
    """The dataset's aggregate table computed from its whole detail table."""
    return aggregate(detail, dataset.aggregate, dataset.timestamp, decimals)
