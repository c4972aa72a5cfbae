"""Every validator of copier.yml rejects bad answers with a message naming the question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
import yaml

from tests.helpers import choice_values, questions, read_answers, render

if TYPE_CHECKING:
    from pathlib import Path


class Case(NamedTuple):
    question: str
    value: Any
    problem: str  # part of the validator's message that names the problem
    # Earlier answers under which copier asks the question (its `when`).
    asked_with: dict[str, Any] = {}  # noqa: RUF012 - a NamedTuple default, never mutated


def cases(
    question: str, problem: str, *values: Any, asked_with: dict[str, Any] | None = None
) -> list[Case]:
    return [Case(question, value, problem, asked_with or {}) for value in values]


ORCHESTRATED = {"orchestrator": "airflow"}
CLOUD = {"cloud_provider": "aws"}
ML = {"ml_enabled": True}


BAD: list[Case] = [
    *cases(
        "project_name",
        "must start with a letter",
        "",
        "1 Orders",
        "Orders!",
        "O",
        "Ordérs",
        "O" * 41,
    ),
    *cases(
        "project_slug",
        "lowercase letters and digits separated by single '-'",
        "Orders-Pipeline",
        "orders--pipeline",
        "-orders",
        "orders-",
        "orders_pipeline",
        "9orders",
    ),
    *cases("project_slug", "at most 40 characters", "s" * 41, "sales-" + "e" * 35),
    *cases(
        "package_name",
        "lowercase Python identifier starting with a letter",
        "Orders",
        "orders-pipeline",
        "1orders",
        "class",
        "match",
        "_orders",
        "",
    ),
    *cases("package_name", "at most 24 characters, so that generated lines", "p" * 25),
    *cases(
        "project_description",
        "one non-empty line of at most 200 characters",
        "",
        "   ",
        "two\nlines",
        "x" * 201,
    ),
    *cases(
        "author_name",
        "non-empty single line without double quotes",
        "",
        "  ",
        'The "Data" Team',
        "Data\nEngineering",
    ),
    *cases(
        "author_email",
        "must be an e-mail address",
        "",
        "nope",
        "team@example",
        "team@@example.com",
        "data team@example.com",
        "team@example.c",
    ),
    *cases("copyright_year", "four-digit year", "", "26", "1899", "2100", "MMXXVI", "20261"),
    *cases("sources", "at least one source", []),
    *cases("sources", "must include files with rest_api", ["rest_api"], ["rest_api", "postgres"]),
    *cases(
        "dataset_name",
        "lowercase identifier of at most 20 characters",
        "",
        "Orders",
        "1orders",
        "orders-2026",
        "o" * 21,
    ),
    *cases("rounding_decimals", "between 0 and 6", -1, 7),
    *cases("destinations", "at least one destination", []),
    *cases(
        "output_dir",
        "relative path without '..' or a trailing '/'",
        "",
        "/srv/output",
        "../output",
        "data/../output",
        "data/output/",
        "./output",
        "data output",
    ),
    *cases(
        "schedule",
        "5-field cron expression",
        "",
        "daily",
        "0 2 * *",
        "0 2 * * * *",
        "60 2 * * *",
        "0 2 * * 8",
        "@reboot",
    ),
    *cases("orchestrator_retries", "between 0 and 10", -1, 11, asked_with=ORCHESTRATED),
    *cases(
        "orchestrator_retry_delay_minutes",
        "between 1 and 1440",
        0,
        1441,
        asked_with=ORCHESTRATED,
    ),
    *cases("coverage_threshold", "between 80 and 100", 0, 79, 101),
    *cases("max_invalid_pct", "between 0 and 100", -1, 101),
    *cases("retention_days", "between 1 and 36500", 0, -1, 36501),
    *cases(
        "env_prefix",
        "uppercase letters, digits and '_' ending with '_'",
        "",
        "ORDERS",
        "orders_",
        "1ORDERS_",
        "ORDERS-PIPELINE_",
    ),
    *cases("env_prefix", "at most 25 characters, so that generated lines", "E" * 25 + "_"),
    *cases(
        "cloud_region",
        "lowercase letters, digits and dashes",
        "EU-West-1",
        "eu west 1",
        "e",
        "eu-west-",
        asked_with=CLOUD,
    ),
    *cases("lake_archive_days", "less than retention_days (365)", 365, 400, asked_with=CLOUD),
    *cases("lake_archive_days", "at least 1", 0, -5, asked_with=CLOUD),
    *cases("cloud_budget_monthly", "between 1 and 10000000", 0, 10_000_001, asked_with=CLOUD),
    *cases("cloud_alert_email", "e-mail address", "", "ops", "ops@", asked_with=CLOUD),
    *cases("cloud_dr_region", "must differ from cloud_region", "eu-west-1", asked_with=CLOUD),
    *cases("cloud_dr_region", "lowercase letters, digits and dashes", "EU", asked_with=CLOUD),
    *cases("cloud_rpo_hours", "between 1 and 720", 0, 721, asked_with=CLOUD),
    *cases("cloud_rto_hours", "between 1 and 720", 0, 721, asked_with=CLOUD),
    *cases("ml_objective", "one non-empty line", "", "   ", "x" * 201, asked_with=ML),
    *cases("ml_folds", "between 2 and 10", 1, 11, asked_with=ML),
    *cases(
        "ml_tracking_uri",
        "sqlite:///<folder>/<file>.db",
        "mlruns",
        "sqlite:///mlflow.db",
        "sqlite:////abs/mlflow.db",
        "sqlite:///../mlruns/mlflow.db",
        "sqlite:///mlruns/mlflow.sqlite",
        "ftp://tracking.example",
        asked_with=ML,
    ),
    *cases("ml_drift_threshold", "greater than 0 and at most 2", 0, -0.1, 2.5, asked_with=ML),
]

# A valid answer other than the default: the edge of the allowed range where there is one.
GOOD: list[Case] = [
    Case("project_name", "A" * 40, ""),
    Case("project_slug", "sales-events-2-" + "s" * 25, ""),
    Case("package_name", "p" * 24, ""),
    Case("project_description", "x" * 200, ""),
    Case("author_name", "O'Brien & Sons", ""),
    Case("author_email", "first.last+data@sub.example.co.uk", ""),
    Case("copyright_year", "1999", ""),
    Case("sources", ["files"], ""),
    Case("dataset_name", "s" * 20, ""),
    Case("rounding_decimals", 6, ""),
    Case("destinations", ["duckdb"], ""),
    Case("output_dir", "var/pipeline_2/output", ""),
    Case("schedule", "*/15 6-18 * * mon-fri", ""),
    Case("orchestrator_retries", 10, "", ORCHESTRATED),
    Case("orchestrator_retry_delay_minutes", 1440, "", ORCHESTRATED),
    Case("coverage_threshold", 100, ""),
    Case("max_invalid_pct", 0, ""),
    Case("retention_days", 36500, ""),
    Case("env_prefix", "E" * 24 + "_", ""),
    Case("kubernetes", True, ""),
    Case("api_enabled", True, ""),
    Case("cloud_region", "us-east-2", "", CLOUD),
    Case("lake_archive_days", 364, "", CLOUD),
    Case("cloud_budget_monthly", 10_000_000, "", CLOUD),
    Case("cloud_alert_email", "finops+alerts@sub.example.co.uk", "", CLOUD),
    Case("cloud_dr_region", "us-west-2", "", CLOUD),
    Case("cloud_rpo_hours", 720, "", CLOUD),
    Case("cloud_rto_hours", 1, "", CLOUD),
    Case("cloud_compute", "container_job", "", CLOUD),
    Case("ml_enabled", True, ""),
    Case("ml_objective", "o" * 200, "", ML),
    Case("ml_folds", 10, "", ML),
    Case("ml_metric", "r2", "", ML),
    Case("ml_tracking_uri", "https://mlflow.example.com", "", ML),
    Case("ml_drift_threshold", 2.0, "", ML),
    Case("ml_serving", "realtime", "", ML),
]

# Validators that reject a pair of answers: tested by their own test above, one per pair.
PAIR_VALIDATED = {
    "kubernetes",
    "api_enabled",
    "cloud_compute",
    "ml_enabled",
    "ml_metric",
    "ml_serving",
}


def case_id(case: Case) -> str:
    return f"{case.question}={case.value!r}"[:60]


def validated_questions() -> set[str]:
    return {name for name, spec in questions().items() if "validator" in spec}


def test_every_validator_has_bad_and_good_cases() -> None:
    validated = validated_questions()
    rejected = {case.question for case in BAD} | PAIR_VALIDATED
    assert validated - rejected == set(), "untested validators"
    assert validated - {case.question for case in GOOD} == set(), "no accepted value tested"
    assert {case.question for case in BAD + GOOD} <= validated, "a case names a stale question"


@pytest.mark.parametrize("case", BAD, ids=case_id)
def test_validator_rejects_bad_value(case: Case, template_src: Path, tmp_path: Path) -> None:
    # Copier names the question; the validator's own message names it again and the problem.
    expected = rf"Validation error for question '{case.question}'"
    with pytest.raises(ValueError, match=expected) as excinfo:
        render(template_src, tmp_path / "project", **case.asked_with, **{case.question: case.value})
    message = str(excinfo.value)
    own_message = message.split("': ", 1)[1]
    assert own_message.strip().startswith(f"{case.question} must"), message
    assert case.problem in message, message
    assert not (tmp_path / "project").exists(), "a rejected answer must not leave a project"


def rejection(question: str, src: Path, dst: Path, **answers: Any) -> str:
    """Copier's message refusing ``answers`` at ``question``; no project is left at ``dst``."""
    with pytest.raises(ValueError, match=f"Validation error for question '{question}'") as caught:
        render(src, dst, **answers)
    assert not dst.exists(), "a rejected answer must not leave a project"
    return str(caught.value)


