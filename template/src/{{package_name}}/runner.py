"""Run the pipeline once: settings, configuration, lock, stages and the run report.

``execute`` never raises for a failed run: it returns the outcome with the
exit code, and the run report is written in every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from .config import load_config
from .errors import UNEXPECTED_EXIT_CODE, PipelineError
from .lock import run_lock
from .logs import bind, configure_logging, get_logger
from .pipeline import run_pipeline
from .report import RunReport, new_run_id
from .settings import DEFAULT_OUTPUT_DIR, Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@dataclass(frozen=True)
class RunOptions:
    """What the command line asks for; None means the settings' value."""

    config: Path | None = None
    report: Path | None = None
    wait: bool = False
    debug: bool = False


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: its report, where it went, and how the process should exit."""

    report: RunReport
    report_path: Path | None
    exit_code: int
    error: BaseException | None = None
    report_error: OSError | None = None


def execute(options: RunOptions, on_stage: Callable[[str], None] | None = None) -> RunOutcome:
    """Run the pipeline and write the run report.

    Args:
        options: The command-line options.
        on_stage: Called with a short description as each stage starts.
    """
    report = RunReport(run_id=new_run_id(), on_stage=on_stage)
    structlog.contextvars.clear_contextvars()
    defaults = Settings.model_construct()
    configure_logging(defaults.log_format, "DEBUG" if options.debug else defaults.log_level)
    bind(run_id=report.run_id)
    log = get_logger()
    output_dir = DEFAULT_OUTPUT_DIR
    error: BaseException | None = None
    exit_code = 0
    try:
        settings = load_settings()
        output_dir = settings.output_dir or output_dir
        configure_logging(settings.log_format, "DEBUG" if options.debug else settings.log_level)
        config_path = options.config or settings.config
        log.info("run.started", config=str(config_path))
        config = load_config(config_path, settings.config_overrides())
        output_dir = config.output_dir
        with run_lock(output_dir / "state" / "pipeline.lock", wait=options.wait):
            run_pipeline(config, report)
        report.succeed()
        log.info("run.succeeded", **report.totals())
    except PipelineError as exc:
        error, exit_code = exc, exc.exit_code
    except Exception as exc:  # noqa: BLE001 - any other error is reported as a bug
        error, exit_code = exc, UNEXPECTED_EXIT_CODE
    if error is not None:
        report.fail(error, exit_code)
        log.error("run.failed", stage=report.current_stage, error=str(error), exit_code=exit_code)
    report_path = options.report or output_dir / "reports" / f"run-{report.run_id}.json"
    try:
        report.write(report_path)
        if options.report is None:
            report.write(report_path.with_name("latest.json"))
    except OSError as exc:
        return RunOutcome(report, None, exit_code, error, report_error=exc)
    return RunOutcome(report, report_path, exit_code, error)
