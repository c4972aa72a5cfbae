"""Derived money columns, rounded half away from zero with exact decimal arithmetic.

Binary floats cannot hold most decimal fractions: ``2.675`` is stored as
``2.67499999999999982236431605997495353221893310546875``, so rounding the float
gives ``2.67`` and ``round()``-style half-to-even rounding turns ``0.125`` into
``0.12``. Money must round the way people do, so every money value is taken as
the decimal it was written as (``2.675``), computed exactly, rounded half away
from zero, and only then converted to the nearest float. With two decimals:
``2.675 -> 2.68``, ``1.005 -> 1.01``, ``-0.125 -> -0.13``, ``0.125 -> 0.13``.

Two exact paths give the same result:

* fast, for nearly every value: an integer, or a float below 10^9 with at most
  6 decimals, is a whole number of units (``value * 10**6``) in a 64-bit
  integer; products and roundings are integer arithmetic, and the rounded units
  convert to the nearest float with one correctly rounded division;
* exact decimals for the rest: ``Decimal(38, 12)`` (more decimals are rounded
  half to even to 12, from the float's decimal spelling), with products formed from
  integer and fractional parts so that no intermediate type loses digits,
  whatever ``spark.sql.decimalOperations.allowPrecisionLoss`` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as sf
from pyspark.sql.types import ByteType, DecimalType, IntegerType, LongType, ShortType

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

EXACT = DecimalType(38, 12)
"""The exact decimal type money is computed in."""

UNIT_SCALE = 6
"""Decimals of the integer units of the fast path."""

_PART = DecimalType(37, 12)
_DIGITS = DecimalType(38, 18)
_DIGITS_LIMIT = 1e20
_UNIT_LIMIT = 1e9
_EXACT_DOUBLE = 2**53
_INTEGER_TYPES = (ByteType, ShortType, IntegerType, LongType)


@dataclass(frozen=True)
class Units:
    """A numeric column as a whole number of ``10**-scale`` units, where that is exact.

    ``units`` is a long (``value * 10**scale``) for integers and for floats below
    10^9 with at most ``UNIT_SCALE`` decimals; null otherwise (and for nulls).
    """

    value: Column
    units: Column
    scale: int


def units_of(value: Column, data_type: DataType) -> Units:
    """``value`` (of ``data_type``) as integer units; see ``Units``.

    A float ``x`` is ``n`` units when ``rint(x * 10**6) / 10**6 == x`` and
    ``|x| < 10**9``: then ``n / 10**6`` is the shortest decimal reading back
    as ``x``, so the units are exactly the decimal it was written as.
    """
    if isinstance(data_type, _INTEGER_TYPES):
        return Units(value, value.cast("long"), 0)
    scaled = sf.rint(value * 10**UNIT_SCALE)
    exact = (sf.abs(value) < _UNIT_LIMIT) & (scaled / 10**UNIT_SCALE == value)
    return Units(value, sf.when(exact, scaled.cast("long")), UNIT_SCALE)


def derive(frame: DataFrame, products: Mapping[str, tuple[str, str]], decimals: int) -> DataFrame:
    """Add each derived column ``name = a * b``, rounded to ``decimals`` places.

    Args:
        frame: Typed rows.
        products: Derived column name to its two numeric operand columns.
        decimals: Decimal places of the result, rounded half away from zero.
    """
    types = {field.name: field.dataType for field in frame.schema.fields}
    return frame.withColumns(
        {
            name: product(
                units_of(sf.col(left), types[left]), units_of(sf.col(right), types[right]), decimals
            )
            for name, (left, right) in products.items()
        }
    )


def product(left: Units, right: Units, decimals: int) -> Column:
    """``left * right`` rounded half away from zero to ``decimals`` places, as a double."""
    units = sf.try_multiply(left.units, right.units)
    fast = round_units(units, left.scale + right.scale, decimals)
    exact = exact_product(as_exact(left.value), as_exact(right.value))
    return sf.coalesce(fast, round_decimal(exact, decimals))


def round_units(units: Column, scale: int, decimals: int) -> Column:
    """``units / 10**scale`` rounded half away from zero, as the nearest double.

    Null when ``units`` is null or too large for exact double arithmetic.
    """
    if scale <= decimals:
        safe = (units > -_EXACT_DOUBLE) & (units < _EXACT_DOUBLE)
        return sf.when(safe, units.cast("double") / 10**scale)
    step = 10 ** (scale - decimals)
    limit = _EXACT_DOUBLE - step
    magnitude = sf.abs(units) + step // 2
    rounded = magnitude - magnitude % step
    signed = sf.when(units < 0, -rounded).otherwise(rounded)
    return sf.when((units > -limit) & (units < limit), signed.cast("double") / 10**scale)


def as_exact(value: Column) -> Column:
    """A numeric column as the exact decimal it was written as (see the module doc).

    Spark reads a double's digits as written (``Double.toString``); below 10^20
    they fit 18 decimal places, and are then rounded half to even to 12.
    """
    digits = sf.bround(value.cast(_DIGITS), 12)
    return sf.when(sf.abs(value) < _DIGITS_LIMIT, digits).otherwise(value.cast(EXACT)).cast(EXACT)


def exact_product(left: Column, right: Column) -> Column:
    """The product of two ``Decimal(38, 12)`` values, rounded half up to 12 places.

    ``a * b = ai*bi + ai*bf + af*bi + af*bf`` with integer parts ``ai``, ``bi``
    (below 10^25) and fractions ``af``, ``bf`` in ``[0, 1)``: every partial
    product and sum has at most 38 digits, so none is rounded but ``af*bf``.
    """
    a, b = left.cast(_PART), right.cast(_PART)
    whole_a, whole_b = sf.floor(a).cast("decimal(25,0)"), sf.floor(b).cast("decimal(25,0)")
    part_a, part_b = (a - whole_a).cast("decimal(12,12)"), (b - whole_b).cast("decimal(12,12)")
    terms = [
        whole_a * whole_b,
        whole_a * part_b,
        part_a * whole_b,
        (part_a * part_b).cast("decimal(13,12)"),
    ]
    total = terms[0].cast(_PART)
    for term in terms[1:]:
        total = (total.cast(_PART) + term.cast(_PART)).cast(EXACT)
    return total


def round_decimal(value: Column, decimals: int) -> Column:
    """Round an exact decimal half away from zero, as the nearest double."""
    return sf.round(value, decimals).cast("double")


def round_half_away_from_zero(value: Column, decimals: int) -> Column:
    """Round a numeric column half away from zero, exactly (see the module doc)."""
    return round_decimal(as_exact(value), decimals)
