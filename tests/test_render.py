"""Render matrix: pairwise combinations of the offered choices, each checked statically."""

from __future__ import annotations

import fnmatch
import functools
import itertools
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import jinja2
import pytest
import yaml

from tests.helpers import (
    ANSWERS_FILE,
    TEMPLATE_TAG,
    UNRENDERED_JINJA,
    cast_bool,
    checkov,
    choice_values,
    copier_config,
    is_github_file,
    load_extension,
    questions,
    read_answers,
    render,
    text_files,
    venv_tool,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

dm = load_extension()

Answers = dict[str, Any]


# ------------------------------------------------------------------------------------------
# The matrix
# ------------------------------------------------------------------------------------------


def offered_values(spec: Mapping[str, Any]) -> list[Any]:
    """The answers a question offers: each choice; for a multiselect, each one and all."""
    if spec.get("type") == "bool":
        return [True, False]
    values = choice_values(spec)
    if not spec.get("multiselect"):
        return values
    options: list[Any] = [[value] for value in values]
    if len(values) > 1:
        options.append(values)
    return options


def matrix_parameters() -> list[tuple[str, list[Any]]]:
    """Every question with choices (or a boolean) that copier may ask."""
    return [
        (name, offered_values(spec))
        for name, spec in questions().items()
        if ("choices" in spec or spec.get("type") == "bool") and spec.get("when") is not False
    ]


ML_METRICS = {"regression": {"rmse", "mae", "r2"}, "classification": {"f1", "roc_auc", "accuracy"}}
"""The metrics ``ml_metric`` accepts for each ``ml_task``."""


def ml_supported(answers: Answers) -> bool:
    """False for ML answers the validators refuse: no Parquet, a metric of the other task."""
    destinations = answers.get("destinations")
    if answers.get("ml_enabled") is True and "parquet" not in (destinations or ["parquet"]):
        return False
    if answers.get("ml_serving") == "realtime":
        # The /predict route needs the data API, and so a destination the API reads.
        if answers.get("api_enabled") is False:
            return False
        if destinations is not None and not {"duckdb", "postgres"} & set(destinations):
            return False
    task, metric = answers.get("ml_task"), answers.get("ml_metric")
    return task is None or metric is None or metric in ML_METRICS[task]


def supported(answers: Answers) -> bool:
    """False for answers copier's validators reject as unsupported together."""
    destinations = answers.get("destinations") or []
    sources = answers.get("sources") or ["files"]
    if "rest_api" in sources and "files" not in sources:
        return False
    if answers.get("engine") == "pyspark" and ({"postgres", "delta"} & set(destinations)):
        return False
    if answers.get("kubernetes") is True and answers.get("orchestrator", "none") != "none":
        return False
    readable = {"duckdb", "postgres"} & set(destinations)
    if answers.get("api_enabled") is True and "destinations" in answers and not readable:
        return False
    if not (ml_supported(answers) and cloud_supported(answers)):
        return False
    return not (answers.get("kubernetes") is True and answers.get("docker") is False)


def cloud_supported(answers: Answers) -> bool:
    """False for a cloud container job beside another runner (no image, an orchestrator, K8s)."""
    return not (
        answers.get("cloud_compute") == "container_job"
        and (
            answers.get("docker") is False
            or answers.get("orchestrator", "none") != "none"
            or answers.get("kubernetes") is True
        )
    )


def pairwise(parameters: list[tuple[str, list[Any]]]) -> list[Answers]:
    """A small set of rows covering every supported pair of values of any two parameters."""
    sizes = [len(values) for _, values in parameters]

    def fits(row: dict[int, int]) -> bool:
        return supported({parameters[k][0]: parameters[k][1][v] for k, v in row.items()})

    uncovered = {
        ((i, a), (j, b))
        for i, j in itertools.combinations(range(len(parameters)), 2)
        for a in range(sizes[i])
        for b in range(sizes[j])
        if fits({i: a, j: b})
    }
    usage = [[0] * size for size in sizes]
    rows: list[dict[int, int]] = []
    while uncovered:
        (i, a), (j, b) = min(uncovered)
        row = {i: a, j: b}
        for k in range(len(parameters)):
            if k in row:
                continue

            def gain(value: int, k: int = k, row: dict[int, int] = row) -> tuple[int, int]:
                new = sum(
                    (tuple(sorted(((k, value), (m, v)))) in uncovered) for m, v in row.items()
                )
                return (new, -usage[k][value])  # then prefer the least used value

            row[k] = max((v for v in range(sizes[k]) if fits({**row, k: v})), key=gain)
        for pair in itertools.combinations(sorted(row.items()), 2):
            uncovered.discard(pair)
        for k, value in row.items():
            usage[k][value] += 1
        rows.append(row)
    return [
        {parameters[k][0]: parameters[k][1][value] for k, value in sorted(row.items())}
        for row in rows
    ]


# Free-text answers varied across the rows (round robin), including YAML/TOML-sensitive text.
TEXT_VARIANTS: list[Answers] = [
    {"project_name": "Sales Events"},
    {
        "project_name": "Click-Stream_2",
        "package_name": "clicks",
        "dataset_name": "events",
        "output_dir": "var/out/data",
        "rounding_decimals": 0,
        "schedule": "@hourly",
        "coverage_threshold": 100,
        "max_invalid_pct": 0,
        "retention_days": 2,
    },
    {
        "project_name": "Inventory Sync",
        "project_description": (
            'Syncs stock: "on hand" & reserved units, #1 priority - it\'s C:\\ok.'
        ),
        "author_name": "O'Brien & Sons: Data\\Ops #1",
        "author_email": "first.last+data@sub.example.co.uk",
        "copyright_year": "1999",
        "env_prefix": "INV_",
        "rounding_decimals": 6,
        "schedule": "*/15 6-18 * * mon-fri",
        "max_invalid_pct": 100,
        "retention_days": 36500,
    },
]


def combinations() -> list[Answers]:
    rows: list[Answers] = [{}]  # the defaults, untouched
    for index, row in enumerate(pairwise(matrix_parameters())):
        rows.append({**row, **TEXT_VARIANTS[index % len(TEXT_VARIANTS)]})
    return rows


def combination_id(data: Answers) -> str:
    if not data:
        return "defaults"
    parts = []
    for name, values in matrix_parameters():
        if len(values) < 2:
            continue
        value = data.get(name)
        if isinstance(value, list):
            value = "+".join(value)
        parts.append(str(value))
    return "-".join(parts)


COMBINATIONS = combinations()


def test_matrix_covers_every_pair() -> None:
    parameters = matrix_parameters()
    rows = COMBINATIONS[1:]
    for (p, p_values), (q, q_values) in itertools.combinations(parameters, 2):
        for a, b in itertools.product(p_values, q_values):
            if not supported({p: a, q: b}):
                assert not any(row[p] == a and row[q] == b for row in rows), (p, a, q, b)
                continue
            assert any(row[p] == a and row[q] == b for row in rows), (p, a, q, b)
    product = 1
    for _, values in parameters:
        product *= len(values)
    assert len(rows) < product or product <= 4, "pairwise should be smaller than the product"


# ------------------------------------------------------------------------------------------
# One render per combination, shared by the checks
# ------------------------------------------------------------------------------------------


class Rendered(NamedTuple):
    project: Path
    data: Answers  # the data given to copier
    answers: Answers  # the answers file
    template_dir: Path  # the template/ folder it was rendered from (a snapshot)


@pytest.fixture(scope="module", params=COMBINATIONS, ids=combination_id)
def rendered(
    request: pytest.FixtureRequest,
    template_git_repo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rendered:
    """One combination rendered from the tagged template repository."""
    data: Answers = request.param
    project = render(
        template_git_repo,
        tmp_path_factory.mktemp("render") / "project",
        vcs_ref=TEMPLATE_TAG,
        **data,
    )
    return Rendered(project, data, read_answers(project), template_git_repo / "template")


def generated_files(project: Path) -> set[str]:
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def excluded(relative: Path) -> bool:
    patterns = copier_config().get("_exclude", [])
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in patterns)


CONDITION = re.compile(r"\{%-?\s*if\s+(\w+)\s*-?%\}")


def path_context(answers: Answers) -> Answers:
    return {
        **answers,
        **dm.component_flags(answers),
        "pii_sample": dm.pii_sample(answers),
        "_copier_conf": {"answers_file": ANSWERS_FILE},
    }


def expected_files(answers: Answers, template_dir: Path) -> dict[str, list[str]]:
    """Generated path -> the template files that produce it, from the template's file names."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    context = path_context(answers)
    suffix = copier_config().get("_templates_suffix", ".jinja")
    result: dict[str, list[str]] = {}
    for path in sorted(template_dir.rglob("*")):
        relative = path.relative_to(template_dir)
        if not path.is_file() or excluded(relative):
            continue
        parts = [env.from_string(part).render(context) for part in relative.parts]
        if parts[-1].endswith(suffix):
            parts[-1] = parts[-1][: -len(suffix)]
        if not all(parts):
            continue  # a false condition in the name: the file is not generated
        result.setdefault("/".join(parts), []).append(relative.as_posix())
    return result


def test_generated_files_follow_the_template_names(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    expected = expected_files(answers, rendered.template_dir)
    actual = generated_files(project) - {".git"}
    assert sorted(actual - set(expected)) == [], "generated but not expected"
    assert sorted(set(expected) - actual) == [], "expected but not generated"


def test_conditional_flags_match_the_answers(rendered: Rendered) -> None:
    """Every `{% if flag %}` in a template name is true exactly when the answers say so."""
    answers = rendered.answers
    context = path_context(answers)
    for path in rendered.template_dir.rglob("*"):
        for flag in CONDITION.findall(path.relative_to(rendered.template_dir).as_posix()):
            assert flag in context, f"unknown flag {flag!r} in {path}"
            assert isinstance(context[flag], bool), f"{flag} is not a boolean"


FILES_OF_CHOICE: dict[tuple[str, str], tuple[str, ...]] = {
    ("orchestrator", "airflow"): (
        "src/{package}/dag.py",
        "dags/{package}_dag.py",
        "tests/integration/test_airflow_dag.py",
    ),
    ("orchestrator", "prefect"): (
        "src/{package}/flow.py",
        "tests/integration/test_prefect_flow.py",
    ),
    ("orchestrator", "dagster"): (
        "src/{package}/definitions.py",
        "tests/integration/test_dagster_definitions.py",
    ),
    ("lineage", "openlineage"): (
        "src/{package}/lineage.py",
        "tests/integration/test_lineage_events.py",
        "tests/unit/test_lineage.py",
    ),
}
"""Files generated for one answer of one question only."""


def test_expected_files(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    package = answers["package_name"]
    destinations = answers["destinations"]
    sources = answers["sources"]

    def exists(relative: str) -> bool:
        return (project / relative).is_file()

    assert exists("pyproject.toml")
    assert exists("README.md")
    assert exists(ANSWERS_FILE)
    assert exists(f"src/{package}/__init__.py")
    assert exists(f"src/{package}/loaders/duckdb.py") == ("duckdb" in destinations)
    assert exists(f"src/{package}/loaders/parquet.py") == ("parquet" in destinations)
    assert exists(f"src/{package}/loaders/postgres.py") == ("postgres" in destinations)
    assert exists(f"src/{package}/postgres.py") == ("postgres" in destinations)
    assert exists("tests/integration/test_postgres_run.py") == ("postgres" in destinations)
    assert exists(f"src/{package}/loaders/delta.py") == ("delta" in destinations)
    assert exists(f"src/{package}/delta.py") == ("delta" in destinations)
    assert exists("tests/integration/test_delta_run.py") == ("delta" in destinations)
    engine_tests = f"tests/unit/{answers['engine']}"
    assert exists(f"{engine_tests}/test_delta_loader.py") == ("delta" in destinations)
    api = "rest_api" in answers["sources"]
    assert exists(f"src/{package}/extractors/rest_api.py") == api
    assert exists("tests/unit/test_rest_api.py") == api
    assert exists("tests/integration/test_rest_api_run.py") == api
    postgres_anywhere = "postgres" in destinations or "postgres" in sources
    assert exists(f"src/{package}/postgres_connection.py") == postgres_anywhere
    # The shared PostgreSQL extractor lands in the engine's extractors package.
    assert exists(f"src/{package}/extractors/postgres.py") == ("postgres" in sources)
    assert exists(f"src/{package}/extractors/files.py")  # it also reads landed parts
    landed = api or "postgres" in sources
    assert exists(f"src/{package}/extractors/landing.py") == landed
    assert exists("tests/integration/test_postgres_source.py") == ("postgres" in sources)
    assert exists("tests/integration/file_input/test_kill.py") == ("files" in sources)
    assert exists(".github/workflows/ci.yml") == (answers["ci_provider"] == "github")
    assert exists(".gitlab-ci.yml") == (answers["ci_provider"] == "gitlab")
    assert exists("Dockerfile") == answers["docker"]
    assert exists("docker-compose.yml") == answers["docker"]
    for environment in ("dev", "staging", "prod"):
        assert exists(f"config/environments/{environment}.yml")
    assert exists("deploy/k8s/cronjob.yaml") == answers["kubernetes"]
    assert exists("deploy/k8s/retention-cronjob.yaml") == answers["kubernetes"]
    assert exists("tests/unit/test_k8s_manifests.py") == answers["kubernetes"]
    for (question, value), paths in FILES_OF_CHOICE.items():
        for path in paths:
            assert exists(path.format(package=package)) == (answers[question] == value), path
    assert exists("deploy/crontab") == (answers["orchestrator"] == "none")
    # Every license gets a LICENSE file; the proprietary one is a copyright notice.
    license_text = (project / "LICENSE").read_text(encoding="utf-8")
    expected_title = {
        "MIT": "MIT License",
        "Apache-2.0": "Apache License",
        "Proprietary": "All rights reserved",
    }[answers["license"]]
    assert expected_title in license_text
    # The code lives in one package, named by the answers.
    assert sorted(path.name for path in (project / "src").iterdir()) == [package]


def test_data_api_files_follow_the_answers(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    package = answers["package_name"]
    destinations = answers["destinations"]
    data_api = answers["api_enabled"]

    def exists(relative: str) -> bool:
        return (project / relative).is_file()

    for module in ("__init__", "app", "routes", "models", "middleware", "store"):
        assert exists(f"src/{package}/api/{module}.py") == data_api, module
    assert exists(f"src/{package}/api/duckdb_store.py") == (data_api and "duckdb" in destinations)
    postgres_store = data_api and "postgres" in destinations
    assert exists(f"src/{package}/api/postgres_store.py") == postgres_store
    assert exists("tests/unit/test_api.py") == data_api
    assert exists("tests/integration/test_api_schema.py") == data_api
    cli = (project / f"src/{package}/cli.py").read_text(encoding="utf-8")
    assert ("def serve(" in cli) == data_api
    settings = (project / f"src/{package}/settings.py").read_text(encoding="utf-8")
    assert ("\n    api_key: SecretStr" in settings) == data_api
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    assert ("serve-api:" in makefile) == data_api


def test_ml_files_follow_the_answers(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    package = answers["package_name"]
    ml = answers["ml_enabled"] is True

    def exists(relative: str) -> bool:
        return (project / relative).is_file()

    for module in ("__init__", "commands", "data", "drift", "errors", "features", "model"):
        assert exists(f"src/{package}/ml/{module}.py") == ml, module
    assert exists(f"src/{package}/ml/tracking.py") == ml
    assert exists("tests/unit/test_ml.py") == ml
    assert exists("docs/ml.md") == ml
    realtime = ml and answers["api_enabled"] is True and answers["ml_serving"] == "realtime"
    assert exists(f"src/{package}/api/predict.py") == realtime
    assert exists("tests/unit/test_predict.py") == realtime
    if answers["api_enabled"] is True:
        app = (project / f"src/{package}/api/app.py").read_text(encoding="utf-8")
        assert ("predict_router(" in app) == realtime
    cli = (project / f"src/{package}/cli.py").read_text(encoding="utf-8")
    for command in ("train", "score", "drift", "retrain"):
        assert (f"\ndef {command}(" in cli) == ml, command
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    assert ("\ntrain:" in makefile) == ml
    architecture = (project / "docs/architecture.md").read_text(encoding="utf-8")
    assert ("[ml.md](ml.md)" in architecture) == ml
    if not ml:
        return
    # Only the chosen answers' code is generated: no switch on the answers at run time.
    model = (project / f"src/{package}/ml/model.py").read_text(encoding="utf-8")
    estimators = {"sklearn": "HistGradientBoosting", "xgboost": "XGB", "lightgbm": "LGBM"}
    for algorithm, name in estimators.items():
        assert (
            f"{name}{'Regressor' if answers['ml_task'] == 'regression' else 'Classifier'}(" in model
        ) == (algorithm == answers["ml_algorithm"]), algorithm
    assert f'METRIC = "{answers["ml_metric"]}"' in model
    assert f"FOLDS = {answers['ml_folds']}" in model
    assert ("TimeSeriesSplit" in model) == (answers["ml_validation"] == "timeseries")
    assert "ml_algorithm" not in model
    drift = (project / f"src/{package}/ml/drift.py").read_text(encoding="utf-8")
    assert f"THRESHOLD = {answers['ml_drift_threshold']}" in drift
    tracking = (project / f"src/{package}/ml/tracking.py").read_text(encoding="utf-8")
    assert f'TRACKING_URI = "{answers["ml_tracking_uri"]}"' in tracking
    commands = (project / f"src/{package}/ml/commands.py").read_text(encoding="utf-8")
    assert f'RETRAIN_POLICY = "{answers["ml_retraining"]}"' in commands
    assert ("report = drift(config)" in commands) == (answers["ml_retraining"] == "on_drift")
    assert ("send_message" in commands) == (answers["alerting"] != "none")
    doc = (project / "docs/ml.md").read_text(encoding="utf-8")
    assert answers["ml_objective"] in doc
    assert doc.count("\n## ") == 8


def test_metrics_exporter_follows_the_answers(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    package = answers["package_name"]
    exported = answers["metrics"] != "report"
    assert (project / f"src/{package}/metrics.py").is_file() == exported
    assert (project / "tests/unit/test_metrics.py").is_file() == exported
    if answers["metrics"] != "otlp":
        return
    # The OTLP project gets only the OTLP code: no Prometheus client, no Pushgateway setting.
    metrics_code = (project / f"src/{package}/metrics.py").read_text(encoding="utf-8")
    assert "OTLPMetricExporter" in metrics_code
    assert "prometheus_client" not in metrics_code
    settings_code = (project / f"src/{package}/settings.py").read_text(encoding="utf-8")
    assert "otlp_endpoint" in settings_code
    assert "pushgateway_url" not in settings_code
    prefix = answers["env_prefix"]
    assert f"{prefix}OTLP_ENDPOINT" in (project / ".env.example").read_text(encoding="utf-8")


def test_pyproject_follows_the_answers(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    metadata = pyproject["project"]
    assert metadata["name"] == answers["project_slug"]
    assert metadata["description"] == answers["project_description"]
    assert metadata["authors"] == [
        {"name": answers["author_name"], "email": answers["author_email"]}
    ]
    assert answers["python_version"] in metadata["requires-python"]
    dependencies = {dm.requirement_name(item) for item in metadata["dependencies"]}
    needs_duckdb = "duckdb" in answers["destinations"] or answers["engine"] == "duckdb"
    assert ("duckdb" in dependencies) == needs_duckdb
    assert ("polars" in dependencies) == (answers["engine"] == "polars")
    assert ("deltalake" in dependencies) == ("delta" in answers["destinations"])
    postgres_anywhere = "postgres" in answers["destinations"] or "postgres" in answers["sources"]
    assert ("psycopg" in dependencies) == postgres_anywhere
    ml = answers["ml_enabled"] is True
    assert ("sqlalchemy" in dependencies) == ("postgres" in answers["sources"] or ml)
    # The ML pipeline's packages: MLflow without its server, the chosen algorithm's only.
    assert ("mlflow-skinny" in dependencies) == ml
    assert ("scikit-learn" in dependencies) == ml
    assert "mlflow" not in dependencies
    assert "xgboost" not in dependencies
    assert ("xgboost-cpu" in dependencies) == (ml and answers["ml_algorithm"] == "xgboost")
    assert ("lightgbm" in dependencies) == (ml and answers["ml_algorithm"] == "lightgbm")
    assert ("openlineage-python" in dependencies) == (answers["lineage"] == "openlineage")
    prometheus = answers["metrics"] in {"prometheus_textfile", "pushgateway"}
    assert ("prometheus-client" in dependencies) == prometheus
    otlp = answers["metrics"] == "otlp"
    assert ("opentelemetry-sdk" in dependencies) == otlp
    assert ("opentelemetry-exporter-otlp-proto-http" in dependencies) == otlp
    assert answers["package_name"] in metadata.get("scripts", {})
    # The data API's packages are runtime dependencies: `serve` runs from the same install.
    assert ("fastapi" in dependencies) == answers["api_enabled"]
    assert ("uvicorn" in dependencies) == answers["api_enabled"]
    dev = {dm.requirement_name(item) for item in pyproject["dependency-groups"]["dev"]}
    assert ("schemathesis" in dev) == answers["api_enabled"]
    assert ("httpx2" in dev) == answers["api_enabled"]
    # An orchestrator is a dependency group of its own (tests, type checks), never a runtime one.
    assert not dependencies & {"apache-airflow", "prefect", "dagster"}
    groups = pyproject["dependency-groups"]
    for orchestrator in ("airflow", "prefect", "dagster"):
        assert (orchestrator in groups) == (answers["orchestrator"] == orchestrator)
    if answers["license"] != "Proprietary":
        assert metadata["license"] == answers["license"]


def test_no_unrendered_jinja(rendered: Rendered) -> None:
    project = rendered.project
    suffix = copier_config().get("_templates_suffix", ".jinja")
    for name in generated_files(project):
        assert not re.search(r"\{[{%#]", name), f"Jinja left in the file name {name}"
        assert not name.endswith(suffix), f"template suffix left in {name}"
    problems = []
    for path, text in text_files(project):
        relative = path.relative_to(project)
        # `${{ ... }}` is GitHub Actions syntax, left for GitHub to evaluate.
        checked = text.replace("${{", "") if is_github_file(relative) else text
        for number, line in enumerate(checked.splitlines(), start=1):
            if UNRENDERED_JINJA.search(line):
                problems.append(f"{relative}:{number}: {line.strip()}")
    assert problems == [], "unrendered Jinja:\n" + "\n".join(problems)


def test_toml_and_yaml_parse(rendered: Rendered) -> None:
    project = rendered.project
    checked = 0
    for path, text in text_files(project):
        relative = path.relative_to(project)
        if path.suffix == ".toml":
            try:
                tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                pytest.fail(f"{relative} is not valid TOML: {error}\n{text}")
            checked += 1
        elif path.suffix in {".yml", ".yaml"}:
            try:
                list(yaml.safe_load_all(text))
            except yaml.YAMLError as error:
                pytest.fail(f"{relative} is not valid YAML: {error}\n{text}")
            checked += 1
    assert checked >= 2  # at least pyproject.toml and the answers file


# Read at collection, before the tests isolate HOME.
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
COMPILE_ALL = (
    "import sys\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, encoding='utf-8') as handle:\n"
    "        compile(handle.read(), name, 'exec', dont_inherit=True)\n"
)


@functools.cache
def interpreter(version: str) -> str:
    """A Python ``version`` interpreter: uv's choice, else a pyenv installation."""
    found = subprocess.run(
        ["uv", "python", "find", version],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    if found.returncode == 0:
        return found.stdout.strip()
    candidates = sorted(PYENV_VERSIONS.glob(f"{version}.*/bin/python{version}"))
    if not candidates:
        pytest.fail(f"no Python {version} to compile a project that targets it")
    return str(candidates[-1])


def test_python_compiles(rendered: Rendered) -> None:
    """Every module compiles with the Python version the project targets."""
    project = rendered.project
    sources = sorted(project.rglob("*.py"))
    assert sources
    target = tuple(int(part) for part in str(rendered.answers["python_version"]).split("."))
    if target <= sys.version_info[:2]:
        for path in sources:
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
            except SyntaxError as error:
                pytest.fail(f"{path.relative_to(project)} does not compile: {error}")
        return
    python = interpreter(str(rendered.answers["python_version"]))
    result = subprocess.run(
        [python, "-c", COMPILE_ALL, *map(str, sources)],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
    )
    assert result.returncode == 0, f"does not compile with {python}:\n{result.stderr}"


# ------------------------------------------------------------------------------------------
# The answers file
# ------------------------------------------------------------------------------------------

SECRET_KEY = re.compile(r"pass(word|wd)?|token|secret|api_?key|credential|private_?key", re.I)
SECRET_VALUE = re.compile(
    "|".join(
        [
            r"gh[pousr]_[A-Za-z0-9]{30,}",  # GitHub tokens
            r"github_pat_\w{20,}",
            r"glpat-[A-Za-z0-9_-]{20,}",  # GitLab
            r"(AKIA|ASIA)[0-9A-Z]{16}",  # AWS access key id
            r"xox[abposr]-[A-Za-z0-9-]{10,}",  # Slack
            r"sk-[A-Za-z0-9_-]{20,}",  # OpenAI-style keys
            r"AIza[0-9A-Za-z_-]{35}",  # Google API key
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
            r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.",  # JWT
            r"://[^/\s:@]+:[^/\s@]+@",  # credentials in a URL
        ]
    )
)


def recorded_questions(answers: Answers) -> set[str]:
    """The questions copier records: not secret, and asked (`when` renders true)."""
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined, autoescape=False)  # noqa: S701
    names = set()
    for name, spec in questions().items():
        if spec.get("secret"):
            continue
        when = spec.get("when", True)
        if isinstance(when, str):
            when = env.from_string(when).render(path_context(answers))
        if cast_bool(when):
            names.add(name)
    return names


def test_answers_file_records_every_question(rendered: Rendered) -> None:
    data, answers = rendered.data, rendered.answers
    expected = recorded_questions(answers) | {"_commit", "_src_path"}
    assert sorted(expected - set(answers)) == [], "missing from the answers file"
    assert answers["_commit"] == TEMPLATE_TAG
    for name, value in data.items():
        if name in expected:  # a question copier did not ask is not recorded
            assert answers[name] == value, name


def test_answers_file_holds_no_secrets(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    assert [key for key in answers if SECRET_KEY.search(key)] == []
    text = (project / ANSWERS_FILE).read_text(encoding="utf-8")
    assert SECRET_VALUE.findall(text) == []


# ------------------------------------------------------------------------------------------
# Deployment files: schema-valid, and the Kubernetes manifests meet the security policy
# ------------------------------------------------------------------------------------------

# check-jsonschema's vendored schemas (offline): GitLab CI/CD and the Compose specification.
BUILTIN_SCHEMAS = {
    ".gitlab-ci.yml": "vendor.gitlab-ci",
    "docker-compose.yml": "vendor.compose-spec",
}


def test_ci_and_compose_files_match_their_schemas(rendered: Rendered) -> None:
    project = rendered.project
    for name, schema in BUILTIN_SCHEMAS.items():
        if not (project / name).exists():
            continue
        result = subprocess.run(
            [venv_tool("check-jsonschema"), "--builtin-schema", schema, name],
            capture_output=True,
            text=True,
            check=False,
            cwd=project,
        )
        assert result.returncode == 0, f"{name} does not match {schema}:\n{result.stdout}"


def test_compose_runs_the_image_with_the_services_it_needs(rendered: Rendered) -> None:
    project, answers = rendered.project, rendered.answers
    if not answers["docker"]:
        return
    text = (project / "docker-compose.yml").read_text(encoding="utf-8")
    compose = yaml.safe_load(text)
    services = compose["services"]
    pipeline = services["pipeline"]
    assert pipeline["build"] == "."
    assert pipeline["read_only"] is True
    assert pipeline["env_file"] == [{"path": ".env", "required": False}]
    assert f"output:/app/{answers['output_dir']}" in pipeline["volumes"]
    prefix = answers["env_prefix"]
    assert pipeline["environment"][f"{prefix}ENV"] == f"${{{prefix}ENV:-dev}}"
    has_postgres = "postgres" in answers["destinations"]
    assert ("postgres" in services) == has_postgres
    if has_postgres:
        assert pipeline["depends_on"]["postgres"] == {"condition": "service_healthy"}
        postgres = services["postgres"]
        assert postgres["image"] == "postgres:17"
        assert "pg_isready" in postgres["healthcheck"]["test"]
        assert postgres["environment"]["POSTGRES_PASSWORD"].startswith(f"${{{prefix}POSTGRES_")
    assert ("pushgateway" in services) == (answers["metrics"] == "pushgateway")
    otlp = answers["metrics"] == "otlp"
    assert ("otel-collector" in services) == otlp
    if otlp:
        endpoint = "http://otel-collector:4318/v1/metrics"
        assert pipeline["environment"][f"{prefix}OTLP_ENDPOINT"] == endpoint
        assert pipeline["depends_on"]["otel-collector"] == {"condition": "service_started"}
    assert ("api" in services) == answers["api_enabled"]
    if answers["api_enabled"]:
        api = services["api"]
        assert api["image"] == pipeline["image"]
        assert api["command"][0] == "serve"
        assert api["read_only"] is True
        assert f"output:/app/{answers['output_dir']}:ro" in api["volumes"]
        assert api["ports"] == ["127.0.0.1:8080:8080"]
        assert ("depends_on" in api) == has_postgres
    assert SECRET_VALUE.findall(text) == [], "a secret written into docker-compose.yml"


def k8s_documents(project: Path) -> dict[str, dict[str, Any]]:
    """The manifests under deploy/k8s/, by kind and name (`CronJob/orders-pipeline`)."""
    documents = {}
    for path in sorted((project / "deploy" / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            name = document.get("metadata", {}).get("name", path.stem)  # Kustomization: none
            documents[f"{document['kind']}/{name}"] = document
    return documents


def test_kubernetes_manifests_match_the_api_schemas(rendered: Rendered) -> None:
    project = rendered.project
    if not rendered.answers["kubernetes"]:
        assert not (project / "deploy" / "k8s").exists()
        return
    manifests = sorted(
        path.name
        for path in (project / "deploy" / "k8s").glob("*.yaml")
        if path.name != "kustomization.yaml"
    )
    result = subprocess.run(
        [venv_tool("kubernetes-validate"), "--strict", "--quiet", *manifests],
        capture_output=True,
        text=True,
        check=False,
        cwd=project / "deploy" / "k8s",
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    kustomization = yaml.safe_load((project / "deploy/k8s/kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == manifests


def test_kubernetes_manifests_meet_the_security_policy(rendered: Rendered) -> None:
    """Non-root, read-only root, no privilege escalation, resources, no secret values."""
    project, answers = rendered.project, rendered.answers
    if not answers["kubernetes"]:
        return
    documents = k8s_documents(project)
    slug = answers["project_slug"]
    assert not [name for name in documents if name.startswith("Secret/")], "no secret values"
    cronjobs = {
        name.removeprefix("CronJob/"): document
        for name, document in documents.items()
        if name.startswith("CronJob/")
    }
    assert set(cronjobs) == {slug, f"{slug}-retention"}
    assert cronjobs[slug]["spec"]["schedule"] == answers["schedule"]
    assert cronjobs[f"{slug}-retention"]["spec"]["schedule"] == "30 4 * * *"
    commands = {
        name: check_cronjob(cronjob, documents, answers) for name, cronjob in cronjobs.items()
    }
    assert commands == {slug: "run", f"{slug}-retention": "retention"}
    configmap = documents[f"ConfigMap/{slug}-config"]["data"]
    assert configmap["pipeline.yml"] == (project / "config/pipeline.yml").read_text()
    assert configmap["prod.yml"] == (project / "config/environments/prod.yml").read_text()


def check_cronjob(
    cronjob: dict[str, Any], documents: dict[str, dict[str, Any]], answers: Answers
) -> str:
    """Check one CronJob's pod against the policy; return the CLI command it runs."""
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]) == {"requests", "limits"}
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) == {"cpu", "memory"}
    assert not container["image"].endswith(":latest")
    slug = answers["project_slug"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes["tmp"]
    claim = volumes["output"]["persistentVolumeClaim"]["claimName"]
    assert f"PersistentVolumeClaim/{claim}" in documents
    assert f"ConfigMap/{volumes['config']['configMap']['name']}" in documents
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts["output"] == f"/app/{answers['output_dir']}"
    env = {item["name"]: item for item in container["env"]}
    assert env[f"{answers['env_prefix']}ENV"]["value"] == "prod"
    secrets_dir_variable = f"{answers['env_prefix']}SECRETS_DIR"
    secret_like = [
        name
        for name in env
        if name != secrets_dir_variable
        and (SECRET_KEY.search(name) or name.endswith(("_DSN", "_WEBHOOK_URL")))
    ]
    assert secret_like == [], "secrets must be mounted as files, not environment variables"
    command = container["args"][0]
    # Retention needs the destinations' credentials only; the run also reads its sources'
    # passwords, the PII hashing key and the alert channel's credentials.
    run = command == "run"
    expected = set()
    if "postgres" in answers["destinations"]:
        expected.add("POSTGRES_PASSWORD")
    if run and "postgres" in answers["sources"]:
        expected.add("SOURCE_POSTGRES_PASSWORD")
    if run and answers["pii_protection"] == "hash":
        expected.add("PII_KEY")
    if run and answers["alerting"] == "slack":
        expected.add("SLACK_WEBHOOK_URL")
    if run and answers["alerting"] == "email":
        expected |= {"SMTP_USERNAME", "SMTP_PASSWORD"}
    assert ("secrets" in volumes) == bool(expected)
    if expected:
        assert volumes["secrets"]["secret"]["secretName"] == f"{slug}-secrets"
        secrets_dir = mounts["secrets"]
        assert env[secrets_dir_variable]["value"] == secrets_dir
        files = {item["path"] for item in volumes["secrets"]["secret"]["items"]}
        assert files == {answers["env_prefix"] + name for name in expected}, files
    assert container["args"][1:3] == ["--config", "config/pipeline.yml"]
    return str(command)


# Each way the CronJob carries secrets: none, the Slack webhook, and PostgreSQL (source and
# destination) with the PII key and SMTP credentials.
CHECKOV_ANSWERS = {
    "no-secrets": {"kubernetes": True},
    "slack": {"kubernetes": True, "engine": "polars", "alerting": "slack"},
    "postgres-email": {
        "kubernetes": True,
        "engine": "pandas",
        "sources": ["files", "postgres"],
        "destinations": ["postgres"],
        "pii_protection": "hash",
        "alerting": "email",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("answers", CHECKOV_ANSWERS.values(), ids=list(CHECKOV_ANSWERS))
def test_kubernetes_manifests_pass_checkov(
    answers: Answers,
    template_git_repo: Path,
    tmp_path: Path,
    isolated_env: dict[str, str],
) -> None:
    """checkov's Kubernetes policies pass; the only skip is the image digest, justified inline."""
    project = render(template_git_repo, tmp_path / "project", vcs_ref=TEMPLATE_TAG, **answers)
    (report,) = checkov(project, "kubernetes", "deploy/k8s", isolated_env)
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']}"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == [], "checkov FAILED:\n" + "\n".join(failed)
    skipped = {check["check_id"] for check in report["results"]["skipped_checks"]}
    assert skipped == {"CKV_K8S_43"}, skipped
    assert report["summary"]["passed"] > 0


# ------------------------------------------------------------------------------------------
# The longest names the validators allow
# ------------------------------------------------------------------------------------------

LONGEST_NAMES: Answers = {
    "project_name": "Customer Orders Pipeline For Warehousing",
    "project_slug": "customer-orders-pipeline-for-warehousing",
    "package_name": "customer_orders_pipeline",
    "dataset_name": "orders_and_returns_x",
    "schedule": "0,15,30,45 6-18 * * mon-fri",
}
WIDE_ANSWERS: dict[str, Answers] = {
    "dask-everything": {
        "engine": "dask",
        "sources": ["files", "rest_api", "postgres"],
        "destinations": ["postgres", "delta", "parquet", "duckdb"],
        "orchestrator": "prefect",
        "alerting": "email",
        "metrics": "pushgateway",
        "lineage": "openlineage",
    },
    "pyspark-airflow": {
        "engine": "pyspark",
        "sources": ["files", "rest_api", "postgres"],
        "destinations": ["parquet", "duckdb"],
        "orchestrator": "airflow",
        "alerting": "slack",
        "pii_protection": "mask",
        "lineage": "openlineage",
    },
    "polars-files-postgres": {
        "engine": "polars",
        "sources": ["files", "postgres"],
        "destinations": ["postgres", "delta", "parquet", "duckdb"],
        "pii_protection": "hash",
        "ci_provider": "gitlab",
        "metrics": "otlp",
        "kubernetes": True,
        "api_enabled": True,
    },
    # The ML pipeline with every answer that lengthens its generated lines.
    "ml-classification-lightgbm": {
        "engine": "polars",
        "destinations": ["parquet", "duckdb"],
        "alerting": "email",
        "ml_enabled": True,
        "ml_task": "classification",
        "ml_algorithm": "lightgbm",
        "ml_validation": "timeseries",
        "ml_metric": "roc_auc",
        "ml_retraining": "manual",
        "api_enabled": True,
        "ml_serving": "realtime",
    },
    "ml-regression-xgboost": {
        "engine": "pandas",
        "destinations": ["parquet"],
        "alerting": "slack",
        "ml_enabled": True,
        "ml_algorithm": "xgboost",
        "ml_metric": "mae",
        "ml_folds": 10,
        "ml_drift_threshold": 0.25,
        "ml_tracking_uri": "sqlite:///var/tracking/model_registry.db",
    },
    # No table destination or source: OpenLineage names datasets by their location alone.
    "pandas-dagster": {
        "engine": "pandas",
        "sources": ["files", "rest_api"],
        "destinations": ["parquet", "delta"],
        "orchestrator": "dagster",
        "alerting": "slack",
        "lineage": "openlineage",
    },
}


@pytest.mark.parametrize("name", list(WIDE_ANSWERS))
def test_the_longest_names_keep_the_generated_code_lint_clean(
    template_src: Path, tmp_path: Path, name: str
) -> None:
    """The length limits of the name questions keep every generated line within 100.

    The default names are checked too: ruff's formatter joins lines that fit.
    """
    assert len(LONGEST_NAMES["package_name"]) == 24
    ruff = venv_tool("ruff")
    for names, folder in ((LONGEST_NAMES, "longest"), ({}, "defaults")):
        project = render(template_src, tmp_path / folder, **names, **WIDE_ANSWERS[name])
        generated = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        assert "ruff==0.17.5" in generated["dependency-groups"]["dev"], "the ruff of this check"
        for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
            result = subprocess.run(
                [ruff, *command], cwd=project, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"{folder}: {result.stdout}{result.stderr}"
