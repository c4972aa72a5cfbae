"""Clean raw strings: trim surrounding whitespace and treat empty values as missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..columns import raw_column

if TYPE_CHECKING:
    from collections.abc import Iterable


def clean(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """Trim each of ``columns`` and turn empty strings into nulls.

    The untouched source strings stay available as ``_raw_<column>`` for the
    quarantine, which shows rejected rows exactly as they were read.
    """
    names = list(columns)
    return frame.with_columns(
        *(pl.col(name).alias(raw_column(name)) for name in names),
        *(clean_text(pl.col(name)).alias(name) for name in names),
    )


def clean_text(value: pl.Expr) -> pl.Expr:
    """``value`` without surrounding whitespace, or null when nothing is left."""
    trimmed = value.str.strip_chars()
    return pl.when(trimmed.str.len_bytes() > 0).then(trimmed)
