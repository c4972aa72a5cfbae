"""Protect the personal-data columns: ``pii: hash`` and ``pii: mask`` (see ``privacy``).

Spark SQL has ``sha2`` but no HMAC, and a Python UDF would ship every value
to Python workers, so ``hash_text`` builds HMAC-SHA256 from ``sha2`` as RFC 2104
defines it: ``sha2(outer || unhex(sha2(inner || value)))``, with the padded
keys of ``privacy.hmac_pads`` as binary literals. The plan therefore carries key
material: never log it (``explain``) in production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as sf

from ..columns import raw_column
from ..privacy import KEEP, MASK, hmac_pads

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from ..privacy import PiiPolicy

_SHA256_BITS = 256


def protect(frame: DataFrame, policy: PiiPolicy) -> DataFrame:
    """Hash or mask each protected column and its raw copy (``_raw_<column>``)."""
    if not policy.columns:
        return frame
    return frame.withColumns(
        {
            **{
                name: hash_text(sf.col(name), policy.key)
                for column in policy.hashed
                for name in (column, raw_column(column))
            },
            **{
                name: mask_text(sf.col(name))
                for column in policy.masked
                for name in (column, raw_column(column))
            },
        }
    )


def hash_text(value: Column, key: bytes) -> Column:
    """HMAC-SHA256 of the string ``value``'s UTF-8 bytes, in hex; null stays null."""
    inner, outer = hmac_pads(key)
    inner_digest = sf.unhex(sf.sha2(sf.concat(sf.lit(inner), value.cast("binary")), _SHA256_BITS))
    return sf.sha2(sf.concat(sf.lit(outer), inner_digest), _SHA256_BITS)


def mask_text(value: Column) -> Column:
    """``MASK`` followed by the last ``KEEP`` characters; null stays null."""
    return sf.concat(sf.lit(MASK), sf.right(value, sf.lit(KEEP)))
