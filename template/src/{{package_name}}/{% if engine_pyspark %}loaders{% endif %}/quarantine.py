"""Write rejected rows to the quarantine: one Parquet file per dataset and input batch.

A batch is identified by the dataset name and a SHA-256 fingerprint of its
input files (names and contents), so re-running the same input finds its
quarantine file already there and writes nothing new. Files appear atomically:
Spark writes them under a temporary name, then they are flushed and renamed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from typing import TYPE_CHECKING

from ..atomic import publish_file, temporary_sibling
from .base import WRITE_OPTIONS

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from pyspark.sql import DataFrame

_CHUNK = 1 << 20


def batch_id(dataset: str, paths: Sequence[Path]) -> str:
    """A short deterministic id of ``dataset``'s input: 16 hex digits of a SHA-256."""
    digest = hashlib.sha256(dataset.encode())
    for path in paths:
        digest.update(b"\0" + path.name.encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def write_quarantine(rows: DataFrame, directory: Path, batch: str) -> Path:
    """Write ``rows``, in their order, to ``directory/batch-<batch>.parquet`` unless it exists.

    Returns the file's path. Temporary files left by a killed run are removed first.
    """
    target = directory / f"batch-{batch}.parquet"
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob(".batch-*.tmp"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    tmp = temporary_sibling(target, str(os.getpid()))
    rows.coalesce(1).write.options(compression="zstd", **WRITE_OPTIONS).parquet(
        tmp.resolve().as_uri()
    )
    (written,) = tmp.glob("part-*.parquet")
    publish_file(written, target)
    shutil.rmtree(tmp)
    return target
