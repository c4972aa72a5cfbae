# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Column types of the partitions, and zero-copy moves between pandas and Arrow.

Every column of a partition is Arrow-backed: strings are pandas' pyarrow strings
and the other declared types are ``pd.ArrowDtype`` columns, so the stages run
pyarrow compute kernels and numpy on the same memory without copying.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

STRING = pd.StringDtype("pyarrow")
"""The dtype of string columns: pandas' pyarrow-backed strings with ``pd.NA``."""

FLOAT = pd.ArrowDtype(pa.float64())


def meta_of(frame: dd.DataFrame) -> pd.DataFrame:
    """The empty pandas frame that describes a Dask frame's columns and dtypes."""
    meta: pd.DataFrame = frame._meta  # noqa: SLF001 - dask's documented prototype
    return meta


def to_arrow(values: pd.Series) -> Any:
    """The values of a column as one Arrow array, without a copy where possible."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        return array.combine_chunks()
    return array


def to_series(array: Any, index: pd.Index) -> pd.Series:
    """An Arrow array as a pandas column on ``index`` (pyarrow strings for text)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return pd.Series(pd.arrays.ArrowStringArray(array.cast(pa.large_string())), index=index)
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=index)


def as_numpy(values: Any, fill: Any) -> np.ndarray:
    """An Arrow array as a numpy array with nulls replaced by ``fill``."""
    return np.asarray(pc.fill_null(values, fill).to_numpy(zero_copy_only=False))


def valid_mask(values: Any) -> np.ndarray:
    """Which entries of an Arrow array are not null, as a numpy boolean array."""
    return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)


def pandas_dtype(arrow_type: Any) -> Any:
    """The pandas dtype of an Arrow type: pyarrow strings for text, ``pd.ArrowDtype`` otherwise."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return STRING
    return pd.ArrowDtype(arrow_type)


def arrow_to_pandas(table: Any) -> pd.DataFrame:
    """An Arrow table as a pandas frame of Arrow-backed columns (no copy for most types)."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=pandas_dtype, ignore_metadata=True)
    return frame


def read_parquet_partitions(
    paths: Sequence[Path], columns: list[str] | None = None
) -> dd.DataFrame:
    """Parquet files as a Dask frame with one partition per row group, in file order."""
    pieces = [
        (str(path.resolve()), group)
        for path in paths
        for group in range(pq.ParquetFile(path).num_row_groups)
    ]
    schema = pq.read_schema(paths[0])
    meta = arrow_to_pandas(schema.empty_table().select(columns or schema.names))
    frame: dd.DataFrame = dd.from_map(
        read_row_group, pieces, columns=columns, meta=meta, label="read-parquet"
    )
    return frame


def read_row_group(piece: tuple[str, int], columns: list[str] | None) -> pd.DataFrame:
    """One row group of a Parquet file as a pandas partition (see ``arrow_to_pandas``)."""
    path, group = piece
    return arrow_to_pandas(pq.ParquetFile(path).read_row_group(group, columns=columns))
