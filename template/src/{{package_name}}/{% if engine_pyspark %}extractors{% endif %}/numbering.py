"""Number rows by their record in the source file, without a global sort.

Spark reads a file in blocks (byte ranges, or row groups), each by one task, and
gives no row order after the read. So an extracted row carries where it was
read: ``_file`` (the file Spark read), ``_block`` (where its block starts) and
``_position`` (``monotonically_increasing_id``, which increases with the row's
position within its block; for Parquet the row's index in the file). One
aggregation counts the rows of each block (``Block``, done together with the
validation counts), and ``number_rows`` then adds to each row the rows of the
earlier blocks of its file with a broadcast join: ``_row_number`` is exactly
the 1-based record number in the file (for CSV the header is record 0), and
``_source`` names the file as the configured path or glob matched it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from pyspark.sql import functions as sf
from pyspark.sql.types import LongType, StringType, StructField, StructType

from ..columns import ROW_NUMBER, SOURCE
from ..errors import PipelineError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from pyspark.sql import Column, DataFrame

FILE = "_file"
"""The file a row was read from, as Spark names it (a URI)."""

BLOCK = "_block"
"""Where the block the row was read from starts in its file."""

POSITION = "_position"
"""Increases with the row's position in its block (for Parquet: its index in the file)."""

MALFORMED = "_malformed"
"""Why a source line cannot be read as a record, or null."""

_BASE = "_base"
_BLOCKS_SCHEMA = StructType(
    [
        StructField(FILE, StringType(), nullable=False),
        StructField(BLOCK, LongType(), nullable=False),
        StructField(SOURCE, StringType(), nullable=False),
        StructField(_BASE, LongType(), nullable=False),
    ]
)


@dataclass(frozen=True)
class SourceFile:
    """One file of a source: its name as configured, and whether record 0 is a header."""

    source: str
    header: bool


@dataclass(frozen=True)
class Extraction:
    """An extracted frame (see the module doc) and the files it reads, by resolved path."""

    frame: DataFrame
    files: Mapping[str, SourceFile]

    def source_file(self, uri: str) -> SourceFile:
        """The file Spark names ``uri``."""
        path = Path(unquote(urlparse(uri).path)).as_posix()
        try:
            return self.files[path]
        except KeyError:
            raise PipelineError(f"Spark read {uri}, which is not a file of the source") from None


@dataclass(frozen=True)
class Block:
    """The rows Spark read from one block of one file, counted by one aggregation."""

    file: str
    start: int
    rows: int
    """Every record of the block, a CSV header included."""
    first: int
    """The smallest ``_position`` in the block."""
    counts: Mapping[str, int]
    """Per counted condition, the data records (not the header) that meet it."""
    header: bool = False
    """Whether the block holds a CSV header (record 0 of its file)."""

    @property
    def records(self) -> int:
        """The data records of the block: its rows without the header."""
        return self.rows - int(self.header)


def count_blocks(
    extraction: Extraction, frame: DataFrame, conditions: Mapping[str, Column]
) -> list[Block]:
    """Count the rows of each block, and the rows meeting each of ``conditions``, in one job."""
    aggregates = [sf.count(sf.lit(1)).alias("rows"), sf.min(POSITION).alias("first")]
    for index, condition in enumerate(conditions.values()):
        flag = sf.when(condition, 1).otherwise(0)
        aggregates += [
            sf.sum(flag).alias(f"n{index}"),
            sf.min_by(flag, POSITION).alias(f"h{index}"),
        ]
    blocks = []
    for row in frame.groupBy(FILE, BLOCK).agg(*aggregates).collect():
        file, start = str(row[FILE]), int(row[BLOCK])
        header = start == 0 and extraction.source_file(file).header
        counts = {
            name: int(row[f"n{index}"]) - (int(row[f"h{index}"]) if header else 0)
            for index, name in enumerate(conditions)
        }
        blocks.append(Block(file, start, int(row["rows"]), int(row["first"]), counts, header))
    return blocks


def block_bases(extraction: Extraction, blocks: Iterable[Block]) -> list[tuple[str, int, str, int]]:
    """``(file, block, source, base)`` per block, with ``_row_number = _position + base``.

    Within a block, positions increase by one per record (for Parquet they are
    the record's index in the file); blocks of a file follow each other in the
    order of their start.
    """
    rows: list[tuple[str, int, str, int]] = []
    ordered = sorted(blocks, key=lambda block: (block.file, block.start))
    for file, file_blocks in groupby(ordered, key=lambda block: block.file):
        described = extraction.source_file(file)
        before = 0
        for block in file_blocks:
            if described.header:
                rows.append((file, block.start, described.source, before - block.first))
                before += block.rows
            else:
                rows.append((file, block.start, described.source, 1))
    return rows


def number_rows(frame: DataFrame, extraction: Extraction, blocks: Iterable[Block]) -> DataFrame:
    """Replace ``_file``, ``_block`` and ``_position`` by ``_row_number`` and ``_source``.

    CSV headers (record 0) are dropped. The columns are ``_row_number``, the
    other columns of ``frame`` in their order, then ``_source``.
    """
    bases = frame.sparkSession.createDataFrame(block_bases(extraction, blocks), _BLOCKS_SCHEMA)
    others = [name for name in frame.columns if name not in {FILE, BLOCK, POSITION}]
    numbered = frame.join(sf.broadcast(bases), on=[FILE, BLOCK], how="inner")
    return numbered.select(
        (sf.col(POSITION) + sf.col(_BASE)).alias(ROW_NUMBER), *others, sf.col(SOURCE)
    ).where(sf.col(ROW_NUMBER) > 0)
