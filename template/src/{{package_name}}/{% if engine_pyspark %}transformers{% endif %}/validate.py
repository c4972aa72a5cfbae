"""Check every row against the declared schema and split valid from rejected rows.

Each column is parsed to its declared type (a value that does not parse becomes
null instead of failing the run) and checked by these rules, in this order,
column by column in schema order:

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
UTC without a time zone (``TIMESTAMP_NTZ``): a value with an offset is
converted to UTC, a value without one is taken to be UTC already.

Parsing is exactly as strict as the formats above: Spark's own casts are more
lenient (they accept ``1d``, ``0x1p3``, a date alone as a datetime, and trim
control characters), so each parse first matches the accepted syntax. The
common spellings take Spark's fast casts; the rare ones (single-digit fields,
offsets beyond 18 hours, leap seconds) are built from their parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as sf

from ..columns import REASON, ROW_NUMBER, RULE, RUN_ID, SOURCE, raw_column, typed_column

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import DataFrame

    from ..config import ColumnSpec, ColumnType

_INT = r"^[+-]?[0-9]+$"
_FLOAT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_LARGEST_DOUBLE = 1.7976931348623157e308
_LAST_OFFSET_HOUR = 23
_LAST_MINUTE = 59
_TRUE_WORDS = ("true", "1", "yes")
_FALSE_WORDS = ("false", "0", "no")
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = r"^([+-][0-9]+|[0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})$"
_ISO_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([+-][0-9]{2}:?[0-9]{2})?$"
)
_DATETIME = (
    r"^\s*([+-][0-9]+|[0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})\s*"
    r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?"
    r"(?:\s*([+-])([0-9]{2}):?([0-9]{2}))?$"
)


def check(frame: DataFrame, columns: Mapping[str, ColumnSpec]) -> DataFrame:
    """Parse the cleaned columns and record the first rule each row fails.

    Args:
        frame: The cleaned frame (see ``clean``): declared columns as trimmed
            strings or null, their ``_raw_`` copies, and any other columns.
        columns: The declared schema.

    Returns:
        The other columns of ``frame``, then ``_typed_<column>`` for each declared
        column, its ``_raw_`` copy (kept only on rejected rows, so that a cached
        frame stays small), ``_rule`` and ``_reason`` (null on valid rows).
    """
    checks = [
        check
        for name, spec in columns.items()
        for check in _checks(name, spec, sf.col(name), sf.col(typed_column(name)))
    ]
    typed = frame.withColumns(
        {typed_column(name): parse(sf.col(name), spec.type) for name, spec in columns.items()}
    )
    rule = _first([sf.when(failed, sf.lit(rule)) for failed, rule, _ in checks])
    ruled = typed.withColumn(RULE, rule)
    rejected = sf.col(RULE).isNotNull()
    reason = _first([sf.when(failed, reason) for failed, _, reason in checks])
    others = [name for name in frame.columns if name not in columns and not _is_raw(name, columns)]
    return ruled.select(
        *others,
        *(sf.col(typed_column(name)) for name in columns),
        *(sf.when(rejected, sf.col(raw_column(name))).alias(raw_column(name)) for name in columns),
        sf.col(RULE),
        sf.when(rejected, reason).alias(REASON),
    )


def validate(
    checked: DataFrame, columns: Mapping[str, ColumnSpec], run_id: str
) -> tuple[DataFrame, DataFrame]:
    """Split a checked frame (see ``check``) into typed valid rows and rejected raw rows.

    ``checked`` must carry ``_row_number`` and ``_source`` (see ``number_rows``).

    Returns:
        ``(valid, rejected)``: ``valid`` has ``_row_number``, ``_source`` and the
        declared columns with their declared types; ``rejected`` has the declared
        columns as the raw source strings, ``_row_number``, ``_source``,
        ``_rule``, ``_reason`` and ``_run_id``, sorted in source order.
    """
    valid = checked.where(sf.col(RULE).isNull()).select(
        ROW_NUMBER, SOURCE, *(sf.col(typed_column(name)).alias(name) for name in columns)
    )
    rejected = (
        checked.where(sf.col(RULE).isNotNull())
        .select(
            *(sf.col(raw_column(name)).alias(name) for name in columns),
            ROW_NUMBER,
            SOURCE,
            RULE,
            REASON,
            sf.lit(run_id).alias(RUN_ID),
        )
        .orderBy(SOURCE, ROW_NUMBER)
    )
    return valid, rejected


def parse(value: Column, column_type: ColumnType) -> Column:
    """Parse the cleaned strings in ``value`` as ``column_type``; null where that fails."""
    if column_type == "int64":
        return sf.when(value.rlike(_INT), value.try_cast("long"))
    if column_type == "float64":
        number = sf.when(value.rlike(_FLOAT), value.try_cast("double"))
        return sf.when(sf.abs(number) <= _LARGEST_DOUBLE, number)
    if column_type == "bool":
        word = sf.lower(value)
        true, false = sf.lit(True), sf.lit(False)  # noqa: FBT003 - the literals themselves
        return sf.when(word.isin(*_TRUE_WORDS), true).when(word.isin(*_FALSE_WORDS), false)
    if column_type == "date":
        return parse_date(value)
    if column_type == "datetime":
        return parse_datetime(value)
    return value


def parse_date(value: Column) -> Column:
    """Parse ``2024-03-01`` (also ``24-3-1``, ``+2024-03-01``) to a date; null where that fails."""
    year, month, day = (sf.regexp_extract(value, _DATE, group).cast("int") for group in (1, 2, 3))
    midnight = sf.lit(0)
    built = sf.try_make_timestamp_ntz(year, month, day, midnight, midnight, midnight).cast("date")
    return sf.when(value.rlike(_ISO_DATE), value.try_cast("date")).when(value.rlike(_DATE), built)


def parse_datetime(value: Column) -> Column:
    """Parse ISO 8601 date-times to naive UTC timestamps (microseconds); see the module doc.

    The first ``T`` is read as the date-time separator and a final ``Z`` is dropped.
    """
    separator = sf.instr(value, "T")
    spaced = sf.when(separator > 0, sf.overlay(value, sf.lit(" "), separator, sf.lit(1))).otherwise(
        value
    )
    text = sf.when(spaced.endswith("Z"), spaced.substr(sf.lit(1), sf.length(spaced) - 1)).otherwise(
        spaced
    )
    fast = sf.when(text.rlike(_ISO_DATETIME), text.try_cast("timestamp").cast("timestamp_ntz"))
    return sf.coalesce(fast, _datetime_from_parts(text))


def _datetime_from_parts(text: Column) -> Column:
    """The date-time of the rare spellings Spark's cast does not take, from its parts."""

    def part(group: int) -> Column:
        return sf.regexp_extract(text, _DATETIME, group)

    fraction = sf.rpad(sf.substring(part(7), 1, 6), 6, "0")
    seconds = sf.concat(part(6), sf.lit("."), fraction).cast("decimal(8,6)")
    year, month, day, hour, minute = (part(group).cast("int") for group in (1, 2, 3, 4, 5))
    local = sf.try_make_timestamp_ntz(year, month, day, hour, minute, seconds)
    hours, minutes = part(9).cast("int"), part(10).cast("int")
    offset = (hours * 60 + minutes) * sf.when(part(8) == "-", -1).otherwise(1)
    in_utc = sf.when(part(8) == "", local).when(
        (hours <= _LAST_OFFSET_HOUR) & (minutes <= _LAST_MINUTE),
        sf.timestamp_add("MINUTE", -offset, local),
    )
    return sf.when(text.rlike(_DATETIME), in_utc)


