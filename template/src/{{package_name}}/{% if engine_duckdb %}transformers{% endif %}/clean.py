"""Clean raw strings: trim surrounding whitespace and treat empty values as missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..columns import raw_column
from ..sql import literal, quote, select

if TYPE_CHECKING:
    from collections.abc import Iterable

    import duckdb

WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
"""Every character Unicode calls white space; these are trimmed."""
_WIDE_WHITESPACE = ", ".join(str(ord(char)) for char in WHITESPACE if not char.isascii())


def clean(relation: duckdb.DuckDBPyRelation, columns: Iterable[str]) -> duckdb.DuckDBPyRelation:
    """Trim each of ``columns`` and turn empty strings into nulls.

    The untouched source strings stay available as ``_raw_<column>`` for the
    quarantine, which shows rejected rows exactly as they were read.
    """
    names = list(columns)
    cleaned = {name: f"{clean_text(quote(name))} AS {quote(name)}" for name in names}
    return select(
        relation,
        [
            *(cleaned.get(name, quote(name)) for name in relation.columns),
            *(f"{quote(name)} AS {quote(raw_column(name))}" for name in names),
        ],
    )


def clean_text(value: str) -> str:
    """SQL for ``value`` without surrounding white space, or null when nothing is left.

    DuckDB's ``trim`` with a set of characters is slow, so it only runs where
    the first or the last character may be white space: a value that starts
    and ends with a visible ASCII character is returned as it is.
    """
    first = f"ord({value})"
    last = f"ord(reverse({value}))"
    return (
        f"CASE WHEN {_visible(first)} AND {_visible(last)} THEN {value} "
        f"ELSE nullif(trim({value}, {literal(WHITESPACE)}), '') END"
    )


def _visible(code: str) -> str:
    """SQL that is true when the code point ``code`` is not white space (nor the empty string)."""
    return f"({code} > 32 AND ({code} < 133 OR {code} NOT IN ({_WIDE_WHITESPACE})))"
