"""`copier update` of generated projects: edits survive, conflicts are loud, answers carry over.

Every test releases the template as `v1.0.0` in a scratch repository, renders and commits a
project at that tag, edits it as a user would, changes the template, releases `v2.0.0` and
updates (tests/update_support.py). Adding or removing a component (`--data`) runs the updated
project's own gates and is in the slow tier. The copy and update times of the default project
are written to the terminal after the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import ROOT, git, run
from tests.update_support import (
    V1,
    V2,
    Project,
    TemplateRepo,
    comparable_tree,
    fresh_copy,
    make_template_repo,
    render_project,
    run_gates,
    tree,
    verbatim_line,
)

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator
    from pathlib import Path

USER_SECTION = "\n## Our runbook\n\nPage the on-call data engineer when the nightly run fails.\n"
TEMPLATE_NOTE = "\n## Changes in template v2\n\nThe design section gained a note in v2.\n"


@pytest.fixture
def template(tmp_path: Path, isolated_env: dict[str, str]) -> TemplateRepo:
    """The template released as `v1.0.0` in a scratch repository."""
    return make_template_repo(tmp_path / "template", isolated_env)


@pytest.fixture
def project(template: TemplateRepo, tmp_path: Path) -> Project:
    """A project rendered from `v1.0.0` with a non-default dataset, committed."""
    rendered, _ = render_project(template, tmp_path / "project", dataset_name="shipments")
    return rendered


class Timings:
    """Wall-clock times of copier calls, reported once at the end of the module."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, label: str, seconds: float) -> None:
        self.lines.append(f"{label}: {seconds:.2f} s")


@pytest.fixture(scope="module")
def timings(request: pytest.FixtureRequest) -> Iterator[Timings]:
    """Collects timings and writes them to the terminal (or stdout) after the module."""
    collected = Timings()
    yield collected
    if not collected.lines:
        return
    text = "copier timings (time.perf_counter around the call): " + "; ".join(collected.lines)
    # Module teardown output is captured: suspend capturing, as pytest's own debugger does.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        print(text)  # noqa: T201 - shown with -s or on failure
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(text)


def change_makefile_header(template: TemplateRepo, project: Project, suffix: str) -> str:
    """Change a verbatim line of the Makefile in the template; return the line."""
    line = verbatim_line(template.read("template/Makefile.jinja"), project.read("Makefile"))
    template.replace("template/Makefile.jinja", line, f"{line} {suffix}")
    return line


def assert_clean_update(project: Project) -> None:
    """No conflict left anywhere: index, markers, whitespace, `*.rej` files."""
    assert project.unmerged() == ""
    check = project.diff_check()
    assert check.returncode == 0, check.stdout + check.stderr
    assert project.rej_files() == []
    assert project.files_with_markers() == []


# ------------------------------------------------------------------------------------------
# 1. Edits far from the template's change survive it
# ------------------------------------------------------------------------------------------


def test_update_keeps_user_edits_and_brings_template_change(
    template: TemplateRepo, tmp_path: Path, timings: Timings
) -> None:
    project, copy_seconds = render_project(template, tmp_path / "default")
    timings.add("run_copy of the default project", copy_seconds)
    # The user documents a runbook and adds a target at the end of the Makefile.
    project.write("README.md", project.read("README.md") + USER_SECTION)
    user_target = "\nbackfill:  ## Re-run the last week\n\t$(UV) run true\n"
    project.write("Makefile", project.read("Makefile") + user_target)
    project.commit("Add our runbook and a backfill target")
    # The template changes the design doc and the top of the Makefile.
    template.append("template/docs/architecture.md.jinja", TEMPLATE_NOTE)
    header = change_makefile_header(template, project, "(v2)")
    template.release(V2)

    update_seconds = project.update(V2)
    timings.add("run_update of the default project v1 -> v2", update_seconds)

    assert project.read("README.md").endswith(USER_SECTION)
    assert project.read("docs/architecture.md").endswith(TEMPLATE_NOTE)
    makefile = project.read("Makefile")
    assert f"{header} (v2)" in makefile.splitlines()
    assert makefile.endswith(user_target)
    assert project.answers()["_commit"] == V2
    assert_clean_update(project)
    # What CI sees once the update is committed: nothing to refuse.
    project.commit("Update from the template")
    step = project.ci_leftovers_step()
    assert step.returncode == 0, step.stdout + step.stderr


