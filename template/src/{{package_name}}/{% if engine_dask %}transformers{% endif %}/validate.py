# mypy: disable-error-code="import-untyped, no-untyped-call"
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
seconds (kept to the microsecond) and an optional ``Z`` or ``+02:00`` offset.
Datetimes are stored in UTC without a time zone: a value with an offset is
converted to UTC, a value without one is taken to be UTC already.

Each partition is checked on its own with vectorised pyarrow kernels (regular
expressions, casts) and numpy calendar arithmetic; no Python code runs per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..columns import REASON, ROW_NUMBER, RULE, RUN_ID, SOURCE, raw_column
from .frames import STRING, as_numpy, meta_of, to_arrow, to_series, valid_mask

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import dask.dataframe as dd

    from ..config import ColumnSpec, ColumnType

_BOOLEAN_WORDS = pa.array(["true", "false", "1", "0", "yes", "no"])
_BOOLEAN_VALUES = pa.array([True, False, True, False, True, False])
_INT = r"^[+-]?[0-9]+$"
_INT_SAFE_LENGTH = 18
"""Sign and digits of at most this length always fit in an int64."""
_FLOAT = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_SPACE = (
    r"[\t\n\x{0B}\x{0C}\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}"
    r"\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"
)
"""A Unicode ``White_Space`` character, for RE2."""
_DATE = r"^(?P<year>[+-]0*[0-9]{1,9}|[0-9]{1,4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})$"
_DATETIME = (
    r"^(?P<year>[0-9]{1,4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})(?P<t>[Tt]?)"
    + _SPACE
    + r"*(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2}):(?P<second>[0-9]{1,2})"
    r"(?:\.(?P<fraction>[0-9]+))?(?:"
    + _SPACE
    + r"*(?:(?P<zulu>[Zz])|(?P<sign>[+-])(?P<offset_hour>[0-9]{2}):?(?P<offset_minute>[0-9]{2})))?$"
)
_YEARS = (-262_143, 262_142)
"""The years a ``date`` may have."""
_COMMON_WIDTH = 25
"""Length of ``YYYY-MM-DDThh:mm:ss+hh:mm``, the longest layout of the fast path."""
_CLOCK_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_T_OR_SPACE = np.frombuffer(b"Tt ", dtype=np.uint8)
_ZULU = np.frombuffer(b"Zz", dtype=np.uint8)
_SIGNS = np.frombuffer(b"+-", dtype=np.uint8)
_MICROS = {"day": 86_400_000_000, "hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000}


class _Check(NamedTuple):
    """One rule of one column: which rows fail it, its name and the reason per row."""

    failed: np.ndarray
    rule: str
    reason: Callable[[np.ndarray], Any]


def validate(
    frame: dd.DataFrame, columns: Mapping[str, ColumnSpec], run_id: str
) -> tuple[dd.DataFrame, dd.DataFrame]:
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
        ``_rule``, ``_reason`` and ``_run_id``, in source order within each
        partition. Both come from one checked frame, so compute or persist them
        together (``dask.persist(valid, rejected)``) to read the source once.
    """
    checked = frame.map_partitions(
        check_partition, columns, meta=check_partition(meta_of(frame), columns)
    )
    valid = checked.map_partitions(
        valid_rows, list(columns), meta=valid_rows(meta_of(checked), list(columns))
    )
    rejected = checked.map_partitions(
        rejected_rows,
        list(columns),
        run_id,
        meta=rejected_rows(meta_of(checked), list(columns), run_id),
    )
    return valid, rejected


def check_partition(part: pd.DataFrame, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    """Parse and check one partition.

    Returns the partition with its declared columns typed, ``_rule`` and
    ``_reason`` (null on valid rows) and the ``_raw_`` copies.
    """
    typed: dict[str, pd.Series] = {}
    checks: list[_Check] = []
    for name, spec in columns.items():
        cleaned = to_arrow(part[name])
        value = parse_array(cleaned, spec.type)
        typed[name] = to_series(value, part.index)
        checks.extend(_checks(name, spec, cleaned, value))
    rule, reason = _first_failures(checks, len(part), part.index)
    raw = {raw_column(name): part[raw_column(name)] for name in columns}
    return pd.DataFrame(
        {
            ROW_NUMBER: part[ROW_NUMBER],
            SOURCE: part[SOURCE],
            **typed,
            RULE: rule,
            REASON: reason,
            **raw,
        },
        index=part.index,
    )


def valid_rows(checked: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The rows of a checked partition that passed every rule, typed."""
    return checked.loc[checked[RULE].isna().to_numpy(), [ROW_NUMBER, SOURCE, *columns]]


def rejected_rows(checked: pd.DataFrame, columns: list[str], run_id: str) -> pd.DataFrame:
    """The rows of a checked partition that failed a rule, with their raw strings."""
    rows = checked.loc[checked[RULE].notna().to_numpy()]
    return pd.DataFrame(
        {
            **{name: rows[raw_column(name)].astype(STRING) for name in columns},
            ROW_NUMBER: rows[ROW_NUMBER].astype("int64"),
            SOURCE: rows[SOURCE],
            RULE: rows[RULE].astype(STRING),
            REASON: rows[REASON].astype(STRING),
            RUN_ID: pd.Series(run_id, index=rows.index, dtype=STRING),
        },
        index=rows.index,
    )


def parse(values: pd.Series, column_type: ColumnType) -> pd.Series:
    """Parse the cleaned strings in ``values`` as ``column_type``; null where that fails."""
    return to_series(parse_array(to_arrow(values.astype(STRING)), column_type), values.index)


def parse_array(values: Any, column_type: ColumnType) -> Any:
    """Parse an Arrow string array as ``column_type`` (see ``parse``)."""
    if column_type == "int64":
        return _parse_int(values)
    if column_type == "float64":
        number = pc.cast(_matching(values, _FLOAT), pa.float64())
        return pc.if_else(pc.is_finite(number), number, None)
    if column_type == "bool":
        return pc.take(
            _BOOLEAN_VALUES,
            pc.index_in(pc.utf8_lower(values), value_set=_BOOLEAN_WORDS.cast(values.type)),
        )
    if column_type == "date":
        return _parse_date(values)
    if column_type == "datetime":
        return _parse_datetime(values)
    return values


def _matching(values: Any, pattern: str) -> Any:
    """``values`` where they match ``pattern``, null elsewhere."""
    return pc.if_else(pc.match_substring_regex(values, pattern), values, None)


def _parse_int(values: Any) -> Any:
    text = pc.utf8_ltrim(_matching(values, _INT), characters="+")
    short = pc.fill_null(pc.less_equal(pc.utf8_length(text), _INT_SAFE_LENGTH), fill_value=True)
    numbers = pc.cast(pc.if_else(short, text, None), pa.int64())
    long_rows = np.flatnonzero(~as_numpy(short, fill=True))
    if not long_rows.size:
        return numbers
    result = as_numpy(numbers, fill=0).astype(np.int64)
    present = valid_mask(numbers)
    limits = np.iinfo(np.int64)
    for row, digits in zip(long_rows, text.take(long_rows).to_pylist(), strict=True):
        number = int(digits)
        if limits.min <= number <= limits.max:
            result[row], present[row] = number, True
    return pa.array(result, mask=~present)


def _parse_date(values: Any) -> Any:
    parts = pc.extract_regex(values, _DATE)
    matched = valid_mask(parts)
    year, month, day = (_field(parts, name) for name in ("year", "month", "day"))
    ok = matched & (year >= _YEARS[0]) & (year <= _YEARS[1]) & _is_calendar_date(year, month, day)
    return pa.array(days_from_civil(year, month, day).astype(np.int32), type=pa.date32(), mask=~ok)


def _parse_datetime(values: Any) -> Any:
    micros, ok = _parse_common_datetimes(values)
    rest = np.flatnonzero(~ok & valid_mask(values))
    if rest.size:
        micros[rest], ok[rest] = _parse_any_datetimes(values.take(rest))
    return pa.array(micros, type=pa.timestamp("us"), mask=~ok)


def _parse_common_datetimes(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """The fast path: ``YYYY-MM-DD[T ]hh:mm:ss`` with no, a ``Z`` or a ``+hh:mm`` suffix.

    The bytes at fixed positions are read with numpy, without a regular
    expression; the other rows are left (``ok`` false) for ``_parse_any_datetimes``.
    """
    text = values.cast(pa.large_string())
    size = len(text)
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + size + 1]
    data_buffer = text.buffers()[2]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, np.uint8)
    )
    starts, lengths = offsets[:-1], np.diff(offsets)
    width = _COMMON_WIDTH
    # Row i's first bytes: a window of the (padded) character data starting at its offset.
    padded = np.concatenate([data, np.zeros(width, dtype=np.uint8)])
    block = np.lib.stride_tricks.sliding_window_view(padded, width)[starts].T.copy()
    digits = block - np.uint8(ord("0"))  # wraps around: a non-digit is 10 or more

    def number(*columns: int) -> np.ndarray:
        value = np.zeros(size, dtype=np.int64)
        for column in columns:
            value = value * 10 + digits[column]
        return value

    ok = valid_mask(text) & (lengths >= 19) & (digits[_CLOCK_DIGITS] < 10).all(axis=0)  # noqa: PLR2004
    ok &= (block[4] == ord("-")) & (block[7] == ord("-"))
    ok &= np.isin(block[10], _T_OR_SPACE) & (block[13] == ord(":")) & (block[16] == ord(":"))
    zulu = (lengths == 20) & np.isin(block[19], _ZULU)  # noqa: PLR2004
    offset = (lengths == width) & np.isin(block[19], _SIGNS) & (block[22] == ord(":"))
    offset &= (digits[[20, 21, 23, 24]] < 10).all(axis=0)  # noqa: PLR2004
    ok &= (lengths == 19) | zulu | offset  # noqa: PLR2004
    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute, second = number(11, 12), number(14, 15), number(17, 18)
    offset_hour, offset_minute = (
        np.where(offset, number(20, 21), 0),
        np.where(offset, number(23, 24), 0),
    )
    sign = np.where(block[19] == ord("-"), -1, 1)
    ok &= _is_calendar_date(year, month, day) & (hour <= 23) & (minute <= 59) & (second <= 60)  # noqa: PLR2004
    ok &= (offset_hour <= 23) & (offset_minute <= 59)  # noqa: PLR2004
    offset_minutes = sign * (offset_hour * 60 + offset_minute)
    micros = _micros((year, month, day), (hour, minute, second), offset_minutes)
    return np.where(ok, micros, 0), ok


