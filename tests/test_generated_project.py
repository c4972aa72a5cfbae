"""Slow tier: render representative projects and run their own gates, as a user would."""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from tests.helpers import VENV_BIN, describe, git, read_answers, render, run, venv_tool

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

COMBINATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    # Each engine meets each source and each destination it supports in at least one
    # combination below, and each source each destination (test_slow_tier_covers_every_pair).
    "pandas-parquet-month-email": {
        "engine": "pandas",
        "destinations": ["parquet"],
        "aggregation_grain": "month",
        "rounding_decimals": 3,
        "metrics": "pushgateway",
        "alerting": "email",
        # The ML pipeline with the default answers: scikit-learn regression, k-fold, RMSE.
        "ml_enabled": True,
    },
    # Three sources at once, three datasets, into every destination.
    "dask-three-sources-hour": {
        "engine": "dask",
        "sources": ["files", "rest_api", "postgres"],
        "destinations": ["parquet", "duckdb", "postgres", "delta"],
        "aggregation_grain": "hour",
        "ci_provider": "none",
        "metrics": "otlp",
    },
    "pyspark-three-sources": {
        "engine": "pyspark",
        "sources": ["files", "rest_api", "postgres"],
        "destinations": ["parquet", "duckdb"],
        "dedupe_keep": "earliest",
        "aggregation_grain": "month",
    },
    "polars-api-duckdb-py312-json": {
        "engine": "polars",
        "sources": ["files", "rest_api"],
        "destinations": ["duckdb"],
        "python_version": "3.12",
        "ci_provider": "none",
        "docker": False,
        "log_format": "json",
        "dataset_name": "sales",
        "license": "MIT",
        "api_enabled": True,
    },
    # Airflow: the DAG imports, and `dag.test()` runs it on the sample, with no server.
    "airflow-duckdb": {
        "engine": "duckdb",
        "orchestrator": "airflow",
        "alerting": "slack",
        "orchestrator_retries": 3,
        "schedule": "@hourly",
    },
    # The REST API source beside the files source (two datasets), served by a local server,
    # run by Dagster (the assets materialized in process on an ephemeral instance).
    "pandas-rest-api-dagster": {
        "engine": "pandas",
        "sources": ["files", "rest_api"],
        "destinations": ["parquet", "duckdb"],
        "license": "Apache-2.0",
        "orchestrator": "dagster",
        "orchestrator_retries": 2,
        "schedule": "@daily",
    },
    # Files and a PostgreSQL table (two datasets) into PostgreSQL only, against a real server.
    "pandas-files-postgres-to-pg": {
        "engine": "pandas",
        "sources": ["files", "postgres"],
        "destinations": ["postgres"],
        "dataset_name": "sales",
        "docker": False,
    },
    # GitLab CI with the REST API source, Kubernetes manifests and the environment overlays,
    # with a Secret reference.
    "duckdb-gitlab-k8s": {
        "engine": "duckdb",
        "sources": ["files", "rest_api"],
        "ci_provider": "gitlab",
        "kubernetes": True,
        "alerting": "slack",
        "schedule": "@hourly",
    },
    # Delta Lake next to Parquet: merged tables in a local folder, run by a Prefect flow
    # (the flow runs the sample against Prefect's test harness, a temporary server).
    "polars-delta-prefect": {
        "engine": "polars",
        "destinations": ["delta", "parquet"],
        "aggregation_grain": "hour",
        "orchestrator": "prefect",
        "orchestrator_retries": 1,
        "orchestrator_retry_delay_minutes": 2,
        "schedule": "30 6 * * mon-fri",
        # XGBoost classification of high-value orders on time-ordered folds.
        "ml_enabled": True,
        "ml_task": "classification",
        "ml_algorithm": "xgboost",
        "ml_validation": "timeseries",
        "ml_folds": 4,
        "ml_metric": "f1",
    },
    # Personal data hashed with a key from the environment, from every source, on DuckDB;
    # OpenLineage run events to a local HTTP endpoint.
    "duckdb-pii-hash": {
        "engine": "duckdb",
        "sources": ["files", "rest_api", "postgres"],
        "destinations": ["postgres", "delta"],
        "data_classification": "confidential",
        "pii_protection": "hash",
        "metrics": "report",
        "lineage": "openlineage",
    },
    # PostgreSQL as the source (landed as Parquet, then processed) and as a destination.
    "pg-to-pg": {
        "engine": "polars",
        "sources": ["postgres"],
        "destinations": ["postgres", "parquet"],
        "api_enabled": True,
        # LightGBM regression on MAE, retrained on request (the source table's rows), and
        # served in real time by the data API.
        "ml_enabled": True,
        "ml_serving": "realtime",
        "ml_algorithm": "lightgbm",
        "ml_metric": "mae",
        "ml_retraining": "manual",
    },
    # S3 files into Delta: the sample as JSON Lines in a bucket of a real S3-compatible server
    # (moto in server mode), read through a glob (test_pipeline_run_from_s3).
    "pandas-s3-to-delta": {
        "engine": "pandas",
        "destinations": ["delta"],
        "metrics": "report",
        "docker": False,
    },
}
S3_COMBINATIONS = frozenset({"pandas-s3-to-delta"})
UPLOAD_SAMPLE_AS_JSONL = """
import csv, json, sys
import s3fs
sample, url = sys.argv[1:]
with open(sample, newline="", encoding="utf-8") as handle:
    lines = [json.dumps(record) for record in csv.DictReader(handle)]
store = s3fs.S3FileSystem()
store.mkdir(url.split("/")[2])
store.pipe_file(url, "\\n".join(lines).encode())
"""
MAKE_BUCKET = "import s3fs, sys; s3fs.S3FileSystem().mkdir(sys.argv[1])"
COUNT_DELTA_KEYS = """
import os
import sys
import pyarrow.compute as pc
from deltalake import DeltaTable
table = DeltaTable(sys.argv[1])
rows = table.to_pyarrow_table()
print(rows.num_rows, len(pc.unique(rows.column(0))), table.version(), flush=True)
os._exit(0)  # the Delta Lake runtime may abort while the interpreter shuts down
"""
# pyenv shims resolve `python3.12` only when that version is selected; this machine's pyenv
# versions, tried when uv cannot find the interpreter otherwise.
PYENV_FALLBACK = {"3.12": "3.12.1:3.11.7", "3.11": "3.11.7:3.12.1"}


