"""Extractors: read a source into a lazy frame whose declared columns are raw strings."""

from .files import extract, resolve_paths

__all__ = ["extract", "resolve_paths"]
