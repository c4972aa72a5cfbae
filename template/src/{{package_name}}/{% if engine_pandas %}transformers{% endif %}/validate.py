"""Check every row against the declared schema and split valid from rejected rows.

Each column is parsed to its declared type (a bad value becomes null instead
of failing the run) and checked by these rules, in this order, column by
column in schema order:

* ``required:<column>``: a required value is missing (null or blank);
* ``type:<column>``: the value does not parse as the declared type;
* ``allowed:<column>``: the value is not in the ``allowed`` list;
* ``range:<column>``: the value is below ``min`` or above ``max``.

A rejected row carries the first rule it failed as ``_rule`` and a readable
``_reason``. Accepted formats: ``int64`` as ``-12`` or ``+12``; ``float64`` as
``3.5``, ``.5``, ``5.`` or ``1e3`` (NaN and infinities are rejected); ``bool``
as true/false, 1/0 or yes/no in any case; ``date`` as ``2024-03-01``;
``datetime`` as ISO 8601 ``2024-03-01T10:15:00`` or ``2024-03-01 10:15:00``,
with optional fractional seconds (up to 9 digits, truncated to microseconds)
and an optional ``Z`` or ``+02:00`` offset. Datetimes are stored in UTC
without a time zone: a value with an offset is converted to UTC, a value
without one is taken to be UTC already.

Parsing tries Arrow's strict parser on the whole column first (the common,
clean case); when it refuses a value, the column is matched against the
exact grammar above with a regular expression and only the matching values
are parsed, so the result never depends on which path ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from ..columns import REASON, ROW_NUMBER, RULE, RUN_ID, SOURCE, raw_column
from ..dtypes import BOOL, DATE, FLOAT64, INT64, STRING, TIMESTAMP, arrow_series, to_arrow

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt

    from ..config import ColumnSpec, ColumnType

_TRUE_WORDS = ("true", "1", "yes")
_FALSE_WORDS = ("false", "0", "no")
_INTEGER = r"^[+-]?[0-9]+$"
_FLOAT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_DATE = r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$"
_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,9})?"
    r" ?([Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
)
_INT64_DIGITS = 19
_INT64_MAX = "9223372036854775807"
_INT64_MIN = "9223372036854775808"  # its magnitude
_SHORTEST_DATETIME = len("2024-03-01T10:15:00")


@dataclass(frozen=True)
class _Check:
    """One rule of one column: which rows fail it and how to explain a failure."""

    failed: npt.NDArray[np.bool_]
    rule: str
    column: str
    problem: str | None = None
    """What is wrong with the value, after it is quoted; None for a missing value."""

    def reasons(self, cleaned: pd.Series) -> pd.Series:
        """The ``_reason`` of each of the rows whose cleaned values are ``cleaned``."""
        if self.problem is None:
            return pd.Series(f"{self.column}: value is required", index=cleaned.index, dtype=STRING)
        return f"{self.column}: '" + cleaned + f"'{self.problem}"


def validate(
    frame: pd.DataFrame, columns: Mapping[str, ColumnSpec], run_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the cleaned ``frame`` into typed valid rows and rejected raw rows.

    Args:
        frame: The cleaned frame (see ``clean``): declared columns as trimmed
            strings or null, their ``_raw_`` copies, ``_row_number``, ``_source``.
        columns: The declared schema.
        run_id: Recorded with each rejected row.

    Returns:
        ``(valid, rejected)``: ``valid`` has ``_row_number``, ``_source`` and the
        declared columns with their declared types, in the order of ``frame``;
        ``rejected`` has the declared columns as the raw source strings,
        ``_row_number``, ``_source``, ``_rule``, ``_reason`` and ``_run_id``,
        sorted by ``_source`` and ``_row_number``. Both have a fresh index.
    """
    typed = {name: parse(frame[name], spec.type) for name, spec in columns.items()}
    checks = [
        check
        for name, spec in columns.items()
        for check in _checks(name, spec, frame[name], typed[name])
    ]
    first = _first_failed(checks, len(frame))
    passed = first < 0
    valid = pd.DataFrame({ROW_NUMBER: frame[ROW_NUMBER], SOURCE: frame[SOURCE], **typed})
    if not passed.all():
        valid = valid[passed]
    rejected = _rejected(frame, columns, checks, first, run_id)
    return valid.reset_index(drop=True), rejected


def parse(values: pd.Series, column_type: ColumnType) -> pd.Series:
    """Parse the cleaned strings in ``values`` as ``column_type``; null where that fails."""
    if column_type == "int64":
        return _parse_int(values)
    if column_type == "float64":
        return _parse_float(values)
    if column_type == "bool":
        return _parse_bool(values)
    if column_type == "date":
        return _parse_date(values)
    if column_type == "datetime":
        return parse_datetime(values)
    return values


def parse_datetime(values: pd.Series) -> pd.Series:
    """Parse ISO 8601 date-times to naive UTC timestamps (microseconds); see the module doc."""
    text = to_arrow(values)
    try:
        stamps = pc.cast(text, pa.timestamp("us"))  # no offsets, two-digit fields
    except pa.ArrowInvalid:
        pass
    else:  # Arrow also reads a bare date or HH:MM, which the grammar refuses
        complete = pc.greater_equal(pc.utf8_length(text), _SHORTEST_DATETIME)
        return arrow_series(pc.if_else(complete, stamps, None), values.index)
    matched = pc.utf8_upper(_matching(text, _DATETIME))  # upper: pandas wants T and Z
    parsed = pd.to_datetime(
        arrow_series(matched, values.index), format="ISO8601", utc=True, errors="coerce"
    )
    moments = parsed.dt.tz_convert(None).to_numpy().astype("datetime64[us]")
    return pd.Series(moments, index=values.index).astype(TIMESTAMP)


