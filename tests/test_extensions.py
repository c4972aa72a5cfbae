"""Unit tests of the Jinja extensions in extensions/datamax.py."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import jinja2
import pytest

from tests.helpers import choice_values, load_extension, questions

dm = load_extension()

MULTISELECT = ("sources", "destinations")


# ------------------------------------------------------------------------------------------
# Validator tests
# ------------------------------------------------------------------------------------------

GOOD_CRON = [
    "0 2 * * *",
    "* * * * *",
    "*/15 * * * *",
    "0-59/5 * * * *",
    "1,2,3 * * * *",
    "0 9-17 * * mon-fri",
    "0 0 * JAN,jul SUN",
    "59 23 31 12 7",
    "0 0 1 1 0",
    "  0 2 * * *  ",
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
]

BAD_CRON: list[object] = [
    "",
    "   ",
    "bad",
    "* * * *",
    "* * * * * *",
    "60 * * * *",
    "-1 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * 32 * *",
    "* * * 0 *",
    "* * * 13 *",
    "* * * * 8",
    "*/0 * * * *",
    "*/x * * * *",
    "5-1 * * * *",
    "1-x * * * *",
    "1-2-3 * * * *",
    ",5 * * * *",
    "mon * * * *",
    "* * * * funday",
    "@never",
    "@reboot",
    None,
    5,
    ["0", "2", "*", "*", "*"],
]


@pytest.mark.parametrize("value", GOOD_CRON)
def test_cron_expression_accepts(value: str) -> None:
    assert dm.is_cron_expression(value) is True


@pytest.mark.parametrize("value", BAD_CRON, ids=repr)
def test_cron_expression_rejects(value: object) -> None:
    assert dm.is_cron_expression(value) is False


def test_cron_default_of_copier_yml_is_valid() -> None:
    assert dm.is_cron_expression(questions()["schedule"]["default"])


@pytest.mark.parametrize("value", ["class", "def", "None", "True", "import", "match", "case", "_"])
def test_python_keyword_true_for_keywords_and_soft_keywords(value: str) -> None:
    assert dm.is_python_keyword(value) is True


@pytest.mark.parametrize("value", ["orders", "sales_events", "Class", "", "matches", None, 3])
def test_python_keyword_false_otherwise(value: object) -> None:
    assert dm.is_python_keyword(value) is False


# ------------------------------------------------------------------------------------------
# Answers normalisation and component flags
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("duckdb", ["duckdb"]),
        (["parquet", "duckdb"], ["parquet", "duckdb"]),
        (("files",), ["files"]),
        ([], []),
        (7, ["7"]),
    ],
)
def test_as_list(value: object, expected: list[str]) -> None:
    assert dm.as_list(value) == expected


def test_registry_matches_the_choices_of_copier_yml() -> None:
    """Every choice of a component question has a registry entry, and nothing more."""
    for question in dm.COMPONENTS:
        assert set(dm.COMPONENTS[question]) == set(choice_values(questions()[question])), question


DERIVED_FLAGS = {
    "metrics_export": {"metrics_prometheus_textfile", "metrics_pushgateway", "metrics_otlp"},
    "alerting_enabled": {"alert_slack", "alert_email"},
    "postgres_client": {"source_postgres", "dest_postgres"},
    "landed_source": {"source_rest_api", "source_postgres"},
    "cloud_enabled": {"cloud_aws", "cloud_gcp", "cloud_azure"},
}


def all_flag_names() -> set[str]:
    return (
        {
            prefix + dm.slug(name)
            for question, prefix in dm.FLAG_PREFIXES.items()
            for name in dm.COMPONENTS[question]
        }
        | set(DERIVED_FLAGS)
        | {"ml_realtime"}
    )


def test_flag_prefixes_cover_the_component_questions() -> None:
    assert set(dm.FLAG_PREFIXES) == set(dm.COMPONENTS)
    assert all(prefix.endswith("_") for prefix in dm.FLAG_PREFIXES.values())


def test_flag_names_are_identifiers_and_unique() -> None:
    names = [
        prefix + dm.slug(name)
        for question, prefix in dm.FLAG_PREFIXES.items()
        for name in dm.COMPONENTS[question]
    ]
    assert len(names) == len(set(names))
    assert all(name.isidentifier() for name in names), names


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Apache-2.0", "apache_2_0"), ("duckdb", "duckdb"), ("MIT", "mit"), ("--a  b--", "a_b")],
)
def test_slug(value: str, expected: str) -> None:
    assert dm.slug(value) == expected


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("polars>=1.30,<3", "polars"),
        ("pydantic-settings>=2.10,<3", "pydantic-settings"),
        ("PyYAML==6.0", "pyyaml"),
        ("sp-repo-review[cli]~=1.0", "sp-repo-review"),
        ("rich ; python_version>'3'", "rich"),
        ("typer", "typer"),
    ],
)
def test_requirement_name(requirement: str, expected: str) -> None:
    assert dm.requirement_name(requirement) == expected


def test_component_flags_all_false_without_answers() -> None:
    flags = dm.component_flags({})
    assert set(flags) == all_flag_names()
    assert not any(flags.values())


@pytest.mark.parametrize(
    ("question", "name"),
    [(question, name) for question, registry in dm.COMPONENTS.items() for name in registry],
)
def test_component_flags_true_only_for_the_chosen_component(question: str, name: str) -> None:
    answer: Any = [name] if question in MULTISELECT else name
    flags = dm.component_flags({question: answer})
    expected = {dm.FLAG_PREFIXES[question] + dm.slug(name)}
    expected |= {derived for derived, members in DERIVED_FLAGS.items() if expected & members}
    assert {flag for flag, on in flags.items() if on} == expected


@pytest.mark.parametrize(("answer", "expected"), [("hash", True), ("mask", True), ("none", False)])
def test_pii_sample_is_true_when_the_sample_column_is_protected(
    answer: str, *, expected: bool
) -> None:
    assert dm.pii_sample({"pii_protection": answer}) is expected
    assert not dm.pii_sample({})


def test_derived_flags_are_true_for_any_of_their_choices() -> None:
    assert dm.component_flags({"metrics": "prometheus_textfile"})["metrics_export"]
    assert dm.component_flags({"metrics": "pushgateway"})["metrics_export"]
    assert dm.component_flags({"metrics": "otlp"})["metrics_export"]
    assert not dm.component_flags({"metrics": "report"})["metrics_export"]
    assert dm.component_flags({"alerting": "slack"})["alerting_enabled"]
    assert dm.component_flags({"alerting": "email"})["alerting_enabled"]
    assert not dm.component_flags({"alerting": "none"})["alerting_enabled"]


def test_one_source_names_its_dataset_after_the_answer() -> None:
    assert dm.dataset_names({"sources": ["files"], "dataset_name": "orders"}) == {"files": "orders"}


def test_several_sources_name_each_dataset_after_its_kind() -> None:
    names = dm.dataset_names({"sources": ["files", "rest_api"], "dataset_name": "orders"})
    assert names == {"files": "orders_files", "rest_api": "orders_rest_api"}


def test_component_flags_for_the_defaults() -> None:
    flags = dm.component_flags(
        {
            "engine": "polars",
            "sources": ["files"],
            "destinations": ["parquet", "duckdb"],
            "orchestrator": "none",
            "ci_provider": "github",
        }
    )
    assert flags["dest_duckdb"] is True
    assert flags["dest_parquet"] is True
    assert flags["ci_github"] is True
    assert flags["ci_gitlab"] is False
    assert flags["ci_none"] is False
    assert flags["engine_polars"] is True
    assert flags["source_files"] is True


def test_component_flags_accept_a_single_string_for_a_multiselect() -> None:
    flags = dm.component_flags({"destinations": "duckdb"})
    assert flags["dest_duckdb"] is True
    assert flags["dest_parquet"] is False


def test_component_flags_ignore_unknown_choices() -> None:
    flags = dm.component_flags(
        {"destinations": ["bigquery"], "ci_provider": "circleci", "license": "GPL"}
    )
    assert not any(flags.values())


# ------------------------------------------------------------------------------------------
# Runtime dependencies
# ------------------------------------------------------------------------------------------


def dist_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return match.group(0).lower()


def test_base_dependencies_without_answers() -> None:
    deps = dm.runtime_dependencies({})
    assert sorted(deps) == sorted(dm.BASE_DEPENDENCIES)
    assert [dist_name(d) for d in deps] == sorted(dist_name(d) for d in deps)


@pytest.mark.parametrize(
    ("question", "name"),
    [
        (question, name)
        for question, registry in dm.COMPONENTS.items()
        for name, component in registry.items()
        if component.dependencies
    ],
)
def test_component_dependencies_only_when_chosen(question: str, name: str) -> None:
    component = dm.COMPONENTS[question][name]
    chosen: Any = [name] if question in MULTISELECT else name
    with_it = dm.runtime_dependencies({question: chosen})
    without = dm.runtime_dependencies({question: [] if question in MULTISELECT else "other"})
    for requirement in component.dependencies:
        assert requirement in with_it
        assert requirement not in without
    for requirement in dm.BASE_DEPENDENCIES:
        assert requirement in with_it
        assert requirement in without


def test_duckdb_dependency_follows_destinations() -> None:
    def names(destinations: list[str]) -> set[str]:
        return {dist_name(r) for r in dm.runtime_dependencies({"destinations": destinations})}

    assert "duckdb" in names(["duckdb"])
    assert "duckdb" in names(["parquet", "duckdb"])
    assert "duckdb" not in names(["parquet"])


def test_the_data_api_brings_fastapi_and_uvicorn_only_when_enabled() -> None:
    def names(**answers: object) -> set[str]:
        return {dist_name(r) for r in dm.runtime_dependencies(answers)}

    assert {"fastapi", "uvicorn"} <= names(destinations=["duckdb"], api_enabled=True)
    assert {"fastapi", "uvicorn"} <= names(destinations=["postgres"], api_enabled=True)
    assert not {"fastapi", "uvicorn"} & names(destinations=["duckdb"], api_enabled=False)
    assert not {"fastapi", "uvicorn"} & names(destinations=["duckdb"])
    # Without a destination it reads (copier's validator refuses that), no API either.
    assert not {"fastapi", "uvicorn"} & names(destinations=["parquet"], api_enabled=True)
    assert dm.api_enabled({"destinations": ["parquet", "postgres"], "api_enabled": True})
    assert not dm.api_enabled({"destinations": ["duckdb"], "api_enabled": "yes"})


def test_optional_dependencies_are_the_extras_of_the_chosen_components() -> None:
    extras = dm.optional_dependencies({"sources": ["files"], "engine": "duckdb"})

    assert extras == {"azure": ["adlfs>=2024.12,<2028"], "gcs": ["gcsfs>=2025.3,<2028"]}
    assert dm.optional_dependencies({"sources": [], "engine": "duckdb"}) == {}


def test_dependencies_sorted_unique_and_bounded() -> None:
    every_choice = {
        question: list(registry) if question in MULTISELECT else next(iter(registry))
        for question, registry in dm.COMPONENTS.items()
    }
    deps = dm.runtime_dependencies(every_choice)
    assert [dist_name(d) for d in deps] == sorted(dist_name(d) for d in deps)
    assert len({dist_name(d) for d in deps}) == len(deps), "a distribution is listed twice"
    for requirement in deps:
        # Compatible ranges: a lower and an upper bound, as the registry's comment says.
        assert ">=" in requirement, requirement
        assert "<" in requirement.replace("<=", ""), requirement


def test_dependency_groups_only_for_the_chosen_orchestrator() -> None:
    assert dm.dependency_groups({}) == {}
    assert dm.dependency_groups({"orchestrator": "none"}) == {}
    groups = dm.dependency_groups({"orchestrator": "airflow", "engine": "duckdb"})
    assert list(groups) == ["airflow"]
    [airflow] = groups["airflow"]
    assert dist_name(airflow) == "apache-airflow"
    assert ">=3" in airflow
    assert "<4" in airflow
    # A group never leaks into the package's runtime dependencies.
    runtime = dm.runtime_dependencies({"orchestrator": "airflow"})
    assert "apache-airflow" not in {dist_name(d) for d in runtime}
    [prefect] = dm.dependency_groups({"orchestrator": "prefect"})["prefect"]
    assert dist_name(prefect) == "prefect"
    assert ">=3" in prefect
    assert "<4" in prefect
    runtime = dm.runtime_dependencies({"orchestrator": "prefect"})
    assert "prefect" not in {dist_name(d) for d in runtime}
    [dagster] = dm.dependency_groups({"orchestrator": "dagster"})["dagster"]
    assert dist_name(dagster) == "dagster"
    assert ">=1.13" in dagster
    assert "<2" in dagster
    runtime = dm.runtime_dependencies({"orchestrator": "dagster"})
    assert "dagster" not in {dist_name(d) for d in runtime}


# ------------------------------------------------------------------------------------------
# Diagram and notes
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "destinations", [["parquet"], ["duckdb"], ["parquet", "duckdb"]], ids="+".join
)
def test_pipeline_diagram_shows_the_chosen_components(destinations: list[str]) -> None:
    diagram = dm.pipeline_diagram(
        {"sources": ["files"], "destinations": destinations, "dataset_name": "sales"}
    )
    assert diagram.splitlines()[0] == "flowchart LR"
    assert dm.COMPONENTS["sources"]["files"].diagram_node in diagram
    for name, component in dm.COMPONENTS["destinations"].items():
        assert (component.diagram_node in diagram) == (name in destinations), name
        assert (f"dst_{name}" in diagram) == (name in destinations), name
    assert "extract sales" in diagram
    assert "quarantine" in diagram


def test_pipeline_diagram_without_answers() -> None:
    diagram = dm.pipeline_diagram({})
    assert diagram.startswith("flowchart LR\n")
    assert "extract dataset" in diagram
    assert "src_" not in diagram
    assert "dst_" not in diagram


def test_pipeline_diagram_ignores_unknown_components() -> None:
    diagram = dm.pipeline_diagram({"sources": ["kafka"], "destinations": ["bigquery"]})
    assert "kafka" not in diagram
    assert "bigquery" not in diagram


def test_component_notes() -> None:
    notes = dm.component_notes({"destinations": ["duckdb", "nope", "parquet"]}, "destinations")
    registry = dm.COMPONENTS["destinations"]
    assert notes == [
        (registry["duckdb"].label, registry["duckdb"].notes),
        (registry["parquet"].label, registry["parquet"].notes),
    ]
    assert dm.component_notes({}, "engine") == []


# ------------------------------------------------------------------------------------------
# Filters
# ------------------------------------------------------------------------------------------


def test_toml_list_format() -> None:
    assert dm.toml_list(["a>=1", "b"]) == '  "a>=1",\n  "b",'
    assert dm.toml_list(["a"], indent="    ") == '    "a",'
    assert dm.toml_list([]) == ""


def test_toml_list_parses_as_a_toml_array() -> None:
    deps = dm.runtime_dependencies({"engine": "polars", "destinations": ["duckdb"]})
    document = f"dependencies = [\n{dm.toml_list(deps)}\n]\n"
    assert tomllib.loads(document) == {"dependencies": deps}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a-b c", "A_B_C"),
        ("orders_pipeline", "ORDERS_PIPELINE"),
        ("Sales Events 2", "SALES_EVENTS_2"),
        ("--x--", "X"),
        ("a..b", "A_B"),
        ("", ""),
    ],
)
def test_env_name(value: str, expected: str) -> None:
    assert dm.env_name(value) == expected


# ------------------------------------------------------------------------------------------
# The Jinja extensions themselves
# ------------------------------------------------------------------------------------------


def test_datamax_filters_registers_filters_tests_and_globals() -> None:
    env = jinja2.Environment(  # noqa: S701 - not HTML
        extensions=[dm.DataMaxFilters], undefined=jinja2.StrictUndefined
    )
    rendered = env.from_string(
        "{{ deps | toml_list }}|{{ name | env_name }}|{{ cron is cron_expression }}"
        "|{{ 'class' is python_keyword }}|{{ pipeline_diagram(a).split()[0] }}"
        "|{{ component_notes(a, 'destinations') | length }}"
    ).render(deps=["x"], name="my-app", cron="@daily", a={"destinations": ["duckdb"]})
    assert rendered == '  "x",|MY_APP|True|True|flowchart|1'


def test_derived_context_hook_updates_the_context_in_place() -> None:
    hook = dm.DerivedContext(jinja2.Environment())  # noqa: S701 - not HTML
    context: dict[str, Any] = {"destinations": ["duckdb"], "engine": "polars"}
    assert hook.hook(context) is None
    assert context["dest_duckdb"] is True
    assert context["dest_parquet"] is False
    assert context["runtime_dependencies"] == dm.runtime_dependencies(context)
    assert context["dependency_groups"] == {}


def test_derived_context_tolerates_missing_answers() -> None:
    hook = dm.DerivedContext(jinja2.Environment())  # noqa: S701 - not HTML
    context: dict[str, Any] = {}
    hook.hook(context)
    assert sorted(context["runtime_dependencies"]) == sorted(dm.BASE_DEPENDENCIES)
    assert set(dm.component_flags({})) <= set(context)


def test_derived_context_in_a_copier_like_render() -> None:
    """Copier's context carries `_copier_conf`; the hook runs on every template render."""
    env = jinja2.Environment(  # noqa: S701 - not HTML
        extensions=[dm.DerivedContext], undefined=jinja2.StrictUndefined
    )
    rendered = env.from_string("{{ dest_duckdb }} {{ ci_github }}").render(
        _copier_conf={}, destinations=["duckdb"], ci_provider="none"
    )
    assert rendered == "True False"


