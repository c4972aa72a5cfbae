"""Check every row against the declared schema and split valid from rejected rows.

Each column is parsed to its declared type (``TRY_CAST`` and friends, so a bad
value becomes null instead of failing the run) and checked by these rules, in
this order, column by column in schema order:

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

DuckDB's casts accept more than these formats (``1.5`` as an integer, ``1_000``,
``inf``, a date without a time, ...), so each cast runs behind a check of the
exact format: a pattern, or a cheaper test where one tells the same (a round
trip, ``LIKE``, ``isfinite``), with the pattern only for the values that fail it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..columns import REASON, ROW_NUMBER, RULE, RUN_ID, SOURCE, raw_column
from ..sql import column_list, literal, quote, select

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import duckdb

    from ..config import ColumnSpec, ColumnType

_INTEGER = r"[+-]?[0-9]+"
_DATETIME = (
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]|[0-9]+-[0-9]+-[0-9]+ +)"
    r"([01]?[0-9]|2[0-3]):[0-5]?[0-9]:[0-5]?[0-9](\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?"
)
"""ISO 8601 as accepted; DuckDB's TIMESTAMPTZ cast then does the arithmetic."""
_PLAIN_LAYOUTS = tuple(
    f"____-__-__{separator}__:__:__{zone}" for separator in ("T", " ") for zone in ("", "Z")
)
"""Layouts DuckDB's ``TIMESTAMP`` cast reads exactly as the full pattern does (but hour 24)."""
_BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
_TYPED_PREFIX = "_typed_"


@dataclass(frozen=True)
class Check:
    """One rule of one column: SQL that is true when a row fails it, and the reason."""

    failed: str
    rule: str
    reason: str


def validate(
    relation: duckdb.DuckDBPyRelation, columns: Mapping[str, ColumnSpec]
) -> duckdb.DuckDBPyRelation:
    """Parse and check the cleaned ``relation``: every row, with its first failed rule.

    Args:
        relation: The cleaned rows (see ``clean``): declared columns as trimmed
            strings or null, their ``_raw_`` copies, ``_row_number``, ``_source``.
        columns: The declared schema.

    Returns:
        ``_row_number``, ``_source``, the declared columns with their declared
        types, ``_rule`` and ``_reason`` (null for a valid row) and the
        ``_raw_`` copies, which are kept for rejected rows only. Split it with
        ``valid_rows`` and ``rejected_rows``; materialise it first to read the
        source once.
    """
    typed = select(
        relation,
        [
            quote(ROW_NUMBER),
            quote(SOURCE),
            *(quote(name) for name in columns),
            *(quote(raw_column(name)) for name in columns),
            *(
                f"{parse(quote(name), spec.type)} AS {quote(_TYPED_PREFIX + name)}"
                for name, spec in columns.items()
            ),
        ],
    )
    checks = [
        check
        for name, spec in columns.items()
        for check in column_checks(name, spec, quote(name), quote(_TYPED_PREFIX + name))
    ]
    rule = _first(checks, lambda check: literal(check.rule))
    reason = _first(checks, lambda check: check.reason)
    checked = select(
        typed,
        [
            quote(ROW_NUMBER),
            quote(SOURCE),
            *(f"{quote(_TYPED_PREFIX + name)} AS {quote(name)}" for name in columns),
            *(quote(raw_column(name)) for name in columns),
            f"{rule} AS {quote(RULE)}",
            f"{reason} AS {quote(REASON)}",
        ],
    )
    return select(
        checked,
        [
            quote(ROW_NUMBER),
            quote(SOURCE),
            *(quote(name) for name in columns),
            quote(RULE),
            quote(REASON),
            *(
                f"CASE WHEN {quote(RULE)} IS NOT NULL THEN {quote(raw_column(name))} END "
                f"AS {quote(raw_column(name))}"
                for name in columns
            ),
        ],
    )


def valid_rows(
    checked: duckdb.DuckDBPyRelation, columns: Mapping[str, ColumnSpec]
) -> duckdb.DuckDBPyRelation:
    """The rows that passed every rule: ``_row_number``, ``_source`` and the typed columns."""
    return select(
        checked.filter(f"{quote(RULE)} IS NULL"),
        [quote(ROW_NUMBER), quote(SOURCE), *(quote(name) for name in columns)],
    )


