# mypy: disable-error-code="import-untyped, no-untyped-call"
"""Read CSV, Parquet or JSON Lines files, local or remote, as raw strings into Dask.

Every declared column is read as a pyarrow-backed string, so that a malformed
value reaches validation (and the quarantine) instead of failing the read. A
CSV file is split into blocks of ``blocksize`` bytes that the workers parse in
parallel; a blank line is a record of empty values and a short record is
padded with empty values, as in the file. Two columns are added:
``_row_number``, the 1-based number of the record in its file (for CSV the
header is record 0, so without quoted line breaks the record sits on line
``_row_number + 1``), numbered across the file's partitions by a cumulative
sum, so no extra pass over the data is needed; and ``_source``, the file as
matched by the path or glob, an ordered categorical of the files in name
order, so that sorting by it sorts by file name.

Blocks are split at line breaks, so a quoted value with a line break must not
straddle a block boundary: keep such files smaller than ``blocksize``.

A JSON Lines file is split into blocks the same way and each line parsed as a
JSON object; its columns are the keys of its first records. A string value is
read as is, a missing key or null as a missing value and any other value as
its JSON text; ``_row_number`` counts the non-blank lines. A Parquet file is
read a row group a partition.

A URL (``s3://``, ``gs://``, ``az://``) is read through fsspec (s3fs, ...) with
the source's ``storage_options``, by the workers themselves; credentials and
the endpoint come from the environment, see ``storage``.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from dask.dataframe.io.csv import read_pandas

from ..columns import ROW_NUMBER, SOURCE
from ..errors import SchemaMismatchError, SourceError
from ..storage import first_line, jsonl_columns, open_file, resolve_paths
from ..transformers.frames import STRING, arrow_to_pandas, meta_of, to_arrow, to_series

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import ColumnSpec, FileSource

DEFAULT_BLOCKSIZE = "64MB"
"""Bytes of CSV per partition; each worker thread holds a few partitions in memory."""


def extract(
    source: FileSource,
    columns: Mapping[str, ColumnSpec],
    *,
    blocksize: str | int = DEFAULT_BLOCKSIZE,
) -> dd.DataFrame:
    """Read the source's files lazily into one frame of raw strings.

    The result has ``_row_number``, the declared columns in schema order (as
    strings) and ``_source``; its partitions follow the files and their blocks
    in order. Only each file's header is read here.

    Raises:
        SourceError: A file is missing or its header cannot be read.
        SchemaMismatchError: A file's columns differ from the declared ones.
    """
    paths = resolve_paths(source)
    sources = pd.CategoricalDtype(paths, ordered=True)
    match source.file_format:
        case "parquet":
            read = _read_parquet
        case "jsonl":
            read = _read_jsonl
        case _:
            read = _read_csv
    options = dict(source.storage_options)
    frames = [
        _numbered(read(path, columns, blocksize, options), path, columns, sources) for path in paths
    ]
    return frames[0] if len(frames) == 1 else dd.concat(frames)


def _read_csv(
    path: str, columns: Mapping[str, ColumnSpec], blocksize: str | int, options: dict[str, Any]
) -> dd.DataFrame:
    try:
        with open_file(path, options) as handle:
            header = pd.read_csv(handle, nrows=0, dtype=str).columns
        SchemaMismatchError.check(path, header, columns)
        # dd.read_csv's machinery (byte blocks split at line breaks, the header
        # prepended to each) with a faster block parser, see read_csv_block.
        frame: dd.DataFrame = read_pandas(
            read_csv_block,
            path,
            blocksize=blocksize,
            storage_options=options,
            string_columns=list(header),
            dtype=STRING,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except (ValueError, OSError) as exc:
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    return frame


def read_csv_block(source: Any, *, string_columns: list[str], **options: Any) -> pd.DataFrame:
    """Parse one block of CSV (with its header line) into pyarrow string columns.

    pyarrow's CSV parser is several times faster than pandas' and releases the
    GIL; a block it rejects (a short record, for example) is parsed again by
    the pandas C parser with ``options``, which pads short records with empty
    values. Both keep empty values as empty strings and blank lines as records.
    """
    if "nrows" not in options:  # not the sample dask reads for the column types
        data = source.read()
        try:
            table = pacsv.read_csv(
                pa.BufferReader(data),
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=max(len(data), 1 << 20)
                ),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(string_columns, pa.large_string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid:
            source = io.BytesIO(data)
        else:
            index = pd.RangeIndex(table.num_rows)
            return pd.DataFrame(
                {name: to_series(table.column(name), index) for name in table.column_names},
                index=index,
            )
    return pd.read_csv(source, **options)


def _read_parquet(
    path: str, columns: Mapping[str, ColumnSpec], blocksize: str | int, options: dict[str, Any]
) -> dd.DataFrame:
    del blocksize  # Parquet files are split by row group
    try:
        with open_file(path, options) as handle:
            schema = pq.ParquetFile(handle).schema_arrow
            groups = pq.ParquetFile(handle).num_row_groups
    except (ValueError, OSError) as exc:  # ArrowInvalid is a ValueError
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    SchemaMismatchError.check(path, schema.names, columns)
    names = list(columns)
    frame: dd.DataFrame = dd.from_map(
        read_row_group,
        [(path, group) for group in range(max(groups, 1))],
        columns=names,
        options=options,
        meta=arrow_to_pandas(schema.empty_table().select(names)),
        label="read-parquet",
    )
    return frame


def read_row_group(
    piece: tuple[str, int], columns: list[str], options: dict[str, Any]
) -> pd.DataFrame:
    """One row group of a Parquet file, local or remote, as a pandas partition."""
    path, group = piece
    with open_file(path, options) as handle:
        parquet = pq.ParquetFile(handle)
        if group >= parquet.num_row_groups:  # a file without rows has no row group
            return arrow_to_pandas(parquet.schema_arrow.empty_table().select(columns))
        return arrow_to_pandas(parquet.read_row_group(group, columns=columns))


def _read_jsonl(
    path: str, columns: Mapping[str, ColumnSpec], blocksize: str | int, options: dict[str, Any]
) -> dd.DataFrame:
    SchemaMismatchError.check(path, jsonl_columns(path, options), columns)
    names = list(columns)
    frame: dd.DataFrame = dd.read_json(
        path,
        lines=True,
        blocksize=blocksize,
        storage_options=options,
        engine=read_jsonl_block,
        meta=pd.DataFrame({name: pd.Series(dtype=STRING) for name in names}),
        columns=names,
    )
    return frame


def read_jsonl_block(text: io.StringIO, *, columns: list[str], **options: Any) -> pd.DataFrame:
    """Parse one block of JSON Lines into string columns (see ``json_text``).

    Raises:
        ValueError: A line is not JSON.
        TypeError: A line is JSON but not an object.
    """
    del options  # orient and lines: always records, one a line
    values: dict[str, list[str | None]] = {name: [] for name in columns}
    for line in text:
        if not line.strip():
            continue
        record = json.loads(line)
        if not isinstance(record, dict):
            raise TypeError(f"not a JSON object: {line.strip()[:80]}")
        for name, column in values.items():
            column.append(json_text(record.get(name)))
    return pd.DataFrame({name: pd.Series(column, dtype=STRING) for name, column in values.items()})


def json_text(value: object) -> str | None:
    """A JSON value as text: a string as is, null as None, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _numbered(
    frame: dd.DataFrame, path: str, columns: Mapping[str, ColumnSpec], sources: pd.CategoricalDtype
) -> dd.DataFrame:
    """Declared columns as strings in schema order, ``_row_number`` and ``_source``."""
    names = list(columns)
    meta = raw_partition(meta_of(frame), names, path, sources)
    annotated = frame.map_partitions(raw_partition, names, path, sources, meta=meta)
    # Each partition numbers its rows 1, 1, ...; the cumulative sum runs over the file.
    numbered: dd.DataFrame = annotated.assign(**{ROW_NUMBER: annotated[ROW_NUMBER].cumsum()})
    return numbered


def raw_partition(
    part: pd.DataFrame, columns: list[str], source: str, sources: pd.CategoricalDtype
) -> pd.DataFrame:
    """One partition as ``_row_number`` (all 1), the declared columns as strings, ``_source``."""
    size = len(part)
    code = sources.categories.get_loc(source)
    return pd.DataFrame(
        {
            ROW_NUMBER: np.ones(size, dtype=np.int64),
            **{name: _as_strings(part[name]) for name in columns},
            SOURCE: pd.Categorical.from_codes(np.full(size, code, dtype=np.int32), dtype=sources),
        },
        index=part.index,
    )


def _as_strings(values: pd.Series) -> pd.Series:
    if values.dtype == STRING:
        return values
    return to_series(to_arrow(values).cast(pa.large_string()), values.index)