@pytest.mark.parametrize(
    ("provider", "prod_url"),
    [
        ("aws", "s3://a-very-long-project-slug-of-forty-chars-prod-lake"),
        ("gcp", "gs://a-very-long-project-slug-of-forty-chars-prod-lake"),
        ("azure", "abfs://lake@averylongprojecprdlake.dfs.core.windows.net"),
    ],
)
def test_lake_names_fit_the_providers_limits(provider: str, prod_url: str) -> None:
    """Bucket names stay within 63 characters, Azure storage accounts within 3 to 24."""
    slug = "a-very-long-project-slug-of-forty-chars"
    lakes = dm.lake({"cloud_provider": provider, "project_slug": slug})
    assert set(lakes) == set(dm.ENVIRONMENTS)
    assert lakes["prod"]["url"] == prod_url
    for env, lake in lakes.items():
        limit = 24 if provider == "azure" else 63
        assert 3 <= len(lake["name"]) <= limit, (env, lake)
        assert lake["url"].endswith(lake["name"]) or lake["name"] in lake["url"]
    assert dm.lake({"cloud_provider": "none"}) == {}


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("30 6 * * mon-fri", "30 6 * * mon-fri"),
    ],
)
def test_cron_expression_of_expands_the_presets(schedule: str, expected: str) -> None:
    assert dm.cron_expression_of(schedule) == expected
    assert dm.is_cron_expression(expected)


