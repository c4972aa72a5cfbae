"""The data API's routes: health, readiness, the datasets' rows and aggregates, the runs.

Each configured dataset gets its own routes, built from its declared schema:
``/datasets/<name>/rows`` takes one optional query parameter per column (rows
equal to every given value), ``/datasets/<name>/rows/<key...>`` one path segment
per key column, and ``/datasets/<name>/aggregates`` one query parameter per
group-by column. The parameters are typed from the schema, so a value of the
wrong type, an unknown dataset or a limit out of bounds is refused (422 or 404)
before any query runs. Rows come in key order, a page at a time.
"""

from __future__ import annotations

import inspect
import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import ValidationError

from ..config import PERIOD_COLUMN, ColumnSpec, DatasetConfig, PipelineConfig
from .models import DatasetInfo, Health, Page, Problem, Readiness, RunList, RunSummary
from .store import Selection, Store, query_value

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path as FilePath

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
"""The most rows (or runs) one page holds."""
MAX_OFFSET = 10_000_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_TEXT = 200
"""The longest string a filter or key value may be."""
RUN_ID_PATTERN = r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$"
PAGING = frozenset({"limit", "offset"})
"""Query parameters of every listing; a column of the same name cannot be a filter."""
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": Problem}}
UNAVAILABLE: Responses = {
    503: {"model": Problem, "description": "The destination cannot be read now"}
}
PYTHON_TYPES: dict[str, type] = {
    "int64": int,
    "float64": float,
    "string": str,
    "bool": bool,
    "date": date,
    "datetime": datetime,
}

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]


def value_parameter(
    index: int, column: str, spec: ColumnSpec, source: Callable[..., Any]
) -> inspect.Parameter:
    """The parameter of ``column``, typed and bounded by its declaration.

    ``source`` is ``Query`` (an optional filter) or ``Path`` (a required key part). The
    Python name is positional (a column may be named like a Python keyword); the
    parameter's public name is the column's.
    """
    constraints: dict[str, Any] = {"alias": column, "description": f"{column} ({spec.type})"}
    if spec.type == "int64":
        constraints.update(ge=INT64_MIN, le=INT64_MAX)
    elif spec.type == "float64":
        constraints.update(allow_inf_nan=False)
    elif spec.type == "string":
        allowed = "|".join(re.escape(value) for value in spec.allowed or ())
        pattern = f"^({allowed})$" if allowed else r"^[^\x00]*$"
        constraints.update(max_length=MAX_TEXT, pattern=pattern)
    python_type = PYTHON_TYPES[spec.type]
    if source is Path:
        annotation: Any = Annotated[python_type, Path(**constraints)]
        return inspect.Parameter(
            f"value_{index}", inspect.Parameter.KEYWORD_ONLY, annotation=annotation
        )
    annotation = Annotated[python_type | None, Query(**constraints)]
    return inspect.Parameter(
        f"value_{index}", inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=None
    )