def test_an_engine_and_a_destination_it_cannot_load_are_rejected_together(
    template_src: Path, tmp_path: Path
) -> None:
    message = rejection(
        "destinations", template_src, tmp_path / "p", engine="pyspark", destinations=["postgres"]
    )
    assert "destinations must not include postgres with engine pyspark" in message


def test_kubernetes_without_docker_is_rejected_naming_both(
    template_src: Path, tmp_path: Path
) -> None:
    message = rejection("kubernetes", template_src, tmp_path / "p", docker=False, kubernetes=True)
    assert "kubernetes must not be true with docker false" in message


@pytest.mark.parametrize("orchestrator", ["airflow", "prefect", "dagster"])
def test_kubernetes_with_an_orchestrator_is_rejected_naming_both(
    template_src: Path, tmp_path: Path, orchestrator: str
) -> None:
    message = rejection(
        "kubernetes", template_src, tmp_path / "p", orchestrator=orchestrator, kubernetes=True
    )
    expected = f"kubernetes must not be true with orchestrator {orchestrator}"
    assert expected in message


@pytest.mark.parametrize("destinations", [["parquet"], ["delta"], ["parquet", "delta"]])
def test_the_data_api_without_a_destination_it_reads_is_rejected_naming_both(
    template_src: Path, tmp_path: Path, destinations: list[str]
) -> None:
    message = rejection(
        "api_enabled", template_src, tmp_path / "p", destinations=destinations, api_enabled=True
    )
    assert "api_enabled must not be true without a duckdb or postgres destination" in message
    assert f"destinations is {', '.join(destinations)}" in message


