"""What every destination loader provides, and what they share."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow.dataset as ds  # type: ignore[import-untyped, unused-ignore]

from ..loading import Loader as AnyLoader
from ..transformers import aggregate

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from ..config import DatasetConfig

WRITE_OPTIONS = {"mapreduce.fileoutputcommitter.marksuccessfuljobs": "false"}
"""Spark write options of every Parquet output: no ``_SUCCESS`` marker files."""


def write_single_parquet(rows: DataFrame, path: Path) -> None:
    """Write ``rows``, in their order, as the one zstd Parquet file ``path``.

    Spark writes a folder of part files; the rows are coalesced into one part,
    written to ``<path>.parts.tmp`` next to ``path`` and the part is moved to ``path``.
    """
    folder = path.with_name(f"{path.name}.parts.tmp")
    shutil.rmtree(folder, ignore_errors=True)
    rows.coalesce(1).write.options(compression="zstd", **WRITE_OPTIONS).parquet(
        folder.resolve().as_uri()
    )
    (written,) = folder.glob("part-*.parquet")
    written.replace(path)
    shutil.rmtree(folder)


@dataclass(frozen=True)
class Aggregated:
    """An aggregate table collected to the driver: it is small, one row per group and period."""

    rows: pa.Table
    schema: StructType


@dataclass(frozen=True)
class StagedRows:
    """A dataset's de-duplicated, derived rows, written once as Parquet files.

    Spark computes the rows once, into ``path``; every destination reads them
    from there (DuckDB directly), so nothing is computed twice and the driver
    never holds the rows.
    """

    path: Path
    rows: int
    _aggregates: dict[tuple[str, int], Aggregated] = field(default_factory=dict, compare=False)

    def frame(self, spark: SparkSession) -> DataFrame:
        """The staged rows as a Spark DataFrame."""
        return spark.read.parquet(self.path.resolve().as_uri())

    def aggregate(self, spark: SparkSession, dataset: DatasetConfig, decimals: int) -> Aggregated:
        """The aggregate table of the staged rows alone, computed once."""
        key = (dataset.name, decimals)
        if key not in self._aggregates:
            self._aggregates[key] = build_aggregate(self.frame(spark), dataset, decimals)
        return self._aggregates[key]


Loader = AnyLoader["StagedRows"]
"""The destinations of this engine: they load the staged rows of a dataset."""


def stage_rows(frame: DataFrame, path: Path) -> StagedRows:
    """Compute ``frame`` once into Parquet files at ``path`` (replaced if present)."""
    frame.write.mode("overwrite").options(**WRITE_OPTIONS).parquet(path.resolve().as_uri())
    return StagedRows(path=path, rows=count_rows(path))


def remove_checksums(folder: Path) -> None:
    """Delete the ``.crc`` files Hadoop's local file system writes next to each file."""
    for checksum in folder.rglob(".*.crc"):
        checksum.unlink()


def count_rows(path: Path) -> int:
    """The rows of the Parquet files below ``path``, from their footers."""
    return int(ds.dataset(path, format="parquet").count_rows())


def build_aggregate(detail: DataFrame, dataset: DatasetConfig, decimals: int) -> Aggregated:
    """The dataset's aggregate table computed from its whole detail table."""
    table = aggregate(detail, dataset.aggregate, dataset.timestamp, decimals)
    return Aggregated(rows=table.toArrow(), schema=table.schema)
