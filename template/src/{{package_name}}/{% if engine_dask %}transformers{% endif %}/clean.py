# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Clean raw strings: trim surrounding whitespace and treat empty values as missing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from ..columns import raw_column
from .frames import meta_of, to_arrow, to_series

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import dask.dataframe as dd
    import pandas as pd

WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The Unicode ``White_Space`` characters; control separators such as ``\\x1f`` are kept."""


def clean(frame: dd.DataFrame, columns: Iterable[str]) -> dd.DataFrame:
    """Trim each of ``columns`` and turn empty strings into nulls, partition by partition.

    The untouched source strings stay available as ``_raw_<column>`` for the
    quarantine, which shows rejected rows exactly as they were read.
    """
    names = list(columns)
    meta = clean_partition(meta_of(frame), names)
    cleaned: dd.DataFrame = frame.map_partitions(clean_partition, names, meta=meta)
    return cleaned


def clean_partition(part: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``clean`` on one pandas partition (the raw copies share the source's memory)."""
    raw = {raw_column(name): part[name] for name in columns}
    cleaned = {name: to_series(clean_text(to_arrow(part[name])), part.index) for name in columns}
    return part.assign(**cleaned, **raw)


def clean_text(values: Any) -> Any:
    """An Arrow string array without surrounding whitespace, null where nothing is left."""
    trimmed = pc.utf8_trim(values, characters=WHITESPACE)
    return pc.if_else(pc.greater(pc.binary_length(trimmed), 0), trimmed, None)