@pytest.mark.parametrize("destinations", [["duckdb"], ["postgres"], ["parquet", "postgres"]])
def test_the_data_api_with_a_destination_it_reads_is_accepted(
    template_src: Path, tmp_path: Path, destinations: list[str]
) -> None:
    project = render(template_src, tmp_path / "p", destinations=destinations, api_enabled=True)
    assert read_answers(project)["api_enabled"] is True
    assert (project / "src" / "orders_pipeline" / "api" / "app.py").is_file()


@pytest.mark.parametrize("destinations", [["duckdb"], ["postgres", "delta"]])
def test_ml_without_the_parquet_destination_is_rejected_naming_both(
    template_src: Path, tmp_path: Path, destinations: list[str]
) -> None:
    message = rejection(
        "ml_enabled", template_src, tmp_path / "p", destinations=destinations, ml_enabled=True
    )
    assert "ml_enabled must not be true without a parquet destination" in message
    assert f"destinations is {', '.join(destinations)}" in message


@pytest.mark.parametrize(
    ("task", "metric"),
    [
        ("regression", "f1"),
        ("regression", "roc_auc"),
        ("regression", "accuracy"),
        ("classification", "rmse"),
        ("classification", "mae"),
        ("classification", "r2"),
    ],
)
def test_a_metric_of_the_other_task_is_rejected_naming_both(
    template_src: Path, tmp_path: Path, task: str, metric: str
) -> None:
    message = rejection(
        "ml_metric",
        template_src,
        tmp_path / "p",
        destinations=["parquet"],
        ml_enabled=True,
        ml_task=task,
        ml_metric=metric,
    )
    assert f"ml_metric {metric} is a" in message
    assert f"not valid with ml_task {task}" in message


