"""Aggregate rows per group and per period (the timestamp truncated to the grain)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as sf
from pyspark.sql.types import DecimalType, FractionalType

from ..config import PERIOD_COLUMN, AggregateSpec, MetricSpec
from .derive import EXACT, UNIT_SCALE, as_exact, round_decimal, units_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

_PART = DecimalType(37, 12)
_SPLIT = 10**9


def aggregate(frame: DataFrame, spec: AggregateSpec, timestamp: str, decimals: int) -> DataFrame:
    """One row per group and period with the configured metrics.

    ``period`` is ``timestamp`` truncated to the start of its hour, day or
    month. Sums of float columns and all means are computed in exact decimal
    arithmetic (a mean is the exact sum divided by the count, to 12 decimal
    places) and rounded to ``decimals`` places half away from zero, with the
    rule of ``derive``; so the result does not depend on the order in which the
    tasks add the values up. Per row only integers are added (see
    ``exact_sum``); decimals are formed once per group. Rows are sorted by the
    group columns, then by period.
    """
    types = {field.name: field.dataType for field in frame.schema.fields}
    period = sf.date_trunc(spec.grain, sf.col(timestamp).cast("timestamp_ntz"))
    keys = [*spec.group_by, PERIOD_COLUMN]
    return (
        frame.groupBy(*spec.group_by, period.cast("timestamp_ntz").alias(PERIOD_COLUMN))
        .agg(*(_metric(metric, types, decimals) for metric in spec.metrics))
        .orderBy(*keys)
    )


def _metric(metric: MetricSpec, types: dict[str, DataType], decimals: int) -> Column:
    if metric.fn == "count" or metric.column is None:
        return sf.count(sf.lit(1)).alias(metric.name)
    column = sf.col(metric.column)
    data_type = types[metric.column]
    if metric.fn == "sum":
        if isinstance(data_type, FractionalType):
            total = round_decimal(exact_sum(column, data_type), decimals)
        else:
            total = sf.coalesce(sf.sum(column), sf.lit(0)).cast("long")
        return total.alias(metric.name)
    if metric.fn == "mean":
        count = sf.count(column)
        quotient = exact_sum(column, data_type) / count.cast("decimal(10,0)")
        mean = round_decimal(quotient.cast(EXACT), decimals)
        return sf.when(count > 0, mean).alias(metric.name)
    if metric.fn == "min":
        return sf.min(column).alias(metric.name)
    return sf.max(column).alias(metric.name)


def exact_sum(column: Column, data_type: DataType) -> Column:
    """The exact sum of a numeric column as ``Decimal(38, 12)``; 0 when it has no values.

    Floats with an exact integer form (see ``units_of``) are summed as two
    64-bit integer sums, of the units' high and low 9 digits, which cannot
    overflow; only the rest are summed as decimals.
    """
    if not isinstance(data_type, FractionalType):
        return sf.coalesce(sf.sum(column), sf.lit(0)).cast("decimal(20,0)").cast(_PART).cast(EXACT)
    units = units_of(column, data_type).units
    low = sf.pmod(units, sf.lit(_SPLIT))
    high = ((units - low) / _SPLIT).cast("long")
    whole = sf.coalesce(sf.sum(high), sf.lit(0)).cast("decimal(19,0)") * sf.lit(_SPLIT).cast(
        "decimal(10,0)"
    ) + sf.coalesce(sf.sum(low), sf.lit(0)).cast("decimal(19,0)")
    in_units = whole.cast("decimal(30,0)") / sf.lit(10**UNIT_SCALE).cast("decimal(7,0)")
    rest = sf.coalesce(sf.sum(sf.when(units.isNull(), as_exact(column))), sf.lit(0).cast(EXACT))
    return (in_units.cast(_PART) + rest.cast(_PART)).cast(EXACT)
