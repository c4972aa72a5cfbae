"""Derived money columns, rounded half away from zero with exact decimal arithmetic.

Binary floats cannot hold most decimal fractions: ``2.675`` is stored as
``2.67499999999999982236431605997495353221893310546875``, so rounding the float
gives ``2.67`` and ``round()``-style half-to-even rounding turns ``0.125`` into
``0.12``. Money must round the way people do, so every money value is first
taken as the decimal it was written as (the shortest representation that reads
back as the same float, such as ``2.675``), computed and rounded in exact
decimal arithmetic, and only then converted back to the nearest float. With
two decimals: ``2.675 -> 2.68``, ``1.005 -> 1.01``, ``-0.125 -> -0.13``,
``0.125 -> 0.13``.

The arithmetic is that of a ``Decimal(38, 12)``: an input with more than 12
decimal places, and a product with more, is rounded half to even to 12 places
before the final rounding, which cannot change a result rounded to at most 6
places except on an exact tie.

Exact decimals are held as integers, ``value = units / 10**scale``, in numpy
``int64`` arrays: a float's decimal is found by scaling it by the smallest
power of ten that makes it whole again (``2.675 * 10**3 -> 2675``), which is
exact while the scaled value stays below ``2**51``. Values that do not fit
(more than 12 decimal places, or magnitudes beyond that range) and results
that would overflow ``int64`` switch the whole array to Python integers, exact
at any size but slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from ..dtypes import arrow_series

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt

EXACT_SCALE = 12
"""Decimal places of the exact arithmetic, as polars' ``Decimal(38, 12)``."""

EXACT_LIMIT = 10**26
"""Magnitude a ``Decimal(38, 12)`` cannot reach; beyond it a computation fails."""

_INT64_LIMIT = 2**63
_FLOAT_EXACT = 2**51  # a float scaled below this rounds back to its decimal exactly
_FLOAT_INTEGERS = 2**53  # integers up to this convert to float exactly
_WIDE = Context(prec=400)  # enough digits for any float at 12 decimal places


@dataclass(frozen=True)
class Exact:
    """Exact decimal numbers: ``units / 10**scale``; missing where ``valid`` is false."""

    units: npt.NDArray[Any]
    """``int64`` integers, or Python integers (dtype ``object``) when they do not fit."""
    scale: int
    valid: npt.NDArray[np.bool_]


def derive(
    frame: pd.DataFrame, products: Mapping[str, tuple[str, str]], decimals: int
) -> pd.DataFrame:
    """Add each derived column ``name = a * b``, rounded to ``decimals`` places.

    Args:
        frame: Typed rows.
        products: Derived column name to its two numeric operand columns.
        decimals: Decimal places of the result, rounded half away from zero.

    Raises:
        OverflowError: A value or product does not fit ``Decimal(38, 12)``.
    """
    return frame.assign(
        **{
            name: to_float(
                multiply(as_exact(frame[left]), as_exact(frame[right])), decimals, frame.index
            )
            for name, (left, right) in products.items()
        }
    )


def round_half_away_from_zero(values: pd.Series, decimals: int) -> pd.Series:
    """Round numbers half away from zero, exactly (see the module doc), as float64."""
    return to_float(as_exact(values), decimals, values.index)


def as_exact(values: pd.Series) -> Exact:
    """Numbers as the exact decimals they were written as (see the module doc).

    Floats take the smallest scale at which every value is whole: one
    vectorised check per candidate scale, so two-decimal money costs three.

    Raises:
        OverflowError: A value is beyond ``Decimal(38, 12)``.
    """
    valid = values.notna().to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(values.dtype):
        return Exact(values.to_numpy(dtype=np.int64, na_value=0), 0, valid)
    numbers = values.to_numpy(dtype=np.float64, na_value=0.0)
    largest = float(np.abs(numbers).max(initial=0.0))
    for scale in range(EXACT_SCALE + 1):
        factor = 10.0**scale
        if largest * factor >= _FLOAT_EXACT:
            break
        scaled = np.rint(numbers * factor)
        if np.array_equal(scaled / factor, numbers):  # missing values are 0.0
            return Exact(scaled.astype(np.int64), scale, valid)
    return _exact_objects(numbers, valid)


def multiply(left: Exact, right: Exact) -> Exact:
    """The exact product, rounded half to even to 12 decimal places if it has more.

    Raises:
        OverflowError: The product is beyond ``Decimal(38, 12)``.
    """
    a, b = left.units, right.units
    if object in (a.dtype, b.dtype) or _magnitude(a) * _magnitude(b) >= _INT64_LIMIT:
        a, b = _objects(a), _objects(b)
    product = Exact(a * b, left.scale + right.scale, left.valid & right.valid)
    if product.scale > EXACT_SCALE:
        product = rescale(product, EXACT_SCALE, half_even=True)
    _check_limit(product)
    return product


