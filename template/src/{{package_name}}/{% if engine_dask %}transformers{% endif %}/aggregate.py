# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Aggregate rows per group and per period (the timestamp truncated to the grain).

The aggregation is a map-reduce: ``partial_aggregate`` reduces each partition
(or each batch of rows read from a database) to one small row per group, and
``finish_aggregate`` combines those rows on the client. Sums of float columns
and all means are exact: each value is taken as the decimal it was written as
(see ``derive``), the partial sums are Python integers counting units of
``10**-12``, a mean is the exact sum divided by the count to 12 decimal places
(half to even), and both are rounded to ``decimals`` places half away from
zero. So the result does not depend on how the rows are partitioned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..config import PERIOD_COLUMN, AggregateSpec, MetricSpec
from .derive import EXACT_PLACES, exact_value, exact_values
from .frames import FLOAT, meta_of, to_arrow

if TYPE_CHECKING:
    from collections.abc import Iterable

    import dask.dataframe as dd

ROWS = "_rows"
"""Column of the partial aggregates that counts the rows of each group."""
_UNITS = {"hour": "h", "day": "D", "month": "M"}
_LOW_BITS = 31


def aggregate(
    frame: dd.DataFrame, spec: AggregateSpec, timestamp: str, decimals: int
) -> pd.DataFrame:
    """One row per group and period with the configured metrics.

    ``period`` is ``timestamp`` truncated to the start of its hour, day or
    month. Rows are sorted by the group columns, then by period (nulls first).
    """
    return finish_aggregate(partial_aggregates(frame, spec, timestamp).compute(), spec, decimals)


def aggregate_batches(
    batches: Iterable[pd.DataFrame], spec: AggregateSpec, timestamp: str, decimals: int
) -> pd.DataFrame:
    """``aggregate`` over batches of rows held by the client (one batch in memory at a time)."""
    partials = [partial_aggregate(batch, spec, timestamp) for batch in batches]
    return finish_aggregate(pd.concat(partials, ignore_index=True), spec, decimals)


def partial_aggregates(frame: dd.DataFrame, spec: AggregateSpec, timestamp: str) -> dd.DataFrame:
    """The lazy partial aggregates of every partition, to compute with other work."""
    meta = partial_aggregate(meta_of(frame), spec, timestamp)
    partials: dd.DataFrame = frame.map_partitions(partial_aggregate, spec, timestamp, meta=meta)
    return partials


def partial_aggregate(part: pd.DataFrame, spec: AggregateSpec, timestamp: str) -> pd.DataFrame:
    """One row per group of ``part``: its row count and each metric's partial state.

    Columns: the group columns, ``period``, ``_rows``, and per metric ``i``:
    ``_value_i`` (sum of an integer column, min or max) or ``_exact_i`` (exact
    sum, as a Python integer of ``10**-12`` units) and, for means, ``_count_i``
    (the number of non-null values).
    """
    keys = [*spec.group_by, PERIOD_COLUMN]
    work = pd.DataFrame(
        {
            **{name: part[name] for name in spec.group_by},
            PERIOD_COLUMN: period(part[timestamp], spec.grain),
            ROWS: np.ones(len(part), dtype=np.int64),
        },
        index=part.index,
    )
    exact_columns: dict[int, tuple[int, Any]] = {}
    for index, metric in enumerate(spec.metrics):
        if metric.fn == "count" or metric.column is None:
            continue
        values = part[metric.column]
        if metric.fn in {"min", "max"} or (metric.fn == "sum" and not _is_float(values)):
            work[f"_value_{index}"] = values
        else:
            scale, slow = _add_scaled_units(work, index, values)
            exact_columns[index] = (scale, slow)
        if metric.fn == "mean":
            work[f"_count_{index}"] = values.notna().to_numpy(dtype=np.int64)
    grouped = work.groupby(keys, dropna=False, sort=False, observed=True)
    result = pd.DataFrame({ROWS: grouped[ROWS].sum()})
    for index, metric in enumerate(spec.metrics):
        name = f"_value_{index}"
        if index in exact_columns:
            result[f"_exact_{index}"] = _exact_sums(work, grouped, index, *exact_columns[index])
        elif metric.fn == "sum":
            result[name] = grouped[name].sum()
        elif metric.fn in {"min", "max"}:
            result[name] = getattr(grouped[name], metric.fn)()
        if metric.fn == "mean":
            result[f"_count_{index}"] = grouped[f"_count_{index}"].sum()
    return result.reset_index()


def finish_aggregate(partials: pd.DataFrame, spec: AggregateSpec, decimals: int) -> pd.DataFrame:
    """Combine partial aggregates into the aggregate table (see ``aggregate``)."""
    keys = [*spec.group_by, PERIOD_COLUMN]
    grouped = partials.groupby(keys, dropna=False, sort=False, observed=True)
    rows = grouped[ROWS].sum()
    columns = {
        metric.name: _finish_metric(grouped, index, metric, decimals)
        for index, metric in enumerate(spec.metrics)
    }
    table = pd.DataFrame(columns, index=rows.index).reset_index()
    table = table.sort_values(keys, na_position="first", kind="stable", ignore_index=True)
    return table[[*keys, *(metric.name for metric in spec.metrics)]]