def _parse_any_datetimes(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every accepted datetime format, with a regular expression (see the module doc)."""
    parts = pc.extract_regex(values, _DATETIME)
    matched = valid_mask(parts)
    year, month, day = (_field(parts, name) for name in ("year", "month", "day"))
    hour, minute, second = (_field(parts, name) for name in ("hour", "minute", "second"))
    ok = matched & _is_calendar_date(year, month, day)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 60)  # noqa: PLR2004 - clock limits
    # A "T" separator is only recognised after a zero-padded YYYY-MM-DD date.
    padded = (
        (_length(parts, "year") == 4)  # noqa: PLR2004 - YYYY
        & (_length(parts, "month") == 2)  # noqa: PLR2004 - MM
        & (_length(parts, "day") == 2)  # noqa: PLR2004 - DD
    )
    ok &= padded | (_length(parts, "t") == 0)
    offset_hour, offset_minute = _field(parts, "offset_hour"), _field(parts, "offset_minute")
    ok &= (offset_hour <= 23) & (offset_minute <= 59)  # noqa: PLR2004 - offset limits
    sign = np.where(as_numpy(pc.struct_field(parts, "sign"), fill="") == "-", -1, 1)
    offset_minutes = sign * (offset_hour * 60 + offset_minute)
    micros = _micros((year, month, day), (hour, minute, second), offset_minutes)
    return np.where(ok, micros + _microseconds(parts), 0), ok


def _micros(
    date: tuple[np.ndarray, np.ndarray, np.ndarray],
    clock: tuple[np.ndarray, np.ndarray, np.ndarray],
    offset_minutes: np.ndarray,
) -> np.ndarray:
    """Microseconds since the epoch of a date and clock reading ``offset_minutes`` ahead of UTC."""
    hour, minute, second = clock
    micros: np.ndarray = (
        days_from_civil(*date) * _MICROS["day"]
        + hour * _MICROS["hour"]
        + (minute - offset_minutes) * _MICROS["minute"]
        + second * _MICROS["second"]
    )
    return micros


def _field(parts: Any, name: str) -> np.ndarray:
    """A numeric group of an ``extract_regex`` result; 0 where absent or unmatched."""
    text = pc.utf8_ltrim(pc.struct_field(parts, name), characters="+")
    text = pc.if_else(pc.equal(text, ""), "0", text)
    return as_numpy(pc.cast(pc.fill_null(text, "0"), pa.int64()), fill=0).astype(np.int64)


def _length(parts: Any, name: str) -> np.ndarray:
    return as_numpy(pc.utf8_length(pc.struct_field(parts, name)), fill=0)


def _microseconds(parts: Any) -> np.ndarray:
    """The fractional seconds as microseconds, truncated after the sixth digit."""
    fraction = pc.fill_null(pc.struct_field(parts, "fraction"), "")
    six = pc.utf8_rpad(pc.utf8_slice_codeunits(fraction, 0, 6), width=6, padding="0")
    return as_numpy(pc.cast(six, pa.int64()), fill=0).astype(np.int64)


def _is_calendar_date(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    month_length = lengths[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)  # noqa: PLR2004 - February
    valid: np.ndarray = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_length)  # noqa: PLR2004
    return valid


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (vectorised, any year)."""
    shifted = year - (month <= 2)  # noqa: PLR2004 - the year starts in March
    era = np.floor_divide(shifted, 400)
    year_of_era = shifted - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1  # noqa: PLR2004
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return np.asarray(era * 146_097 + day_of_era - 719_468, dtype=np.int64)


def _checks(name: str, spec: ColumnSpec, cleaned: Any, typed: Any) -> list[_Check]:
    """The rules of one column, in the order they apply."""
    present = valid_mask(cleaned)
    parsed = valid_mask(typed)
    checks: list[_Check] = []
    if spec.required:
        message = pa.scalar(f"{name}: value is required", pa.large_string())
        checks.append(
            _Check(~present, f"required:{name}", lambda rows: pa.repeat(message, rows.size))
        )
    if spec.type != "string":
        checks.append(
            _Check(
                present & ~parsed,
                f"type:{name}",
                _quoted(name, cleaned, f" is not a valid {spec.type}"),
            )
        )
    if spec.allowed is not None:
        allowed = pc.fill_null(
            pc.is_in(typed, value_set=pa.array(spec.allowed, type=typed.type)), fill_value=True
        )
        choices = ", ".join(spec.allowed)
        checks.append(
            _Check(
                parsed & ~as_numpy(allowed, fill=True),
                f"allowed:{name}",
                _quoted(name, cleaned, f" is not one of {choices}"),
            )
        )
    if spec.minimum is not None:
        below = as_numpy(pc.less(typed, spec.minimum), fill=False)
        checks.append(
            _Check(
                below,
                f"range:{name}",
                _quoted(name, cleaned, f" is below the minimum {spec.minimum:g}"),
            )
        )
    if spec.maximum is not None:
        above = as_numpy(pc.greater(typed, spec.maximum), fill=False)
        checks.append(
            _Check(
                above,
                f"range:{name}",
                _quoted(name, cleaned, f" is above the maximum {spec.maximum:g}"),
            )
        )
    return checks


def _quoted(name: str, cleaned: Any, problem: str) -> Callable[[np.ndarray], Any]:
    """The reason ``<name>: '<value>'<problem>`` for the given rows."""

    def reason(rows: np.ndarray) -> Any:
        return pc.binary_join_element_wise(
            pa.scalar(f"{name}: '", pa.large_string()),
            cleaned.take(rows).cast(pa.large_string()),
            pa.scalar(f"'{problem}", pa.large_string()),
            pa.scalar("", pa.large_string()),
        )

    return reason


def _first_failures(
    checks: list[_Check], size: int, index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """``_rule`` and ``_reason`` of each row: the first failed check, null if none."""
    first = np.full(size, len(checks), dtype=np.int32)
    for position in range(len(checks) - 1, -1, -1):
        first[checks[position].failed] = position
    failed = first < len(checks)
    rules = list(dict.fromkeys(check.rule for check in checks))
    codes = np.full(size, -1, dtype=np.int32)
    rows_by_check: list[np.ndarray] = []
    reasons: list[Any] = []
    for position, check in enumerate(checks):
        rows = np.flatnonzero(first == position)
        codes[rows] = rules.index(check.rule)
        if rows.size:
            rows_by_check.append(rows)
            reasons.append(check.reason(rows))
    rule = pd.Series(pd.Categorical.from_codes(codes, categories=rules or ["-"]), index=index)
    reason_array = pa.nulls(size, pa.large_string())
    if rows_by_check:
        order = np.argsort(np.concatenate(rows_by_check), kind="stable")
        in_row_order = pa.concat_arrays([item.cast(pa.large_string()) for item in reasons]).take(
            order
        )
        reason_array = pc.replace_with_mask(reason_array, pa.array(failed), in_row_order)
    return rule, to_series(reason_array, index)
