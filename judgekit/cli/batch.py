"""`judgekit batch`: follow, collect or cancel the provider batches of a `judgekit eval --batch` run.

Submitting, collecting and the run's ending live in `judgekit.pipeline.paths`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from judgekit.cli import gating
from judgekit.cli.choices import FormatChoice, RetryChoice
from judgekit.cli.common import OutputFormat, Quiet, fail, handles_errors, help_markup, print_json, stdout_console, warn

if TYPE_CHECKING:
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
    min_win_rate: gating.MinWinRate = None,
    min_score: gating.MinScore = None,
    min_pass_rate: gating.MinPassRate = None,
    pass_score: gating.PassScore = None,
    max_unscored: gating.MaxUnscored = None,
    max_flip_rate: gating.MaxFlipRate = None,
    min_agreement: gating.MinAgreement = None,
    max_position_bias: gating.MaxPositionBias = None,
    max_length_bias: gating.MaxLengthBias = None,
    min_criterion_pass: gating.MinCriterionPass = None,
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
    min_items: gating.MinItems = None,
    junit: gating.Junit = None,
    markdown: gating.Markdown = None,
    html: Annotated[
        Optional[str], typer.Option("--html", metavar="FILE", help="Also write the run's HTML report to FILE.")
    ] = None,
    max_errors: Annotated[
        Optional[int], typer.Option(min=0, help="Failed items allowed before exit 3 (default: as submitted).")
    ] = None,
) -> None:
    """Download the results of a run's batches, write its judgments and summary.

    Waits for batches still running, retries requests that failed inside a batch (as the run
    was told to) and never submits anything else: requests never submitted (a run stopped
    while submitting) are sent by running the `judgekit eval ... --batch` command again.
    """
    from judgekit.api import config_from_run
    from judgekit.batch.driver import BatchOptions
    from judgekit.pipeline.batch_path import collect_run

    journal = _journal(run_dir)
    options = BatchOptions.from_stored(
        journal.options,
        poll_interval=poll_interval,
        retry=retry.value if retry else None,
        wait=wait,
        submit_new=False,
    )
    given = {**locals(), "max_errors": config_from_run(run_dir).max_errors if max_errors is None else max_errors}
    post = gating.post_run_of(given, html=html, as_json=output_format is FormatChoice.json)
    code = collect_run(run_dir, options, post, quiet=quiet)
    if code:
        raise typer.Exit(code)


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
    from judgekit.batch.registry import batch_api_for

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
