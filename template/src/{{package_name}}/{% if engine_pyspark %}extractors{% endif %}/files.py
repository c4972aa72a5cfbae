"""Read CSV, Parquet or JSON Lines files, local or remote, as raw strings, in parallel.

Every declared column is read as a string, so that a malformed value reaches
validation (and the quarantine) instead of failing the read. A CSV file is read
as lines (``spark.read.text``, so a large file is split among many tasks) and
each line is parsed with ``from_csv``: empty fields, blank lines and short rows
give empty strings, as they are written; a row with more fields than the header
or with an unbalanced quote (a quoted line break, which a line-split read cannot
follow) fails the read. A Parquet file's columns are cast to strings. A JSON
Lines file is read as lines too, each parsed with ``from_json`` into the declared
columns as strings (a number, boolean or nested value as its JSON text, a missing
key as null); blank lines are skipped, and ``_row_number`` is the line number. A
line that is not a JSON object fails the read. Its columns are the keys of its
first records.

Spark reads object stores only through Hadoop's connectors (hadoop-aws and its
jars), which this project does not bundle. A URL (``s3://``, ``gs://``,
``az://``) is therefore staged: its files are copied through fsspec (s3fs, ...)
into the run's working folder and Spark reads the copies, while ``_source``
keeps naming the URL. Credentials and the endpoint come from the environment,
see ``storage``.

Each row carries where it was read (see ``numbering``): ``_file``, ``_block``
and ``_position``, from which ``number_rows`` derives ``_row_number`` (the
1-based number of the record in its file; for CSV the header is record 0) and
``_source`` (the file as matched by the path or glob) once the rows of each
block are counted.
"""

from __future__ import annotations

import csv
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as sf

from ..errors import SchemaMismatchError, SourceError
from ..storage import filesystem, first_line, is_url, jsonl_columns, resolve_paths
from .numbering import BLOCK, FILE, MALFORMED, POSITION, Extraction, SourceFile

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from ..config import ColumnSpec, FileSource

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
NOT_AN_OBJECT = "it is not a JSON object"


def extract(
    spark: SparkSession, source: FileSource, columns: Mapping[str, ColumnSpec], *, staging: Path
) -> Extraction:
    """Read the source's files into one frame of raw strings, lazily.

    The frame has ``_file``, ``_block``, ``_position``, the declared columns in
    schema order (as strings) and ``_malformed`` (why a line cannot be read,
    or null). Only each file's header (CSV), footer (Parquet) or first records
    (JSON Lines) are read here, once remote files are copied below ``staging``.

    Raises:
        SourceError: A file is missing, cannot be copied or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    names = resolve_paths(source)
    if is_url(source.path):
        local = stage(names, source.storage_options, staging)
    else:
        local = {name: Path(name) for name in names}
    paths = list(local.values())
    match source.file_format:
        case "parquet":
            frame, header = _read_parquet(spark, paths, columns)
        case "jsonl":
            frame, header = _read_jsonl(spark, paths, columns)
        case _:
            frame, header = _read_csv(spark, paths, columns)
    files = {
        path.resolve().as_posix(): SourceFile(name, header=header) for name, path in local.items()
    }
    return Extraction(frame=frame, files=files)


def stage(urls: Sequence[str], options: Mapping[str, Any], folder: Path) -> dict[str, Path]:
    """Copy remote files into ``folder``, one numbered subfolder each; map URL to copy.

    Raises:
        SourceError: A file cannot be copied.
    """
    copies: dict[str, Path] = {}
    for index, url in enumerate(urls):
        target = folder / f"{index:05d}" / PurePosixPath(url).name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            filesystem(url, options).get_file(url, str(target))
        except OSError as exc:
            raise SourceError(f"{url}: cannot copy the file: {first_line(exc)}") from exc
        copies[url] = target
    return copies


def _read_csv(
    spark: SparkSession, paths: Sequence[Path], columns: Mapping[str, ColumnSpec]
) -> tuple[DataFrame, bool]:
    groups: dict[tuple[str, ...], list[Path]] = {}
    for path in paths:
        header = _csv_header(path)
        SchemaMismatchError.check(path, header, columns)
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


def _read_jsonl(
    spark: SparkSession, paths: Sequence[Path], columns: Mapping[str, ColumnSpec]
) -> tuple[DataFrame, bool]:
    for path in paths:
        SchemaMismatchError.check(path, jsonl_columns(str(path), {}), columns)
    lines = spark.read.text([path.resolve().as_uri() for path in paths]).select(
        sf.col("_metadata.file_path").alias(FILE),
        sf.col("_metadata.file_block_start").alias(BLOCK),
        sf.monotonically_increasing_id().alias(POSITION),
        sf.col("value"),
    )
    records = lines.where(sf.trim(sf.col("value")) != "")
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _LINE}
    fields = sf.from_json("value", _ddl([*columns, _LINE]), options)
    parsed = records.select(FILE, BLOCK, POSITION, fields.alias("fields"))
    frame = parsed.select(
        FILE,
        BLOCK,
        POSITION,
        *(sf.col("fields")[name].alias(name) for name in columns),
        sf.when(sf.col("fields")[_LINE].isNotNull(), sf.lit(NOT_AN_OBJECT)).alias(MALFORMED),
    )
    return frame, False


def _read_parquet(
    spark: SparkSession, paths: Sequence[Path], columns: Mapping[str, ColumnSpec]
) -> tuple[DataFrame, bool]:
    for path in paths:
        try:
            names = pq.read_schema(path).names
        except (OSError, ValueError) as exc:
            raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
        SchemaMismatchError.check(path, names, columns)
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
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    if not header:
        raise SourceError(f"{path}: cannot read the header: the file is empty")
    return tuple(header)


def _ddl(names: Iterable[str]) -> str:
    """A schema of string columns, as Spark DDL."""
    return ", ".join(f"`{name.replace('`', '``')}` STRING" for name in names)
