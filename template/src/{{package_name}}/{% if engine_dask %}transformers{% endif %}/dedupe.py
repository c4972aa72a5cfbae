# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from ..columns import ROW_NUMBER, SOURCE
from .frames import as_numpy, meta_of, to_arrow

if TYPE_CHECKING:
    from collections.abc import Sequence

    import dask.dataframe as dd


def dedupe(
    frame: dd.DataFrame,
    key: Sequence[str],
    timestamp: str,
    keep: Literal["latest", "earliest"],
) -> dd.DataFrame:
    """One row per ``key``: the one with the latest (or earliest) ``timestamp``.

    The rows are shuffled on the key (hash partitioning, so every row of a key
    lands in the same partition), then each partition keeps its winners. Ties
    on the timestamp go to the row read last for ``latest`` (the highest
    ``_source``, then ``_row_number``) and to the row read first for
    ``earliest``, so the result never depends on the execution order. Exact
    duplicate rows collapse to one. The number of dropped rows is the
    difference between the input's and the output's lengths.
    """
    names = list(key)
    shuffled = frame.shuffle(on=names)
    winners: dd.DataFrame = shuffled.map_partitions(
        keep_winners, names, timestamp, keep, meta=meta_of(frame)
    )
    return winners


def keep_winners(
    part: pd.DataFrame, key: list[str], timestamp: str, keep: Literal["latest", "earliest"]
) -> pd.DataFrame:
    """``dedupe`` on one partition that holds every row of its keys."""
    latest = keep == "latest"
    order = np.lexsort(
        [_sort_key(part[name], nulls_first=latest) for name in (ROW_NUMBER, SOURCE, timestamp)]
    )
    if latest:
        order = order[::-1]
    keys = part[key].take(order)
    winners = order[~keys.duplicated(keep="first").to_numpy()]
    return part.take(np.sort(winners))


def _sort_key(values: pd.Series, *, nulls_first: bool) -> np.ndarray:
    """int64 values that sort like ``values``, nulls smallest or largest.

    Numbers, dates and datetimes are used as they are; an ordered categorical
    (``_source``) sorts by its codes; anything else is factorised in sorted order.
    """
    null = np.iinfo(np.int64).min if nulls_first else np.iinfo(np.int64).max
    if isinstance(values.dtype, pd.CategoricalDtype) and values.dtype.ordered:
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        return np.where(codes < 0, null, codes)
    array = to_arrow(values)
    if pa.types.is_integer(array.type) or pa.types.is_temporal(array.type):
        numbers = array.cast(pa.int64()) if pa.types.is_integer(array.type) else _as_int64(array)
        return as_numpy(numbers, fill=null).astype(np.int64)
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return np.where(codes < 0, null, codes)


def _as_int64(array: Any) -> Any:
    """A date or timestamp Arrow array as int64 counts since the epoch."""
    if pa.types.is_date32(array.type):
        return array.cast(pa.int32()).cast(pa.int64())
    return array.cast(pa.timestamp("us")).cast(pa.int64())
