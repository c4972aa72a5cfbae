"""Check every row against the declared schema and split valid from rejected rows.

Each column is parsed to its declared type (``strict=False``, so a bad value
becomes null instead of failing the run) and checked by these rules, in this
order, column by column in schema order:

* ``required:<column>``: a required value is missing (null or blank);
* ``type:<column>``: the value does not parse as the declared type;
* ``allowed:<column>``: the value is not in the ``allowed`` list;
* ``range:<column>``: the value is below ``min`` or above ``max``.

A rejected row carries the first rule it failed as ``_rule`` and a readable
``_reason``. Accepted formats: ``int64`` as ``-12``; ``float64`` as ``3.5`` or
``1e3`` (NaN and infinities are rejected); ``bool`` as true/false, 1/0 or
yes/no in any case; ``date`` as ``2024-03-01``; ``datetime`` as ISO 8601
``2024-03-01T10:15:00`` or ``2024-03-01 10:15:00``, with optional fractional
seconds and an optional ``Z`` or ``+02:00`` offset. Datetimes are stored in
UTC without a time zone: a value with an offset is converted to UTC, a value
without one is taken to be UTC already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..columns import REASON, ROW_NUMBER, RULE, RUN_ID, SOURCE, raw_column, typed_column

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ColumnSpec, ColumnType

_BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def validate(
    frame: pl.LazyFrame, columns: Mapping[str, ColumnSpec], run_id: str
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Split the cleaned ``frame`` into typed valid rows and rejected raw rows.

    Args:
        frame: The cleaned frame (see ``clean``): declared columns as trimmed
            strings or null, their ``_raw_`` copies, ``_row_number``, ``_source``.
        columns: The declared schema.
        run_id: Recorded with each rejected row.

    Returns:
        ``(valid, rejected)``: ``valid`` has ``_row_number``, ``_source`` and the
        declared columns with their declared types; ``rejected`` has the declared
        columns as the raw source strings, ``_row_number``, ``_source``,
        ``_rule``, ``_reason`` and ``_run_id``. Both keep the source order (the
        files in their sorted order, each file's rows in order), without a
        sort that would hold the rejected rows, and both share one query plan,
        so sink or collect them together (``pl.collect_all``) to read the
        source once.
    """
    checks = [
        check
        for name, spec in columns.items()
        for check in _checks(name, spec, pl.col(name), pl.col(typed_column(name)))
    ]
    parsed = parse_columns(frame, columns)
    # A rule on a null value is null, which a row passes, as with ``pl.when``.
    any_failed = pl.any_horizontal(
        pl.lit(value=False), *(failed.fill_null(value=False) for failed, _, _ in checks)
    )
    valid = parsed.filter(~any_failed).select(
        ROW_NUMBER, SOURCE, *(pl.col(typed_column(name)).alias(name) for name in columns)
    )
    # Rules and reasons are text built per row: only for the (few) rejected rows.
    rejected = (
        parsed.filter(any_failed)
        .with_columns(
            _first([pl.when(failed).then(pl.lit(rule)) for failed, rule, _ in checks]).alias(RULE),
            _first([pl.when(failed).then(reason) for failed, _, reason in checks]).alias(REASON),
        )
        .select(
            *(pl.col(raw_column(name)).alias(name) for name in columns),
            ROW_NUMBER,
            SOURCE,
            RULE,
            REASON,
            pl.lit(run_id).alias(RUN_ID),
        )
    )
    return valid, rejected


def parse_columns(frame: pl.LazyFrame, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    """Add each declared column parsed to its type as ``_typed_<column>``, as ``parse`` does.

    Date-times take two steps: first the common form ``2024-03-01T10:15:00``
    (one format, the fast path), then the full ISO 8601 parse of the values
    that did not match, which leaves every other row null and so costs nearly
    nothing when the source writes the common form.
    """
    datetimes = [name for name, spec in columns.items() if spec.type == "datetime"]
    return frame.with_columns(
        (
            _parse_common_datetime(pl.col(name))
            if spec.type == "datetime"
            else parse(pl.col(name), spec.type)
        ).alias(typed_column(name))
        for name, spec in columns.items()
    ).with_columns(_parse_other_datetimes(name) for name in datetimes)


def parse(value: pl.Expr, column_type: ColumnType) -> pl.Expr:
    """Parse the cleaned strings in ``value`` as ``column_type``; null where that fails."""
    if column_type == "int64":
        return value.cast(pl.Int64, strict=False)
    if column_type == "float64":
        number = value.cast(pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number)
    if column_type == "bool":
        return value.str.to_lowercase().replace_strict(
            _BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean
        )
    if column_type == "date":
        return value.str.to_date("%Y-%m-%d", strict=False)
    if column_type == "datetime":
        return parse_datetime(value)
    return value


def parse_datetime(value: pl.Expr) -> pl.Expr:
    """Parse ISO 8601 date-times to naive UTC datetimes (microseconds); see the module doc."""
    normalised = value.str.replace("T", " ", literal=True).str.strip_suffix("Z")
    with_offset = normalised.str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False
    )
    without_offset = normalised.str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False
    )
    return pl.coalesce(with_offset.dt.replace_time_zone(None), without_offset)


def _parse_common_datetime(value: pl.Expr) -> pl.Expr:
    """``value`` parsed as ``2024-03-01T10:15:00[.fff]``, without an offset; null otherwise."""
    return value.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)


def _parse_other_datetimes(name: str) -> pl.Expr:
    """The typed column ``name``, its nulls filled by the full parse of the cleaned value."""
    typed = pl.col(typed_column(name))
    rest = pl.when(typed.is_null()).then(pl.col(name))
    return pl.coalesce(typed, parse_datetime(rest)).alias(typed_column(name))


def _checks(
    name: str, spec: ColumnSpec, cleaned: pl.Expr, typed: pl.Expr
) -> list[tuple[pl.Expr, str, pl.Expr]]:
    """The rules of one column as ``(failed, rule, reason)``, in the order they apply."""
    checks: list[tuple[pl.Expr, str, pl.Expr]] = []
    if spec.required:
        checks.append((cleaned.is_null(), f"required:{name}", pl.lit(f"{name}: value is required")))
    if spec.type != "string":
        checks.append(
            (
                cleaned.is_not_null() & typed.is_null(),
                f"type:{name}",
                _quoted(name, cleaned, f" is not a valid {spec.type}"),
            )
        )
    if spec.allowed is not None:
        choices = ", ".join(spec.allowed)
        checks.append(
            (
                typed.is_not_null() & ~typed.is_in(list(spec.allowed)),
                f"allowed:{name}",
                _quoted(name, cleaned, f" is not one of {choices}"),
            )
        )
    if spec.minimum is not None:
        checks.append(
            (
                typed < spec.minimum,
                f"range:{name}",
                _quoted(name, cleaned, f" is below the minimum {spec.minimum:g}"),
            )
        )
    if spec.maximum is not None:
        checks.append(
            (
                typed > spec.maximum,
                f"range:{name}",
                _quoted(name, cleaned, f" is above the maximum {spec.maximum:g}"),
            )
        )
    return checks


def _quoted(name: str, value: pl.Expr, problem: str) -> pl.Expr:
    return pl.concat_str(pl.lit(f"{name}: '"), value, pl.lit(f"'{problem}"))


def _first(candidates: list[pl.Expr]) -> pl.Expr:
    """The first non-null of ``candidates`` per row: the first failed rule."""
    if not candidates:
        return pl.lit(None, dtype=pl.String)
    return pl.coalesce(candidates)
