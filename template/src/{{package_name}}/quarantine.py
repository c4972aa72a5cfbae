"""The quarantine: rejected rows, one Parquet file per dataset and input batch.

A batch is identified by the dataset name and a SHA-256 fingerprint of its
input files (names and contents), so re-running the same input finds its
quarantine file already there and writes nothing new. Files appear atomically:
the engine writes them under a temporary name, then they are flushed and
renamed. Writing is retried on transient errors like a load (see ``retry``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING

from .atomic import publish_file, temporary_sibling
from .errors import DestinationError
from .retry import retry

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .config import RetryPolicy

__all__ = ["batch_id", "write_quarantine"]

_CHUNK = 1 << 20
Opener = Callable[[str], AbstractContextManager[IO[bytes]]]


def _open_local(path: str) -> IO[bytes]:
    return Path(path).open("rb")


def batch_id(dataset: str, paths: Sequence[Path | str], open_file: Opener = _open_local) -> str:
    """A short deterministic id of ``dataset``'s input: 16 hex digits of a SHA-256.

    ``open_file`` opens one of ``paths`` for reading as bytes; the default
    reads local files, another reads an object store's.
    """
    digest = hashlib.sha256(dataset.encode())
    for path in paths:
        digest.update(b"\0" + PurePath(path).name.encode() + b"\0")
        with open_file(str(path)) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def write_quarantine(
    write: Callable[[Path], object], directory: Path, batch: str, policy: RetryPolicy
) -> Path:
    """Write ``directory/batch-<batch>.parquet`` with ``write`` unless it exists; return its path.

    Args:
        write: Writes the rejected rows as Parquet to the path it is given.
        directory: The dataset's quarantine folder, created when missing.
        batch: The batch id (``batch_id``).
        policy: How transient write errors are retried.

    Raises:
        DestinationError: The file cannot be written; temporary files are removed
            first by the next attempt or run.
    """
    target = directory / f"batch-{batch}.parquet"
    return retry(
        partial(_write_once, write, target), policy, what=f"quarantine write of {target.name}"
    )


def _write_once(write: Callable[[Path], object], target: Path) -> Path:
    if target.exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in target.parent.glob(".batch-*.tmp"):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink(missing_ok=True)
        tmp = temporary_sibling(target, str(os.getpid()))
        write(tmp)
        publish_file(tmp, target)
    except Exception as exc:
        raise DestinationError(f"quarantine {target}: cannot write: {exc}") from exc
    return target
