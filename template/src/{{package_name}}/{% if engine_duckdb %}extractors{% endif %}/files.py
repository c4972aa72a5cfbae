"""Read CSV, Parquet or JSON Lines files, local or in an object store, as raw strings.

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
the read instead of changing how the file is understood. The scan stays lazy:
nothing but each file's header is read here.

Row numbers of CSV and JSON Lines files are given when the rows are stored
(``materialize``), not by the scan. A ``row_number() OVER ()`` in the scan is a
streaming window, which DuckDB runs on one thread, and with it the whole
pipeline above it: the read, the cleaning and every validation check. Stored
instead, the rows are read and checked on every core, and a table created from
an ordered scan keeps the read order (insertion order is preserved, see
``engine``), so a row's number in its file follows from its ``rowid``. Until
then their ``_row_number`` is null. Parquet files carry their row numbers
(``file_row_number``) from the scan.

A JSON Lines file is read by ``read_json`` with every declared column as
``VARCHAR`` (a number, boolean or nested value as its JSON text, a missing key
as null); its columns are the keys of its first records. ``_row_number`` is
then the line number (blank lines skipped).

A URL (``s3://``, ``gs://``, ``az://``) is read through the fsspec filesystem of
its scheme, registered on the connection (``register_filesystem``): DuckDB's
own httpfs extension is neither needed nor downloaded. Credentials and the
endpoint come from the environment, see ``storage``.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

import duckdb

from ..columns import ROW_NUMBER, SOURCE
from ..errors import SchemaMismatchError, SourceError
from ..sql import column_list, literal, quote, store
from ..storage import filesystem, first_line, is_url, jsonl_columns, open_text, resolve_paths

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ColumnSpec, FileSource

_CSV_DIALECT = "header = true, delim = ',', quote = '\"', escape = '\"'"
_UNNUMBERED = "CAST(NULL AS BIGINT)"
"""The ``_row_number`` of a CSV or JSON Lines row until ``materialize`` numbers it."""
_TIMESTAMP_TEXT = "%Y-%m-%d %H:%M:%S.%f"
"""How a Parquet timestamp is written as text: microseconds always shown."""


def extract(
    connection: duckdb.DuckDBPyConnection, source: FileSource, columns: Mapping[str, ColumnSpec]
) -> duckdb.DuckDBPyRelation:
    """A lazy relation over the source's files, as raw strings.

    The result has ``_row_number`` (null for CSV and JSON Lines until
    ``materialize`` numbers the rows), the declared columns in schema order (as
    strings) and ``_source``; several files are stacked in path order.

    Raises:
        SourceError: A file is missing or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    paths = resolve_paths(source)
    if is_url(source.path):
        register_store(connection, source)
    options = source.storage_options
    match source.file_format:
        case "parquet":
            queries = [_scan_parquet(connection, path, columns) for path in paths]
        case "jsonl":
            queries = [_scan_jsonl(path, columns, options) for path in paths]
        case _:
            queries = [_scan_csv(path, columns, options) for path in paths]
    return connection.sql("\nUNION ALL\n".join(f"({query})" for query in queries))


def materialize(
    connection: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, table: str
) -> duckdb.DuckDBPyRelation:
    """Run ``relation`` once into the temporary table ``table``; number each file's rows.

    Args:
        connection: The run's database; its insertion order must be preserved.
        relation: ``extract``'s relation, or one derived from it row for row
            (projections only: no filter, join or sort), with ``_row_number``
            and ``_source``.
        table: The temporary table to create (or replace).

    Returns:
        A relation over the table in which every row has its 1-based number in
        its file: the rows of a file are stored in read order, so that number is
        the row's ``rowid`` minus the ``rowid`` of its file's first row, plus one.
    """
    stored = store(connection, relation, table)
    name = quote(table)
    firsts = connection.sql(
        f"SELECT {quote(SOURCE)}, min(rowid) FROM {name} "  # noqa: S608 - quoted names only
        f"WHERE {quote(ROW_NUMBER)} IS NULL GROUP BY ALL"
    ).fetchall()
    if not firsts:
        return stored
    offsets = " ".join(f"WHEN {literal(path)} THEN rowid - {first} + 1" for path, first in firsts)
    number = f"coalesce({quote(ROW_NUMBER)}, CASE {quote(SOURCE)} {offsets} END)"
    return connection.sql(f"SELECT * REPLACE ({number} AS {quote(ROW_NUMBER)}) FROM {name}")  # noqa: S608


