"""Protect the personal-data columns: ``pii: hash`` and ``pii: mask`` (see ``privacy``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from ..columns import raw_column
from ..dtypes import arrow_series, to_arrow
from ..privacy import KEEP, MASK, hmac_hex

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from ..privacy import PiiPolicy


def protect(frame: pd.DataFrame, policy: PiiPolicy) -> pd.DataFrame:
    """Hash or mask each protected column and its raw copy (``_raw_<column>``)."""
    if not policy.columns:
        return frame
    return frame.assign(
        **{
            name: hash_text(frame[name], policy.key)
            for column in policy.hashed
            for name in (column, raw_column(column))
        },
        **{
            name: mask_text(frame[name])
            for column in policy.masked
            for name in (column, raw_column(column))
        },
    )


def hash_text(values: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each string, in hex; null stays null.

    Neither pandas nor pyarrow has HMAC, so each value goes through Python's
    ``hmac`` (C code); the result is an Arrow string column again.
    """
    digests = [
        None if text is None else hmac_hex(key, text) for text in to_arrow(values).to_pylist()
    ]
    return arrow_series(pa.array(digests, type=pa.string()), index=values.index)


def mask_text(values: pd.Series) -> pd.Series:
    """``MASK`` followed by the last ``KEEP`` characters; null stays null."""
    tail = pc.utf8_slice_codeunits(to_arrow(values), start=-KEEP)
    return arrow_series(pc.binary_join_element_wise(MASK, tail, ""), index=values.index)