def rejected_rows(
    checked: duckdb.DuckDBPyRelation, columns: Mapping[str, ColumnSpec], run_id: str
) -> duckdb.DuckDBPyRelation:
    """The rejected rows as read, in source order.

    Columns: the declared columns as the raw source strings, ``_row_number``,
    ``_source``, ``_rule``, ``_reason`` and ``_run_id``.
    """
    rows = select(
        checked.filter(f"{quote(RULE)} IS NOT NULL"),
        [
            *(f"{quote(raw_column(name))} AS {quote(name)}" for name in columns),
            quote(ROW_NUMBER),
            quote(SOURCE),
            quote(RULE),
            quote(REASON),
            f"{literal(run_id)} AS {quote(RUN_ID)}",
        ],
    )
    return rows.order(column_list([SOURCE, ROW_NUMBER]))


def parse(value: str, column_type: ColumnType) -> str:
    """SQL parsing the cleaned strings ``value`` as ``column_type``; null where that fails."""
    if column_type == "int64":
        number = f"TRY_CAST({value} AS BIGINT)"
        # A number that prints back as it was written is an integer literal: no
        # pattern needed for the usual case; '+5' and '007' take the slower path.
        return (
            f"CASE WHEN CAST({number} AS VARCHAR) = {value} THEN {number} "
            f"WHEN regexp_full_match({value}, {literal(_INTEGER)}) THEN {number} END"
        )
    if column_type == "float64":
        # DuckDB also reads '1_000', '+-1', 'inf' and 'nan'; all else it reads is a float literal.
        number = f"TRY_CAST({value} AS DOUBLE)"
        exotic = f"contains({value}, '_') OR contains({value}, '+-')"
        return f"CASE WHEN isfinite({number}) AND NOT ({exotic}) THEN {number} END"
    if column_type == "bool":
        cases = " ".join(
            f"WHEN {literal(word)} THEN {str(flag).upper()}"
            for word, flag in _BOOLEAN_WORDS.items()
        )
        return f"CASE lower({value}) {cases} END"
    if column_type == "date":
        return f"CAST(try_strptime({value}, '%Y-%m-%d') AS DATE)"
    if column_type == "datetime":
        return parse_datetime(value)
    return value


def parse_datetime(value: str) -> str:
    """SQL parsing ISO 8601 date-times to naive UTC timestamps in microseconds (module doc).

    The common layouts without an offset (``2024-03-01T10:15:00``, also with a
    space or a final ``Z``) are recognised with ``LIKE`` and cast directly;
    every other value is checked against the full pattern and cast with its
    offset, which is much slower.
    """
    plain = " OR ".join(f"{value} LIKE {literal(layout)}" for layout in _PLAIN_LAYOUTS)
    return (
        f"CASE WHEN ({plain}) AND {value} NOT LIKE '___________24%' "
        f"THEN TRY_CAST({value} AS TIMESTAMP) "
        f"WHEN regexp_full_match({value}, {literal(_DATETIME)}) "
        f"THEN timezone('UTC', TRY_CAST(upper({value}) AS TIMESTAMPTZ)) END"
    )


def column_checks(name: str, spec: ColumnSpec, cleaned: str, typed: str) -> list[Check]:
    """The rules of one column, in the order they apply."""
    checks: list[Check] = []
    if spec.required:
        checks.append(
            Check(f"{cleaned} IS NULL", f"required:{name}", literal(f"{name}: value is required"))
        )
    if spec.type != "string":
        checks.append(
            Check(
                f"{cleaned} IS NOT NULL AND {typed} IS NULL",
                f"type:{name}",
                _quoted(name, cleaned, f" is not a valid {spec.type}"),
            )
        )
    if spec.allowed is not None:
        choices = ", ".join(spec.allowed)
        values = ", ".join(literal(value) for value in spec.allowed)
        checks.append(
            Check(
                f"{typed} IS NOT NULL AND {typed} NOT IN ({values})",
                f"allowed:{name}",
                _quoted(name, cleaned, f" is not one of {choices}"),
            )
        )
    if spec.minimum is not None:
        checks.append(
            Check(
                f"{typed} < {spec.minimum!r}",
                f"range:{name}",
                _quoted(name, cleaned, f" is below the minimum {spec.minimum:g}"),
            )
        )
    if spec.maximum is not None:
        checks.append(
            Check(
                f"{typed} > {spec.maximum!r}",
                f"range:{name}",
                _quoted(name, cleaned, f" is above the maximum {spec.maximum:g}"),
            )
        )
    return checks


def _quoted(name: str, value: str, problem: str) -> str:
    """SQL for ``<name>: '<value>'<problem>``."""
    opening = literal(f"{name}: '")
    closing = literal(f"'{problem}")
    return f"{opening} || {value} || {closing}"


def _first(checks: list[Check], value: Callable[[Check], str]) -> str:
    """SQL for the value of the first failed check per row (null when none failed)."""
    if not checks:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(f"WHEN {check.failed} THEN {value(check)}" for check in checks)
    return f"CASE {whens} END"
