"""Read CSV or Parquet files, one path or a glob, as raw strings.

Every declared column is read as a string (``VARCHAR`` CSV columns), so that a
malformed value reaches validation (and the quarantine) instead of failing the
read. An empty field is read as an empty string, not as null, exactly as it is
in the file. Two columns are added: ``_row_number``, the 1-based number of the
record in its file (for CSV the header is record 0, so without quoted line
breaks the record sits on line ``_row_number + 1``), and ``_source``, the file
as matched by the path or glob.

The CSV dialect is fixed (comma, double quotes, header line) and the columns
are named from the header, read with Python's ``csv`` module: DuckDB's sniffer
never runs, so a file is always read the same way and a malformed record fails
the read instead of changing how the file is understood. ``_row_number`` is a
``row_number() OVER ()`` over the file in read order, which DuckDB computes as a
streaming window while it keeps the insertion order; the scan itself stays
lazy: nothing but each file's header is read here.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..columns import ROW_NUMBER, SOURCE
from ..errors import SchemaMismatchError, SourceError
from ..sql import column_list, literal, quote

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..config import ColumnSpec, FileSource

_GLOB_CHARACTERS = frozenset("*?[")
_CSV_DIALECT = "header = true, delim = ',', quote = '\"', escape = '\"'"
_TIMESTAMP_TEXT = "%Y-%m-%d %H:%M:%S.%f"
"""How a Parquet timestamp is written as text: microseconds always shown."""


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
    connection: duckdb.DuckDBPyConnection, source: FileSource, columns: Mapping[str, ColumnSpec]
) -> duckdb.DuckDBPyRelation:
    """A lazy relation over the source's files, as raw strings.

    The result has ``_row_number``, the declared columns in schema order (as
    strings) and ``_source``; several files are stacked in path order.

    Raises:
        SourceError: A file is missing or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    scan = _scan_parquet if source.file_format == "parquet" else _scan_csv
    queries = [scan(connection, path, columns) for path in resolve_paths(source)]
    return connection.sql("\nUNION ALL\n".join(f"({query})" for query in queries))


def _scan_csv(
    connection: duckdb.DuckDBPyConnection, path: Path, columns: Mapping[str, ColumnSpec]
) -> str:
    del connection  # the header is read here, the rows only when the query runs
    header = csv_header(path)
    _check_columns(path, header, columns)
    types = "{" + ", ".join(f"{literal(name)}: 'VARCHAR'" for name in header) + "}"
    not_null = ", ".join(literal(name) for name in columns)
    scan = (
        f"read_csv({literal(str(path))}, {_CSV_DIALECT}, auto_detect = false, "
        f"columns = {types}, force_not_null = [{not_null}])"
    )
    return (
        f"SELECT row_number() OVER () AS {quote(ROW_NUMBER)}, {column_list(columns)}, "  # noqa: S608
        f"{literal(str(path))} AS {quote(SOURCE)} FROM {scan}"
    )


def csv_header(path: Path) -> list[str]:
    """The column names of the CSV file's first record; a repeated name gets a suffix.

    Raises:
        SourceError: The file is empty or not UTF-8 text.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    if header is None:
        raise SourceError(f"{path}: cannot read the header: empty CSV")
    names: list[str] = []
    repeats: dict[str, int] = {}
    for name in header:
        if name in repeats:
            names.append(f"{name}_duplicated_{repeats[name]}")
            repeats[name] += 1
        else:
            names.append(name)
            repeats[name] = 0
    return names


def _scan_parquet(
    connection: duckdb.DuckDBPyConnection, path: Path, columns: Mapping[str, ColumnSpec]
) -> str:
    scan = f"read_parquet({literal(str(path))}, file_row_number = true)"
    found = {
        name: str(kind)
        for name, kind in zip(*_describe(connection, scan, path), strict=True)
        if name != "file_row_number"
    }
    _check_columns(path, found, columns)
    texts = ", ".join(f"{_as_text(name, found[name])} AS {quote(name)}" for name in columns)
    return (
        f"SELECT file_row_number + 1 AS {quote(ROW_NUMBER)}, {texts}, "  # noqa: S608
        f"{literal(str(path))} AS {quote(SOURCE)} FROM {scan}"
    )


def _as_text(name: str, column_type: str) -> str:
    if column_type.startswith("TIMESTAMP"):
        return f"strftime({quote(name)}, {literal(_TIMESTAMP_TEXT)})"
    return f"CAST({quote(name)} AS VARCHAR)"


def _describe(
    connection: duckdb.DuckDBPyConnection, scan: str, path: Path
) -> tuple[list[str], list[str]]:
    """The column names and types of a scan; reads only the file's header or metadata."""
    try:
        relation = connection.sql(f"SELECT * FROM {scan}")  # noqa: S608
        return relation.columns, [str(kind) for kind in relation.types]
    except duckdb.Error as exc:
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc


def _check_columns(path: Path, found: Iterable[str], columns: Mapping[str, ColumnSpec]) -> None:
    present = list(found)
    missing = [name for name in columns if name not in present]
    unexpected = [name for name in present if name not in columns]
    if missing or unexpected:
        raise SchemaMismatchError(path, missing, unexpected)


def first_line(error: Exception) -> str:
    """The first line of an error's message (DuckDB adds context on later lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