# ------------------------------------------------------------------------------------------
# 2. A collision is reported where users and CI notice it
# ------------------------------------------------------------------------------------------


def make_collision(template: TemplateRepo, project: Project, source: str, rendered: str) -> None:
    """The user and the template change the same line of ``rendered`` (template not released)."""
    line = verbatim_line(template.read(source), project.read(rendered))
    project.write(rendered, project.read(rendered).replace(line, f"{line} (edited by us)"))
    template.replace(source, line, f"{line} (changed in v2)")


@dataclass(frozen=True)
class InlineConflict:
    """What a user and CI see after an update that collided with the user's edits."""

    project: Project
    markers: list[str]
    unmerged: str
    commit: subprocess.CompletedProcess[str]
    hook_unstaged: subprocess.CompletedProcess[str]
    hook_staged: subprocess.CompletedProcess[str]
    ci_step: subprocess.CompletedProcess[str]


# The files where the user and the template v2 change the same line: (template, rendered).
COLLISIONS = {"Makefile": "template/Makefile.jinja", "README.md": "template/README.md.jinja"}
# README.md is the file users edit most: a conflict there must be caught like any other.
COLLIDED = [pytest.param("Makefile"), pytest.param("README.md")]


@pytest.fixture(scope="module")
def inline_conflict(
    tmp_path_factory: pytest.TempPathFactory, isolated_env: dict[str, str]
) -> InlineConflict:
    """One update that collides in each of COLLISIONS, then what the hooks and CI say."""
    base = tmp_path_factory.mktemp("inline-conflict")
    template = make_template_repo(base / "template", isolated_env)
    project, _ = render_project(template, base / "project")
    for rendered, source in COLLISIONS.items():
        make_collision(template, project, source, rendered)
    project.commit("Our edits")
    template.release(V2)

    project.update(V2)  # copier exits 0 even when it leaves a conflict

    markers, unmerged = project.files_with_markers(), project.unmerged()
    commit = run(["git", "commit", "--no-verify", "-m", "Update"], project.path, check=False)
    hook_unstaged = project.pre_commit("no-merge-conflict-markers")
    project.git("add", "--all")  # the user stages the files without resolving them
    hook_staged = project.pre_commit("no-merge-conflict-markers")
    project.commit("Commit the update without resolving it")
    return InlineConflict(
        project,
        markers,
        unmerged,
        commit,
        hook_unstaged,
        hook_staged,
        project.ci_leftovers_step(),
    )


def test_inline_conflict_is_left_as_markers_and_unmerged(inline_conflict: InlineConflict) -> None:
    assert inline_conflict.markers == sorted(COLLISIONS)
    # copier records the conflicts in the index (`git status`: "both modified") ...
    for rendered in COLLISIONS:
        assert rendered in inline_conflict.unmerged
    # ... so git refuses to commit until the user resolves and stages them.
    assert inline_conflict.commit.returncode != 0
    assert "unmerged" in inline_conflict.commit.stdout + inline_conflict.commit.stderr


@pytest.mark.parametrize("rendered", COLLIDED)
def test_marker_hook_refuses_inline_conflict(
    inline_conflict: InlineConflict, rendered: str
) -> None:
    for hook in (inline_conflict.hook_unstaged, inline_conflict.hook_staged):
        assert hook.returncode != 0, hook.stdout
        assert f"{rendered}:" in hook.stdout, hook.stdout


@pytest.mark.parametrize("rendered", COLLIDED)
def test_ci_refuses_inline_conflict(inline_conflict: InlineConflict, rendered: str) -> None:
    step = inline_conflict.ci_step
    assert step.returncode != 0, step.stdout + step.stderr
    assert f"{rendered}:" in step.stdout, step.stdout