def register_store(connection: duckdb.DuckDBPyConnection, source: FileSource) -> None:
    """Let the connection read ``source``'s URLs through fsspec (once per scheme).

    Raises:
        SourceError: No fsspec filesystem for the scheme is installed.
    """
    store = filesystem(source.path, source.storage_options)
    protocols = (store.protocol,) if isinstance(store.protocol, str) else store.protocol
    if not connection.filesystem_is_registered(protocols[0]):
        connection.register_filesystem(store)


def _scan_csv(path: str, columns: Mapping[str, ColumnSpec], options: Mapping[str, Any]) -> str:
    header = csv_header(path, options)
    SchemaMismatchError.check(path, header, columns)
    types = "{" + ", ".join(f"{literal(name)}: 'VARCHAR'" for name in header) + "}"
    not_null = ", ".join(literal(name) for name in columns)
    scan = (
        f"read_csv({literal(path)}, {_CSV_DIALECT}, auto_detect = false, "
        f"columns = {types}, force_not_null = [{not_null}])"
    )
    return (
        f"SELECT {_UNNUMBERED} AS {quote(ROW_NUMBER)}, {column_list(columns)}, "  # noqa: S608
        f"{literal(path)} AS {quote(SOURCE)} FROM {scan}"
    )


def csv_header(path: str, options: Mapping[str, Any]) -> list[str]:
    """The column names of the CSV file's first record; a repeated name gets a suffix.

    Raises:
        SourceError: The file is empty or not UTF-8 text.
    """
    try:
        with open_text(path, options) as handle:
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


def _scan_jsonl(path: str, columns: Mapping[str, ColumnSpec], options: Mapping[str, Any]) -> str:
    SchemaMismatchError.check(path, jsonl_columns(path, options), columns)
    types = "{" + ", ".join(f"{literal(name)}: 'VARCHAR'" for name in columns) + "}"
    scan = (
        f"read_json({literal(path)}, format = 'newline_delimited', columns = {types}, "
        "ignore_errors = false)"
    )
    return (
        f"SELECT {_UNNUMBERED} AS {quote(ROW_NUMBER)}, {column_list(columns)}, "  # noqa: S608
        f"{literal(path)} AS {quote(SOURCE)} FROM {scan}"
    )


def _scan_parquet(
    connection: duckdb.DuckDBPyConnection, path: str, columns: Mapping[str, ColumnSpec]
) -> str:
    scan = f"read_parquet({literal(path)}, file_row_number = true)"
    found = {
        name: str(kind)
        for name, kind in zip(*_describe(connection, scan, path), strict=True)
        if name != "file_row_number"
    }
    SchemaMismatchError.check(path, found, columns)
    texts = ", ".join(f"{_as_text(name, found[name])} AS {quote(name)}" for name in columns)
    return (
        f"SELECT file_row_number + 1 AS {quote(ROW_NUMBER)}, {texts}, "  # noqa: S608
        f"{literal(path)} AS {quote(SOURCE)} FROM {scan}"
    )


def _as_text(name: str, column_type: str) -> str:
    if column_type.startswith("TIMESTAMP"):
        return f"strftime({quote(name)}, {literal(_TIMESTAMP_TEXT)})"
    return f"CAST({quote(name)} AS VARCHAR)"


def _describe(
    connection: duckdb.DuckDBPyConnection, scan: str, path: str
) -> tuple[list[str], list[str]]:
    """The column names and types of a scan; reads only the file's header or metadata."""
    try:
        relation = connection.sql(f"SELECT * FROM {scan}")  # noqa: S608
        return relation.columns, [str(kind) for kind in relation.types]
    except duckdb.Error as exc:
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
