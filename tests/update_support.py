"""Support for the update tests: template releases in a scratch repository, projects made from them.

A test copies the template (copier.yml, template/, extensions/) into a temporary git
repository and tags it `v1.0.0`, renders a project from that tag and commits it as a user
would, edits the project, changes the template and tags `v2.0.0`, then runs `copier update`.
Only copier's public API is used (`run_copy`, `run_update`).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import copier
import yaml

from tests.helpers import ANSWERS_FILE, ROOT, TEMPLATE_PARTS, git, read_answers, run, venv_tool

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping

V1 = "v1.0.0"
V2 = "v2.0.0"
CI_WORKFLOW = Path(".github/workflows/ci.yml")
LEFTOVERS_STEP = "Refuse leftovers of template updates"
# Hunks of `git apply` that fail are merged by copier with `git merge-file`, which writes these.
CONFLICT_MARKER = re.compile(r"^(<<<<<<< before updating|>>>>>>> after updating)$", re.MULTILINE)

_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.py[co]", ".mypy_cache", ".ruff_cache", ".pytest_cache"
)


def copy_template_parts(dst: Path, source: Path = ROOT) -> Path:
    """Copy the parts of the template under ``source`` into ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for part in TEMPLATE_PARTS:
        path = source / part
        if not path.exists():  # a part an older release does not have
            continue
        if path.is_dir():
            shutil.copytree(path, dst / part, ignore=_IGNORED, symlinks=True)
        else:
            shutil.copy2(path, dst / part)
    return dst