def test_rej_conflict_is_refused_by_hooks_and_ci(template: TemplateRepo, project: Project) -> None:
    make_collision(template, project, "template/Makefile.jinja", "Makefile")
    project.commit("Edit the Makefile")
    template.release(V2)

    project.update(V2, conflict="rej")

    assert project.rej_files() == ["Makefile.rej"]
    # The template's side is in place; the user's rejected hunk is in the `.rej` file, and
    # nothing is recorded in the index: only the `.rej` file tells.
    assert "(changed in v2)" in project.read("Makefile")
    assert "(edited by us)" in project.read("Makefile.rej")
    assert project.unmerged() == ""
    project.git("add", "--all")
    hook = project.pre_commit("no-template-leftovers")
    assert hook.returncode != 0, hook.stdout
    assert "Makefile.rej" in hook.stdout
    project.commit("Commit the update with its leftovers")
    step = project.ci_leftovers_step()
    assert step.returncode != 0, step.stdout + step.stderr
    assert "Makefile.rej" in step.stdout


# ------------------------------------------------------------------------------------------
# 3. A file the user deleted stays deleted
# ------------------------------------------------------------------------------------------


def test_deleted_files_stay_deleted(template: TemplateRepo, project: Project) -> None:
    # The user deletes a file the template v2 leaves alone and one that v2 changes.
    project.file("deploy/crontab").unlink()
    project.file("docs/architecture.md").unlink()
    project.commit("We schedule elsewhere and keep the design in our wiki")
    change_makefile_header(template, project, "(v2)")
    template.append("template/docs/architecture.md.jinja", TEMPLATE_NOTE)
    template.release(V2)

    project.update(V2)

    assert not project.file("deploy/crontab").exists()
    assert not project.file("docs/architecture.md").exists()
    assert "(v2)" in project.read("Makefile")
    assert project.answers()["_commit"] == V2
    assert_clean_update(project)


# ------------------------------------------------------------------------------------------
# 4. A renamed question keeps the user's answer
# ------------------------------------------------------------------------------------------

# How to rename a question in copier 9.19 (both mechanisms are tested below):
#
# * "default": the new question's default reads the old answer,
#       primary_dataset:
#         default: "{{ dataset_name | default('orders') }}"
#   During `copier update` every key of the project's answers file is in the render context,
#   including answers of questions the template no longer has, so the default evaluates to
#   the user's old answer (on a fresh copy `dataset_name` is undefined and `default()` gives
#   `orders`). The answers file then records `primary_dataset` and drops `dataset_name`,
#   because copier only remembers answers of current questions.
# * "migration": a `_migrations` entry of the new format (`version`, `command`, `when`)
#   that runs before the update (`when: "{{ _stage == 'before' }}"`) and renames the key in
#   the answers file; copier re-reads the answers file after the "before" migrations, so the
#   renamed answer is used as the last answer. Migrations only run when both the old and the
#   new template versions are PEP 440 tags (`v1.0.0` -> `v2.0.0`).
RENAME_MIGRATION = """
_migrations:
  - version: v2.0.0
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "-c"
      - >-
        import pathlib, yaml;
        path = pathlib.Path('.copier-answers.yml');
        answers = yaml.safe_load(path.read_text());
        answers['primary_dataset'] = answers.pop('dataset_name', 'orders');
        path.write_text(yaml.safe_dump(answers, sort_keys=False))
"""


