"""Jinja extensions of the DataMax template.

Everything the template derives from the answers lives here as plain functions,
so that the template tests can import and test them directly:

* the component registry (engines, sources, destinations, CI providers) with the
  runtime dependencies each one brings;
* the booleans that drive conditional file names (``engine_polars``,
  ``dest_duckdb``, ...), computed once by the context hook;
* the mermaid diagram of the generated pipeline;
* validator tests (``is cron_expression``, ``is python_keyword``).

Adding a component means adding an entry to ``COMPONENTS`` and its files under
``template/``; no other code changes.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copier_template_extensions import ContextHook
from jinja2.ext import Extension

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class Component:
    """One answer choice and what it brings into the generated project."""

    label: str
    dependencies: tuple[str, ...] = ()
    diagram_node: str = ""
    notes: str = ""
    # Optional extras of the generated package (``pip install project[gcs]``).
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Dependency groups of the generated pyproject (name -> requirements), for what the
    # project's tests and type checks need but its runtime does not.
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Runtime dependencies are pinned to a compatible range here; the generated
# project's uv.lock pins exact versions.
BASE_DEPENDENCIES: tuple[str, ...] = (
    "pydantic>=2.11,<3",
    "pydantic-settings>=2.10,<3",
    "pyyaml>=6.0.2,<7",
    "rich>=14,<16",
    "structlog>=25.4,<27",
    "typer>=0.16,<1",
)

API_DEPENDENCIES: tuple[str, ...] = ("fastapi>=0.116,<1", "uvicorn>=0.35,<1")
"""Runtime dependencies of the data API (``api_enabled``).

They are runtime dependencies, not a dependency group: the package's ``api`` modules and
the ``serve`` command import them, and the image serves the API from the same install.
"""
ML_DEPENDENCIES: tuple[str, ...] = (
    "alembic>=1.16,<2",
    "mlflow-skinny>=3.17,<4",
    "pandas>=3.0,<4",
    "pyarrow>=20,<27",
    "scikit-learn>=1.9,<2",
    "skops>=0.13,<1",
    "sqlalchemy>=2.0,<3",
)
"""Runtime dependencies of the ML pipeline (``ml_enabled``), whatever the algorithm.

mlflow-skinny, not mlflow: no tracking server or UI in the image. SQLAlchemy and Alembic
back its SQLite tracking store and model registry; skops is the model format MLflow writes
scikit-learn pipelines in; pandas and pyarrow read the Parquet snapshots the ML reads.
"""
ML_ALGORITHM_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "sklearn": (),
    "xgboost": ("xgboost-cpu>=3.1,<4",),
    "lightgbm": ("lightgbm>=4.6,<5",),
}
"""The algorithm's own package: the CPU-only XGBoost wheel (no CUDA libraries)."""
API_DESTINATIONS: tuple[str, ...] = ("duckdb", "postgres")
"""The destinations the data API can read the loaded tables from."""

