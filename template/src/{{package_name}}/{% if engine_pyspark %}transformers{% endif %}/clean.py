"""Clean raw strings: trim surrounding whitespace and treat empty values as missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as sf

from ..columns import raw_column

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pyspark.sql import DataFrame

WHITESPACE = "".join(
    chr(code)
    for code in (
        *range(0x09, 0x0E),
        0x20,
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
)
"""The Unicode ``White_Space`` characters, which ``clean`` trims (``trim()`` trims only spaces)."""


def clean(frame: DataFrame, columns: Iterable[str]) -> DataFrame:
    """Trim each of ``columns`` and turn empty strings into nulls.

    The untouched source strings stay available as ``_raw_<column>`` for the
    quarantine, which shows rejected rows exactly as they were read.
    """
    names = list(columns)
    return frame.withColumns(
        {
            **{raw_column(name): sf.col(name) for name in names},
            **{name: clean_text(sf.col(name)) for name in names},
        }
    )


def clean_text(value: Column) -> Column:
    """``value`` without surrounding whitespace, or null when nothing is left."""
    trimmed = sf.btrim(value, sf.lit(WHITESPACE))
    return sf.when(sf.length(trimmed) > 0, trimmed)
