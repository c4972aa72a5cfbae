"""Errors of the ML commands, each with its own exit code (the pipeline's are 1-7)."""

from __future__ import annotations

from ..errors import PipelineError

DRIFT_EXIT_CODE = 8
"""Exit code of ``drift`` when a feature drifted past the threshold."""


class NoTrainingDataError(PipelineError):
    """The loaded detail is missing or too small to train and validate a model."""

    exit_code = 9


class NoModelError(PipelineError):
    """No model is registered yet: run ``train`` first."""

    exit_code = 10
