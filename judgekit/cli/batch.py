"""`judgekit batch`: follow, collect or cancel the provider batches of a `judgekit eval --batch` run.

Also holds what `judgekit eval --batch` runs once its options are read (`eval_in_batches`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from judgekit.cli.choices import FormatChoice, RetryChoice
from judgekit.cli.common import OutputFormat, Quiet, fail, handles_errors, help_markup, print_json, stdout_console, warn

if TYPE_CHECKING:
    from judgekit.api import EvalResult, Prepared
    from judgekit.batch.driver import BatchOptions, BatchResult
    from judgekit.store.batch_state import BatchJournal

app = typer.Typer(
    rich_markup_mode=help_markup(),
    help="Follow, collect or cancel the provider batches of a `judgekit eval --batch` run.",
    no_args_is_help=True,
)


RunDirArgument = Annotated[str, typer.Argument(help="A run directory written by `judgekit eval --batch`.")]


@app.command("status")
@handles_errors
def status_command(
    run_dir: RunDirArgument,
    output_format: Annotated[FormatChoice, typer.Option("--format", help="table or json.")] = FormatChoice.table,
    offline: Annotated[
        bool, typer.Option("--offline", help="Show what the run directory knows; ask the provider nothing.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Show a run's batches: provider id, state, progress and what was collected."""
    import asyncio
    import json

    journal = _journal(run_dir)
    ended: set[str] = set()
    if journal.running() and not offline:
        ended = asyncio.run(_refresh_status(run_dir, journal))
    if output_format is FormatChoice.json:
        payload = journal.model_dump(mode="json")
        payload["options"] = {key: value for key, value in payload["options"].items() if key != "token"}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    _print_batches(journal, ended, run_dir)


@app.command("collect")
@handles_errors
def collect_command(
    run_dir: RunDirArgument,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for running batches, or collect what has ended and return.")
    ] = True,
    poll_interval: Annotated[
        Optional[float],
        typer.Option(
            envvar="JUDGEKIT_BATCH_POLL_INTERVAL", min=0, help="Seconds between looks (default: as submitted)."
        ),
    ] = None,
    retry: Annotated[
        Optional[RetryChoice],
        typer.Option("--batch-retry", help="Failed requests: a new batch, interactive calls, or none."),
    ] = None,
    output_format: Annotated[
        FormatChoice, typer.Option("--format", help="table or json (only the summary JSON on stdout).")
    ] = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Download the results of a run's batches, write its judgments and summary.

    Waits for batches still running, retries requests that failed inside a batch (as the run
    was told to) and never submits anything else: requests never submitted (a run stopped
    while submitting) are sent by running the `judgekit eval ... --batch` command again.
    """
    from judgekit.api import config_from_run, prepare
    from judgekit.batch.driver import BatchOptions

    journal = _journal(run_dir)
    config = config_from_run(run_dir)
    options = BatchOptions.from_stored(
        journal.options,
        poll_interval=poll_interval,
        retry=retry.value if retry else None,
        wait=wait,
        submit_new=False,
    )
    prepared = prepare(config)
    outcome = _run(prepared, options, quiet)
    _finish(outcome, config.max_errors, output_format.value)


@app.command("cancel")
@handles_errors
def cancel_command(
    run_dir: RunDirArgument, output_format: OutputFormat = FormatChoice.table, quiet: Quiet = False
) -> None:
    """Ask the provider to cancel a run's running batches (what already finished is kept)."""
    import asyncio

    journal = _journal(run_dir)
    running = journal.running()
    cancelled = [record.provider_id for record in running if record.provider_id]
    if output_format is FormatChoice.json:
        print_json({"cancelled": cancelled})
    if not running:
        warn(f"{run_dir}: no batch is running")
        return
    asyncio.run(_cancel(run_dir, cancelled))
    warn(
        f"asked the provider to cancel {len(running)} batch(es); collect what they finished with "
        f"`judgekit batch collect {run_dir}` (running the eval command again submits the cancelled requests anew)"
    )


# -- shared with `judgekit eval --batch` ------------------------------------------------------
def eval_in_batches(prepared: Prepared, options: BatchOptions, *, output_format: str, quiet: bool) -> None:
    """`judgekit eval --batch`: submit, wait (unless detached), collect, print, exit."""
    outcome = _run(prepared, options, quiet)
    if options.estimate_only:
        return
    if options.detach and outcome.running:
        _print_detached(outcome, output_format)
        return
    _finish(outcome, prepared.config.max_errors, output_format)


