"""Print a generated project's outputs as canonical JSON, for the cross-engine comparison.

Runs with the project's own Python (it needs pyarrow, and duckdb when the project
loads into DuckDB): ``python dump_outputs.py OUTPUT_DIR``. Every table becomes its
schema (column -> Arrow type) and its rows sorted by their non-float values.
Run ids are dropped: they differ between runs by design.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

RUN_SPECIFIC = {"_run_id", "run_id"}


def plain(value: Any) -> Any:
    """A JSON-friendly form of one cell."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def type_name(arrow_type: pa.DataType) -> str:
    """The Arrow type, with representation-only differences folded."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return "string"
    return str(arrow_type)


def table_json(table: pa.Table) -> dict[str, Any]:
    """Schema and rows of ``table``, rows in a stable order."""
    keep = [name for name in table.column_names if name not in RUN_SPECIFIC]
    table = table.select(keep)
    rows = [{name: plain(value) for name, value in row.items()} for row in table.to_pylist()]

    def order(row: dict[str, Any]) -> str:
        return json.dumps(
            [value for value in row.values() if not isinstance(value, float)], default=str
        )

    return {
        "schema": {field.name: type_name(field.type) for field in table.schema},
        "rows": sorted(rows, key=order),
    }


def read_file(path: Path, root: Path) -> pa.Table:
    """One Parquet file, with the hive partition values of its folders added when missing."""
    table = ds.dataset(path, format="parquet").to_table()
    for part in path.relative_to(root).parts[:-1]:
        name, _, value = part.partition("=")
        if value and name not in table.column_names:
            table = table.append_column(name, pa.array([value] * table.num_rows, pa.string()))
    return table.select(sorted(table.column_names))


def parquet_tables(root: Path) -> dict[str, Any]:
    """Every published Parquet table under ``root`` (``<table>/current``)."""
    tables = {}
    for current in sorted(root.glob("*/current")):
        base = current.resolve()
        files = sorted(path for path in base.rglob("*.parquet") if not path.name.startswith("."))
        table = pa.concat_tables([read_file(path, base) for path in files])
        tables[current.parent.name] = table_json(table)
    return tables


def duckdb_tables(path: Path) -> dict[str, Any]:
    """Every table of the DuckDB file at ``path``."""
    import duckdb  # noqa: PLC0415 (only projects that load into DuckDB have it)

    with duckdb.connect(str(path), read_only=True) as con:
        names = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {name: table_json(con.table(name).to_arrow_table()) for name in sorted(names)}


def quarantine(root: Path) -> dict[str, Any]:
    """The quarantined rows of each dataset."""
    found = {}
    for folder in sorted(path for path in root.glob("*") if path.is_dir()):
        files = sorted(folder.glob("*.parquet"))
        if files:
            found[folder.name] = table_json(ds.dataset(files, format="parquet").to_table())
    return found


def report_counts(path: Path) -> dict[str, Any]:
    """The row counts of the latest run report."""
    report = json.loads(path.read_text(encoding="utf-8"))
    counts = ("rows_read", "rows_quarantined", "duplicates_dropped", "rows_written")
    return {
        "status": report["status"],
        "totals": {name: report[name] for name in counts},
        "datasets": {
            name: {count: stats.get(count) for count in (*counts, "aggregate_rows")}
            for name, stats in sorted(report.get("datasets", {}).items())
        },
    }


def main() -> None:
    """Dump the outputs under the output folder given as the first argument."""
    out = Path(sys.argv[1])
    dump: dict[str, Any] = {
        "report": report_counts(out / "reports" / "latest.json"),
        "quarantine": quarantine(out / "quarantine"),
    }
    if (out / "parquet").is_dir():
        dump["parquet"] = parquet_tables(out / "parquet")
    if (out / "warehouse.duckdb").is_file():
        dump["duckdb"] = duckdb_tables(out / "warehouse.duckdb")
    json.dump(dump, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
