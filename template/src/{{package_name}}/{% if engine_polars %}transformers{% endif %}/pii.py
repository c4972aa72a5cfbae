"""Protect the personal-data columns: ``pii: hash`` and ``pii: mask`` (see ``privacy``)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import polars as pl

from ..columns import raw_column
from ..privacy import KEEP, MASK, hmac_hex

if TYPE_CHECKING:
    from ..privacy import PiiPolicy


def protect(frame: pl.LazyFrame, policy: PiiPolicy) -> pl.LazyFrame:
    """Hash or mask each protected column and its raw copy (``_raw_<column>``)."""
    if not policy.columns:
        return frame
    return frame.with_columns(
        *(
            hash_text(pl.col(name), policy.key).alias(name)
            for column in policy.hashed
            for name in (column, raw_column(column))
        ),
        *(
            mask_text(pl.col(name)).alias(name)
            for column in policy.masked
            for name in (column, raw_column(column))
        ),
    )


def hash_text(value: pl.Expr, key: bytes) -> pl.Expr:
    """HMAC-SHA256 of each string, in hex; null stays null.

    Polars has no HMAC, so each batch goes through Python's ``hmac`` (C code);
    the expression stays elementwise, so the streaming engine keeps it.
    """
    return value.map_batches(
        partial(_hash_series, key), return_dtype=pl.String, is_elementwise=True
    )


def mask_text(value: pl.Expr) -> pl.Expr:
    """``MASK`` followed by the last ``KEEP`` characters; null stays null."""
    return pl.lit(MASK) + value.str.slice(-KEEP)


def _hash_series(key: bytes, values: pl.Series) -> pl.Series:
    digests = [None if text is None else hmac_hex(key, text) for text in values.to_list()]
    return pl.Series(values.name, digests, dtype=pl.String)
