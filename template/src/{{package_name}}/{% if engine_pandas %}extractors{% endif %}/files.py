"""Read CSV, Parquet or JSON Lines files, local or in an object store, as raw strings.

Every declared column is read as an Arrow string, so that a malformed value
reaches validation (and the quarantine) instead of failing the read. CSV files
are parsed by Arrow's multi-threaded reader; a file with short rows, which
that reader refuses, is read again by pandas' C reader, which pads them with
empty values. A CSV value is never missing: an empty field is an empty string.
A file with an odd number of quote characters (typically cut off inside a
quoted field) is refused rather than read to its end as one value.

Two columns are added: ``_row_number``, the 1-based number of the record in
its file (for CSV the header is record 0, so without quoted line breaks the
record sits on line ``_row_number + 1``), and ``_source``, the file as matched
by the path or glob, as a categorical (one small code per row, not a copy of
the name). Files are read in the order of their names.

A JSON Lines file holds one JSON object a line; its columns are the keys of its
first records. A string value is read as is, a number as JSON writes it, a
boolean as ``true``/``false``, a nested value as its JSON text and a missing key
or null as a missing value; ``_row_number`` counts the non-blank lines.

A URL (``s3://``, ``gs://``, ``az://``) is opened through fsspec (s3fs, ...) with
the source's ``storage_options``; credentials and the endpoint come from the
environment, see ``storage``.
"""

from __future__ import annotations

import csv
import json
import warnings
from typing import IO, TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from ..columns import ROW_NUMBER, SOURCE
from ..dtypes import INT64, STRING, arrow_series, contiguous, to_arrow
from ..errors import SchemaMismatchError, SourceError
from ..storage import first_line, jsonl_columns, open_file, open_text, resolve_paths

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ColumnSpec, FileSource

_CHUNK = 1 << 24


def extract(source: FileSource, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    """Read the source's files into one frame of raw strings.

    The result has ``_row_number``, the declared columns in schema order (as
    Arrow strings) and ``_source``, in read order: file by file in the order
    of their names, record by record.

    Raises:
        SourceError: A file is missing, unreadable or malformed.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    match source.file_format:
        case "parquet":
            read = _read_parquet
        case "jsonl":
            read = _read_jsonl
        case _:
            read = _read_csv
    files = resolve_paths(source)
    frames = [read(path, columns, source.storage_options) for path in files]
    lengths = [len(frame) for frame in frames]
    raw = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    row_numbers = np.concatenate([np.arange(1, length + 1, dtype=np.int64) for length in lengths])
    sources = pd.Categorical.from_codes(
        np.repeat(np.arange(len(files), dtype=np.int32), lengths),
        categories=pd.Index(files),
    )
    return pd.DataFrame(
        {
            ROW_NUMBER: pd.Series(row_numbers, index=raw.index, dtype=INT64),
            **{name: contiguous(raw[name]) for name in columns},
            SOURCE: sources,
        },
        index=raw.index,
        copy=False,
    )


def _read_csv(
    path: str, columns: Mapping[str, ColumnSpec], options: Mapping[str, Any]
) -> pd.DataFrame:
    try:
        with open_text(path, options) as handle:
            header = next(csv.reader(handle), None)
    except (OSError, ValueError, csv.Error) as exc:
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    if header is None:
        raise SourceError(f"{path}: cannot read the header: the file is empty")
    SchemaMismatchError.check(path, header, columns)
    if not _quotes_balanced(path, options):  # Arrow would read on to the end of the file
        raise SourceError(f"{path}: cannot read the file: a quoted field is never closed")
    try:
        return _read_strings(path, options, "pyarrow")
    except ValueError:  # ParserError included
        pass  # short rows, or worse: the C reader pads short rows and names what is worse
    with warnings.catch_warnings():
        # A row longer than the header would silently lose its extra fields.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return _read_strings(path, options, "c")
        except (OSError, ValueError, pd.errors.ParserWarning) as exc:
            raise SourceError(f"{path}: cannot read the file: {first_line(exc)}") from exc


def _quotes_balanced(path: str, options: Mapping[str, Any]) -> bool:
    """Whether ``path`` holds an even number of quote characters, as well-formed CSV does.

    A truncated file often ends inside a quoted field; Arrow's reader would
    take the rest of the file as that field's value instead of failing.
    """
    count = 0
    with open_file(path, options) as handle:
        while chunk := handle.read(_CHUNK):
            count += chunk.count(b'"')
    return count % 2 == 0


def _read_strings(
    path: str, options: Mapping[str, Any], engine: Literal["pyarrow", "c"]
) -> pd.DataFrame:
    """Every field as an Arrow string, empty fields and blank lines included."""
    with open_file(path, options) as handle:
        return _parse_csv(handle, engine)


def _parse_csv(handle: IO[bytes], engine: Literal["pyarrow", "c"]) -> pd.DataFrame:
    return pd.read_csv(
        handle,
        engine=engine,
        dtype=STRING,
        dtype_backend="pyarrow",
        keep_default_na=False,
        na_values=[],
        skip_blank_lines=False,
        index_col=False if engine == "c" else None,  # never take a column as the index
    )


def _read_parquet(
    path: str, columns: Mapping[str, ColumnSpec], options: Mapping[str, Any]
) -> pd.DataFrame:
    with open_file(path, options) as handle:
        try:
            names = pq.read_schema(handle).names
        except (OSError, pa.ArrowException) as exc:
            raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
        SchemaMismatchError.check(path, names, columns)
        try:
            frame = pd.read_parquet(handle, columns=list(columns), dtype_backend="pyarrow")
        except (OSError, pa.ArrowException) as exc:
            raise SourceError(f"{path}: cannot read the file: {first_line(exc)}") from exc
    return pd.DataFrame({name: as_text(frame[name]) for name in columns})


def _read_jsonl(
    path: str, columns: Mapping[str, ColumnSpec], options: Mapping[str, Any]
) -> pd.DataFrame:
    SchemaMismatchError.check(path, jsonl_columns(path, options), columns)
    values: dict[str, list[str | None]] = {name: [] for name in columns}
    number = 0
    try:
        with open_file(path, options) as handle:
            for line in handle:
                if not line.strip():
                    continue
                number += 1
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise SourceError(f"{path}: record {number} is not a JSON object")
                for name, column in values.items():
                    column.append(json_text(record.get(name)))
    except (OSError, ValueError) as exc:  # JSONDecodeError included
        raise SourceError(f"{path}: cannot read record {number}: {first_line(exc)}") from exc
    return pd.DataFrame({name: pd.Series(column, dtype=STRING) for name, column in values.items()})


def json_text(value: object) -> str | None:
    """A JSON value as text: a string as is, null as None, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_text(values: pd.Series) -> pd.Series:
    """A typed column as the strings a CSV would hold; floats as ``10.0``, ``1e-7``, ``NaN``.

    Arrow writes a whole float without its ``.0`` and NaN as ``nan``; both are
    put back, so a quarantined value reads the same whichever engine wrote it.
    """
    text = values.astype(STRING)
    if not pd.api.types.is_float_dtype(values.dtype):
        return text
    data = to_arrow(text)
    whole = pc.match_substring_regex(data, r"^-?[0-9]+$")
    data = pc.if_else(whole, pc.binary_join_element_wise(data, ".0", ""), data)
    return arrow_series(pc.if_else(pc.equal(data, "nan"), "NaN", data), values.index)