def _parse_int(values: pd.Series) -> pd.Series:
    try:
        return values.astype(INT64)  # Arrow's parser: digits with an optional '-'
    except pa.ArrowInvalid:
        pass
    text = to_arrow(values)
    unsigned = pc.utf8_ltrim(text, characters="+-")
    digits = pc.utf8_ltrim(unsigned, characters="0")
    negative = pc.starts_with(text, "-")
    size = pc.utf8_length(digits)
    limit = pc.if_else(negative, _INT64_MIN, _INT64_MAX)
    fits = pc.or_(
        pc.less(size, _INT64_DIGITS),
        pc.and_(pc.equal(size, _INT64_DIGITS), pc.less_equal(digits, limit)),
    )
    signed = pc.if_else(pc.starts_with(text, "+"), unsigned, text)
    numbers = pc.cast(pc.if_else(pc.and_(fits, _matches(text, _INTEGER)), signed, None), pa.int64())
    return arrow_series(numbers, values.index)


def _parse_float(values: pd.Series) -> pd.Series:
    try:
        numbers = to_arrow(values.astype(FLOAT64))
    except pa.ArrowInvalid:
        numbers = pc.cast(_matching(to_arrow(values), _FLOAT), pa.float64())
    return arrow_series(pc.if_else(pc.is_finite(numbers), numbers, None), values.index)


def _parse_bool(values: pd.Series) -> pd.Series:
    words = pc.utf8_lower(to_arrow(values))
    true = pc.is_in(words, value_set=pa.array(_TRUE_WORDS))
    false = pc.is_in(words, value_set=pa.array(_FALSE_WORDS))
    flags = pc.if_else(pc.or_(true, false), true, None)
    return arrow_series(flags, values.index).astype(BOOL)


def _parse_date(values: pd.Series) -> pd.Series:
    try:
        return values.astype(DATE)  # Arrow's parser: YYYY-MM-DD
    except pa.ArrowInvalid:
        pass
    matched = arrow_series(_matching(to_arrow(values), _DATE), values.index)
    parsed = pd.to_datetime(matched, format="%Y-%m-%d", errors="coerce")
    return pd.Series(parsed.to_numpy().astype("datetime64[D]"), index=values.index).astype(DATE)


def _matches(text: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    """Whether each value matches ``pattern`` (false for nulls)."""
    return pc.fill_null(pc.match_substring_regex(text, pattern), fill_value=False)


def _matching(text: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray:
    """``text`` where it matches ``pattern``, null elsewhere."""
    return pc.if_else(_matches(text, pattern), text, None)


def _checks(name: str, spec: ColumnSpec, cleaned: pd.Series, typed: pd.Series) -> list[_Check]:
    """The rules of one column, in the order they apply."""
    missing = cleaned.isna().to_numpy()
    checks: list[_Check] = []
    if spec.required:
        checks.append(_Check(missing, f"required:{name}", name))
    if spec.type != "string":
        unparsed = ~missing & typed.isna().to_numpy()
        checks.append(_Check(unparsed, f"type:{name}", name, f" is not a valid {spec.type}"))
    if spec.allowed is not None:
        choices = ", ".join(spec.allowed)
        unknown = typed.notna().to_numpy() & ~typed.isin(spec.allowed).to_numpy()
        checks.append(_Check(unknown, f"allowed:{name}", name, f" is not one of {choices}"))
    if spec.minimum is not None:
        below = (typed < spec.minimum).to_numpy(dtype=bool, na_value=False)
        problem = f" is below the minimum {spec.minimum:g}"
        checks.append(_Check(below, f"range:{name}", name, problem))
    if spec.maximum is not None:
        above = (typed > spec.maximum).to_numpy(dtype=bool, na_value=False)
        problem = f" is above the maximum {spec.maximum:g}"
        checks.append(_Check(above, f"range:{name}", name, problem))
    return checks


def _first_failed(checks: list[_Check], rows: int) -> npt.NDArray[np.int16]:
    """The index of the first check each row fails, -1 for rows that pass them all."""
    first = np.full(rows, -1, dtype=np.int16)
    for index in reversed(range(len(checks))):
        first[checks[index].failed] = index
    return first


def _rejected(
    frame: pd.DataFrame,
    columns: Mapping[str, ColumnSpec],
    checks: list[_Check],
    first: npt.NDArray[np.int16],
    run_id: str,
) -> pd.DataFrame:
    """The rejected rows as read, with the first rule each failed and why."""
    positions = np.flatnonzero(first >= 0)
    codes = first[positions]
    rows = frame.iloc[positions].reset_index(drop=True)
    reasons = np.empty(len(rows), dtype=object)
    for index, check in enumerate(checks):
        hits = np.flatnonzero(codes == index)
        if len(hits):
            reasons[hits] = check.reasons(rows[check.column].iloc[hits]).to_numpy()
    rules = np.asarray([check.rule for check in checks], dtype=object)
    rejected = pd.DataFrame(
        {
            **{name: rows[raw_column(name)] for name in columns},
            ROW_NUMBER: rows[ROW_NUMBER],
            SOURCE: rows[SOURCE].astype(STRING),
            RULE: pd.Series(rules[codes], index=rows.index, dtype=STRING),
            REASON: pd.Series(reasons, index=rows.index, dtype=STRING),
            RUN_ID: pd.Series(run_id, index=rows.index, dtype=STRING),
        }
    )
    return rejected.sort_values([SOURCE, ROW_NUMBER], kind="stable", ignore_index=True)
