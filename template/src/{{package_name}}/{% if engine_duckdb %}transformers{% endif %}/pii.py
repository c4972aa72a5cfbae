"""Protect the personal-data columns: ``pii: hash`` and ``pii: mask`` (see ``privacy``).

DuckDB has SHA-256 but no HMAC, so ``hash_sql`` builds HMAC-SHA256 from it as
RFC 2104 defines it: ``sha256(outer || unhex(sha256(inner || value)))``, with
the padded keys of ``privacy.hmac_pads`` as blob literals. The query text
therefore carries key material: it is never logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..columns import raw_column
from ..privacy import KEEP, MASK, hmac_pads
from ..sql import literal, quote, select

if TYPE_CHECKING:
    import duckdb

    from ..privacy import PiiPolicy


def protect(relation: duckdb.DuckDBPyRelation, policy: PiiPolicy) -> duckdb.DuckDBPyRelation:
    """Hash or mask each protected column and its raw copy (``_raw_<column>``)."""
    if not policy.columns:
        return relation
    replaced: dict[str, str] = {}
    for column in policy.hashed:
        for name in (column, raw_column(column)):
            replaced[name] = f"{hash_sql(quote(name), policy.key)} AS {quote(name)}"
    for column in policy.masked:
        for name in (column, raw_column(column)):
            replaced[name] = f"{mask_sql(quote(name))} AS {quote(name)}"
    return select(relation, [replaced.get(name, quote(name)) for name in relation.columns])


def hash_sql(value: str, key: bytes) -> str:
    """SQL for the HMAC-SHA256 of the string ``value`` in hex; null stays null."""
    inner, outer = hmac_pads(key)
    inner_digest = f"unhex(sha256(unhex({literal(inner.hex())}) || encode({value})))"
    return f"sha256(unhex({literal(outer.hex())}) || {inner_digest})"


def mask_sql(value: str) -> str:
    """SQL for ``MASK`` followed by the last ``KEEP`` characters; null stays null."""
    return f"({literal(MASK)} || right({value}, {KEEP}))"
