# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Protect the personal-data columns: ``pii: hash`` and ``pii: mask`` (see ``privacy``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..columns import raw_column
from ..privacy import KEEP, MASK, hmac_hex
from .frames import meta_of, to_arrow, to_series

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

    from ..privacy import PiiPolicy


def protect(frame: dd.DataFrame, policy: PiiPolicy) -> dd.DataFrame:
    """Hash or mask each protected column and its raw copy, partition by partition."""
    if not policy.columns:
        return frame
    meta = protect_partition(meta_of(frame), policy)
    protected: dd.DataFrame = frame.map_partitions(protect_partition, policy, meta=meta)
    return protected


def protect_partition(part: pd.DataFrame, policy: PiiPolicy) -> pd.DataFrame:
    """``protect`` on one pandas partition."""
    hashed = {
        name: to_series(hash_text(to_arrow(part[name]), policy.key), part.index)
        for column in policy.hashed
        for name in (column, raw_column(column))
    }
    masked = {
        name: to_series(mask_text(to_arrow(part[name])), part.index)
        for column in policy.masked
        for name in (column, raw_column(column))
    }
    return part.assign(**hashed, **masked)


def hash_text(values: Any, key: bytes) -> Any:
    """HMAC-SHA256 of each string of an Arrow array, in hex; null stays null.

    Neither pandas nor pyarrow has HMAC, so each value goes through Python's
    ``hmac`` (C code), on the workers, partition by partition.
    """
    digests = [None if text is None else hmac_hex(key, text) for text in values.to_pylist()]
    return pa.array(digests, type=pa.string())


def mask_text(values: Any) -> Any:
    """``MASK`` followed by the last ``KEEP`` characters of an Arrow array; null stays null."""
    tail = pc.utf8_slice_codeunits(values, start=-KEEP)
    return pc.binary_join_element_wise(
        pa.scalar(MASK, type=values.type), tail, pa.scalar("", type=values.type)
    )