def test_k8s_secrets_give_the_run_what_it_reads_and_retention_only_the_destinations() -> None:
    answers = {
        "sources": ["files", "postgres"],
        "destinations": ["postgres"],
        "pii_protection": "hash",
        "alerting": "email",
    }
    assert dm.k8s_secrets(answers, pipeline=True) == [
        ("postgres-password", "POSTGRES_PASSWORD"),
        ("source-postgres-password", "SOURCE_POSTGRES_PASSWORD"),
        ("pii-key", "PII_KEY"),
        ("smtp-username", "SMTP_USERNAME"),
        ("smtp-password", "SMTP_PASSWORD"),
    ]
    assert dm.k8s_secrets(answers, pipeline=False) == [("postgres-password", "POSTGRES_PASSWORD")]
    masked = {"sources": ["files"], "pii_protection": "mask", "alerting": "slack"}
    assert dm.k8s_secrets(masked, pipeline=True) == [("slack-webhook-url", "SLACK_WEBHOOK_URL")]
    assert dm.k8s_secrets(masked, pipeline=False) == []


def test_the_ml_pipeline_brings_its_packages_and_the_chosen_algorithm_only() -> None:
    def names(**answers: object) -> set[str]:
        return {dist_name(r) for r in dm.runtime_dependencies(answers)}

    common = {"mlflow-skinny", "scikit-learn", "skops", "sqlalchemy", "alembic", "pandas"}
    sklearn = names(destinations=["parquet"], ml_enabled=True, ml_algorithm="sklearn")
    assert common <= sklearn
    assert not {"xgboost-cpu", "lightgbm", "mlflow", "xgboost"} & sklearn
    xgb = names(destinations=["parquet"], ml_enabled=True, ml_algorithm="xgboost")
    assert "xgboost-cpu" in xgb
    assert "lightgbm" not in xgb
    lgbm = names(destinations=["parquet"], ml_enabled=True, ml_algorithm="lightgbm")
    assert "lightgbm" in lgbm
    assert "xgboost-cpu" not in lgbm
    assert not common & names(destinations=["parquet"], ml_enabled=False)
    # Without the Parquet destination it reads (copier's validator refuses that), no ML.
    assert not common & names(destinations=["duckdb"], ml_enabled=True)


def test_the_ml_pipeline_keeps_a_range_a_component_already_sets() -> None:
    requirements = dm.runtime_dependencies(
        {"engine": "dask", "destinations": ["parquet"], "ml_enabled": True}
    )
    pandas = [r for r in requirements if dist_name(r) == "pandas"]
    assert len(pandas) == 1, pandas
    assert len({dist_name(r) for r in requirements}) == len(requirements)


def test_ml_realtime_needs_ml_the_data_api_and_the_realtime_answer() -> None:
    answers = {
        "destinations": ["parquet", "duckdb"],
        "ml_enabled": True,
        "api_enabled": True,
        "ml_serving": "realtime",
    }
    assert dm.component_flags(answers)["ml_realtime"]
    assert not dm.component_flags({**answers, "ml_serving": "batch"})["ml_realtime"]
    assert not dm.component_flags({**answers, "api_enabled": False})["ml_realtime"]
    assert not dm.component_flags({**answers, "ml_enabled": False})["ml_realtime"]
    assert not dm.component_flags({**answers, "destinations": ["duckdb"]})["ml_realtime"]
