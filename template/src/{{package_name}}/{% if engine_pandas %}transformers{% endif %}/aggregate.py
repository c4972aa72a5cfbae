"""Aggregate rows per group and per period (the timestamp truncated to the grain)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from ..config import PERIOD_COLUMN, AggregateSpec, MetricSpec
from ..dtypes import INT64, arrow_series, to_arrow
from .derive import Exact, as_exact, divide, to_float

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    Finish = Callable[[pd.DataFrame], pd.Series]

_SIZE = "__rows"
_INT64_LIMIT = 2**63


@dataclass(frozen=True)
class _Metric:
    """What one metric aggregates per group, and how its column is finished from that."""

    finish: Finish
    columns: dict[str, pd.Series] = field(default_factory=dict)
    """Columns to aggregate, by name."""
    aggregations: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Aggregated column name to (column, function)."""


def aggregate(
    frame: pd.DataFrame, spec: AggregateSpec, timestamp: str, decimals: int
) -> pd.DataFrame:
    """One row per group and period with the configured metrics.

    ``period`` is ``timestamp`` truncated to the start of its hour, day or
    month. Sums of float columns and all means are computed in exact decimal
    arithmetic (a mean is the exact sum divided by the count, to 12 decimal
    places) and rounded to ``decimals`` places half away from zero, with the
    rule of ``derive``; so the result does not depend on the order in which
    the values are added up. Missing group values form their own group. Rows
    are sorted by the group columns, then by period, missing values first.

    All metrics come from one ``groupby`` pass over integer and Arrow columns;
    the exact rounding then works on one row per group.
    """
    keys = [*spec.group_by, PERIOD_COLUMN]
    work: dict[str, pd.Series] = {name: frame[name] for name in spec.group_by}
    work[PERIOD_COLUMN] = period(frame[timestamp], spec.grain)
    aggregations: dict[str, tuple[str, str]] = {_SIZE: (PERIOD_COLUMN, "size")}
    metrics = {
        metric.name: _plan(metric, f"__metric_{index}", frame, decimals)
        for index, metric in enumerate(spec.metrics)
    }
    for metric in metrics.values():
        work.update(metric.columns)
        aggregations.update(metric.aggregations)
    table = (
        pd.DataFrame(work)
        .groupby(keys, dropna=False, observed=True, sort=False)
        .agg(**{name: pd.NamedAgg(column, how) for name, (column, how) in aggregations.items()})
        .reset_index()
    )
    result = table[keys].assign(**{name: metric.finish(table) for name, metric in metrics.items()})
    return result.sort_values(keys, na_position="first", kind="stable", ignore_index=True)


def period(values: pd.Series, grain: str) -> pd.Series:
    """Timestamps (or dates) truncated to the start of their hour, day or month."""
    data = to_arrow(values)
    if not pa.types.is_timestamp(data.type):
        data = pc.cast(data, pa.timestamp("us"))
    return arrow_series(pc.floor_temporal(data, unit=grain), values.index)


def _plan(metric: MetricSpec, name: str, frame: pd.DataFrame, decimals: int) -> _Metric:
    """How to compute ``metric`` from one groupby pass, using columns prefixed ``name``."""
    if metric.fn == "count" or metric.column is None:
        return _Metric(lambda table: table[_SIZE].astype(INT64))
    values = frame[metric.column]
    if metric.fn in {"min", "max"} or (metric.fn == "sum" and _is_integer(values)):
        return _Metric(lambda table: table[name], {name: values}, {name: (name, metric.fn)})
    exact = as_exact(values)
    units = exact.units
    if units.dtype != object and np.abs(units).sum(dtype=np.float64) >= _INT64_LIMIT / 2:
        units = units.astype(object)  # group sums could overflow int64: Python integers
    columns = {name: pd.Series(units, index=frame.index)}
    if metric.fn == "sum":
        return _Metric(
            lambda table: _finish_sum(table[name], exact.scale, decimals),
            columns,
            {name: (name, "sum")},
        )
    count = f"{name}_count"
    return _Metric(
        lambda table: _finish_mean(table[name], table[count], exact.scale, decimals),
        {**columns, count: values},
        {name: (name, "sum"), count: (count, "count")},
    )


def _finish_sum(units: pd.Series, scale: int, decimals: int) -> pd.Series:
    total = Exact(units.to_numpy(), scale, np.ones(len(units), dtype=bool))
    return to_float(total, decimals, units.index)


def _finish_mean(units: pd.Series, counts: pd.Series, scale: int, decimals: int) -> pd.Series:
    total = Exact(units.to_numpy(), scale, np.ones(len(units), dtype=bool))
    sizes: npt.NDArray[np.int64] = counts.to_numpy(dtype=np.int64)
    return to_float(divide(total, sizes), decimals, units.index)


def _is_integer(values: pd.Series) -> bool:
    return bool(pd.api.types.is_integer_dtype(values.dtype))
