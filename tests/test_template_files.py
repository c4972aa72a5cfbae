"""Lint the files under template/: portable names, simple conditions, `.jinja` only where needed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.helpers import ANY_JINJA, TEMPLATE_DIR, copier_config, load_extension, questions

if TYPE_CHECKING:
    from pathlib import Path

dm = load_extension()

SUFFIX: str = copier_config().get("_templates_suffix", ".jinja")
FORBIDDEN_CHARACTERS = set('"\\:*?<>|')
# One condition per path component, on a single identifier, around the name only:
#   {% if flag %}name{% endif %}   or   {% if flag %}name{% endif %}.jinja
CONDITIONAL_NAME = re.compile(
    r"\{% if (?P<flag>[A-Za-z_][A-Za-z0-9_]*) %\}(?P<name>[^{}%]+)\{% endif %\}(?P<suffix>"
    + re.escape(SUFFIX)
    + r")?"
)


def template_paths() -> list[Path]:
    return sorted(path.relative_to(TEMPLATE_DIR) for path in TEMPLATE_DIR.rglob("*"))


def template_files() -> list[Path]:
    return [path for path in template_paths() if (TEMPLATE_DIR / path).is_file()]


def known_names() -> set[str]:
    """Names a file-name condition may use: the answers and the context hook's flags."""
    return set(questions()) | set(dm.component_flags({})) | {"pii_sample"}


def read_text(relative: Path) -> str | None:
    try:
        return (TEMPLATE_DIR / relative).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # a binary file is copied as is


def test_template_has_files() -> None:
    assert template_files(), f"no files under {TEMPLATE_DIR}"


@pytest.mark.parametrize("relative", template_paths(), ids=str)
def test_name_has_no_forbidden_characters(relative: Path) -> None:
    for part in relative.parts:
        bad = sorted(FORBIDDEN_CHARACTERS & set(part))
        assert not bad, f"{part!r} contains {bad}: the name breaks checkouts on Windows"


@pytest.mark.parametrize("relative", template_paths(), ids=str)
def test_conditional_name_is_one_simple_condition(relative: Path) -> None:
    for part in relative.parts:
        if "{%" not in part:
            continue
        match = CONDITIONAL_NAME.fullmatch(part)
        assert match, (
            f"{part!r}: write `{{% if flag %}}name{{% endif %}}` with one boolean flag, "
            f"and the {SUFFIX} suffix (if any) after `{{% endif %}}`"
        )
        assert not match["name"].endswith(SUFFIX), f"{part!r}: put {SUFFIX} outside the condition"
        assert match["flag"] in known_names(), f"{part!r}: unknown flag {match['flag']!r}"
        if match["suffix"]:
            assert (TEMPLATE_DIR / relative).is_file(), f"{part!r}: a folder cannot be a template"


@pytest.mark.parametrize("relative", template_paths(), ids=str)
def test_folder_names_have_no_template_suffix(relative: Path) -> None:
    if (TEMPLATE_DIR / relative).is_dir():
        assert not relative.name.endswith(SUFFIX), f"{relative}: folders are never rendered"


@pytest.mark.parametrize("relative", template_files(), ids=str)
def test_template_suffix_only_where_needed(relative: Path) -> None:
    text = read_text(relative)
    if relative.name.endswith(SUFFIX):
        assert text is not None, f"{relative} is binary: drop the {SUFFIX} suffix"
        assert ANY_JINJA.search(text), f"{relative} has no Jinja: drop the {SUFFIX} suffix"
        return
    if text is None:
        return
    if ".github" in relative.parts[0]:
        text = text.replace("${{", "")  # GitHub Actions expressions, copied verbatim
    lines = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if re.search(r"\{\{|\{%", line)
    ]
    assert lines == [], f"{relative} holds Jinja but has no {SUFFIX} suffix:\n" + "\n".join(lines)