def rename_dataset_question(template: TemplateRepo, mechanism: str) -> None:
    """Template v2 renames `dataset_name` to `primary_dataset` everywhere, paths included."""
    old, new = "dataset_name", "primary_dataset"
    sources = [template.path / "copier.yml", *(template.path / "extensions").rglob("*.py")]
    sources += [path for path in (template.path / "template").rglob("*") if path.is_file()]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")
    # Deepest paths first, so that renaming a folder does not move what is still to rename.
    for path in sorted((template.path / "template").rglob(f"*{old}*"), reverse=True):
        path.rename(path.with_name(path.name.replace(old, new)))
    config = template.read("copier.yml")
    question = config.index(f"\n{new}:\n")
    old_default = "  default: orders\n"
    at = config.index(old_default, question)
    if mechanism == "default":
        new_default = "  default: \"{{ dataset_name | default('orders') }}\"\n"
        config = config[:at] + new_default + config[at + len(old_default) :]
    else:
        config += RENAME_MIGRATION
    template.write("copier.yml", config)
    template.release(V2)


@pytest.mark.parametrize("mechanism", ["default", "migration"])
def test_renamed_question_keeps_the_answer(
    template: TemplateRepo, project: Project, tmp_path: Path, mechanism: str
) -> None:
    assert project.answers()["dataset_name"] == "shipments"
    rename_dataset_question(template, mechanism)

    project.update(V2)

    answers = project.answers()
    assert answers["primary_dataset"] == "shipments"
    assert "dataset_name" not in answers
    assert answers["_commit"] == V2
    assert "data/sample/shipments.csv" in project.read("README.md")
    assert "`shipments`" in project.read("docs/architecture.md")
    assert not project.file("data/sample/orders.csv").exists()
    assert_clean_update(project)
    if mechanism == "default":
        # The default does not break a fresh copy, where there is no old answer.
        fresh, _ = render_project(template, tmp_path / "fresh", vcs_ref=V2)
        assert fresh.answers()["primary_dataset"] == "orders"
        assert fresh.file("data/sample/orders.csv").is_file()


# ------------------------------------------------------------------------------------------
# 5 and 6. Adding and removing a component with `copier update --data` (slow: project gates)
# ------------------------------------------------------------------------------------------

USER_CONFIG_NOTE = "# Our note: the schema below is owned by the data team.\n"
USER_OWNED = "config/pipeline.yml"


def change_answers_in_place(
    template: TemplateRepo, tmp_path: Path, before: dict[str, Any], after: dict[str, Any]
) -> tuple[Project, list[str]]:
    """Render with ``before``, edit as a user, update to the same release with ``after``.

    Returns the updated project and the files that differ from a fresh copy with the
    ``after`` answers, besides the user's edits (README.md and the user-owned config).
    """
    project, _ = render_project(template, tmp_path / "project", **before)
    project.write("README.md", project.read("README.md") + USER_SECTION)
    project.write(USER_OWNED, USER_CONFIG_NOTE + project.read(USER_OWNED))
    project.commit("Our edits")

    project.update(V1, after)

    expected = tree(fresh_copy(template, tmp_path / "expected", V1, project.answers()))
    actual = tree(project.path)
    differing = sorted(
        name for name in set(actual) | set(expected) if actual.get(name) != expected.get(name)
    )
    assert project.read("README.md").endswith(USER_SECTION)
    # The user's edit of config/pipeline.yml survives, whether the file is skipped by
    # updates (`_skip_if_exists`, today) or merged like template-owned files.
    assert project.read(USER_OWNED).startswith(USER_CONFIG_NOTE)
    assert_clean_update(project)
    return project, [name for name in differing if name not in {"README.md", USER_OWNED}]


@pytest.mark.slow
def test_add_destination_later(template: TemplateRepo, tmp_path: Path) -> None:
    project, differing = change_answers_in_place(
        template, tmp_path, {"destinations": ["parquet"]}, {"destinations": ["parquet", "duckdb"]}
    )
    package = project.answers()["package_name"]

    assert project.answers()["destinations"] == ["parquet", "duckdb"]
    assert differing == []  # the loader, its tests and its dependency arrived, as in a copy
    assert project.file(f"src/{package}/loaders/duckdb.py").is_file()
    assert [name for name in tree(project.path) if name.startswith("tests/") and "duckdb" in name]
    assert "duckdb" in project.read("pyproject.toml")
    run_gates(project)
    # The destination the user asked for is used by the run. Fails while config/pipeline.yml
    # is in `_skip_if_exists`: the update cannot add its `destinations.duckdb` entry.
    output_dir = project.answers()["output_dir"]
    assert project.file(f"{output_dir}/warehouse.duckdb").is_file(), (
        f"the run did not load into DuckDB; destinations in {USER_OWNED}:\n"
        + project.read(USER_OWNED).partition("\ndestinations:")[2]
    )


