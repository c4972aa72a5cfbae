# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Derived money columns, rounded half away from zero with exact decimal arithmetic.

Binary floats cannot hold most decimal fractions: ``2.675`` is stored as
``2.67499999999999982236431605997495353221893310546875``, so rounding the float
gives ``2.67`` and ``round()``-style half-to-even rounding turns ``0.125`` into
``0.12``. Money must round the way people do, so every money value is first
taken as the decimal it was written as (the shortest representation that reads
back as the same float, such as ``2.675``), kept to 12 decimal places (half to
even), computed exactly, and only then rounded and converted back to the nearest
float. With two decimals: ``2.675 -> 2.68``, ``1.005 -> 1.01``,
``-0.125 -> -0.13``, ``0.125 -> 0.13``.

The arithmetic is vectorised on scaled integers: a value written with at most
six decimals (every realistic amount or price) is ``units / 10**6`` with int64
``units``, found with numpy by checking that the scaled candidate reads back
as the same float. The rare values with more decimals, or products too large
for int64, take an exact ``decimal.Decimal`` path instead, row by row.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pyarrow as pa

from .frames import FLOAT, as_numpy, meta_of, to_arrow, to_series, valid_mask

if TYPE_CHECKING:
    from collections.abc import Mapping

    import dask.dataframe as dd
    import pandas as pd

EXACT_PLACES = 12
"""Decimal places every money value is kept to (half to even) before it is rounded."""
MAX_SHORT_PLACES = 6
"""Values written with at most this many decimals take the vectorised path."""
POW10 = 10 ** np.arange(19, dtype=np.int64)
_SAFE = float(2**62)
_CONTEXT = Context(prec=120, rounding=ROUND_HALF_EVEN)
_TWELVE = Decimal(1).scaleb(-EXACT_PLACES)


class ExactValues(NamedTuple):
    """Numbers as exact decimals: ``units / 10**scale`` where ``fast`` is true.

    Rows that are present but not ``fast`` need ``exact_value`` on ``numbers``.
    """

    numbers: np.ndarray
    units: np.ndarray
    scale: np.ndarray
    present: np.ndarray
    fast: np.ndarray


def derive(
    frame: dd.DataFrame, products: Mapping[str, tuple[str, str]], decimals: int
) -> dd.DataFrame:
    """Add each derived column ``name = a * b``, rounded to ``decimals`` places.

    Args:
        frame: Typed rows.
        products: Derived column name to its two numeric operand columns.
        decimals: Decimal places of the result, rounded half away from zero.
    """
    if not products:
        return frame
    meta = derive_partition(meta_of(frame), products, decimals)
    derived: dd.DataFrame = frame.map_partitions(derive_partition, products, decimals, meta=meta)
    return derived


def derive_partition(
    part: pd.DataFrame, products: Mapping[str, tuple[str, str]], decimals: int
) -> pd.DataFrame:
    """``derive`` on one pandas partition."""
    derived = {
        name: to_series(exact_product(part[left], part[right], decimals), part.index)
        for name, (left, right) in products.items()
    }
    return part.assign(**derived)


def exact_product(left: pd.Series, right: pd.Series, decimals: int) -> Any:
    """``left * right`` of exact decimals, rounded half away from zero, as float64 Arrow."""
    a, b = exact_values(left), exact_values(right)
    present = a.present & b.present
    fast = present & a.fast & b.fast
    fast &= np.abs(a.units).astype(np.float64) * np.abs(b.units).astype(np.float64) < _SAFE
    units = np.where(fast, a.units, 0) * np.where(fast, b.units, 0)
    rounded, fast = round_units(units, a.scale + b.scale, decimals, fast)
    result = rounded / 10.0**decimals
    slow = np.flatnonzero(present & ~fast)
    if slow.size:
        quantum = Decimal(1).scaleb(-decimals)
        result[slow] = [
            _to_float(
                _CONTEXT.multiply(exact_value(x), exact_value(y)).quantize(
                    _TWELVE, context=_CONTEXT
                ),
                quantum,
            )
            for x, y in zip(a.numbers[slow].tolist(), b.numbers[slow].tolist(), strict=True)
        ]
    return pa.array(result + 0.0, type=pa.float64(), mask=~present)


