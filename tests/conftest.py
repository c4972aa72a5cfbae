"""Fixtures of the template tests: an isolated environment and template sources to render."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ROOT, TEMPLATE_PARTS, TEMPLATE_TAG, git, isolated_environ

if TYPE_CHECKING:
    from collections.abc import Iterator

_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.py[co]", ".mypy_cache", ".ruff_cache", ".pytest_cache"
)


def copy_template(dst: Path) -> Path:
    """Copy the parts of the template (copier.yml, template/, extensions/, includes/) to ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dst / part, ignore=_IGNORED, symlinks=True)
        else:
            shutil.copy2(source, dst / part)
    return dst


@pytest.fixture(scope="session", autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Isolate every test from the user's home, git configuration and copier settings.

    Yields the full environment, for the tests that start processes.
    """
    base = tmp_path_factory.mktemp("isolated")
    # Keep uv's real cache so that the generated projects' `uv sync` does not download
    # everything again; it lives under the real home unless UV_CACHE_DIR says otherwise.
    uv_cache = os.environ.get("UV_CACHE_DIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in isolated_environ(base).items():
            patch.setenv(name, value)
        patch.setenv("UV_CACHE_DIR", uv_cache)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "GIT_DIR", "GIT_WORK_TREE"):
            patch.delenv(name, raising=False)
        yield dict(os.environ)


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template copied into a plain (non-git) folder: the fastest source to render."""
    return copy_template(tmp_path_factory.mktemp("template-src"))


@pytest.fixture(scope="session")
def template_git_repo(
    tmp_path_factory: pytest.TempPathFactory, isolated_env: dict[str, str]
) -> Path:
    """The template in a git repository, committed and tagged `v0.1.0` (render it at that tag)."""
    repo = copy_template(tmp_path_factory.mktemp("template-repo"))
    git("init", "--quiet", "--initial-branch=main", cwd=repo, env=isolated_env)
    git("add", "--all", cwd=repo, env=isolated_env)
    git("commit", "--quiet", "--no-verify", "-m", "DataMax template", cwd=repo, env=isolated_env)
    git("tag", TEMPLATE_TAG, cwd=repo, env=isolated_env)
    return repo


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        default=None,
        metavar="I/N",
        help="run only shard I (0-based) of N; a generated project's tests stay in one shard",
    )


SHARD_WEIGHTS = {
    "project:dask-three-sources-hour": 9,
    "project:pyspark-three-sources": 7,
    "tests/test_update.py": 3.5,
    "project:polars-delta-prefect": 3,
    "project:pg-to-pg": 2.5,
    "tests/test_cloud.py": 2.5,
    "tests/test_engines_equal.py": 2,
    "tests/test_clusters.py": 2,
    "project:duckdb-pii-hash": 2,
    "project:airflow-duckdb": 2,
    "project:pandas-parquet-month-email": 2,
    "project:pandas-rest-api-dagster": 1.5,
    "project:polars-api-duckdb-py312-json": 1.3,
}
"""Rough relative run times of the heavy groups, from CI runs (a generated project is 1,
about 100 s on two cores)."""


def shard_key(item: pytest.Item) -> str:
    """What must run in one process: a generated project's combination, else the module."""
    callspec = getattr(item, "callspec", None)
    combination = callspec.params.get("project") if callspec is not None else None
    if isinstance(combination, str):
        return f"project:{combination}"
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--shard I/N``, keep the items whose group falls to shard I.

    The slow tier runs as two such processes side by side (see the Makefile), each
    rendering and syncing its own projects once.
    """
    shard = config.getoption("--shard")
    if not shard:
        return
    index, count = (int(part) for part in str(shard).split("/"))
    groups = sorted(
        dict.fromkeys(shard_key(item) for item in items),
        key=lambda key: -SHARD_WEIGHTS.get(key, 1),
    )
    loads = [0.0] * count
    mine: set[str] = set()
    for key in groups:  # the heaviest first, each to the least loaded shard
        target = loads.index(min(loads))
        loads[target] += SHARD_WEIGHTS.get(key, 1)
        if target == index:
            mine.add(key)
    kept = [item for item in items if shard_key(item) in mine]
    dropped = [item for item in items if shard_key(item) not in mine]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
