"""Answer copier's prompts in a pseudo-terminal, as a person would."""

from __future__ import annotations

import io
import re
import time
from typing import TYPE_CHECKING

import pexpect

from tests.helpers import questions, read_answers, venv_tool

if TYPE_CHECKING:
    from pathlib import Path

ANSI_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])")
SECTION_TAG = re.compile(r"^\[\d+/\d+ [^\]]+\]")
OVERALL_TIMEOUT = 180.0  # seconds for the whole session
IDLE = 0.15  # seconds without output: copier waits for an answer (an extra Enter is harmless)


def plain(transcript: str) -> str:
    """The transcript without terminal escape sequences."""
    return ANSI_ESCAPE.sub("", transcript).replace("\r", "")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_prompts_with_a_typed_name_and_the_defaults(
    template_src: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    destination = tmp_path / "project"
    env = {
        **isolated_env,
        "TERM": "xterm",
        "COLUMNS": "200",
        "LINES": "50",
        # No terminal answers cursor-position requests here; do not wait for one.
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    first_question, first_spec = next(iter(questions().items()))
    assert first_question == "project_name"
    transcript = io.StringIO()
    child = pexpect.spawn(
        venv_tool("copier"),
        ["copy", "--trust", str(template_src), str(destination)],
        env=env,
        dimensions=(50, 200),
        encoding="utf-8",
        codec_errors="replace",
        timeout=60,
    )
    child.logfile_read = transcript
    try:
        # The first prompt shows the default pre-filled: clear the line, then type the name.
        child.expect(re.escape(str(first_spec["default"])))
        child.send("\x15")  # Ctrl-U: erase the pre-filled default
        child.send("Sales Events\r")
        # Then accept every default: press Enter whenever copier waits (no output for IDLE s).
        deadline = time.monotonic() + OVERALL_TIMEOUT
        while True:
            assert time.monotonic() < deadline, "copier did not finish:\n" + plain(
                transcript.getvalue()
            )
            if child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=IDLE) == 0:
                break
            child.send("\r")
    finally:
        child.close(force=True)
    output = plain(transcript.getvalue())
    assert child.exitstatus == 0, f"copier exited with {child.exitstatus}:\n{output}"

    answers = read_answers(destination)
    assert answers["project_name"] == "Sales Events", output
    assert answers["project_slug"] == "sales-events"
    assert answers["package_name"] == "sales_events"
    assert (destination / "src" / "sales_events").is_dir()

    # Every question was shown with its help text, so every section tag appears.
    helps = {
        name: str(spec["help"])
        for name, spec in questions().items()
        if "help" in spec and "when" not in spec
    }
    tags = {match.group(0) for h in helps.values() if (match := SECTION_TAG.match(h))}
    assert tags, "the help texts of copier.yml carry no section tag such as [1/10 Overview]"
    missing_tags = sorted(tag for tag in tags if tag not in output)
    assert missing_tags == [], output
    shown = squeeze(output)
    missing_helps = sorted(
        name for name, text in helps.items() if "{" not in text and squeeze(text) not in shown
    )
    assert missing_helps == [], output
