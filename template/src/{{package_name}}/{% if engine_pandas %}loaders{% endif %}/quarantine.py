"""Write rejected rows to the quarantine: one Parquet file per dataset and input batch.

A batch is identified by the dataset name and a SHA-256 fingerprint of its
input files (names and contents), so re-running the same input finds its
quarantine file already there and writes nothing new. Files appear atomically:
they are written under a temporary name, flushed and renamed.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from ..atomic import publish_file, temporary_sibling

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

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


def write_quarantine(rows: pd.DataFrame, directory: Path, batch: str) -> Path:
    """Write ``rows`` to ``directory/batch-<batch>.parquet`` unless it exists; return its path.

    Temporary files left by a killed run are removed first.
    """
    target = directory / f"batch-{batch}.parquet"
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob(".batch-*.tmp"):
        leftover.unlink(missing_ok=True)
    tmp = temporary_sibling(target, str(os.getpid()))
    rows.to_parquet(tmp, compression="zstd", index=False)
    publish_file(tmp, target)
    return target
