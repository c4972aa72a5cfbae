"""The run report: one JSON document per run, written also when the run fails.

It records the status, the timing of each stage, the row counts of every
dataset and where each output went, so that a scheduler or a person can tell
what a run did without reading its logs. Every dataset balances::

    rows_read == rows_written + rows_quarantined + duplicates_dropped
"""

from __future__ import annotations

import json
import secrets
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from .atomic import write_bytes_atomic
from .errors import PipelineError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

Status = Literal["running", "succeeded", "failed"]
COUNT_FIELDS = ("rows_read", "rows_quarantined", "duplicates_dropped", "rows_written")


def new_run_id(now: datetime | None = None) -> str:
    """A unique run id that sorts by start time, such as ``20240301T101500Z-3f9a1c``."""
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class DatasetStats:
    """Row counts of one dataset in one run.

    ``rows_written`` counts the de-duplicated rows this run upserted into each
    destination; ``aggregate_rows`` the rows of the published aggregate table.
    """

    rows_read: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    rows_written: int = 0
    aggregate_rows: int = 0
    quarantine_file: str | None = None

    def check_balance(self, dataset: str) -> None:
        """Fail if some rows were neither written, quarantined nor dropped as duplicates.

        Raises:
            PipelineError: The counts do not add up; this is a bug in the pipeline.
        """
        accounted = self.rows_written + self.rows_quarantined + self.duplicates_dropped
        if self.rows_read != accounted:
            raise PipelineError(
                f"{dataset}: {self.rows_read} rows read but {accounted} accounted for "
                f"(written {self.rows_written}, quarantined {self.rows_quarantined}, "
                f"duplicates {self.duplicates_dropped})"
            )


@dataclass(frozen=True)
class Input:
    """One dataset's source: its kind and where it is (a path, a URL or a table)."""

    dataset: str
    source: str
    location: str


@dataclass(frozen=True)
class Output:
    """One table written to one destination."""

    destination: str
    table: str
    location: str
    rows: int


@dataclass(frozen=True)
class ErrorInfo:
    """Why a run failed."""

    stage: str
    type: str
    message: str
    exit_code: int


@dataclass
class RunReport:
    """Collects what a run did; ``to_dict`` gives the JSON document."""

    run_id: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: Status = "running"
    finished_at: datetime | None = None
    stages: dict[str, float] = field(default_factory=dict)
    datasets: dict[str, DatasetStats] = field(default_factory=dict)
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    error: ErrorInfo | None = None
    current_stage: str = "setup"
    on_stage: Callable[[str], None] | None = None
    _clock_start: float = field(default_factory=time.perf_counter, repr=False)
    _duration: float | None = field(default=None, repr=False)

    @contextmanager
    def stage(self, name: str, subject: str = "") -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` (durations add up across datasets)."""
        self.current_stage = name
        if self.on_stage is not None:
            self.on_stage(f"{name} {subject}".strip())
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.stages[name] = self.stages.get(name, 0.0) + elapsed

    def dataset(self, name: str) -> DatasetStats:
        """The counts of dataset ``name``, created on first use."""
        return self.datasets.setdefault(name, DatasetStats())

    def rows_read(self, dataset: str) -> int:
        """The rows this run read from ``dataset``'s source (0 before it reads them)."""
        stats = self.datasets.get(dataset)
        return stats.rows_read if stats is not None else 0

    def succeed(self) -> None:
        """Mark the run as succeeded."""
        self._finish("succeeded")

    def fail(self, error: BaseException, exit_code: int) -> None:
        """Mark the run as failed by ``error`` in the current stage."""
        self.error = ErrorInfo(
            stage=self.current_stage,
            type=type(error).__name__,
            message=str(error),
            exit_code=exit_code,
        )
        self._finish("failed")

    def totals(self) -> dict[str, int]:
        """The four row counts summed over the datasets."""
        return {
            name: sum(getattr(stats, name) for stats in self.datasets.values())
            for name in COUNT_FIELDS
        }

    @property
    def duration(self) -> float:
        """Seconds from the start to the end of the run, or to now while it runs."""
        if self._duration is None:
            return time.perf_counter() - self._clock_start
        return self._duration

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-compatible data."""
        return {
            "status": self.status,
            **self.totals(),
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": round(self.duration, 3),
            "stages": {name: round(seconds, 3) for name, seconds in self.stages.items()},
            "totals": self.totals(),
            "datasets": {name: asdict(stats) for name, stats in self.datasets.items()},
            "inputs": [
                {**asdict(source), "rows": self.rows_read(source.dataset)} for source in self.inputs
            ],
            "outputs": [asdict(output) for output in self.outputs],
            "error": asdict(self.error) if self.error else None,
        }

    def write(self, path: Path) -> None:
        """Write the report as JSON to ``path`` atomically."""
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        write_bytes_atomic(path, text.encode("utf-8"))

    def _finish(self, status: Status) -> None:
        self.status = status
        self.finished_at = datetime.now(UTC)
        self._duration = time.perf_counter() - self._clock_start
