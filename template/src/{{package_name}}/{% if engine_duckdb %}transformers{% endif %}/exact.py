"""Exact decimal arithmetic for money, as SQL, fast on the values money usually holds.

Binary floats cannot hold most decimal fractions: ``2.675`` is stored as
``2.67499999999999982236431605997495353221893310546875``, so rounding the float
gives ``2.67`` and half-to-even rounding turns ``0.125`` into ``0.12``. Money
must round the way people do, so every money value is taken as the decimal it
was written as (the shortest representation that reads back as the same
float, such as ``2.675``), computed and rounded exactly, and only then
converted back to the nearest float. Rounding is half away from zero: with two
decimals ``2.675 -> 2.68``, ``1.005 -> 1.01``, ``-0.125 -> -0.13``.

The exact decimal of a float is kept to 12 decimal places (``DECIMAL(38, 12)``);
a product of two floats and a mean are first rounded to 12 places, then to the
requested ones. DuckDB computes that in 128-bit decimals, which is slow, so
two paths give the same results:

* the fast path, for a float with at most 6 decimals below 2^51 / 10^6 in
  size: ``round(x * 10^6)`` is then exactly its decimal in millionths (the
  check ``round(x * 10^6) / 10^6 = x`` proves it), and products, sums and
  rounding are integer arithmetic on ``BIGINT`` and ``HUGEINT``;
* the exact path for every other value, through the float's shortest text.

Integers are exact as they are. Every function returns SQL text.
"""

from __future__ import annotations

from typing import Literal

NumericType = Literal["int64", "float64"]
EXACT = "DECIMAL(38, 12)"
SCALE = 12
"""Decimal places of the exact values."""
FAST_SCALE = 6
"""Decimal places a float may have to take the fast path."""
_FAST_LIMIT = "2251799813.685248"
"""2^51 / 10^6: below it, a float with at most 6 decimals is exact in millionths."""
_MILLION = "1000000.0"


def is_short(value: str) -> str:
    """SQL that is true when the float ``value`` takes the fast path (see the module doc)."""
    return f"(abs({value}) < {_FAST_LIMIT} AND round({value} * {_MILLION}) / {_MILLION} = {value})"


def millionths(value: str) -> str:
    """SQL for a fast-path float as a whole number of millionths (``BIGINT``)."""
    return f"CAST(round({value} * {_MILLION}) AS BIGINT)"


def exact(value: str, kind: NumericType) -> str:
    """SQL for ``value`` as the exact ``DECIMAL(38, 12)`` it was written as.

    A float is taken through its shortest text; digits past the 12th decimal
    place are rounded half to even (parsing first to 20 places, which holds
    every float below 10^18 that could end on such a tie).
    """
    if kind == "int64":
        return f"CAST({value} AS {EXACT})"
    text = f"CAST({value} AS VARCHAR)"
    return (
        f"CAST(coalesce(round_even(TRY_CAST({text} AS DECIMAL(38, 20)), {SCALE}), "
        f"CAST({text} AS {EXACT})) AS {EXACT})"
    )


def _exact_factor(value: str, kind: NumericType) -> tuple[str, int]:
    """A factor for an exact product and its scale (integers keep scale 0, so products fit)."""
    if kind == "int64":
        return f"CAST({value} AS DECIMAL(38, 0))", 0
    if kind == "float64":
        return exact(value, kind), SCALE
    raise ValueError(kind)


