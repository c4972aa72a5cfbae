"""Derived money columns, rounded half away from zero with exact decimal arithmetic.

``name = a * b`` is computed from the decimals ``a`` and ``b`` were written as
and rounded exactly (see ``exact``): with two decimals ``2.675 -> 2.68``,
``1.005 * 3 -> 3.02``, ``-0.125 -> -0.13``. The result is the float nearest to
the rounded decimal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sql import quote, select
from .exact import rounded_product

if TYPE_CHECKING:
    from collections.abc import Mapping

    import duckdb

    from ..config import ColumnSpec
    from .exact import NumericType


def derive(
    relation: duckdb.DuckDBPyRelation,
    products: Mapping[str, tuple[str, str]],
    columns: Mapping[str, ColumnSpec],
    decimals: int,
) -> duckdb.DuckDBPyRelation:
    """Add each derived column ``name = a * b``, rounded to ``decimals`` places.

    Args:
        relation: Typed rows.
        products: Derived column name to its two numeric operand columns.
        columns: The declared schema, which says whether an operand is an integer.
        decimals: Decimal places of the result, rounded half away from zero.
    """
    if not products:
        return relation
    derived = [
        rounded_product(
            quote(left), _kind(columns, left), quote(right), _kind(columns, right), decimals
        )
        + f" AS {quote(name)}"
        for name, (left, right) in products.items()
    ]
    return select(relation, ["*", *derived])


def _kind(columns: Mapping[str, ColumnSpec], name: str) -> NumericType:
    return "int64" if columns[name].type == "int64" else "float64"