def test_realtime_serving_without_the_data_api_is_rejected_naming_both(
    template_src: Path, tmp_path: Path
) -> None:
    message = rejection(
        "ml_serving",
        template_src,
        tmp_path / "p",
        destinations=["parquet"],
        ml_enabled=True,
        ml_serving="realtime",
    )
    assert "ml_serving realtime must not be chosen with api_enabled false" in message


def test_the_metric_default_follows_the_task(template_src: Path, tmp_path: Path) -> None:
    project = render(
        template_src,
        tmp_path / "p",
        destinations=["parquet"],
        ml_enabled=True,
        ml_task="classification",
    )
    assert read_answers(project)["ml_metric"] == "f1"


def test_pyspark_and_the_delta_destination_are_rejected_together(
    template_src: Path, tmp_path: Path
) -> None:
    message = rejection(
        "destinations",
        template_src,
        tmp_path / "p",
        engine="pyspark",
        destinations=["parquet", "delta"],
    )
    assert "destinations must not include delta with engine pyspark" in message


def test_an_api_source_without_the_files_source_is_rejected(
    template_src: Path, tmp_path: Path
) -> None:
    message = rejection("sources", template_src, tmp_path / "p", sources=["rest_api"])
    assert "sources must include files with rest_api" in message


def test_gitlab_ci_seeds_the_postgres_source_table(template_src: Path, tmp_path: Path) -> None:
    project = render(template_src, tmp_path / "p", sources=["postgres"], ci_provider="gitlab")
    jobs = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    test, image = jobs["test"], jobs["docker-image"]
    assert test["services"][0]["name"] == "postgres:17"
    assert "ORDERS_PIPELINE_SOURCE_POSTGRES_DSN" in test["variables"]
    for script in (test["script"], image["script"]):
        seeding = [line for line in script if "\\copy raw.orders FROM pstdin" in line]
        assert len(seeding) == 1, script
        assert script.index(seeding[0]) < next(
            index
            for index, line in enumerate(script)
            if "make run" in line or "docker run --rm" in line
        )


def test_gitlab_ci_serves_the_sample_api(template_src: Path, tmp_path: Path) -> None:
    """The test job and the image's smoke test serve the sample API before the sample run."""
    sources = ["files", "rest_api", "postgres"]
    project = render(template_src, tmp_path / "p", sources=sources, ci_provider="gitlab")
    jobs = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    test, image = jobs["test"]["script"], jobs["docker-image"]["script"]
    ready = "urllib.request.urlopen('http://127.0.0.1:8000/orders')"

    serve = test.index("python3 tests/sample_api.py 8000 & sample_api=$!")
    (wait,) = [index for index, line in enumerate(test) if ready in line]
    assert serve < wait < test.index("make run") < test.index('kill "$sample_api"')
    assert test.index("make test") < serve, "the tests start servers of their own"

    create = next(index for index, line in enumerate(image) if "docker create" in line)
    assert "--network smoke" in image[create], "the API's network reaches postgres"
    assert image.index("docker cp tests sample-api:/app/tests") > create
    (wait,) = [index for index, line in enumerate(image) if ready in line]
    (run,) = [index for index, line in enumerate(image) if "docker run --rm" in line]
    assert "--network container:sample-api" in image[run]
    assert image.index("docker start sample-api") < wait < run
    assert image[-1] == "docker rm --force sample-api"


