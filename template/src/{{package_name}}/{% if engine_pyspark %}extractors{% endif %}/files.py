"""Read CSV or Parquet files, one path or a glob, as raw strings, in parallel.

Every declared column is read as a string, so that a malformed value reaches
validation (and the quarantine) instead of failing the read. A CSV file is read
as lines (``spark.read.text``, so a large file is split among many tasks) and
each line is parsed with ``from_csv``: empty fields, blank lines and short rows
give empty strings, as they are written; a row with more fields than the header
or with an unbalanced quote (a quoted line break, which a line-split read cannot
follow) fails the read. A Parquet file's columns are cast to strings.

Each row carries where it was read (see ``numbering``): ``_file``, ``_block``
and ``_position``, from which ``number_rows`` derives ``_row_number`` (the
1-based number of the record in its file; for CSV the header is record 0) and
``_source`` (the file as matched by the path or glob) once the rows of each
block are counted.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as sf

from ..errors import SchemaMismatchError, SourceError
from .numbering import BLOCK, FILE, MALFORMED, POSITION, Extraction, SourceFile

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ..config import ColumnSpec, FileSource

_GLOB_CHARACTERS = frozenset("*?[")
_LINE = "_line"
_EXTRA = "_extra"
_CSV_OPTIONS = {
    "sep": ",",
    "quote": '"',
    "escape": '"',
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": _LINE,
}
TOO_MANY_FIELDS = "it has more fields than the header"
UNBALANCED_QUOTE = "it has an unbalanced quote (quoted line breaks are not supported)"


def resolve_paths(source: FileSource) -> list[Path]:
    """The files ``source.path`` names, sorted; a glob may match several.

    Raises:
        SourceError: No file exists at the path or matches the glob.
    """
    pattern = source.path
    if _GLOB_CHARACTERS.isdisjoint(pattern):
        path = Path(pattern)
        if not path.is_file():
            raise SourceError(f"{pattern}: source file not found")
        return [path]
    anchor = Path(Path(pattern).anchor or ".")
    relative = Path(pattern).relative_to(anchor) if Path(pattern).anchor else Path(pattern)
    files = sorted(path for path in anchor.glob(str(relative)) if path.is_file())
    if not files:
        raise SourceError(f"{pattern}: no source file matches the pattern")
    return files


def extract(
    spark: SparkSession, source: FileSource, columns: Mapping[str, ColumnSpec]
) -> Extraction:
    """Read the source's files into one frame of raw strings, lazily.

    The frame has ``_file``, ``_block``, ``_position``, the declared columns in
    schema order (as strings) and ``_malformed`` (why a CSV line cannot be read,
    or null). Only each file's header (CSV) or footer (Parquet) is read here.

    Raises:
        SourceError: A file is missing or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    paths = resolve_paths(source)
    read = _read_parquet if source.file_format == "parquet" else _read_csv
    frame, header = read(spark, paths, columns)
    files = {path.resolve().as_posix(): SourceFile(str(path), header=header) for path in paths}
    return Extraction(frame=frame, files=files)


def _read_csv(
    spark: SparkSession, paths: Sequence[Path], columns: Mapping[str, ColumnSpec]
) -> tuple[DataFrame, bool]:
    groups: dict[tuple[str, ...], list[Path]] = {}
    for path in paths:
        header = _csv_header(path)
        _check_columns(path, header, columns)
        groups.setdefault(header, []).append(path)
    frames = [_read_lines(spark, header, group, columns) for header, group in groups.items()]
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return frame, True


def _read_lines(
    spark: SparkSession,
    header: Sequence[str],
    paths: Sequence[Path],
    columns: Mapping[str, ColumnSpec],
) -> DataFrame:
    """Parse the lines of files that share ``header`` (one read, split among tasks)."""
    lines = spark.read.text([path.resolve().as_uri() for path in paths]).select(
        sf.col("_metadata.file_path").alias(FILE),
        sf.col("_metadata.file_block_start").alias(BLOCK),
        sf.monotonically_increasing_id().alias(POSITION),
        sf.col("value"),
    )
    fields = sf.from_csv("value", _ddl([*header, _LINE]), _CSV_OPTIONS)
    parsed = lines.select(FILE, BLOCK, POSITION, "value", fields.alias("fields"))
    return parsed.select(
        FILE,
        BLOCK,
        POSITION,
        *(sf.coalesce(sf.col("fields")[name], sf.lit("")).alias(name) for name in columns),
        _malformed(sf.col("value"), sf.col("fields")[_LINE], header).alias(MALFORMED),
    )


def _malformed(line: Column, corrupt: Column, header: Sequence[str]) -> Column:
    """Why a line cannot be read, or null: checked only for lines ``from_csv`` flagged.

    ``from_csv`` flags short rows too; those are read as written, with empty
    strings for the missing fields.
    """
    quotes = sf.length(line) - sf.length(sf.replace(line, sf.lit('"'), sf.lit("")))
    extra = sf.from_csv(line, _ddl([*header, _EXTRA]), _CSV_OPTIONS)[_EXTRA]
    return sf.when(
        corrupt.isNotNull(),
        sf.when(quotes % 2 == 1, sf.lit(UNBALANCED_QUOTE)).when(
            extra.isNotNull(), sf.lit(TOO_MANY_FIELDS)
        ),
    )


def _read_parquet(
    spark: SparkSession, paths: Sequence[Path], columns: Mapping[str, ColumnSpec]
) -> tuple[DataFrame, bool]:
    for path in paths:
        try:
            names = pq.read_schema(path).names
        except (OSError, ValueError) as exc:
            raise SourceError(f"{path}: cannot read the header: {_first_line(exc)}") from exc
        _check_columns(path, names, columns)
    frame = spark.read.parquet(*(path.resolve().as_uri() for path in paths)).select(
        sf.col("_metadata.file_path").alias(FILE),
        sf.lit(0).cast("long").alias(BLOCK),
        sf.col("_metadata.row_index").alias(POSITION),
        *(sf.col(name).cast("string").alias(name) for name in columns),
        sf.lit(None).cast("string").alias(MALFORMED),
    )
    return frame, False


def _csv_header(path: Path) -> tuple[str, ...]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: cannot read the header: {_first_line(exc)}") from exc
    if not header:
        raise SourceError(f"{path}: cannot read the header: the file is empty")
    return tuple(header)


def _check_columns(path: Path, found: Iterable[str], columns: Mapping[str, ColumnSpec]) -> None:
    present = list(found)
    missing = [name for name in columns if name not in present]
    unexpected = [name for name in present if name not in columns]
    if missing or unexpected:
        raise SchemaMismatchError(path, missing, unexpected)


def _ddl(names: Iterable[str]) -> str:
    """A schema of string columns, as Spark DDL."""
    return ", ".join(f"`{name.replace('`', '``')}` STRING" for name in names)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