COMPONENTS: dict[str, dict[str, Component]] = {
    "engine": {
        "polars": Component(
            label="Polars",
            dependencies=("polars>=1.30,<3", "pyarrow>=20,<27"),
            notes=(
                "Polars lazy frames: each stage adds to a query plan that Polars "
                "optimises (projection and predicate pushdown) and runs on all cores "
                "with its streaming engine; the validated rows are staged as Parquet "
                "and de-duplicated in buckets of keys, in bounded memory."
            ),
        ),
        "duckdb": Component(
            label="DuckDB",
            dependencies=("duckdb>=1.3,<3",),
            notes=(
                "DuckDB relations and SQL: the stages compose one query that DuckDB plans, "
                "parallelises and spills to disk under its memory limit."
            ),
        ),
        "pandas": Component(
            label="pandas",
            dependencies=("pandas>=3.0,<4", "pyarrow>=20,<27"),
            notes=(
                "pandas with pyarrow-backed dtypes: vectorised column operations over "
                "Arrow memory; the whole dataset is held in memory."
            ),
        ),
        "dask": Component(
            label="Dask",
            dependencies=(
                "dask[dataframe]>=2025.1",
                "distributed>=2025.1",
                "numpy>=2,<3",
                "pandas>=2.2,<4",
                "pyarrow>=20,<27",
            ),
            notes=(
                "Dask DataFrames on dask.distributed: the data is split into partitions "
                "processed in parallel by a local cluster or an existing scheduler."
            ),
        ),
        "pyspark": Component(
            label="PySpark",
            dependencies=("pyspark>=4.0,<5", "pyarrow>=20,<27"),
            notes=(
                "Spark DataFrames: every stage is a Spark SQL expression (no Python UDFs) "
                "planned by Catalyst; Spark runs in-process on local[*] by default, or on "
                "a cluster through spark-submit or the master setting."
            ),
        ),
    },
    "sources": {
        "files": Component(
            label="Files",
            dependencies=("s3fs>=2025.3,<2028",),
            diagram_node="CSV / Parquet / JSON Lines files",
            notes="CSV, Parquet or JSON Lines files, read with the declared schema.",
            extras={"gcs": ("gcsfs>=2025.3,<2028",), "azure": ("adlfs>=2024.12,<2028",)},
        ),
        "rest_api": Component(
            label="REST API",
            dependencies=("httpx>=0.28,<1", "pyarrow>=20,<27"),
            diagram_node="REST API (JSON pages)",
            notes=(
                "JSON pages fetched with httpx (page, offset, cursor or Link-header "
                "pagination, bearer or API-key auth, client-side rate limit, retries "
                "honouring Retry-After), landed as Parquet files the engine then reads."
            ),
        ),
        "postgres": Component(
            label="PostgreSQL",
            # fsspec: the landed parts are read by the engine's file reader (storage.py).
            dependencies=(
                "fsspec>=2025.3,<2028",
                "psycopg[binary]>=3.2,<4",
                "pyarrow>=20,<27",
                "sqlalchemy>=2.0.36,<3",
            ),
            diagram_node="PostgreSQL table",
            notes=(
                "A PostgreSQL table read with SQLAlchemy through a server-side cursor, "
                "chunk by chunk, and landed as Parquet part files that the engine then "
                "reads like any Parquet source; incremental mode reads only the rows past "
                "the stored watermark, which advances once every load has succeeded."
            ),
        ),
    },
    "destinations": {
        "parquet": Component(
            label="Parquet dataset",
            diagram_node="Parquet dataset (zstd)",
            notes=(
                "A zstd-compressed, partitioned Parquet dataset published as an "
                "atomic snapshot: readers see the previous or the new snapshot, never a mix."
            ),
        ),
        "duckdb": Component(
            label="DuckDB",
            dependencies=("duckdb>=1.3,<3",),
            diagram_node="DuckDB tables",
            notes="Tables in a DuckDB file, upserted on the key in one transaction.",
        ),
        "postgres": Component(
            label="PostgreSQL",
            dependencies=("psycopg[binary]>=3.2,<4", "pyarrow>=20,<27"),
            diagram_node="PostgreSQL tables",
            notes=(
                "Tables in a PostgreSQL schema: rows are copied (COPY) into a staging "
                "table and merged into the target on the key (INSERT ... ON CONFLICT) "
                "in one transaction."
            ),
        ),
        "delta": Component(
            label="Delta Lake",
            dependencies=("deltalake>=1.2,<2", "pyarrow>=20,<27"),
            diagram_node="Delta Lake tables",
            notes=(
                "A Delta Lake table per dataset in a local folder or an object store "
                "(s3://...): the detail rows are merged on the key in one commit, the "
                "aggregate table is overwritten in one commit."
            ),
        ),
    },
    "orchestrator": {
        "none": Component(
            label="CLI and cron",
            notes="The CLI is the entry point; a crontab entry runs it on the schedule.",
        ),
        "airflow": Component(
            label="Apache Airflow 3",
            notes=(
                "An Airflow DAG schedules the run: check_config, then run_pipeline (the same "
                "run as the CLI's), then publish_report; failures that may pass are retried."
            ),
            # Airflow's own environment provides Airflow: the package does not depend on it;
            # the project's tests and type checks do.
            groups={"airflow": ("apache-airflow>=3.1,<4",)},
        ),
        "prefect": Component(
            label="Prefect 3",
            notes=(
                "A Prefect flow runs check_config, then run_pipeline (the same run as the "
                "CLI's), then publish_report; a served deployment runs it on the schedule, "
                "one run at a time, and failures that may pass are retried."
            ),
            # The environment that serves the flow installs Prefect (`uv sync --group prefect`):
            # the package itself does not depend on it.
            groups={"prefect": ("prefect>=3.4,<4",)},
        ),
        "dagster": Component(
            label="Dagster",
            notes=(
                "Dagster assets, one per dataset and one for the run report, materialized "
                "together by one step that runs the pipeline (the same run as the CLI's); a "
                "job and a schedule run them, failures that may pass are retried and a "
                "run-failure sensor reports the others."
            ),
            # The environment that runs the Dagster daemon installs Dagster
            # (`uv sync --group dagster`): the package itself does not depend on it.
            groups={"dagster": ("dagster>=1.13,<2",)},
        ),
    },
    "metrics": {
        "prometheus_textfile": Component(
            label="Prometheus textfile",
            dependencies=("prometheus-client>=0.22,<1",),
            notes=(
                "Each run rewrites a Prometheus textfile atomically; node_exporter's "
                "textfile collector serves it."
            ),
        ),
        "pushgateway": Component(
            label="Prometheus Pushgateway",
            dependencies=("prometheus-client>=0.22,<1",),
            notes="Each run pushes its metrics to a Prometheus Pushgateway.",
        ),
        "otlp": Component(
            label="OpenTelemetry (OTLP/HTTP)",
            dependencies=(
                "opentelemetry-sdk>=1.45,<2",
                "opentelemetry-exporter-otlp-proto-http>=1.45,<2",
            ),
            notes="Each run exports its metrics with OpenTelemetry to an OTLP/HTTP endpoint.",
        ),
        "report": Component(label="Run report", notes="Metrics live in the JSON run report."),
    },
    "lineage": {
        "report": Component(
            label="Run report",
            notes="Each run report lists the inputs and outputs with their row counts.",
        ),
        "openlineage": Component(
            label="OpenLineage",
            dependencies=("openlineage-python>=1.30,<2",),
            notes=(
                "Each run also sends OpenLineage run events to an HTTP endpoint: START once "
                "the configuration is loaded, then COMPLETE or FAIL with the inputs and "
                "outputs and their row counts."
            ),
        ),
    },
    "alerting": {
        "slack": Component(label="Slack", notes="A failed run posts to a Slack incoming webhook."),
        "email": Component(label="E-mail", notes="A failed run sends an e-mail over SMTP."),
        "none": Component(label="None", notes="Failures show in the exit code and run report."),
    },
    "ci_provider": {
        "github": Component(label="GitHub Actions"),
        "gitlab": Component(label="GitLab CI/CD"),
        "none": Component(label="No CI"),
    },
    "license": {
        "Proprietary": Component(label="Proprietary"),
        "MIT": Component(label="MIT"),
        "Apache-2.0": Component(label="Apache 2.0"),
    },
    # The object-store client of each cloud: the files source and the Delta tables read
    # and write the lake through it (fsspec URLs from the Terraform outputs).
    "cloud_provider": {
        "none": Component(label="None"),
        "aws": Component(label="AWS", dependencies=("s3fs>=2025.3,<2028",)),
        "gcp": Component(label="Google Cloud", dependencies=("gcsfs>=2025.3,<2028",)),
        "azure": Component(label="Azure", dependencies=("adlfs>=2024.12,<2028",)),
    },
}

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
"""The deployment environments: config/environments/ overlays and infra/terraform tfvars."""
_AZURE_ENV_SUFFIX = {"dev": "dev", "staging": "stg", "prod": "prd"}

