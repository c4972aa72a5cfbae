"""Read CSV or Parquet files, one path or a glob, as raw strings.

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
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from ..columns import ROW_NUMBER, SOURCE
from ..dtypes import INT64, STRING, arrow_series, contiguous, to_arrow
from ..errors import SchemaMismatchError, SourceError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ..config import ColumnSpec, FileSource

_GLOB_CHARACTERS = frozenset("*?[")
_CHUNK = 1 << 24


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


def extract(source: FileSource, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    """Read the source's files into one frame of raw strings.

    The result has ``_row_number``, the declared columns in schema order (as
    Arrow strings) and ``_source``, in read order: file by file in the order
    of their names, record by record.

    Raises:
        SourceError: A file is missing, unreadable or malformed.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    read = _read_parquet if source.file_format == "parquet" else _read_csv
    files = sorted(resolve_paths(source), key=str)
    frames = [read(path, columns) for path in files]
    lengths = [len(frame) for frame in frames]
    raw = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    row_numbers = np.concatenate([np.arange(1, length + 1, dtype=np.int64) for length in lengths])
    sources = pd.Categorical.from_codes(
        np.repeat(np.arange(len(files), dtype=np.int32), lengths),
        categories=pd.Index([str(path) for path in files]),
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


def _read_csv(path: Path, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, ValueError, csv.Error) as exc:
        raise SourceError(f"{path}: cannot read the header: {_first_line(exc)}") from exc
    if header is None:
        raise SourceError(f"{path}: cannot read the header: the file is empty")
    _check_columns(path, header, columns)
    if not _quotes_balanced(path):  # Arrow would read on to the end of the file
        raise SourceError(f"{path}: cannot read the file: a quoted field is never closed")
    try:
        return _read_strings(path, "pyarrow")
    except ValueError:  # ParserError included
        pass  # short rows, or worse: the C reader pads short rows and names what is worse
    with warnings.catch_warnings():
        # A row longer than the header would silently lose its extra fields.
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return _read_strings(path, "c")
        except (OSError, ValueError, pd.errors.ParserWarning) as exc:
            raise SourceError(f"{path}: cannot read the file: {_first_line(exc)}") from exc


def _quotes_balanced(path: Path) -> bool:
    """Whether ``path`` holds an even number of quote characters, as well-formed CSV does.

    A truncated file often ends inside a quoted field; Arrow's reader would
    take the rest of the file as that field's value instead of failing.
    """
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            count += chunk.count(b'"')
    return count % 2 == 0


def _read_strings(path: Path, engine: Literal["pyarrow", "c"]) -> pd.DataFrame:
    """Every field as an Arrow string, empty fields and blank lines included."""
    return pd.read_csv(
        path,
        engine=engine,
        dtype=STRING,
        dtype_backend="pyarrow",
        keep_default_na=False,
        na_values=[],
        skip_blank_lines=False,
        index_col=False if engine == "c" else None,  # never take a column as the index
    )


def _read_parquet(path: Path, columns: Mapping[str, ColumnSpec]) -> pd.DataFrame:
    try:
        names = pq.read_schema(path).names
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(f"{path}: cannot read the header: {_first_line(exc)}") from exc
    _check_columns(path, names, columns)
    try:
        frame = pd.read_parquet(path, columns=list(columns), dtype_backend="pyarrow")
        return pd.DataFrame({name: as_text(frame[name]) for name in columns})
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(f"{path}: cannot read the file: {_first_line(exc)}") from exc


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


def _check_columns(path: Path, found: Iterable[str], columns: Mapping[str, ColumnSpec]) -> None:
    present = list(found)
    missing = [name for name in columns if name not in present]
    unexpected = [name for name in present if name not in columns]
    if missing or unexpected:
        raise SchemaMismatchError(path, missing, unexpected)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