def period(values: pd.Series, grain: str) -> pd.Series:
    """``values`` (dates or datetimes) truncated to the start of their hour, day or month."""
    array = to_arrow(values)
    if pa.types.is_date(array.type):
        array = array.cast(pa.date32()).cast(pa.timestamp("us"))
    moments = np.asarray(array.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False))
    truncated = moments.astype(f"datetime64[{_UNITS[grain]}]").astype("datetime64[us]")
    return pd.Series(truncated, index=values.index)


def _is_float(values: pd.Series) -> bool:
    return bool(pa.types.is_floating(to_arrow(values[:0]).type))


def _add_scaled_units(work: pd.DataFrame, index: int, values: pd.Series) -> tuple[int, Any]:
    """Add the values' exact int64 units to ``work``, split into high and low bits.

    The halves sum up in int64 without overflow for any partition size below
    two billion rows. Returns the units' scale and, as Python integers of
    ``10**-12``, the values left for the exact slow path.
    """
    exact = exact_values(values)
    units = np.where(exact.fast, exact.units, 0)
    work[f"_high_{index}"] = units >> _LOW_BITS
    work[f"_low_{index}"] = units & ((1 << _LOW_BITS) - 1)
    scale = int(exact.scale[0]) if len(exact.scale) else 0
    slow_rows = np.flatnonzero(exact.present & ~exact.fast)
    slow = pd.Series(
        [
            int(exact_value(number).scaleb(EXACT_PLACES))
            for number in exact.numbers[slow_rows].tolist()
        ],
        index=work.index[slow_rows],
        dtype=object,
    )
    return scale, slow


def _exact_sums(
    work: pd.DataFrame, grouped: Any, index: int, scale: int, slow: pd.Series
) -> pd.Series:
    """Exact per-group sums in units of ``10**-12``, as Python integers."""
    high = grouped[f"_high_{index}"].sum()
    low = grouped[f"_low_{index}"].sum()
    factor = 10 ** (EXACT_PLACES - scale)
    totals = pd.Series(
        [((int(h) << _LOW_BITS) + int(lo)) * factor for h, lo in zip(high, low, strict=True)],
        index=high.index,
        dtype=object,
    )
    if len(slow):
        keys = work.loc[slow.index, list(grouped.keys)]
        extra = slow.groupby([keys[key] for key in keys], dropna=False, sort=False).agg(_int_sum)
        totals = totals.add(extra, fill_value=0)
    return pd.Series([int(value) for value in totals], index=totals.index, dtype=object)


def _int_sum(values: pd.Series) -> int:
    """The exact sum of a group of Python integers."""
    return sum(int(value) for value in values)


def _finish_metric(grouped: Any, index: int, metric: MetricSpec, decimals: int) -> pd.Series:
    """One metric of the aggregate table from the grouped partial aggregates."""
    partials: pd.DataFrame = grouped.obj
    name = f"_value_{index}"
    if metric.fn == "count" or metric.column is None:
        rows: pd.Series = grouped[ROWS].sum()
        return rows.astype(np.int64)
    if metric.fn in {"min", "max"}:
        values: pd.Series = getattr(grouped[name], metric.fn)()
        return values.astype(partials[name].dtype)
    if metric.fn == "sum" and name in partials:
        sums: pd.Series = grouped[name].sum()
        return sums.astype(partials[name].dtype)
    totals = grouped[f"_exact_{index}"].agg(_int_sum)
    if metric.fn == "sum":
        return pd.Series(
            [_round_units12(total, decimals) for total in totals], index=totals.index, dtype=FLOAT
        )
    counts = grouped[f"_count_{index}"].sum()
    means = [
        _round_units12(_divide_half_even(total, count), decimals) if count else None
        for total, count in zip(totals, counts, strict=True)
    ]
    return pd.Series(means, index=totals.index, dtype=FLOAT)


def _divide_half_even(total: int, count: int) -> int:
    """``total / count`` rounded to an integer, half to even."""
    quotient, remainder = divmod(total, count)
    twice = 2 * remainder
    if twice > count or (twice == count and quotient % 2):
        quotient += 1
    return quotient


def _round_units12(units: int, decimals: int) -> float:
    """``units / 10**12`` rounded half away from zero to ``decimals`` places, as a float."""
    divisor = 10 ** (EXACT_PLACES - decimals)
    quotient, remainder = divmod(abs(units), divisor)
    quotient += 2 * remainder >= divisor
    signed = quotient if units >= 0 else -quotient
    return float(signed / 10**decimals) + 0.0
