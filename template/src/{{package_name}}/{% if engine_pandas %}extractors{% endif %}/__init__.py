"""Extractors: read a source into a DataFrame whose declared columns are raw strings."""

from .files import extract, resolve_paths

__all__ = ["extract", "resolve_paths"]
