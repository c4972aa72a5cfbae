"""Derived money columns, rounded half away from zero with exact decimal arithmetic.

Binary floats cannot hold most decimal fractions: ``2.675`` is stored as
``2.67499999999999982236431605997495353221893310546875``, so rounding the float
gives ``2.67`` and ``round()``-style half-to-even rounding turns ``0.125`` into
``0.12``. Money must round the way people do, so every money value is first
taken as the decimal it was written as (the shortest representation that reads
back as the same float, such as ``2.675``), computed and rounded in exact
decimal arithmetic (``Decimal(38, 12)``), and only then converted back to the
nearest float. With two decimals: ``2.675 -> 2.68``, ``1.005 -> 1.01``,
``-0.125 -> -0.13``, ``0.125 -> 0.13``. Inputs with more than 12 decimal places
are truncated to 12 before rounding, which cannot change a result rounded to at
most 6 places.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

EXACT = pl.Decimal(38, 12)
"""The exact decimal type money is computed in."""


def derive(
    frame: pl.LazyFrame, products: Mapping[str, tuple[str, str]], decimals: int
) -> pl.LazyFrame:
    """Add each derived column ``name = a * b``, rounded to ``decimals`` places.

    Args:
        frame: Typed rows.
        products: Derived column name to its two numeric operand columns.
        decimals: Decimal places of the result, rounded half away from zero.
    """
    return frame.with_columns(
        round_decimal(as_exact(pl.col(left)) * as_exact(pl.col(right)), decimals).alias(name)
        for name, (left, right) in products.items()
    )


def as_exact(value: pl.Expr) -> pl.Expr:
    """A numeric expression as the exact decimal it was written as (see the module doc)."""
    return value.cast(pl.String).cast(EXACT)


def round_decimal(value: pl.Expr, decimals: int) -> pl.Expr:
    """Round an exact decimal expression half away from zero, as a float."""
    return value.round(decimals, mode="half_away_from_zero").cast(pl.Float64)


def round_half_away_from_zero(value: pl.Expr, decimals: int) -> pl.Expr:
    """Round a numeric expression half away from zero, exactly (see the module doc)."""
    return round_decimal(as_exact(value), decimals)
