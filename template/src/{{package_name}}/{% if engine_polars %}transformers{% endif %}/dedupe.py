"""Keep one row per key: the latest (or the earliest) by the dataset's timestamp."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import polars as pl

from ..columns import ROW_NUMBER, SOURCE

if TYPE_CHECKING:
    from collections.abc import Sequence

REPEATED = "_repeated"
"""A temporary column: whether the row's key occurs more than once."""


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

    Only the rows of repeated keys are sorted, usually a small share: the
    others pass through as they are. The result is in no particular order.
    """
    flagged = frame.with_columns(pl.struct(*key).is_duplicated().alias(REPEATED))
    winners = (
        flagged.filter(pl.col(REPEATED))
        .sort([timestamp, SOURCE, ROW_NUMBER], descending=keep == "latest", nulls_last=True)
        .unique(subset=list(key), keep="first", maintain_order=True)
    )
    return pl.concat([flagged.filter(~pl.col(REPEATED)), winners]).drop(REPEATED)
