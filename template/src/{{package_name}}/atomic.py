"""Crash-safe file system helpers: a file or link is either the old or the new one.

Every helper writes to a temporary name in the target's own directory, flushes
the data to disk, renames it over the target (``rename(2)``, atomic on
POSIX) and flushes the directory so that the rename itself survives a crash.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's or a directory's content and metadata to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file and directory below ``root``, and ``root`` itself."""
    for directory, _, files in os.walk(root, topdown=False):
        for name in files:
            fsync_path(Path(directory, name))
        fsync_path(Path(directory))


def temporary_sibling(path: Path, tag: str) -> Path:
    """A hidden temporary name next to ``path`` (same directory, so renames are atomic)."""
    return path.with_name(f".{path.name}.{tag}.tmp")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, creating the parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path, str(os.getpid()))
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    fsync_path(path.parent)


def publish_file(tmp: Path, path: Path) -> None:
    """Flush the finished file ``tmp`` and rename it to ``path`` atomically."""
    fsync_path(tmp)
    tmp.replace(path)
    fsync_path(path.parent)


def replace_symlink(link: Path, target: str, tag: str) -> None:
    """Point ``link`` at ``target`` atomically: readers see the old or the new target."""
    tmp = temporary_sibling(link, tag)
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    tmp.replace(link)
    fsync_path(link.parent)
