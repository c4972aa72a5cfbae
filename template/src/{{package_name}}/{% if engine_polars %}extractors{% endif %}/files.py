"""Read CSV, Parquet or JSON Lines files, local or in an object store, as raw strings.

Every declared column is read as a string, so that a malformed value reaches
validation (and the quarantine) instead of failing the read. Two columns are
added: ``_row_number``, the 1-based number of the record in its file (for CSV
the header is record 0, so without quoted line breaks the record sits on line
``_row_number + 1``; for JSON Lines it is the line number), and ``_source``,
the file as matched by the path or glob.

A URL (``s3://``, ``gs://``, ``az://``) is scanned by Polars' own cloud reader,
which takes its credentials and endpoint from the environment
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ...)
and the source's ``storage_options`` (Polars' keys, such as ``aws_region``);
globs are expanded through fsspec first, so that each file is checked and named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from ..columns import ROW_NUMBER, SOURCE
from ..errors import SchemaMismatchError, SourceError
from ..storage import first_line, jsonl_columns, resolve

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ColumnSpec, FileSource


def resolve_paths(source: FileSource) -> list[str]:
    """The files ``source.path`` names, sorted; a glob may match several.

    Raises:
        SourceError: No file exists at the path or matches the glob, or the
            bucket does not exist.
    """
    # fsspec lists with the environment's credentials: storage_options hold Polars' keys.
    return resolve(source.path, {})


def extract(source: FileSource, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    """Scan the source's files lazily into one frame of raw strings.

    The result has ``_row_number``, the declared columns in schema order (as
    strings) and ``_source``. Only each file's header is read here.

    Raises:
        SourceError: A file is missing or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    options = source.storage_options or None
    match source.file_format:
        case "parquet":
            frames = [_scan_parquet(path, columns, options) for path in resolve_paths(source)]
        case "jsonl":
            frames = [_scan_ndjson(path, columns, options) for path in resolve_paths(source)]
        case _:
            frames = [_scan_csv(path, columns, options) for path in resolve_paths(source)]
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


def _scan_csv(
    path: str, columns: Mapping[str, ColumnSpec], options: dict[str, Any] | None
) -> pl.LazyFrame:
    frame = pl.scan_csv(
        path,
        infer_schema=False,
        empty_string_is_null=False,
        row_index_name=ROW_NUMBER,
        row_index_offset=1,
        storage_options=options,
    )
    return _select(frame, path, columns)


def _scan_parquet(
    path: str, columns: Mapping[str, ColumnSpec], options: dict[str, Any] | None
) -> pl.LazyFrame:
    frame = pl.scan_parquet(
        path, row_index_name=ROW_NUMBER, row_index_offset=1, storage_options=options
    )
    return _select(frame, path, columns)


def _scan_ndjson(
    path: str, columns: Mapping[str, ColumnSpec], options: dict[str, Any] | None
) -> pl.LazyFrame:
    """One JSON object a line; numbers, booleans and nested values are read as their text."""
    SchemaMismatchError.check(path, jsonl_columns(path, {}), columns)
    frame = pl.scan_ndjson(
        path,
        schema=dict.fromkeys(columns, pl.String),
        row_index_name=ROW_NUMBER,
        row_index_offset=1,
        storage_options=options,
    )
    return _select(frame, path, columns)


def _select(frame: pl.LazyFrame, path: str, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    try:
        names = frame.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    SchemaMismatchError.check(path, (name for name in names if name != ROW_NUMBER), columns)
    return frame.select(
        pl.col(ROW_NUMBER).cast(pl.Int64),
        *(pl.col(name).cast(pl.String) for name in columns),
        pl.lit(path).alias(SOURCE),
    )