CRON_PRESETS = frozenset({"@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually"})
_CRON_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_NAMES = {
    3: {month: number for number, month in enumerate(_MONTHS, start=1)},
    4: {day: number for number, day in enumerate(_WEEKDAYS)},
}


def _cron_value(text: str, index: int) -> int | None:
    names = _CRON_NAMES.get(index, {})
    if text.lower() in names:
        return names[text.lower()]
    return int(text) if text.isdigit() else None


def _cron_field_ok(text: str, index: int) -> bool:
    low, high = _CRON_FIELD_RANGES[index]
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return False
        if base == "*":
            continue
        start, dash, end = base.partition("-")
        first = _cron_value(start, index)
        last = _cron_value(end, index) if dash else first
        if first is None or last is None or not low <= first <= last <= high:
            return False
    return True


def is_cron_expression(value: object) -> bool:
    """Tell whether ``value`` is a 5-field cron expression or an @-preset."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text in CRON_PRESETS:
        return True
    fields = text.split()
    return len(fields) == len(_CRON_FIELD_RANGES) and all(
        _cron_field_ok(part, index) for index, part in enumerate(fields)
    )


_CRON_OF_PRESET = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


def cron_expression_of(schedule: str) -> str:
    """The 5-field cron expression of ``schedule`` (a preset such as ``@daily`` expanded).

    Cloud schedulers (EventBridge Scheduler, Cloud Scheduler, Container Apps jobs) take
    5-field expressions only.
    """
    return _CRON_OF_PRESET.get(schedule.strip().lower(), schedule)


def is_python_keyword(value: object) -> bool:
    """Tell whether ``value`` is a Python keyword (or soft keyword)."""
    return isinstance(value, str) and (keyword.iskeyword(value) or keyword.issoftkeyword(value))


def as_list(value: object) -> list[str]:
    """Normalise a multi-select answer (list, tuple or single string) to a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    return [str(value)]


