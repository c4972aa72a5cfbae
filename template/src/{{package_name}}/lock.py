"""One run at a time: an exclusive lock on a file below the output directory.

The lock is an ``flock`` held on an open file, so the operating system releases
it when the process ends, also when it is killed: a stale lock file never blocks
the next run.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .errors import LockedError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextmanager
def run_lock(path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the exclusive lock at ``path`` for the ``with`` block.

    Args:
        path: The lock file; created with its directory when missing.
        wait: Block until the lock is free instead of failing at once.

    Raises:
        LockedError: Another process holds the lock and ``wait`` is false.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            raise LockedError(
                f"another run holds the lock {path}; wait for it to finish or pass --wait"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