@dataclass
class Project:
    """A rendered project, its answers and the environment its commands run in."""

    path: Path
    answers: dict[str, Any] = field(repr=False)
    env: dict[str, str] = field(repr=False)
    synced: bool | None = None
    sync_output: str = field(default="", repr=False)

    def run(self, *cmd: str, check: bool = True, timeout: float = 900) -> str:
        """Run ``cmd`` in the project; return its standard output (with stderr on failure)."""
        __tracebackhide__ = True
        return run(cmd, self.path, self.env, check=check, timeout=timeout).stdout

    @property
    def package(self) -> str:
        return str(self.answers["package_name"])


def project_env(base: dict[str, str]) -> dict[str, str]:
    """The user's environment: no active virtual environment, no template dev tools on PATH."""
    env = {
        name: value
        for name, value in base.items()
        if name not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME"}
    }
    env["PATH"] = os.pathsep.join(
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() != VENV_BIN.resolve()
    )
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["NO_COLOR"] = "1"
    return env


def select_python(version: str, env: dict[str, str], cwd: Path) -> None:
    """Make ``uv python find <version>`` succeed, selecting pyenv versions if needed."""
    if shutil.which("uv", path=env["PATH"]) is None:
        pytest.fail("uv is not on PATH")
    if run(["uv", "python", "find", version], cwd, env, check=False).returncode == 0:
        return
    fallback = PYENV_FALLBACK.get(version)
    if fallback:
        env["PYENV_VERSION"] = fallback
        found = run(["uv", "python", "find", version], cwd, env, check=False)
        if found.returncode == 0:
            return
        pytest.fail(f"no Python {version} for uv, even with PYENV_VERSION:\n{describe(found, cwd)}")
    pytest.fail(f"no Python {version} for uv (UV_PYTHON_DOWNLOADS=never)")


