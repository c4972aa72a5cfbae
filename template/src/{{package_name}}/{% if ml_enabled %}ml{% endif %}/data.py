"""Read the loaded detail from the Parquet destination; write the predictions beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow.dataset as ds

from .errors import NoTrainingDataError

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from ..config import DatasetConfig, PipelineConfig

CURRENT = "current"
"""The symlink of a Parquet table that points at its latest complete snapshot."""


def parquet_root(config: PipelineConfig) -> Path:
    """The folder of the Parquet destination.

    Raises:
        NoTrainingDataError: The configuration has no Parquet destination.
    """
    destination = config.destinations.parquet
    if destination is None:
        raise NoTrainingDataError("the ML pipeline reads the parquet destination: none is set")
    return destination.path


def ml_dataset(config: PipelineConfig) -> DatasetConfig:
    """The dataset the model learns from: the first configured one."""
    return config.datasets[0]


def read_detail(config: PipelineConfig) -> pd.DataFrame:
    """The loaded detail table of the ML dataset, as the last run published it.

    Raises:
        NoTrainingDataError: The table has not been loaded yet.
    """
    dataset = ml_dataset(config)
    table = parquet_root(config) / dataset.name / CURRENT
    if not table.exists():
        raise NoTrainingDataError(f"{table} does not exist: run the pipeline first")
    frame: pd.DataFrame = (
        ds.dataset(table, format="parquet", partitioning=None).to_table().to_pandas()
    )
    prefix = f"{dataset.timestamp}_"
    partitions = [column for column in frame.columns if column.startswith(prefix)]
    return frame.drop(columns=partitions)


def predictions_path(config: PipelineConfig) -> Path:
    """Where ``score`` writes: ``<parquet path>/<dataset>_predictions/data.parquet``."""
    dataset = ml_dataset(config)
    return parquet_root(config) / f"{dataset.name}_predictions" / "data.parquet"


def write_predictions(predictions: pd.DataFrame, path: Path) -> Path:
    """Write ``predictions`` to ``path`` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    predictions.to_parquet(tmp, index=False, compression="zstd")
    tmp.replace(path)
    return path