FLAG_PREFIXES = {
    "engine": "engine_",
    "sources": "source_",
    "destinations": "dest_",
    "orchestrator": "orchestrator_",
    "metrics": "metrics_",
    "alerting": "alert_",
    "lineage": "lineage_",
    "ci_provider": "ci_",
    "license": "license_",
    "cloud_provider": "cloud_",
}


def slug(name: str) -> str:
    """Turn a choice value into an identifier fragment (``Apache-2.0`` -> ``apache_2_0``)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def requirement_name(requirement: str) -> str:
    """The distribution name of a PEP 508 requirement string."""
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def component_flags(answers: Mapping[str, Any]) -> dict[str, bool]:
    """Booleans that drive conditional file names: one per possible choice.

    ``engine_<name>``, ``source_<name>``, ``dest_<name>``, ``orchestrator_<name>``,
    ``metrics_<name>``, ``alert_<name>``, ``lineage_<name>``, ``ci_<name>``,
    ``license_<name>`` and ``cloud_<name>`` are true for the chosen components and false
    otherwise, so a template file name such as
    ``{% if dest_duckdb %}duckdb.py{% endif %}`` reads one short boolean (the data API's
    files read the ``api_enabled`` answer itself, a boolean already; the ML pipeline's
    read ``ml_enabled``). Six derived flags name files or parts that several answers
    generate: ``cloud_enabled`` (any cloud provider: section 11 of the architecture doc),
    ``metrics_export`` (any metrics exporter), ``alerting_enabled`` (any alert channel),
    ``postgres_client`` (the PostgreSQL source or destination), ``landed_source`` (a
    source landed as Parquet before the engine reads it: the REST API or PostgreSQL
    source) and ``ml_realtime`` (the ``/predict`` route of the data API: ML with
    ``ml_serving`` realtime and the API).
    """
    flags: dict[str, bool] = {}
    for question, prefix in FLAG_PREFIXES.items():
        chosen = set(as_list(answers.get(question)))
        for name in COMPONENTS[question]:
            flags[prefix + slug(name)] = name in chosen
    # Derived flags, each naming a file that more than one choice generates.
    exporters = ("metrics_prometheus_textfile", "metrics_pushgateway", "metrics_otlp")
    flags["metrics_export"] = any(flags[name] for name in exporters)
    flags["alerting_enabled"] = flags["alert_slack"] or flags["alert_email"]
    flags["postgres_client"] = flags["source_postgres"] or flags["dest_postgres"]
    flags["landed_source"] = flags["source_rest_api"] or flags["source_postgres"]
    flags["cloud_enabled"] = flags["cloud_aws"] or flags["cloud_gcp"] or flags["cloud_azure"]
    flags["ml_realtime"] = (
        ml_enabled(answers) and api_enabled(answers) and answers.get("ml_serving") == "realtime"
    )
    return flags


def api_enabled(answers: Mapping[str, Any]) -> bool:
    """Whether the data API is generated: ``api_enabled`` with a destination it can read."""
    chosen = set(as_list(answers.get("destinations")))
    return answers.get("api_enabled") is True and bool(chosen & set(API_DESTINATIONS))


def ml_enabled(answers: Mapping[str, Any]) -> bool:
    """Whether the ML pipeline is generated: ``ml_enabled`` with a Parquet destination."""
    return answers.get("ml_enabled") is True and "parquet" in as_list(answers.get("destinations"))


def dataset_names(answers: Mapping[str, Any]) -> dict[str, str]:
    """The dataset name of each chosen source kind.

    One source: its dataset is ``dataset_name``. Several: each dataset is
    ``<dataset_name>_<kind>`` (``orders_files``, ``orders_rest_api``), so every
    table name stays unique.
    """
    base = str(answers.get("dataset_name") or "dataset")
    chosen = [name for name in as_list(answers.get("sources")) if name in COMPONENTS["sources"]]
    if len(chosen) == 1:
        return {chosen[0]: base}
    return {name: f"{base}_{name}" for name in chosen}


def lake(answers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The data lake of each environment: its storage name and its fsspec URL.

    AWS and Google Cloud: a bucket ``<project_slug>-<env>-lake`` (at most 53 characters
    with the 40-character slug), ``s3://`` or ``gs://``. Azure: a storage account (3 to 24
    lowercase letters and digits: the slug's first 15, a 3-letter environment, ``lake``)
    with a ``lake`` container, ``abfs://lake@<account>.dfs.core.windows.net``. Empty
    without a cloud. Terraform's tfvars and the pipeline's lake URLs both come from here.
    """
    provider = answers.get("cloud_provider")
    slug_ = str(answers.get("project_slug") or "pipeline")
    lakes: dict[str, dict[str, str]] = {}
    for env in ENVIRONMENTS:
        if provider in {"aws", "gcp"}:
            name = f"{slug_}-{env}-lake"
            scheme = "s3" if provider == "aws" else "gs"
            lakes[env] = {"name": name, "url": f"{scheme}://{name}"}
        elif provider == "azure":
            account = re.sub(r"[^a-z0-9]", "", slug_.lower())[:15] + _AZURE_ENV_SUFFIX[env]
            account += "lake"
            lakes[env] = {"name": account, "url": f"abfs://lake@{account}.dfs.core.windows.net"}
    return lakes