@pytest.mark.slow
def test_remove_destination(template: TemplateRepo, tmp_path: Path) -> None:
    # The Polars engine, so that no file but the DuckDB destination's has "duckdb" in its name.
    before = {"engine": "polars", "destinations": ["parquet", "duckdb"]}
    after = {"engine": "polars", "destinations": ["parquet"]}
    project, differing = change_answers_in_place(template, tmp_path, before, after)

    assert project.answers()["destinations"] == ["parquet"]
    assert differing == []
    assert [name for name in tree(project.path) if "duckdb" in name] == []
    assert "duckdb" not in project.read("pyproject.toml")
    # Fails while config/pipeline.yml is in `_skip_if_exists`: its `destinations.duckdb`
    # entry stays and the run stops with "destinations.duckdb: Extra inputs are not permitted".
    run_gates(project)


@pytest.mark.slow
def test_switch_ci_provider_on_later(template: TemplateRepo, tmp_path: Path) -> None:
    project, differing = change_answers_in_place(
        template, tmp_path, {"ci_provider": "none"}, {"ci_provider": "github"}
    )

    assert differing == []
    assert project.file(".github/workflows/ci.yml").is_file()
    assert "zizmor" in project.read("pyproject.toml")
    run_gates(project)


# ------------------------------------------------------------------------------------------
# 7. Updating from this repository's previous release gives a fresh copy of HEAD
# ------------------------------------------------------------------------------------------


def previous_release(repo: Path) -> str | None:
    """The latest release tag of ``repo`` before its HEAD commit, or None.

    `git describe --tags --abbrev=0`; when that tag is HEAD itself (a release was just
    made), the one before it, so that the update has something to do.
    """

    def describe(rev: str) -> str | None:
        cmd = ["git", "describe", "--tags", "--abbrev=0", rev]
        completed = run(cmd, repo, check=False)
        return completed.stdout.strip() if completed.returncode == 0 else None

    tag = describe("HEAD")
    if tag is None:
        return None
    head = git("rev-parse", "HEAD", cwd=repo)
    if git("rev-parse", f"{tag}^{{commit}}", cwd=repo) == head:
        has_parent = run(["git", "rev-parse", "--verify", "--quiet", "HEAD^"], repo, check=False)
        return describe("HEAD^") if has_parent.returncode == 0 else None
    return tag


def update_from_release_matches_fresh_copy(
    repo: Path, tag: str, tmp_path: Path, env: dict[str, str]
) -> None:
    """Render the committed template of ``repo`` at ``tag``, update to HEAD, compare."""
    clone = tmp_path / "clone"
    git("clone", "--quiet", str(repo), str(clone), cwd=tmp_path, env=env)
    template = TemplateRepo(clone.resolve(), env)
    project, _ = render_project(template, tmp_path / "project", vcs_ref=tag)
    head = git("rev-parse", "HEAD", cwd=clone, env=env)

    project.update(head)

    assert_clean_update(project)
    expected = fresh_copy(template, tmp_path / "fresh", head, project.answers())
    actual_tree, expected_tree = comparable_tree(project.path), comparable_tree(expected)
    assert sorted(actual_tree) == sorted(expected_tree)
    differing = [name for name in actual_tree if actual_tree[name] != expected_tree[name]]
    assert differing == []


def test_update_from_previous_release_equals_fresh_copy(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    tag = previous_release(ROOT)
    if tag is None:
        pytest.skip("this repository has no release tag before HEAD: nothing to update from")
    update_from_release_matches_fresh_copy(ROOT, tag, tmp_path, isolated_env)
