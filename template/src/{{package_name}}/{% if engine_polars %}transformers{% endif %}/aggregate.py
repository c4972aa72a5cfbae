"""Aggregate rows per group and per period (the timestamp truncated to the grain)."""

from __future__ import annotations

import polars as pl

from ..config import PERIOD_COLUMN, AggregateSpec, MetricSpec
from .derive import as_exact, round_decimal

_EVERY = {"hour": "1h", "day": "1d", "month": "1mo"}


def aggregate(
    frame: pl.LazyFrame, spec: AggregateSpec, timestamp: str, decimals: int
) -> pl.LazyFrame:
    """One row per group and period with the configured metrics.

    ``period`` is ``timestamp`` truncated to the start of its hour, day or
    month. Sums of float columns and all means are computed in exact decimal
    arithmetic (a mean is the exact sum divided by the count, to 12 decimal
    places) and rounded to ``decimals`` places half away from zero, with the
    rule of ``derive``; so the result does not depend on the order in which a
    parallel engine adds the values up. Rows are sorted by the group columns,
    then by period.
    """
    schema = frame.collect_schema()
    period = pl.col(timestamp).cast(pl.Datetime("us")).dt.truncate(_EVERY[spec.grain])
    keys = [*spec.group_by, PERIOD_COLUMN]
    return (
        frame.group_by(*spec.group_by, period.alias(PERIOD_COLUMN))
        .agg(_metric(metric, schema, decimals) for metric in spec.metrics)
        .sort(keys)
    )


def _metric(metric: MetricSpec, schema: pl.Schema, decimals: int) -> pl.Expr:
    if metric.fn == "count" or metric.column is None:
        return pl.len().cast(pl.Int64).alias(metric.name)
    column = pl.col(metric.column)
    is_float = schema[metric.column].is_float()
    if metric.fn == "sum":
        total = round_decimal(as_exact(column).sum(), decimals) if is_float else column.sum()
        return total.alias(metric.name)
    if metric.fn == "mean":
        # A group without values has a null mean: dividing by a null count keeps
        # the division from ever seeing zero (both branches of a when/then run).
        count = column.count()
        nonzero = pl.when(count > 0).then(count)
        return round_decimal(as_exact(column).sum() / nonzero, decimals).alias(metric.name)
    if metric.fn == "min":
        return column.min().alias(metric.name)
    return column.max().alias(metric.name)
