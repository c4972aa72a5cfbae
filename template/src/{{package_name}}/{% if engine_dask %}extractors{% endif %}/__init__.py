"""Extractors: read a source into a Dask DataFrame whose declared columns are raw strings."""

from .files import DEFAULT_BLOCKSIZE, extract, resolve_paths

__all__ = ["DEFAULT_BLOCKSIZE", "extract", "resolve_paths"]