# ------------------------------------------------------------------------------------------
# The template, released as tags of a scratch repository
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRepo:
    """A scratch git repository holding a copy of the template, released with tags."""

    path: Path
    env: Mapping[str, str]

    def file(self, relative: str) -> Path:
        """A file of the template source, e.g. `template/Makefile.jinja`."""
        path = self.path / relative
        assert path.is_file(), f"the template has no {relative}"
        return path

    def read(self, relative: str) -> str:
        """The text of a file of the template source."""
        return self.file(relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        """Replace the text of a file of the template source."""
        (self.path / relative).write_text(text, encoding="utf-8")

    def replace(self, relative: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` in a file of the template source."""
        text = self.read(relative)
        assert text.count(old) == 1, f"{old!r} is not exactly once in {relative}"
        self.write(relative, text.replace(old, new))

    def append(self, relative: str, text: str) -> None:
        """Append ``text`` to a file of the template source."""
        self.write(relative, self.read(relative) + text)

    def release(self, tag: str) -> None:
        """Commit everything and tag it, as the template's maintainers publish a version."""
        git("add", "--all", cwd=self.path, env=self.env)
        git("commit", "--quiet", "--no-verify", "-m", f"Release {tag}", cwd=self.path, env=self.env)
        git("tag", tag, cwd=self.path, env=self.env)


def make_template_repo(dst: Path, env: Mapping[str, str], source: Path = ROOT) -> TemplateRepo:
    """The template copied from ``source`` into a new git repository, released as `v1.0.0`."""
    copy_template_parts(dst, source)
    git("init", "--quiet", "--initial-branch=main", cwd=dst, env=env)
    repo = TemplateRepo(dst.resolve(), env)
    repo.release(V1)
    return repo


# ------------------------------------------------------------------------------------------
# A generated project, as a user keeps it
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A generated project in its own git repository."""

    path: Path
    env: Mapping[str, str]

    def file(self, relative: str) -> Path:
        """A path in the project."""
        return self.path / relative

    def read(self, relative: str) -> str:
        """The text of a file of the project."""
        return self.file(relative).read_text(encoding="utf-8")

    def write(self, relative: str, text: str) -> None:
        """Replace the text of a file of the project."""
        self.file(relative).write_text(text, encoding="utf-8")

    def answers(self) -> dict[str, Any]:
        """The answers file."""
        return read_answers(self.path)

    def git(self, *args: str) -> str:
        """Run git in the project."""
        return git(*args, cwd=self.path, env=self.env)

    def commit(self, message: str) -> None:
        """Commit everything, as a user does (hooks are not installed in these tests)."""
        self.git("add", "--all")
        self.git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", message)

    def update(
        self,
        vcs_ref: str,
        data: Mapping[str, Any] | None = None,
        *,
        conflict: Literal["inline", "rej"] = "inline",
    ) -> float:
        """Run `copier update` to ``vcs_ref``; return how long `run_update` took in seconds."""
        start = time.perf_counter()
        copier.run_update(
            self.path,
            data=dict(data or {}),
            vcs_ref=vcs_ref,
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
            conflict=conflict,
        )
        return time.perf_counter() - start

    def unmerged(self) -> str:
        """`git ls-files -u`: the paths copier recorded as conflicted in the index."""
        return self.git("ls-files", "--unmerged")

    def diff_check(self) -> subprocess.CompletedProcess[str]:
        """`git diff --check`: whitespace errors and conflict markers in the update's changes."""
        return run(["git", "diff", "--check"], self.path, self.env, check=False)

    def rej_files(self) -> list[str]:
        """The `*.rej` files anywhere in the project."""
        return sorted(
            path.relative_to(self.path).as_posix()
            for path in self.path.rglob("*.rej")
            if ".git" not in path.relative_to(self.path).parts
        )

    def files_with_markers(self) -> list[str]:
        """The files that hold conflict markers written by copier."""
        return sorted(
            relative
            for relative, content in tree(self.path).items()
            if CONFLICT_MARKER.search(content.decode("utf-8", errors="replace"))
        )

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the project's pre-commit hooks (`pre-commit run ARGS --all-files`)."""
        return run(
            [venv_tool("pre-commit"), "run", *args, "--all-files", "--color=never"],
            self.path,
            self.env,
            check=False,
            timeout=300,
        )

    def ci_leftovers_step(self) -> subprocess.CompletedProcess[str]:
        """Run the CI workflow's "Refuse leftovers of template updates" step in the project.

        GitHub runs a `run:` script with `bash -e`; it sees the committed tree.
        """
        script = ci_step_script(self.path, LEFTOVERS_STEP)
        return run(
            ["bash", "--noprofile", "--norc", "-e", "-c", script],
            self.path,
            self.env,
            check=False,
        )


def render_project(
    template: TemplateRepo, dst: Path, vcs_ref: str = V1, **data: Any
) -> tuple[Project, float]:
    """Render ``template`` at ``vcs_ref`` into ``dst`` and commit it as the user's first commit.

    Returns the project and how long `run_copy` took in seconds.
    """
    start = time.perf_counter()
    copier.run_copy(
        str(template.path),
        dst.resolve(),
        data=data,
        vcs_ref=vcs_ref,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    elapsed = time.perf_counter() - start
    project = Project(dst.resolve(), template.env)
    project.git("init", "--quiet", "--initial-branch=main")
    project.commit("Generate the project from DataMax")
    return project, elapsed


def fresh_copy(template: TemplateRepo, dst: Path, vcs_ref: str, answers: Mapping[str, Any]) -> Path:
    """Render ``template`` at ``vcs_ref`` with the non-private ``answers`` of a project."""
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    copier.run_copy(
        str(template.path),
        dst.resolve(),
        data=data,
        vcs_ref=vcs_ref,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return dst


# ------------------------------------------------------------------------------------------
# Trees, lines and the CI workflow
# ------------------------------------------------------------------------------------------


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` outside `.git`, by POSIX relative path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def comparable_tree(root: Path) -> dict[str, bytes]:
    """:func:`tree` with the answers file's `_commit` (and `_src_path`) left out."""
    files = tree(root)
    answers = yaml.safe_load(files.pop(ANSWERS_FILE).decode("utf-8"))
    assert isinstance(answers, dict)
    kept = {key: value for key, value in answers.items() if key not in {"_commit", "_src_path"}}
    files[ANSWERS_FILE] = yaml.safe_dump(kept, sort_keys=True).encode("utf-8")
    return files


def verbatim_line(template_text: str, rendered_text: str, *, skip: int = 0) -> str:
    """A line of a template file that renders unchanged and occurs once in the rendered file.

    Lets a test change "the same line" in the template and in a project without depending
    on the exact wording of the template, which changes as the template evolves.
    """
    rendered_lines = rendered_text.splitlines()
    candidates = [
        line
        for line in template_text.splitlines()
        if len(line.strip()) > 10
        and not any(mark in line for mark in ("{", "}", "%"))
        and rendered_lines.count(line) == 1
        and template_text.splitlines().count(line) == 1
    ]
    assert len(candidates) > skip, "no line of the template file renders verbatim"
    return candidates[skip]


def ci_step_script(project: Path, step_name: str) -> str:
    """The `run:` script of the step named ``step_name`` in the generated CI workflow."""
    workflow = yaml.safe_load((project / CI_WORKFLOW).read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if step.get("name") == step_name:
                script = step["run"]
                assert isinstance(script, str)
                return script
    raise AssertionError(f"no step named {step_name!r} in {CI_WORKFLOW}")


def gate_environ(env: Mapping[str, str]) -> dict[str, str]:
    """An environment for running a generated project's own tools from inside this test run."""
    result = {
        name: value
        for name, value in env.items()
        if not name.startswith(("PYTEST_", "COV_", "COVERAGE_"))
        and name not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME"}
    }
    result["UV_PYTHON_DOWNLOADS"] = "never"
    result["NO_COLOR"] = "1"
    result.pop("FORCE_COLOR", None)
    return result


def run_gates(project: Project) -> None:
    """Run the generated project's own gates; raise with the failing command's output."""
    env = gate_environ(project.env)
    package = project.answers()["package_name"]
    for cmd in (
        ["uv", "sync", "--all-groups"],
        ["uv", "run", "ruff", "check", "."],
        ["uv", "run", "mypy"],
        ["uv", "run", "pytest", "-q", "-p", "no:cacheprovider"],
        ["uv", "run", package, "run"],
    ):
        run(cmd, project.path, env, timeout=900)


def which(name: str) -> str | None:
    """The path of an executable on PATH, or None."""
    return shutil.which(name, path=os.environ.get("PATH"))