def _run(prepared: Prepared, options: BatchOptions, quiet: bool) -> BatchResult:
    import asyncio

    from judgekit.api import finish
    from judgekit.batch.driver import run_batch
    from judgekit.batch.progress import BatchView
    from judgekit.errors import ExitCode

    view = BatchView(quiet=quiet)
    try:
        return asyncio.run(run_batch(prepared, options, view))
    except KeyboardInterrupt:
        view.stop()
        path = prepared.run_dir.path
        if prepared.run_dir.exists():
            finish(prepared.run_dir, status="interrupted")
        warn(
            f"interrupted: everything collected is kept in {path}, and submitted batches keep running at the "
            f"provider; run the same command again, or `judgekit batch collect {path}`, to pick them up"
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _finish(outcome: BatchResult, max_errors: int, output_format: str) -> None:
    from judgekit.errors import ExitCode
    from judgekit.reporting.console import print_summary

    result: EvalResult = outcome.result
    summary = result.summary
    if output_format == "json":
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
    else:
        print_summary(summary, stdout_console())
    counters = result.counters
    warn(
        f"run directory: {result.run_dir} ({counters.calls} answers collected from batches, "
        f"{counters.cached} from cache, {summary.counts.scored + summary.counts.unscored} items judged in all)"
    )
    if outcome.running:
        warn(
            f"{len(outcome.running)} batch(es) are still running; collect them later with "
            f"`judgekit batch collect {result.run_dir}`"
        )
        return
    if result.stop_reason:
        raise fail(
            f"the run stopped early: {result.stop_reason}; run the same command again to continue", ExitCode.PROVIDER
        )
    from judgekit.ci.health import run_failure

    failure = run_failure(summary, max_errors, result.run_dir)  # errors over budget, or no verdict at all
    if failure:
        raise fail(failure, ExitCode.PROVIDER)


def _print_detached(outcome: BatchResult, output_format: str) -> None:
    import json

    path = outcome.result.run_dir
    if output_format == "json":
        payload = {
            "run_dir": str(path),
            "batches": [record.model_dump(mode="json") for record in outcome.running],
            "estimate": outcome.estimate,
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        sys.stdout.write(f"{path}\n")
    requests = sum(record.requests for record in outcome.running)
    warn(
        f"{len(outcome.running)} batch(es) with {requests} requests are with the provider; follow them with "
        f"`judgekit batch status {path}` and collect them with `judgekit batch collect {path}`"
    )


# -- helpers ----------------------------------------------------------------------------------
def _journal(run_dir: str) -> BatchJournal:
    from judgekit.errors import ExitCode
    from judgekit.store.batch_state import BatchStore
    from judgekit.store.rundir import RunDir

    RunDir(Path(run_dir)).read_manifest()  # a clear error when it is no run directory at all
    journal = BatchStore(Path(run_dir)).load()
    if journal is None:
        raise fail(f"{run_dir} has no batches; submit some with `judgekit eval ... --batch`", ExitCode.USAGE)
    return journal


def _batch_api(run_dir: str) -> Any:
    from judgekit.api import config_from_run
    from judgekit.backends.base import BackendOptions
    from judgekit.backends.registry import create_backend, parse_spec
    from judgekit.batch.base import batch_api_for

    config = config_from_run(run_dir)
    spec = parse_spec(config.judge)
    backend = create_backend(spec.provider, BackendOptions(timeout=config.timeout, base_url=config.base_url))
    return batch_api_for(backend), backend


async def _refresh_status(run_dir: str, journal: BatchJournal) -> set[str]:
    """Ask the provider about each running batch; the local ids of those that have ended.

    The run directory is not changed: collecting is `batch collect`'s job.
    """
    from judgekit.errors import ProviderError

    ended: set[str] = set()
    api, backend = _batch_api(run_dir)
    try:
        for record in journal.running():
            assert record.provider_id is not None
            try:
                status = await api.status(record.provider_id)
            except ProviderError as exc:
                record.note = f"could not ask the provider: {exc}"
                continue
            record.provider_status = status.provider_status
            record.progress = status.done
            if status.state != "running":
                ended.add(record.local_id)
                record.note = f"ended; collect it with `judgekit batch collect {run_dir}`"
    finally:
        await backend.aclose()
    return ended


async def _cancel(run_dir: str, provider_ids: list[str]) -> None:
    api, backend = _batch_api(run_dir)
    try:
        for provider_id in provider_ids:
            await api.cancel(provider_id)
    finally:
        await backend.aclose()


def _print_batches(journal: BatchJournal, ended: set[str], run_dir: str) -> None:
    from rich.table import Table

    table = Table(title=f"Batches of {journal.judge}", title_justify="left")
    table.add_column("batch")
    table.add_column("provider id", no_wrap=True)
    table.add_column("state")
    for column in ("requests", "done", "failed"):
        table.add_column(column, justify="right")
    for record in journal.batches:
        state = "ended, to collect" if record.local_id in ended else record.state
        status = f"{state} ({record.provider_status})" if record.provider_status else state
        if record.state == "collected":
            done, failed = str(record.succeeded + record.failed), str(record.failed)
        else:
            done, failed = ("-" if record.progress is None else str(record.progress)), "-"
        table.add_row(record.local_id, record.provider_id or "-", status, str(record.requests), done, failed)
    console = stdout_console()
    console.print(table)
    for record in journal.batches:
        if record.note:
            console.print(f"{record.local_id}: {record.note}", markup=False, highlight=False)
    running = [record for record in journal.running() if record.local_id not in ended]
    if running:
        warn(f"{len(running)} batch(es) running; collect them with `judgekit batch collect {run_dir}` once they end")