def test_validators_accept_good_values(template_src: Path, tmp_path: Path) -> None:
    """The good values in two renders (few renders keep the fast tier fast); none is rejected.

    Kubernetes and the cloud container job go apart: each is refused with the orchestrator
    the other cases ask with; so do the ML answers: the ML pipeline needs the Parquet
    destination, not the good one.
    """
    data = {case.question: case.value for case in GOOD}
    assert len(data) == len(GOOD), "one good value per question"
    alone = {"kubernetes": data.pop("kubernetes")}
    job = {**CLOUD, "cloud_compute": data.pop("cloud_compute")}
    answers = read_answers(render(template_src, tmp_path / "job", **job))
    assert {name: answers[name] for name in job} == job
    ml = {name: data.pop(name) for name in list(data) if name.startswith("ml_")}
    asked_with = {name: value for case in GOOD for name, value in case.asked_with.items()}
    asked_with = {name: value for name, value in asked_with.items() if name not in ml}
    answers = read_answers(render(template_src, tmp_path / "project", **asked_with, **data))
    assert {name: answers[name] for name in data} == data
    answers = read_answers(render(template_src, tmp_path / "kubernetes", **alone))
    assert {name: answers[name] for name in alone} == alone
    with_api: dict[str, Any] = {"destinations": ["parquet", "duckdb"], "api_enabled": True}
    answers = read_answers(render(template_src, tmp_path / "ml", **with_api, **ml))
    assert {name: answers[name] for name in ml} == ml


CHOICE_QUESTIONS = [name for name, spec in questions().items() if "choices" in spec]


@pytest.mark.parametrize("question", CHOICE_QUESTIONS)
def test_choice_outside_the_offered_ones_is_rejected(
    question: str, template_src: Path, tmp_path: Path
) -> None:
    value: Any = "not-a-choice"
    if questions()[question].get("multiselect"):
        value = [value]
    with pytest.raises(ValueError, match=rf"Invalid choice for '{question}'"):
        render(template_src, tmp_path / "project", **{question: value})


def test_defaults_without_data(template_src: Path, tmp_path: Path) -> None:
    """Rendering with no data at all uses the defaults, and they pass their validators."""
    project = render(template_src, tmp_path / "project")
    answers = read_answers(project)
    for name, spec in questions().items():
        default = spec.get("default")
        if spec.get("when") is False or spec.get("secret"):
            continue
        if isinstance(spec.get("when"), str):
            continue  # asked only after some answers, so not in the answers by default
        if isinstance(default, str) and "{{" in default:
            continue  # a default derived from earlier answers: checked below
        assert answers[name] == default, name
    assert answers["project_slug"] == "orders-pipeline"
    assert answers["package_name"] == "orders_pipeline"
    assert answers["env_prefix"] == "ORDERS_PIPELINE_"
    assert (project / "src" / "orders_pipeline").is_dir()
    assert "orchestrator_retries" not in answers, "asked only with an orchestrator"


def test_derived_defaults_follow_the_project_name(template_src: Path, tmp_path: Path) -> None:
    answers = read_answers(render(template_src, tmp_path / "project", project_name="Sales Events"))
    assert answers["project_slug"] == "sales-events"
    assert answers["package_name"] == "sales_events"
    assert answers["env_prefix"] == "SALES_EVENTS_"


def test_all_choice_values_are_distinct() -> None:
    for question in CHOICE_QUESTIONS:
        values = choice_values(questions()[question])
        assert len(values) == len(set(map(repr, values))), question
        default = questions()[question].get("default")
        if isinstance(default, str) and "{{" in default:
            continue  # computed from earlier answers; test_render checks what it gives
        for item in default if isinstance(default, list) else [default]:
            if isinstance(item, str) and "{{" in item:
                continue  # chained from an earlier answer: test_the_metric_default_follows_the_task
            assert item in values, f"default of {question} is not one of its choices"


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ({"docker": False}, "cloud_compute must not be container_job with docker false"),
        ({"orchestrator": "prefect"}, "cloud_compute must not be container_job with orchestrator"),
        ({"kubernetes": True}, "cloud_compute must not be container_job with kubernetes true"),
    ],
)
def test_a_cloud_container_job_beside_another_runner_is_rejected_naming_both(
    template_src: Path, tmp_path: Path, other: dict[str, Any], expected: str
) -> None:
    message = rejection(
        "cloud_compute",
        template_src,
        tmp_path / "p",
        cloud_provider="gcp",
        cloud_compute="container_job",
        **other,
    )
    assert expected in message