def k8s_secrets(answers: Mapping[str, Any], *, pipeline: bool) -> list[tuple[str, str]]:
    """The keys of the Kubernetes Secret a CronJob mounts, each with the variable it becomes.

    Every command needs the PostgreSQL destination's password; the pipeline run also needs
    the PostgreSQL source's password, the PII hashing key and the alert channel's
    credentials. Retention (``pipeline`` false) touches the destinations only.
    """
    flags = component_flags(answers)
    secrets: list[tuple[str, str]] = []
    if flags["dest_postgres"]:
        secrets.append(("postgres-password", "POSTGRES_PASSWORD"))
    if not pipeline:
        return secrets
    if flags["source_postgres"]:
        secrets.append(("source-postgres-password", "SOURCE_POSTGRES_PASSWORD"))
    if answers.get("pii_protection") == "hash":
        secrets.append(("pii-key", "PII_KEY"))
    if flags["alert_slack"]:
        secrets.append(("slack-webhook-url", "SLACK_WEBHOOK_URL"))
    if flags["alert_email"]:
        secrets += [("smtp-username", "SMTP_USERNAME"), ("smtp-password", "SMTP_PASSWORD")]
    return secrets


def pii_sample(answers: Mapping[str, Any]) -> bool:
    """Whether the sample's personal-data column is protected (``pii_protection`` not ``none``).

    It names the end-to-end test that proves no raw value of that column is stored.
    """
    return str(answers.get("pii_protection", "none")) != "none"


def runtime_dependencies(answers: Mapping[str, Any]) -> list[str]:
    """The sorted runtime dependency list for the chosen components."""
    deps: set[str] = set(BASE_DEPENDENCIES)
    for question, registry in COMPONENTS.items():
        for name in as_list(answers.get(question)):
            component = registry.get(name)
            if component is not None:
                deps.update(component.dependencies)
    if api_enabled(answers):
        deps.update(API_DEPENDENCIES)
    if ml_enabled(answers):
        # A package the components already require keeps their range.
        present = {requirement_name(dep) for dep in deps}
        ml = (
            *ML_DEPENDENCIES,
            *ML_ALGORITHM_DEPENDENCIES.get(str(answers.get("ml_algorithm")), ()),
        )
        deps.update(dep for dep in ml if requirement_name(dep) not in present)
    return sorted(deps, key=requirement_name)