def paging_parameters() -> list[inspect.Parameter]:
    """``limit`` and ``offset``."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter("limit", keyword, annotation=Limit, default=DEFAULT_LIMIT),
        inspect.Parameter("offset", keyword, annotation=Offset, default=0),
    ]


def chosen_values(columns: list[str], values: Mapping[str, Any]) -> dict[str, Any]:
    """The given values by column name (``value_<index>`` names the column at ``index``).

    Raises:
        HTTPException: 422, a datetime outside the years 1 to 9999 once in UTC.
    """
    chosen: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or not name.startswith("value_"):
            continue
        column = columns[int(name.removeprefix("value_"))]
        try:
            chosen[column] = query_value(value)
        except OverflowError:
            raise HTTPException(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"{column}: the value is out of range",
            ) from None
    return chosen


def page(store: Store, selection: Selection, dataset: str) -> Page:
    """One page of ``selection``: reads one row more to tell whether another page follows."""
    wider = Selection(
        selection.table,
        selection.filters,
        selection.order_by,
        selection.limit + 1,
        selection.offset,
    )
    rows = store.select(wider)
    more = len(rows) > selection.limit
    return Page(
        dataset=dataset,
        table=selection.table,
        limit=selection.limit,
        offset=selection.offset,
        next_offset=selection.offset + selection.limit if more else None,
        rows=rows[: selection.limit],
    )


def with_signature(
    function: Callable[..., Any], parameters: list[inspect.Parameter], returns: type
) -> Callable[..., Any]:
    """``function`` with the signature FastAPI reads its parameters from."""
    function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    return function


def add_dataset_routes(router: APIRouter, dataset: DatasetConfig, store: Store) -> None:
    """The rows, row-by-key and aggregates routes of ``dataset``."""
    filters = [name for name in dataset.columns if name not in PAGING]
    keys = list(dataset.key)
    groups = [name for name in dataset.aggregate.group_by if name not in PAGING]
    aggregate = dataset.aggregate.name

    def list_rows(*, limit: int, offset: int, **values: Any) -> Page:
        selection = Selection(dataset.name, chosen_values(filters, values), keys, limit, offset)
        return page(store, selection, dataset.name)

    def get_row(**values: Any) -> dict[str, Any]:
        chosen = chosen_values(keys, values)
        rows = store.select(Selection(dataset.name, chosen, keys, 1))
        if not rows:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{dataset.name}: no row with that key")
        return rows[0]

    def list_aggregates(*, limit: int, offset: int, **values: Any) -> Page:
        order = [*dataset.aggregate.group_by, PERIOD_COLUMN]
        selection = Selection(aggregate, chosen_values(groups, values), order, limit, offset)
        return page(store, selection, dataset.name)

    base = f"/datasets/{dataset.name}"
    filter_parameters = [
        value_parameter(index, name, dataset.columns[name], Query)
        for index, name in enumerate(filters)
    ]
    router.add_api_route(
        f"{base}/rows",
        with_signature(list_rows, [*paging_parameters(), *filter_parameters], Page),
        response_model=Page,
        responses=UNAVAILABLE,
        summary=f"Rows of {dataset.name}, in key order, equal to the given column values",
        operation_id=f"list_{dataset.name}_rows",
    )
    key_parameters = [
        value_parameter(index, name, dataset.columns[name], Path) for index, name in enumerate(keys)
    ]
    router.add_api_route(
        f"{base}/rows/" + "/".join("{" + name + "}" for name in keys),
        with_signature(get_row, key_parameters, dict),
        response_model=dict[str, Any],
        responses={**NOT_FOUND, **UNAVAILABLE},
        summary=f"The row of {dataset.name} with the given key",
        operation_id=f"get_{dataset.name}_row",
    )
    group_parameters = [
        value_parameter(index, name, dataset.columns[name], Query)
        for index, name in enumerate(groups)
    ]
    router.add_api_route(
        f"{base}/aggregates",
        with_signature(list_aggregates, [*paging_parameters(), *group_parameters], Page),
        response_model=Page,
        responses=UNAVAILABLE,
        summary=f"Rows of {aggregate}, by group and period",
        operation_id=f"list_{dataset.name}_aggregates",
    )


def probe_router(config: PipelineConfig, store: Store) -> APIRouter:
    """``/health`` and ``/ready``, for load balancers and orchestrators (no API key)."""
    router = APIRouter(tags=["probes"])
    tables = sorted(
        name for dataset in config.datasets for name in (dataset.name, dataset.aggregate.name)
    )

    @router.get("/health", summary="The process is alive")
    def health() -> Health:
        return Health()

    @router.get("/ready", summary="The destination is reachable and loaded", responses=UNAVAILABLE)
    def ready() -> Readiness:
        store.check(tables)
        return Readiness(tables=tables)

    return router


def data_router(config: PipelineConfig, store: Store) -> APIRouter:
    """The datasets' routes and the runs' routes."""
    router = APIRouter()
    datasets = APIRouter(tags=["datasets"])

    @datasets.get("/datasets", summary="The configured datasets and their columns")
    def list_datasets() -> list[DatasetInfo]:
        return [
            DatasetInfo(
                name=dataset.name,
                key=list(dataset.key),
                columns={name: spec.type for name, spec in dataset.columns.items()},
                aggregate=dataset.aggregate.name,
                aggregate_group_by=list(dataset.aggregate.group_by),
            )
            for dataset in config.datasets
        ]

    for dataset in config.datasets:
        add_dataset_routes(datasets, dataset, store)
    router.include_router(datasets)
    router.include_router(runs_router(config.output_dir / "reports"))
    return router


def runs_router(reports: FilePath) -> APIRouter:
    """``/runs`` and ``/runs/{run_id}``, from the run reports in ``reports``."""
    router = APIRouter(tags=["runs"])

    @router.get("/runs", summary="The runs, newest first")
    def list_runs(limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> RunList:
        files = sorted(reports.glob("run-*.json"), reverse=True)
        chosen = files[offset : offset + limit]
        runs = [summary for path in chosen if (summary := run_summary(path)) is not None]
        more = len(files) > offset + limit
        return RunList(
            limit=limit, offset=offset, next_offset=offset + limit if more else None, runs=runs
        )

    @router.get("/runs/{run_id}", summary="The run report of one run", responses=NOT_FOUND)
    def get_run(run_id: Annotated[str, Path(pattern=RUN_ID_PATTERN)]) -> dict[str, Any]:
        report = read_report(reports / f"run-{run_id}.json")
        if report is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run report for run {run_id}")
        return report

    return router


def read_report(path: FilePath) -> dict[str, Any] | None:
    """The run report at ``path``; None if it is missing or not a JSON object."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def run_summary(path: FilePath) -> RunSummary | None:
    """The summary of the run report at ``path``; None if it is not a run report."""
    report = read_report(path)
    if report is None:
        return None
    try:
        return RunSummary.model_validate(
            {name: report.get(name) for name in RunSummary.model_fields}
        )
    except ValidationError:
        return None