def round_half_away_from_zero(values: pd.Series, decimals: int) -> pd.Series:
    """Round numbers half away from zero, exactly (see the module doc), as float64."""
    exact = exact_values(values)
    rounded, fast = round_units(exact.units, exact.scale, decimals, exact.fast)
    result = rounded / 10.0**decimals
    slow = np.flatnonzero(exact.present & ~fast)
    if slow.size:
        quantum = Decimal(1).scaleb(-decimals)
        result[slow] = [_to_float(exact_value(x), quantum) for x in exact.numbers[slow].tolist()]
    array = pa.array(result + 0.0, type=pa.float64(), mask=~exact.present)
    return to_series(array, values.index).astype(FLOAT)


def exact_values(values: pd.Series) -> ExactValues:
    """The decimals ``values`` were written as, as scaled int64 where possible.

    Integers are exact with scale 0. A float is ``units / 10**6`` when the
    nearest multiple of ``10**-6`` reads back as the same float: then it is
    the only number with at most six decimals that does (the float's spacing
    is finer than ``10**-6`` below ``2**52 / 10**6``), so it is the value the
    float's shortest representation writes.
    """
    array = to_arrow(values)
    present = valid_mask(array)
    if pa.types.is_integer(array.type):
        numbers = as_numpy(array.cast(pa.int64()), fill=0).astype(np.int64)
        scale = np.zeros(len(numbers), dtype=np.int64)
        return ExactValues(numbers, numbers, scale, present, present.copy())
    numbers = as_numpy(array.cast(pa.float64()), fill=0.0).astype(np.float64)
    power = 10.0**MAX_SHORT_PLACES
    with np.errstate(invalid="ignore"):
        candidate = np.rint(numbers * power)
        fast = present & (np.abs(candidate) < 2.0**52) & (candidate / power == numbers)
    units = np.where(fast, candidate, 0.0).astype(np.int64)
    scale = np.full(len(numbers), MAX_SHORT_PLACES, dtype=np.int64)
    return ExactValues(numbers, units, scale, present, fast)


def round_units(
    units: np.ndarray, scale: np.ndarray, decimals: int, fast: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Round ``units / 10**scale`` half away from zero to ``decimals`` places.

    Returns the result as int64 units of ``10**-decimals`` and the rows where
    that was possible in int64 (``fast`` without the overflowing rows).
    """
    if scale.size and (scale == scale[0]).all():
        shift = int(scale[0]) - decimals
        if shift <= 0:
            fits = np.abs(units).astype(np.float64) * 10.0**-shift < _SAFE
            return np.where(fast & fits, units * 10**-shift, 0), fast & fits
        divisor = 10**shift
        quotient, remainder = np.divmod(np.abs(units), divisor)
        quotient += 2 * remainder >= divisor
        return np.where(fast, np.sign(units) * quotient, 0), fast
    down = np.clip(scale - decimals, 0, 18)
    up = np.clip(decimals - scale, 0, 18)
    divisor = POW10[down]
    quotient, remainder = np.divmod(np.abs(units), divisor)
    quotient += 2 * remainder >= divisor
    fits = np.abs(units).astype(np.float64) * POW10[up].astype(np.float64) < _SAFE
    fast = fast & fits
    scaled_up = np.where(fast, units, 0) * POW10[up]
    rounded = np.where(scale > decimals, np.sign(units) * quotient, scaled_up)
    return np.where(fast, rounded, 0), fast


def exact_value(number: Any) -> Decimal:
    """One number as the decimal it was written as, kept to 12 places (half to even)."""
    if isinstance(number, (int, np.integer)):
        return Decimal(int(number))
    return Decimal(repr(float(number))).quantize(_TWELVE, context=_CONTEXT)


def round_decimal(value: Decimal, decimals: int) -> float:
    """Round an exact decimal half away from zero to ``decimals`` places, as the nearest float."""
    return _to_float(value, Decimal(1).scaleb(-decimals))


def _to_float(value: Decimal, quantum: Decimal) -> float:
    return float(value.quantize(quantum, rounding=ROUND_HALF_UP, context=_CONTEXT)) + 0.0
