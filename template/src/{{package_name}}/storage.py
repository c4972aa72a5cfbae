"""Where source files live: a local path or glob, or an object-store URL.

A path with a scheme (``s3://``, ``gs://``, ``az://``, ...) is listed and read
through the fsspec filesystem of that scheme: s3fs for S3 and S3-compatible
stores, gcsfs and adlfs with the project's ``gcs`` and ``azure`` extras.
Credentials come from the environment only, read by each store's own client:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
``AWS_DEFAULT_REGION`` and ``AWS_ENDPOINT_URL`` (an S3-compatible store such as
MinIO) for S3; ``GOOGLE_APPLICATION_CREDENTIALS`` for Google Cloud Storage;
``AZURE_STORAGE_ACCOUNT_NAME`` and ``AZURE_STORAGE_ACCOUNT_KEY`` (or a service
principal's ``AZURE_CLIENT_ID``, ...) for Azure. The source's
``storage_options`` hold the rest (a region, say), never a secret.

A local path is used as written, so ``_source`` shows it as the configuration
names it; a remote file is named by its full URL.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import fsspec  # type: ignore[import-untyped, unused-ignore]
from fsspec.utils import get_protocol  # type: ignore[import-untyped, unused-ignore]

from .errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from fsspec.core import OpenFile  # type: ignore[import-untyped, unused-ignore]

    from .config import FileSource

GLOB_CHARACTERS = frozenset("*?[")
JSONL_SAMPLE_RECORDS = 1000
"""Records of a JSON Lines file whose keys make its columns (a file has no header)."""
_LOCAL_PROTOCOLS = frozenset({"file", "local"})


def is_url(path: str) -> bool:
    """Whether ``path`` names an object store's file (a scheme other than ``file://``)."""
    return get_protocol(path) not in _LOCAL_PROTOCOLS


def resolve(path: str, options: Mapping[str, Any]) -> list[str]:
    """The files ``path`` names, sorted; a glob may match several.

    Args:
        path: A local path or glob, or a URL whose path may be a glob.
        options: The storage client's options (``FileSource.storage_options``).

    Raises:
        SourceError: No file exists at the path or matches the glob, the bucket
            does not exist, or the store refuses the listing.
    """
    files = _resolve_url(path, options) if is_url(path) else _resolve_local(path)
    if files:
        return files
    if is_url(path):
        bucket = urlsplit(path).netloc
        if not _exists(f"{get_protocol(path)}://{bucket}", options):
            raise SourceError(f"{path}: bucket '{bucket}' not found")
    if GLOB_CHARACTERS.isdisjoint(path):
        raise SourceError(f"{path}: source file not found")
    raise SourceError(f"{path}: no source file matches the pattern")


def resolve_paths(source: FileSource) -> list[str]:
    """The files ``source.path`` names, sorted; a glob may match several.

    Raises:
        SourceError: No file exists at the path or matches the glob, or the
            bucket does not exist.
    """
    return resolve(source.path, source.storage_options)


def open_file(path: str, options: Mapping[str, Any]) -> OpenFile:
    """``path`` opened for reading as bytes, local or remote (use it as a context manager)."""
    return fsspec.open(path, "rb", **(options if is_url(path) else {}))


def open_text(path: str, options: Mapping[str, Any]) -> OpenFile:
    """``path`` opened for reading as UTF-8 text (a byte order mark skipped), newlines kept."""
    return fsspec.open(
        path, "rt", encoding="utf-8-sig", newline="", **(options if is_url(path) else {})
    )


def opener(options: Mapping[str, Any]) -> Callable[[str], OpenFile]:
    """``open_file`` with ``options``: how the quarantine reads the files it fingerprints."""
    return partial(open_file, options=options)


def filesystem(path: str, options: Mapping[str, Any]) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem that reads ``path``.

    Raises:
        SourceError: No filesystem implementation for the scheme is installed.
    """
    try:
        fs, _ = fsspec.core.url_to_fs(path, **options)
    except (ImportError, ValueError) as exc:
        raise SourceError(f"{path}: cannot open the store: {first_line(exc)}") from exc
    return fs


def jsonl_columns(path: str, options: Mapping[str, Any]) -> list[str]:
    """The keys of a JSON Lines file's first records, in order of appearance.

    Raises:
        SourceError: The file cannot be read or a sampled line is not a JSON object.
    """
    names: dict[str, None] = {}
    number = 0
    try:
        with open_file(path, options) as handle:
            for line in handle:
                if not line.strip():
                    continue
                number += 1
                if number > JSONL_SAMPLE_RECORDS:
                    break
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise SourceError(f"{path}: record {number} is not a JSON object")
                names.update(dict.fromkeys(record))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError included
        raise SourceError(f"{path}: cannot read the header: {first_line(exc)}") from exc
    if not names:
        raise SourceError(f"{path}: cannot read the header: no JSON record")
    return list(names)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (clients add context on later lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _resolve_local(pattern: str) -> list[str]:
    if GLOB_CHARACTERS.isdisjoint(pattern):
        return [pattern] if Path(pattern).is_file() else []
    anchor = Path(Path(pattern).anchor or ".")
    relative = Path(pattern).relative_to(anchor) if Path(pattern).anchor else Path(pattern)
    return sorted(str(path) for path in anchor.glob(str(relative)) if path.is_file())


def _resolve_url(pattern: str, options: Mapping[str, Any]) -> list[str]:
    fs = filesystem(pattern, options)
    try:
        if GLOB_CHARACTERS.isdisjoint(pattern):
            return [pattern] if fs.isfile(pattern) else []
        matches = fs.glob(pattern, detail=True)
    except FileNotFoundError:
        return []
    except OSError as exc:  # PermissionError included: credentials the store refuses
        raise SourceError(f"{pattern}: cannot list the files: {first_line(exc)}") from exc
    files = (name for name, info in matches.items() if info["type"] == "file")
    return sorted(fs.unstrip_protocol(name) for name in files)


def _exists(url: str, options: Mapping[str, Any]) -> bool:
    try:
        return bool(filesystem(url, options).exists(url))
    except OSError:
        return False
