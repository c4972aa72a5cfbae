"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..columns import ROW_NUMBER, SOURCE

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl


def dedupe(
    frame: pl.LazyFrame,
    key: Sequence[str],
    timestamp: str,
    keep: Literal["latest", "earliest"],
) -> pl.LazyFrame:
    """One row per ``key``: the one with the latest (or earliest) ``timestamp``.

    Ties on the timestamp go to the row read last for ``latest`` (the highest
    ``_source``, then ``_row_number``) and to the row read first for
    ``earliest``, so the result never depends on the engine's execution order.
    Exact duplicate rows collapse to one. The number of dropped rows is the
    difference between the input's and the output's heights.
    """
    return frame.sort(
        [timestamp, SOURCE, ROW_NUMBER], descending=keep == "latest", nulls_last=True
    ).unique(subset=list(key), keep="first", maintain_order=True)
