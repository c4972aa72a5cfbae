"""Read CSV or Parquet files, one path or a glob, as raw strings.

Every declared column is read as a string, so that a malformed value reaches
validation (and the quarantine) instead of failing the read. Two columns are
added: ``_row_number``, the 1-based number of the record in its file (for CSV
the header is record 0, so without quoted line breaks the record sits on line
``_row_number + 1``), and ``_source``, the file as matched by the path or glob.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..columns import ROW_NUMBER, SOURCE
from ..errors import SchemaMismatchError, SourceError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..config import ColumnSpec, FileSource

_GLOB_CHARACTERS = frozenset("*?[")


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


def extract(source: FileSource, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    """Scan the source's files lazily into one frame of raw strings.

    The result has ``_row_number``, the declared columns in schema order (as
    strings) and ``_source``. Only each file's header is read here.

    Raises:
        SourceError: A file is missing or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    scan = _scan_parquet if source.file_format == "parquet" else _scan_csv
    frames = [scan(path, columns) for path in resolve_paths(source)]
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


def _scan_csv(path: Path, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    frame = pl.scan_csv(
        path,
        infer_schema=False,
        empty_string_is_null=False,
        row_index_name=ROW_NUMBER,
        row_index_offset=1,
    )
    return _select(frame, path, columns)


def _scan_parquet(path: Path, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    frame = pl.scan_parquet(path, row_index_name=ROW_NUMBER, row_index_offset=1)
    return _select(frame, path, columns)


def _select(frame: pl.LazyFrame, path: Path, columns: Mapping[str, ColumnSpec]) -> pl.LazyFrame:
    try:
        names = frame.collect_schema().names()
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{path}: cannot read the header: {_first_line(exc)}") from exc
    _check_columns(path, (name for name in names if name != ROW_NUMBER), columns)
    return frame.select(
        pl.col(ROW_NUMBER).cast(pl.Int64),
        *(pl.col(name).cast(pl.String) for name in columns),
        pl.lit(str(path)).alias(SOURCE),
    )


def _check_columns(path: Path, found: Iterable[str], columns: Mapping[str, ColumnSpec]) -> None:
    present = list(found)
    missing = [name for name in columns if name not in present]
    unexpected = [name for name in present if name not in columns]
    if missing or unexpected:
        raise SchemaMismatchError(path, missing, unexpected)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
