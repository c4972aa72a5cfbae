"""Response models of the data API (its OpenAPI schema is generated from them)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class Health(_Response):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class Readiness(_Response):
    """The destination is reachable and every configured table is loaded."""

    status: Literal["ready"] = "ready"
    tables: list[str]


class DatasetInfo(_Response):
    """One configured dataset: its tables and the columns its rows can be filtered on."""

    name: str
    key: list[str]
    columns: dict[str, str]
    aggregate: str
    aggregate_group_by: list[str]


class Page(_Response):
    """One page of rows, in key order; ``next_offset`` is null on the last page."""

    dataset: str
    table: str
    limit: int
    offset: int
    next_offset: int | None
    rows: list[dict[str, Any]]


class RunSummary(_Response):
    """One run, as its run report sums it up."""

    run_id: str
    status: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None


class RunList(_Response):
    """Runs, newest first; ``next_offset`` is null on the last page."""

    limit: int
    offset: int
    next_offset: int | None
    runs: list[RunSummary]


class Problem(_Response):
    """Why a request failed."""

    detail: str