def pg_bin_dir() -> Path | None:
    """The folder of PostgreSQL's server programs: pg_ctl's on PATH, or Debian's newest."""
    found = shutil.which("pg_ctl")
    if found is not None:
        return Path(found).resolve().parent
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3])
    )
    return installed[-1].parent if installed else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server the generated projects' tests and runs load into."""

    bin_dir: Path
    port: int
    password: str = field(repr=False)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its connection string."""
        env = {**os.environ, "PGPASSWORD": self.password}
        cmd: list[str | Path] = [
            self.bin_dir / "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
        ]
        run([*cmd, name], Path.cwd(), env)
        return self.dsn(name)

    def seed_table(self, dbname: str, table: str, csv_file: Path) -> None:
        """Create ``table`` (``schema.name``) with a text column per CSV column; copy the CSV in."""
        schema = table.split(".", maxsplit=1)[0]
        header = csv_file.read_text(encoding="utf-8").splitlines()[0].split(",")
        columns = ", ".join(f"{name} text" for name in header)
        env = {**os.environ, "PGPASSWORD": self.password}
        psql: list[str | Path] = [self.bin_dir / "psql", "-v", "ON_ERROR_STOP=1", "-q"]
        psql += ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname]
        statements = (
            f"CREATE SCHEMA IF NOT EXISTS {schema}",
            f"CREATE TABLE {table} ({columns})",
            f"\\copy {table} FROM '{csv_file}' (FORMAT csv, HEADER true)",
        )
        for statement in statements:
            run([*psql, "-c", statement], Path.cwd(), env)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session, with password authentication.

    It is started with the machine's initdb and pg_ctl (Debian's postgresql
    package; `.ci/run` installs it), as the `postgres` user when the tests run
    as root, since initdb refuses root.
    """
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        pytest.fail("pg_ctl not found: install PostgreSQL (Debian: apt-get install postgresql)")
    as_owner: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="datamax-pg-"))
    if os.geteuid() == 0:
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    password = secrets.token_hex(12)
    password_file = root / "password"
    password_file.write_text(password + "\n")
    if as_owner:
        shutil.chown(password_file, "postgres")
    data = root / "data"
    run(
        [
            *as_owner,
            bin_dir / "initdb",
            "--username=postgres",
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--no-sync",
            "-D",
            data,
        ],
        root,
    )
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        [
            *as_owner,
            bin_dir / "pg_ctl",
            "start",
            "--wait",
            "-D",
            data,
            "-l",
            root / "log",
            "-o",
            options,
        ],
        root,
    )
    try:
        yield PostgresServer(bin_dir, port, password)
    finally:
        run([*as_owner, bin_dir / "pg_ctl", "stop", "--mode=fast", "-D", data], root, check=False)
        shutil.rmtree(root, ignore_errors=True)


def uses_postgres(answers: dict[str, Any]) -> bool:
    """Whether the project reads from or loads into PostgreSQL."""
    return "postgres" in answers["destinations"] or "postgres" in answers["sources"]


@pytest.fixture(scope="module", params=list(COMBINATIONS), ids=str)
def project(
    request: pytest.FixtureRequest,
    template_src: Path,
    tmp_path_factory: pytest.TempPathFactory,
    isolated_env: dict[str, str],
) -> Iterator[Project]:
    data = COMBINATIONS[request.param]
    path = render(template_src, tmp_path_factory.mktemp(request.param) / "project", **data)
    env = project_env(isolated_env)
    answers = read_answers(path)
    if uses_postgres(answers):
        # The project's tests and its pipeline run use the real server: nothing is skipped.
        server: PostgresServer = request.getfixturevalue("postgres_server")
        dbname = request.param.replace("-", "_")
        dsn = server.create_database(dbname)
        env[f"{answers['env_prefix']}TEST_POSTGRES_DSN"] = dsn
        if "postgres" in answers["destinations"]:
            env[f"{answers['env_prefix']}POSTGRES_DSN"] = dsn
        if "postgres" in answers["sources"]:
            # The sample run reads the table the configuration names, seeded from the sample.
            dataset = answers["dataset_name"]
            sample = path / "data" / "sample" / f"{dataset}.csv"
            server.seed_table(dbname, f"raw.{dataset}", sample)
            env[f"{answers['env_prefix']}SOURCE_POSTGRES_DSN"] = dsn
    api = None
    if "rest_api" in answers["sources"]:
        # The pipeline run reads the REST API dataset from a local server serving the sample.
        api = SampleApi(path / "data" / "sample" / f"{answers['dataset_name']}.csv")
        env[f"{answers['env_prefix']}API_BASE_URL"] = api.url
    if answers.get("pii_protection") == "hash":
        # The run needs the HMAC key of the sample's customer_id, as a deployment would.
        env[f"{answers['env_prefix']}PII_KEY"] = "generated-project-test-key"
    select_python(str(answers["python_version"]), env, path)
    # What a user does first: put the new project under version control.
    git("init", "--quiet", cwd=path, env=env)
    git("add", "--all", cwd=path, env=env)
    git("commit", "--quiet", "--no-verify", "-m", "Generated by DataMax", cwd=path, env=env)
    yield Project(path=path, answers=answers, env=env)
    if api is not None:
        api.close()


@pytest.fixture
def synced(project: Project) -> Project:
    """The project after `uv sync --all-groups` (run once; later gates need it)."""
    if project.synced is None:
        completed = run(
            ["uv", "sync", "--all-groups"], project.path, project.env, check=False, timeout=1200
        )
        project.synced = completed.returncode == 0
        project.sync_output = describe(completed, project.path)
    if not project.synced:
        pytest.fail("uv sync --all-groups failed:\n" + project.sync_output)
    return project


