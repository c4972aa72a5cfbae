# mypy: disable-error-code="import-untyped, no-untyped-call"
"""What every destination loader provides, and what they share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..loading import Loader as AnyLoader
from ..transformers import aggregate

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from ..config import DatasetConfig


Loader = AnyLoader["dd.DataFrame"]
"""The destinations of this engine: they load its dd.DataFrame."""


def build_aggregate(detail: dd.DataFrame, dataset: DatasetConfig, decimals: int) -> pd.DataFrame:
    """The dataset's aggregate table computed from its whole detail table."""
    return aggregate(detail, dataset.aggregate, dataset.timestamp, decimals)


def arrow_table(frame: pd.DataFrame) -> Any:
    """A pandas frame as an Arrow table, without the index and pandas' schema metadata."""
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def arrow_schema(frame: pd.DataFrame) -> Any:
    """The Arrow schema of a (possibly empty) pandas frame, such as a Dask frame's ``_meta``."""
    return pa.Schema.from_pandas(frame, preserve_index=False).remove_metadata()