def _checks(
    name: str, spec: ColumnSpec, cleaned: Column, typed: Column
) -> list[tuple[Column, str, Column]]:
    """The rules of one column as ``(failed, rule, reason)``, in the order they apply."""
    checks: list[tuple[Column, str, Column]] = []
    if spec.required:
        checks.append((cleaned.isNull(), f"required:{name}", sf.lit(f"{name}: value is required")))
    if spec.type != "string":
        checks.append(
            (
                cleaned.isNotNull() & typed.isNull(),
                f"type:{name}",
                _quoted(name, cleaned, f" is not a valid {spec.type}"),
            )
        )
    if spec.allowed is not None:
        choices = ", ".join(spec.allowed)
        checks.append(
            (
                typed.isNotNull() & ~typed.isin(*spec.allowed),
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


def _quoted(name: str, value: Column, problem: str) -> Column:
    return sf.concat(sf.lit(f"{name}: '"), value, sf.lit(f"'{problem}"))


def _first(candidates: list[Column]) -> Column:
    """The first non-null of ``candidates`` per row: the first failed rule."""
    if not candidates:
        return sf.lit(None).cast("string")
    return sf.coalesce(*candidates)


def _is_raw(name: str, columns: Mapping[str, ColumnSpec]) -> bool:
    return any(name == raw_column(column) for column in columns)
