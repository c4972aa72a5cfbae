"""Command line: ``run`` the pipeline, ``retention`` deletes old rows; also ``python -m``.

Exit codes: 0 success, 1 unexpected error (a bug), 2 usage error, 3 invalid
configuration, 4 unreadable source or schema mismatch, 5 too many invalid rows,
6 destination or report not writable, 7 another run holds the lock. A failed
run prints one ``error: ...`` line on stderr; ``--debug`` adds the traceback.
"""

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .errors import DestinationError, PipelineError
from .retention import run_retention
from .runner import RunOptions, RunOutcome, execute

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help=__doc__.split("\n", 1)[0] if __doc__ else None,
)


@app.callback()
def cli() -> None:
    """Run the batch data pipeline described by the configuration file."""


@app.command()
def run(
    config: Annotated[
        Path | None,
        typer.Option(help="Configuration file [default: from the settings, config/pipeline.yml]"),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write the run report here [default: <output_dir>/reports/]"),
    ] = None,
    *,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for a running pipeline instead of failing")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log debug events and show tracebacks")
    ] = False,
) -> None:
    """Extract, validate, transform and load every configured dataset."""
    options = RunOptions(config=config, report=report, wait=wait, debug=debug)
    with _stage_display() as on_stage:
        outcome = execute(options, on_stage=on_stage)
    _print_summary(outcome)
    exit_code = _print_errors(outcome, debug=debug)
    if exit_code:
        raise typer.Exit(exit_code)


@app.command()
def retention(
    config: Annotated[
        Path | None,
        typer.Option(help="Configuration file [default: from the settings, config/pipeline.yml]"),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(help="Delete rows older than this many days [default: retention_days]"),
    ] = None,
    *,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be deleted; delete nothing")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for a running pipeline instead of failing")
    ] = False,
) -> None:
    """Delete the detail rows older than the retention period from every destination."""
    try:
        result = run_retention(config, days, dry_run=dry_run, wait=wait)
    except PipelineError as exc:
        typer.echo(f"error: {_one_line(exc)}", err=True)
        raise typer.Exit(exc.exit_code) from None
    mode = "dry run, nothing deleted" if dry_run else "deleted"
    typer.echo(
        f"retention {result.days} days: rows before {result.cutoff.isoformat()} (UTC), {mode}"
    )
    for item in result.expired:
        typer.echo(f"  {item.describe(dry_run=dry_run)}")


def main() -> None:
    """Console-script entry point."""
    app(prog_name=__package__)


@contextmanager
def _stage_display() -> Iterator[Callable[[str], None] | None]:
    """A spinner naming the current stage on a terminal; nothing otherwise."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with console.status("starting") as status:
        yield lambda stage: status.update(f"[bold]{stage}[/bold]")


def _print_summary(outcome: RunOutcome) -> None:
    report = outcome.report
    duration = report.to_dict()["duration_s"]
    typer.echo(f"run {report.run_id} {report.status} in {duration:.1f} s")
    for name, stats in report.datasets.items():
        typer.echo(
            f"  {name}: read {stats.rows_read}, written {stats.rows_written}, "
            f"quarantined {stats.rows_quarantined}, duplicates dropped {stats.duplicates_dropped}"
        )
        if stats.quarantine_file:
            typer.echo(f"    quarantine: {stats.quarantine_file}")
    for output in report.outputs:
        typer.echo(
            f"  {output.destination}: {output.table} -> {output.location} ({output.rows} rows)"
        )
    if outcome.report_path is not None:
        typer.echo(f"  report: {outcome.report_path}")


def _print_errors(outcome: RunOutcome, *, debug: bool) -> int:
    """Print the error lines on stderr and return the process exit code."""
    exit_code = outcome.exit_code
    if outcome.error is not None:
        if debug:
            typer.echo("".join(traceback.format_exception(outcome.error)).rstrip(), err=True)
        typer.echo(f"error: {_one_line(outcome.error)}", err=True)
    if outcome.report_error is not None:
        typer.echo(f"error: cannot write the run report: {outcome.report_error}", err=True)
        exit_code = exit_code or DestinationError.exit_code
    return exit_code


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