def divide(total: Exact, counts: npt.NDArray[np.int64]) -> Exact:
    """``total / counts`` to 12 decimal places, rounded half to even; missing where counts is 0."""
    numerator = rescale(total, EXACT_SCALE).units
    divisor: npt.NDArray[Any] = np.where(counts > 0, counts, 1)
    if numerator.dtype == object:
        divisor = _objects(divisor)
    negative = numerator < 0
    magnitude = np.where(negative, -numerator, numerator)
    quotient, remainder = magnitude // divisor, magnitude % divisor  # object arrays too
    quotient = quotient + _round_up(quotient, remainder, divisor, half_even=True)
    units = np.where(negative, -quotient, quotient)
    return Exact(units, EXACT_SCALE, total.valid & (counts > 0))


def rescale(value: Exact, scale: int, *, half_even: bool = False) -> Exact:
    """``value`` with ``scale`` decimal places, rounded half away from zero (or to even)."""
    units = value.units
    if scale >= value.scale:
        factor = 10 ** (scale - value.scale)
        if units.dtype != object and _magnitude(units) * factor >= _INT64_LIMIT:
            units = _objects(units)
        return Exact(units * factor, scale, value.valid)
    divisor = 10 ** (value.scale - scale)
    negative = units < 0
    magnitude = np.where(negative, -units, units)
    quotient, remainder = magnitude // divisor, magnitude % divisor  # object arrays too
    quotient = quotient + _round_up(quotient, remainder, divisor, half_even=half_even)
    return Exact(np.where(negative, -quotient, quotient), scale, value.valid)


def to_float(value: Exact, decimals: int, index: pd.Index | None = None) -> pd.Series:
    """``value`` rounded half away from zero to ``decimals`` places, as the nearest float64."""
    rounded = rescale(value, decimals)
    units = rounded.units
    if units.dtype != object and _magnitude(units) <= _FLOAT_INTEGERS:
        numbers = units.astype(np.float64) / 10.0**decimals
    else:  # Python's int / int is correctly rounded at any size
        numbers = (_objects(units) / 10**decimals).astype(np.float64)
    return arrow_series(pa.array(numbers, mask=~rounded.valid, type=pa.float64()), index)


def _round_up(
    quotient: npt.NDArray[Any],
    remainder: npt.NDArray[Any],
    divisor: int | npt.NDArray[Any],
    *,
    half_even: bool,
) -> npt.NDArray[np.bool_]:
    """Whether to round the magnitude ``quotient + remainder / divisor`` up."""
    twice = remainder * 2
    tie = twice == divisor
    if half_even:
        tie = tie & (quotient % 2 == 1)
    return np.asarray((twice > divisor) | tie, dtype=bool)


def _exact_objects(numbers: npt.NDArray[np.float64], valid: npt.NDArray[np.bool_]) -> Exact:
    """The exact decimals as Python integers at 12 places, for values int64 cannot hold.

    Each value takes the smallest scale at which it is whole and stays below
    ``2**51`` scaled; the rest (more than 12 places, or huge) go through
    Python's ``decimal`` one by one.
    """
    units = np.zeros(len(numbers), dtype=object)
    pending = np.flatnonzero(valid)
    for scale in range(EXACT_SCALE + 1):
        factor = 10.0**scale
        scaled = numbers[pending] * factor
        found = (np.abs(scaled) < _FLOAT_EXACT) & (np.rint(scaled) / factor == numbers[pending])
        whole = _objects(np.rint(scaled[found]).astype(np.int64))
        units[pending[found]] = whole * 10 ** (EXACT_SCALE - scale)
        pending = pending[~found]
    units[pending] = [_decimal_units(number) for number in numbers[pending].tolist()]
    value = Exact(units, EXACT_SCALE, valid)
    _check_limit(value)
    return value


def _decimal_units(number: float) -> int:
    """A float's shortest decimal rounded half to even to 12 places, in units of 10**-12."""
    places = Decimal(1).scaleb(-EXACT_SCALE)
    decimal = Decimal(repr(number)).quantize(places, ROUND_HALF_EVEN, _WIDE)
    return int(decimal.scaleb(EXACT_SCALE, _WIDE))


def _check_limit(value: Exact) -> None:
    if value.units.dtype != object:
        return  # int64 stays below 10**19, far from the limit
    limit = EXACT_LIMIT * 10**value.scale
    if _magnitude(value.units[value.valid]) >= limit:
        message = f"a value does not fit Decimal(38, {EXACT_SCALE}) (at most 26 integer digits)"
        raise OverflowError(message)


def _magnitude(units: npt.NDArray[Any]) -> int:
    """The largest absolute value in ``units`` as a Python integer (0 when empty)."""
    if not len(units):
        return 0
    return max(abs(int(units.max())), abs(int(units.min())))


def _objects(units: npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    """``units`` as Python integers, which do not overflow."""
    if units.dtype == object:
        return units
    return np.asarray(units.tolist(), dtype=object)