def test_uv_sync(synced: Project) -> None:
    python = synced.run("uv", "run", "python", "-c", "import sys; print(sys.version)")
    assert python.startswith(str(synced.answers["python_version"]) + "."), python


def test_make_lint(synced: Project) -> None:
    """ruff check, ruff format --check, codespell, and hadolint / zizmor when generated."""
    synced.run("make", "lint")


def test_make_typecheck(synced: Project) -> None:
    synced.run("make", "typecheck")


def test_make_test_with_coverage_gate(synced: Project) -> None:
    output = synced.run("make", "test", timeout=1500)
    if uses_postgres(synced.answers) or "rest_api" in synced.answers["sources"]:
        skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
        assert not skipped, "tests skipped although every service was given:\n" + output


class SampleApi:
    """A local HTTP server answering ``GET /<dataset>?page=N&per_page=M`` with the sample rows.

    Each page is ``{"data": [...]}``, every value a string as in the CSV file: what
    the generated configuration's REST API source expects (page pagination).
    """

    def __init__(self, sample: Path) -> None:
        with sample.open(newline="", encoding="utf-8") as handle:
            records = [dict(row) for row in csv.DictReader(handle)]
        route = f"/{sample.stem}"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                if parts.path != route:
                    self.send_error(404)
                    return
                size = int(query.get("per_page", "100"))
                start = (int(query.get("page", "1")) - 1) * size
                body = json.dumps({"data": records[start : start + size]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Keep the test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def run_reports(report: Any) -> list[dict[str, Any]]:
    """Every mapping in the run report that counts rows (one per dataset, or the whole run)."""
    found: list[dict[str, Any]] = []
    if isinstance(report, dict):
        if "rows_read" in report:
            found.append(report)
        for value in report.values():
            found += run_reports(value)
    elif isinstance(report, list):
        for item in report:
            found += run_reports(item)
    return found


def test_pipeline_run(synced: Project) -> None:
    output = synced.run("uv", "run", synced.package, "run")
    check_run_report(synced, output)


def test_ml_commands_on_the_sample(synced: Project) -> None:
    """As a user: run the pipeline, train, score, check drift, retrain (ML projects only)."""
    if synced.answers.get("ml_enabled") is not True:
        pytest.skip("no ML pipeline in this combination")
    package = synced.package
    synced.run("uv", "run", package, "run")
    trained = synced.run("uv", "run", package, "train")
    assert "registered" in trained, trained
    assert "not registered" not in trained, trained
    print(trained.strip().splitlines()[0])  # noqa: T201 - the metrics, for the CI log
    scored = synced.run("uv", "run", package, "score")
    predictions = synced.path / scored.strip().rsplit(" -> ", 1)[1]
    assert predictions.is_file(), scored
    synced.run("uv", "run", package, "drift")
    synced.run("uv", "run", package, "retrain")


def check_run_report(synced: Project, output: str) -> None:
    """The latest run report says the run succeeded and accounts for every row read."""
    __tracebackhide__ = True
    report_file = synced.path / str(synced.answers["output_dir"]) / "reports" / "latest.json"
    assert report_file.is_file(), f"no run report at {report_file}; output:\n{output}"
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report.get("status") == "succeeded", json.dumps(report, indent=2)
    counts = run_reports(report)
    assert counts, f"no row counts in the report:\n{json.dumps(report, indent=2)}"
    for item in counts:
        accounted = item["rows_written"] + item["rows_quarantined"] + item["duplicates_dropped"]
        assert item["rows_read"] == accounted, json.dumps(item, indent=2)
        assert item["rows_read"] > 0, json.dumps(item, indent=2)


def test_environment_overlays_apply_to_the_run(synced: Project) -> None:
    """staging runs like dev; prod's stricter overlay fails on the sample's bad rows."""
    variable = f"{synced.answers['env_prefix']}ENV"
    package = synced.package
    staging = run(
        ["uv", "run", package, "run"], synced.path, {**synced.env, variable: "staging"}, check=False
    )
    assert staging.returncode == 0, describe(staging, synced.path)
    prod = run(
        ["uv", "run", package, "run"], synced.path, {**synced.env, variable: "prod"}, check=False
    )
    assert prod.returncode == 5, describe(prod, synced.path)
    assert "more than max_invalid_ratio 0.05 allows" in prod.stderr
    unknown = run(
        ["uv", "run", package, "run"], synced.path, {**synced.env, variable: "qa"}, check=False
    )
    assert unknown.returncode == 3, describe(unknown, synced.path)
    errors = [line for line in unknown.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {variable}: unknown environment 'qa'; expected one of dev, staging, prod"
    ]


def wait_for_port(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the S3 server exited with {server.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the S3 server did not listen on port {port} within {seconds:g}s")


def test_pipeline_run_from_s3(synced: Project, request: pytest.FixtureRequest) -> None:
    """The dataset's source on an S3-compatible server, as JSON Lines behind a glob."""
    if request.node.callspec.params["project"] not in S3_COMBINATIONS:
        pytest.skip("the object-store run is checked once, on the s3 combination")
    port = free_port()
    server = subprocess.Popen(
        [synced.path / ".venv" / "bin" / "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=synced.path,
        env=synced.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server)
        env = {
            **synced.env,
            "AWS_ACCESS_KEY_ID": "test-key-id",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }
        dataset = str(synced.answers["dataset_name"])
        sample = synced.path / "data" / "sample" / f"{dataset}.csv"
        url = f"s3://landing/{dataset}/part-0001.jsonl"
        upload = ["uv", "run", "python", "-c", UPLOAD_SAMPLE_AS_JSONL, str(sample), url]
        run(upload, synced.path, env)
        config = yaml.safe_load((synced.path / "config" / "pipeline.yml").read_text())
        config["datasets"][0]["source"] = {
            "kind": "files",
            "path": f"s3://landing/{dataset}/*.jsonl",
        }
        if "delta" in config["destinations"]:
            # The Delta tables in a bucket of the same server, written by the Delta Lake library.
            config["destinations"]["delta"]["path"] = "s3://lake/delta"
            env["AWS_ALLOW_HTTP"] = "true"
            run(["uv", "run", "python", "-c", MAKE_BUCKET, "lake"], synced.path, env)
        s3_config = synced.path / "config" / "s3.yml"
        s3_config.write_text(yaml.safe_dump(config, sort_keys=False))
        command = ["uv", "run", synced.package, "run", "--config", str(s3_config)]
        for _ in range(2):  # the second load merges the same rows: each key stays once
            output = run(command, synced.path, env).stdout
            check_run_report(synced, output)
        if "delta" in config["destinations"]:
            table = f"s3://lake/delta/{config['datasets'][0]['name']}"
            counted = run(["uv", "run", "python", "-c", COUNT_DELTA_KEYS, table], synced.path, env)
            rows, keys, version = map(int, counted.stdout.split())
            assert (rows, version) == (keys, 1), counted.stdout
            assert f"({rows} rows)" in output, output
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_detect_secrets_finds_nothing_new(synced: Project) -> None:
    """detect-secrets (the project's pinned dev tool) passes on every file, baseline untouched."""
    baseline = synced.path / ".secrets.baseline"
    before = baseline.read_text(encoding="utf-8")
    assert json.loads(before)["results"] == {}, "the baseline must list no secrets"
    files = git("ls-files", cwd=synced.path, env=synced.env).split()
    assert "src" in {Path(name).parts[0] for name in files}
    completed = run(
        ["uv", "run", "detect-secrets-hook", "--baseline", ".secrets.baseline", *files],
        synced.path,
        synced.env,
        check=False,
    )
    assert completed.returncode == 0, describe(completed, synced.path)
    assert baseline.read_text(encoding="utf-8") == before, "detect-secrets rewrote the baseline"


def test_hadolint(project: Project) -> None:
    if not project.answers["docker"]:
        assert not (project.path / "Dockerfile").exists()
        pytest.skip("docker is false: no Dockerfile")
    project.run(venv_tool("hadolint"), "Dockerfile")


def test_zizmor(project: Project) -> None:
    if project.answers["ci_provider"] != "github":
        assert not (project.path / ".github").exists()
        pytest.skip("ci_provider is not github: no workflows")
    project.run(venv_tool("zizmor"), "--offline", ".github/workflows")


def test_validate_pyproject(project: Project) -> None:
    project.run(venv_tool("validate-pyproject"), "pyproject.toml")


def test_repo_review(project: Project) -> None:
    completed = run(
        [venv_tool("repo-review"), "--format", "json", "."], project.path, project.env, check=False
    )
    try:
        review = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail("repo-review gave no JSON:\n" + describe(completed, project.path))
    failed = {
        name: f"{check['description']}: {check['err_msg']}"
        for name, check in review["checks"].items()
        if check["result"] is False
    }
    assert not failed, "repo-review checks FAILED:\n" + "\n".join(
        f"{name}: {message.strip()}" for name, message in sorted(failed.items())
    )