def rounded_product(
    left: str, left_kind: NumericType, right: str, right_kind: NumericType, decimals: int
) -> str:
    """SQL for ``left * right`` computed exactly and rounded half away from zero, as a float.

    On the fast path the product is an integer count of ``10^-6`` (integer
    times float, ``BIGINT`` while it fits), of ``10^-12`` (two floats,
    ``HUGEINT``) or of 1 (two integers). Otherwise it is a 38-digit decimal
    product; the product of two floats that are not on the fast path must then
    stay below 10^14.
    """
    operands = ((left, left_kind), (right, right_kind))
    floats = [value for value, kind in operands if kind == "float64"]
    scale = FAST_SCALE * len(floats)
    checks = [is_short(value) for value in floats]
    factors = [value if kind == "int64" else millionths(value) for value, kind in operands]
    if len(floats) == len(operands):
        factors[0] = f"CAST({factors[0]} AS HUGEINT)"
    else:
        # The integer product must fit a BIGINT: |left * right| * 10^scale < 10^18.
        checks.append(f"abs(CAST({left} AS DOUBLE) * {right}) < 1e{18 - scale}")
    fast = round_scaled(f"({factors[0]} * {factors[1]})", scale, decimals)
    exact_factors = [_exact_factor(value, kind) for value, kind in operands]
    product = " * ".join(factor for factor, _ in exact_factors)
    if sum(factor_scale for _, factor_scale in exact_factors) > SCALE:
        product = f"CAST({product} AS {EXACT})"
    slow = f"CAST(round({product}, {decimals}) AS DOUBLE)"
    return f"CASE WHEN {' AND '.join(checks)} THEN {fast} ELSE {slow} END"


def round_scaled(units: str, scale: int, decimals: int) -> str:
    """SQL rounding an integer count of ``10^-scale`` half away from zero to ``decimals``.

    The result is a float: the rounded count divided by ``10^decimals``, the
    float nearest to the exact rounded decimal while the count is below 2^53
    (within a unit in the last place above that, as with the polars engine).
    """
    if scale <= decimals:
        return f"(CAST({units} AS DOUBLE) / {10**scale}.0)"
    factor = 10 ** (scale - decimals)
    rounded = f"(({units} + sign({units}) * {factor // 2}) // {factor})"
    return f"(CAST({rounded} AS DOUBLE) / {10**decimals}.0)"


def sum_parts(value: str, kind: NumericType) -> tuple[str, str]:
    """Two aggregates whose results ``exact_total`` combines into the exact sum.

    The first sums the fast-path values (in units of ``10^-6`` for floats, of 1
    for integers), the second the exact decimals of all other values.
    """
    if kind == "int64":
        return f"sum({value})", f"CAST(NULL AS {EXACT})"
    short = is_short(value)
    return (
        f"sum(CASE WHEN {short} THEN {millionths(value)} END)",
        f"sum(CASE WHEN NOT {short} THEN {exact(value, kind)} END)",
    )


def exact_total(fast_sum: str, exact_sum: str, kind: NumericType) -> str:
    """SQL for the exact sum, as a ``HUGEINT`` count of ``10^-12``, from ``sum_parts``."""
    fast_scale = 0 if kind == "int64" else FAST_SCALE
    fast = f"CAST(coalesce({fast_sum}, 0) AS HUGEINT) * {10 ** (SCALE - fast_scale)}"
    rest = f"coalesce({exact_sum}, CAST(0 AS {EXACT}))"
    whole = f"CAST(trunc({rest}) AS HUGEINT) * {10**SCALE}"
    fraction = f"CAST(({rest} - trunc({rest})) * {10**SCALE} AS HUGEINT)"
    return f"({fast} + {whole} + {fraction})"


def rounded_total(total: str, decimals: int) -> str:
    """SQL for an exact total (``exact_total``) rounded to ``decimals``, as a float."""
    return round_scaled(total, SCALE, decimals)


def rounded_mean(total: str, count: str, decimals: int) -> str:
    """SQL for the mean ``total / count`` rounded to 12 places, then to ``decimals``.

    ``total`` comes from ``exact_total``; the mean is null when ``count`` is 0.
    Rounding the 12-place quotient half up instead of half to even cannot
    change the result rounded to at most 6 places.
    """
    magnitude = f"abs({total})"
    quotient = (
        f"({magnitude} // {count} + "
        f"CASE WHEN 2 * ({magnitude} % {count}) >= {count} THEN 1 ELSE 0 END)"
    )
    mean = f"(sign({total}) * {quotient})"
    return f"CASE WHEN {count} > 0 THEN {round_scaled(mean, SCALE, decimals)} END"
