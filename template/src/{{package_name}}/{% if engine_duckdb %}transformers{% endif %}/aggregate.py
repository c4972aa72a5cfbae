"""Aggregate rows per group and per period (the timestamp truncated to the grain)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import PERIOD_COLUMN
from ..sql import column_list, quote, select
from .exact import exact_total, rounded_mean, rounded_total, sum_parts

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import duckdb

    from ..config import AggregateSpec, DatasetConfig, MetricSpec
    from .exact import NumericType


def aggregate(
    relation: duckdb.DuckDBPyRelation,
    spec: AggregateSpec,
    timestamp: str,
    types: Mapping[str, str],
    decimals: int,
) -> duckdb.DuckDBPyRelation:
    """One row per group and period with the configured metrics.

    ``period`` is ``timestamp`` truncated to the start of its hour, day or
    month. Sums of float columns and all means are computed in exact decimal
    arithmetic (a mean is the exact sum divided by the count, to 12 decimal
    places) and rounded to ``decimals`` places half away from zero, with the
    rule of ``derive``; so the result does not depend on the order in which
    DuckDB's threads add the values up. Rows are sorted by the group columns,
    then by period.

    Args:
        relation: The detail rows.
        spec: The aggregate table's configuration.
        timestamp: The timestamp column the period is taken from.
        types: Column name to declared type (``column_types``).
        decimals: Decimal places of money metrics.
    """
    period = f"date_trunc('{spec.grain}', CAST({quote(timestamp)} AS TIMESTAMP))"
    keys = [quote(name) for name in spec.group_by]
    partials = [part for metric in spec.metrics for part in _partials(metric, types)]
    grouped = relation.aggregate(
        ", ".join([*keys, f"{period} AS {quote(PERIOD_COLUMN)}", *partials]),
        ", ".join([*keys, period]),
    )
    finished = select(
        grouped,
        [
            *keys,
            quote(PERIOD_COLUMN),
            *(
                f"{_final(metric, types, decimals)} AS {quote(metric.name)}"
                for metric in spec.metrics
            ),
        ],
    )
    order = column_list([*spec.group_by, PERIOD_COLUMN]).replace(", ", " NULLS FIRST, ")
    return finished.order(f"{order} NULLS FIRST")


def column_types(dataset: DatasetConfig) -> dict[str, str]:
    """Each column of the detail table and its type; derived columns are ``float64``."""
    types = {name: str(spec.type) for name, spec in dataset.columns.items()}
    types.update(dict.fromkeys(dataset.derive, "float64"))
    return types


def _part(metric: MetricSpec, part: str) -> str:
    return quote(f"_{metric.name}_{part}")


def _kind(types: Mapping[str, str], column: str) -> NumericType:
    return "int64" if types[column] == "int64" else "float64"


def _partials(metric: MetricSpec, types: Mapping[str, str]) -> Iterator[str]:
    """The per-group aggregates a metric is computed from."""
    if metric.fn == "count" or metric.column is None:
        yield f"count(*) AS {_part(metric, 'count')}"
        return
    column = quote(metric.column)
    if metric.fn in {"min", "max"}:
        yield f"{metric.fn}({column}) AS {_part(metric, metric.fn)}"
        return
    if metric.fn == "sum" and _kind(types, metric.column) == "int64":
        yield f"sum({column}) AS {_part(metric, 'sum')}"
        return
    fast, slow = sum_parts(column, _kind(types, metric.column))
    yield f"{fast} AS {_part(metric, 'fast')}"
    yield f"{slow} AS {_part(metric, 'exact')}"
    yield f"count({column}) AS {_part(metric, 'count')}"


def _final(metric: MetricSpec, types: Mapping[str, str], decimals: int) -> str:
    """The metric from its per-group aggregates, with the polars engine's types."""
    if metric.fn == "count" or metric.column is None:
        return f"CAST({_part(metric, 'count')} AS BIGINT)"
    if metric.fn in {"min", "max"}:
        return _part(metric, metric.fn)
    kind = _kind(types, metric.column)
    if metric.fn == "sum" and kind == "int64":
        return f"CAST(coalesce({_part(metric, 'sum')}, 0) AS BIGINT)"
    total = exact_total(_part(metric, "fast"), _part(metric, "exact"), kind)
    if metric.fn == "sum":
        return rounded_total(total, decimals)
    return rounded_mean(total, _part(metric, "count"), decimals)
