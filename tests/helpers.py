"""Helpers shared by the template tests: rendering, subprocesses, git, copier.yml."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import copier
import yaml

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"
TEMPLATE_DIR = ROOT / "template"
EXTENSIONS_DIR = ROOT / "extensions"
# What a template source needs: the questions, the generated tree, the Jinja extensions and
# the Jinja macros the generated files import (`includes/`; older releases have none).
TEMPLATE_PARTS = ("copier.yml", "template", "extensions", "includes")
TEMPLATE_TAG = "v0.1.0"
ANSWERS_FILE = ".copier-answers.yml"
VENV_BIN = Path(sys.executable).parent

# Jinja left in a generated file: `{{`, `{%` or `{#`. `${{ ... }}` is GitHub Actions syntax and
# `${#var}` is shell syntax, so a `$` right before the brace is not Jinja.
UNRENDERED_JINJA = re.compile(r"(?<!\$)\{[{%#]")
ANY_JINJA = re.compile(r"\{[{%#]")


def venv_tool(name: str) -> str:
    """Absolute path of an executable installed in the template's dev virtual environment."""
    path = VENV_BIN / name
    assert path.is_file(), f"{name} is not installed in {VENV_BIN}: run `uv sync` first"
    return str(path)


# ------------------------------------------------------------------------------------------
# copier.yml
# ------------------------------------------------------------------------------------------


@functools.cache
def copier_config() -> dict[str, Any]:
    """The whole of copier.yml, settings (`_...`) included."""
    data = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "copier.yml must be a mapping"
    return data


def questions() -> dict[str, dict[str, Any]]:
    """The questions of copier.yml (every key that does not start with `_`), in order."""
    result: dict[str, dict[str, Any]] = {}
    for name, spec in copier_config().items():
        if name.startswith("_"):
            continue
        # A question may be written in its short form (`name: default`).
        result[name] = spec if isinstance(spec, dict) else {"default": spec}
    return result


def choice_values(spec: Mapping[str, Any]) -> list[Any]:
    """The stored values of a question's choices (`Label: value` mapping or a plain list)."""
    choices = spec.get("choices")
    if choices is None:
        return []
    raw = list(choices.values()) if isinstance(choices, dict) else list(choices)
    values: list[Any] = []
    for item in raw:
        if isinstance(item, dict):  # `Label: {value: ..., validator: ...}`
            values.append(item["value"])
        elif isinstance(item, list):  # `[label, value]` pairs
            values.append(item[1])
        else:
            values.append(item)
    return values


def cast_bool(value: Any) -> bool:
    """Interpret a rendered `when:` like copier does (YAML booleans, empty string is false)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text:
        return False
    parsed = yaml.safe_load(text)
    return bool(parsed)


# ------------------------------------------------------------------------------------------
# Processes and git
# ------------------------------------------------------------------------------------------


def run(
    cmd: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    *,
    check: bool = True,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` in ``cwd``; on failure, raise with the command, its exit code and output."""
    __tracebackhide__ = True
    args = [str(part) for part in cmd]
    completed = subprocess.run(  # noqa: PLW1510 - checked below, with the output in the message
        args,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and completed.returncode != 0:
        raise AssertionError(describe(completed, cwd))
    return completed


def describe(completed: subprocess.CompletedProcess[str], cwd: Path) -> str:
    """A readable account of a finished command: command line, directory, exit code, output."""
    command = shlex.join(str(part) for part in completed.args)
    return (
        f"command: {command}\n"
        f"cwd: {cwd}\n"
        f"exit code: {completed.returncode}\n"
        f"--- stdout ---\n{completed.stdout}\n"
        f"--- stderr ---\n{completed.stderr}"
    )


def git(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> str:
    """Run ``git args...`` in ``cwd`` and return its stripped standard output."""
    return run(["git", *args], cwd, env).stdout.strip()


# ------------------------------------------------------------------------------------------
# Isolation and rendering
# ------------------------------------------------------------------------------------------


def isolated_environ(base: Path) -> dict[str, str]:
    """Environment variables that isolate copier and git from the user's configuration.

    Creates under ``base`` an empty home, a global git config holding only an identity, and
    an empty copier settings file.
    """
    home = base / "home"
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = base / "gitconfig"
    gitconfig.write_text(
        "[user]\n"
        "\tname = DataMax Tests\n"
        "\temail = tests@datamax.invalid\n"
        "[init]\n"
        "\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    settings = base / "copier-settings.yml"
    # An empty YAML document loads as None, which copier 9.19 rejects: write an empty mapping.
    settings.write_text("{}\n", encoding="utf-8")
    return {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "COPIER_SETTINGS_PATH": str(settings),
    }


def render(src: Path, dst: Path, /, *, vcs_ref: str | None = None, **data: Any) -> Path:
    """Render the template at ``src`` into ``dst`` with ``data`` and defaults for the rest."""
    copier.run_copy(
        str(src.resolve()),
        dst.resolve(),
        data=data,
        vcs_ref=vcs_ref,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return dst


def read_answers(project: Path) -> dict[str, Any]:
    """The answers file of a rendered project."""
    answers = yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert isinstance(answers, dict), f"{ANSWERS_FILE} is not a mapping: {answers!r}"
    return answers


def text_files(root: Path) -> list[tuple[Path, str]]:
    """Every UTF-8 file under ``root`` (binary files skipped), with its content."""
    result = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or ".git" in path.relative_to(root).parts:
            continue
        try:
            result.append((path, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    return result


def is_github_file(relative: Path) -> bool:
    """Whether ``relative`` lives under `.github/`, where `${{ }}` is GitHub Actions syntax."""
    return bool(relative.parts) and relative.parts[0] == ".github"


def load_extension() -> ModuleType:
    """Import extensions/datamax.py by file path (the extensions folder is not a package)."""
    name = "datamax_extension_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXTENSIONS_DIR / "datamax.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


CHECKOV = "checkov==3.3.30"
"""checkov, run with uvx (its dependencies conflict with the template's own tools)."""


def checkov(
    project: Path, framework: str, directory: str, env: Mapping[str, str]
) -> list[dict[str, Any]]:
    """checkov's JSON reports (one per framework part) on ``directory`` of ``project``.

    No platform key: ``BC_SKIP_MAPPING`` and ``--skip-download`` keep checkov offline.
    """
    result = subprocess.run(
        [
            *("uvx", CHECKOV, "--skip-download", "--framework", framework),
            *("--output", "json", "--directory", directory),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
        env={**env, "BC_SKIP_MAPPING": "TRUE"},
        timeout=900,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        message = f"checkov gave no JSON report:\n{result.stdout}\n{result.stderr[-2000:]}"
        raise AssertionError(message) from exc
    return report if isinstance(report, list) else [report]
