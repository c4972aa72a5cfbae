"""Clean raw strings: trim surrounding whitespace and treat empty values as missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from ..columns import raw_column
from ..dtypes import arrow_series, to_arrow

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

WHITESPACE = (
    "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The characters trimmed: Unicode's White_Space property (what Rust's ``str::trim`` trims)."""


def clean(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Trim each of ``columns`` and turn empty strings into nulls.

    The untouched source strings stay available as ``_raw_<column>`` for the
    quarantine, which shows rejected rows exactly as they were read; with
    copy-on-write these copies share the source's memory.
    """
    names = list(columns)
    return frame.assign(
        **{raw_column(name): frame[name] for name in names},
        **{name: clean_text(frame[name]) for name in names},
    )


def clean_text(values: pd.Series) -> pd.Series:
    """``values`` without surrounding whitespace, or null when nothing is left."""
    trimmed = pc.utf8_trim(to_arrow(values), characters=WHITESPACE)
    return arrow_series(pc.if_else(pc.equal(trimmed, ""), None, trimmed), index=values.index)
