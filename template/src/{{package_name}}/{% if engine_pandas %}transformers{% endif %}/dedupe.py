"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from ..columns import ROW_NUMBER, SOURCE
from ..dtypes import to_arrow

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt


def dedupe(
    frame: pd.DataFrame,
    key: Sequence[str],
    timestamp: str,
    keep: Literal["latest", "earliest"],
) -> pd.DataFrame:
    """One row per ``key``: the one with the latest (or earliest) ``timestamp``.

    Ties on the timestamp go to the row read last for ``latest`` (the highest
    ``_source``, then ``_row_number``) and to the row read first for
    ``earliest``, so the result never depends on the input's order. Exact
    duplicate rows collapse to one. Rows with a missing timestamp lose to any
    other row of their key.

    The rows are ranked once (one stable sort on the timestamp when the frame
    is in read order, as extracted frames are) and the first row of each key
    in that ranking wins. Only the key columns are reordered to find the
    winners; the winning rows are then picked out in the input's order, with a
    fresh index, which is cheaper than reordering every column. The number of
    dropped rows is the difference between the input's and the output's
    lengths.
    """
    ranking = rank(frame, timestamp, descending=keep == "latest")
    keys = frame[list(key)].take(ranking)
    winners = np.zeros(len(frame), dtype=bool)
    winners[ranking[~keys.duplicated(keep="first").to_numpy()]] = True
    return frame[winners].reset_index(drop=True)


def rank(frame: pd.DataFrame, timestamp: str, *, descending: bool) -> npt.NDArray[np.intp]:
    """Row positions ordered by ``timestamp``, then ``_source``, then ``_row_number``.

    All three ascending, or all three descending; missing timestamps come last.
    """
    moments = _sort_keys(frame[timestamp], missing=np.iinfo(np.int64).min if descending else None)
    sources, _ = pd.factorize(frame[SOURCE], sort=True)
    rows = frame[ROW_NUMBER].to_numpy(dtype=np.int64)
    next_source, next_row = np.diff(sources), np.diff(rows)
    if np.all((next_source > 0) | ((next_source == 0) & (next_row > 0))):
        # in read order: the position already breaks the ties
        ranking = np.argsort(moments, kind="stable")
    else:
        ranking = np.lexsort((rows, sources, moments))
    return ranking[::-1] if descending else ranking


def _sort_keys(values: pd.Series, *, missing: int | None) -> npt.NDArray[np.int64]:
    """Timestamps or dates as integers that sort like them; nulls become ``missing`` (or last)."""
    data = to_arrow(values)
    if pa.types.is_date(data.type):
        data = pc.cast(data, pa.timestamp("us"))
    numbers = pc.cast(data, pa.int64())
    fill = np.iinfo(np.int64).max if missing is None else missing
    return np.asarray(pc.fill_null(numbers, fill).to_numpy(), dtype=np.int64)