def dependency_groups(answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Extra dependency groups of the chosen components (``{"airflow": [...]}``), sorted."""
    groups: dict[str, set[str]] = {}
    for question, registry in COMPONENTS.items():
        for name in as_list(answers.get(question)):
            component = registry.get(name)
            if component is not None:
                for group, deps in component.groups.items():
                    groups.setdefault(group, set()).update(deps)
    return {group: sorted(deps, key=requirement_name) for group, deps in sorted(groups.items())}


def optional_dependencies(answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The extras of the chosen components (``pip install project[gcs]``), sorted."""
    extras: dict[str, set[str]] = {}
    for question, registry in COMPONENTS.items():
        for name in as_list(answers.get(question)):
            component = registry.get(name)
            if component is not None:
                for extra, deps in component.extras.items():
                    extras.setdefault(extra, set()).update(deps)
    return {extra: sorted(deps, key=requirement_name) for extra, deps in sorted(extras.items())}


def pipeline_diagram(answers: Mapping[str, Any]) -> str:
    """Mermaid flowchart of the generated pipeline: sources, stages, destinations."""
    dataset = str(answers.get("dataset_name") or "dataset")
    lines = ["flowchart LR"]
    for name in as_list(answers.get("sources")):
        component = COMPONENTS["sources"].get(name)
        if component:
            lines.append(f'    src_{name}[("{component.diagram_node}")] --> extract')
    lines += [
        f'    extract["extract {dataset}"] --> clean["clean: trim, empty to null"]',
        '    clean --> validate["validate: types, required, allowed, ranges"]',
        '    validate -- "invalid rows + reason" --> quarantine[("quarantine")]',
        '    validate --> dedupe["de-duplicate on the key"]',
        '    dedupe --> derive["derive money columns"]',
        '    derive --> aggregate["aggregate by group and period"]',
    ]
    for name in as_list(answers.get("destinations")):
        component = COMPONENTS["destinations"].get(name)
        if component:
            lines.append(f'    derive -- detail --> dst_{name}[("{component.diagram_node}")]')
            lines.append(f"    aggregate -- aggregate --> dst_{name}")
    lines.append('    aggregate --> report[/"run report (JSON)"/]')
    return "\n".join(lines)


def component_notes(answers: Mapping[str, Any], question: str) -> list[tuple[str, str]]:
    """(label, notes) for each chosen component of ``question``."""
    registry = COMPONENTS[question]
    return [
        (registry[name].label, registry[name].notes)
        for name in as_list(answers.get(question))
        if name in registry
    ]


def toml_str(value: str) -> str:
    """Quote ``value`` as a TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def toml_list(values: Iterable[str], indent: str = "  ") -> str:
    """Render strings as the body of a multi-line TOML array."""
    return "\n".join(f"{indent}{toml_str(value)}," for value in values)


def env_name(value: str) -> str:
    """Turn a name into an environment-variable fragment (``a-b c`` -> ``A_B_C``)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper()


class DerivedContext(ContextHook):
    """Add derived values to the rendering context.

    Runs many times and in every phase (questions, rendering); tolerates missing
    answers and never reads files or the network.
    """

    def hook(self, context: MutableMapping[str, Any]) -> None:
        """Add the component flags, the dependency list and ``pii_sample`` to ``context``."""
        context.update(component_flags(context))
        context["runtime_dependencies"] = runtime_dependencies(context)
        context["dependency_groups"] = dependency_groups(context)
        context["optional_dependencies"] = optional_dependencies(context)
        context["dataset_names"] = dataset_names(context)
        context["pii_sample"] = pii_sample(context)
        context["lake"] = lake(context)


class DataMaxFilters(Extension):
    """Register the filters and tests the templates use."""

    def __init__(self, environment: Environment) -> None:
        """Register filters, tests and globals on ``environment``."""
        super().__init__(environment)
        environment.filters["toml_list"] = toml_list
        environment.filters["toml_str"] = toml_str
        environment.filters["env_name"] = env_name
        environment.filters["cron_expression_of"] = cron_expression_of
        environment.tests["cron_expression"] = is_cron_expression
        environment.tests["python_keyword"] = is_python_keyword
        environment.globals["pipeline_diagram"] = pipeline_diagram
        environment.globals["component_notes"] = component_notes
        environment.globals["k8s_secrets"] = k8s_secrets
