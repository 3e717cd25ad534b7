"""`judgekit eval`: judge a dataset of model outputs."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Any, Optional

import typer

from judgekit.cli.common import fail, handles_errors, stdout_console, warn

JUDGE_PANEL = "Judge"
DATA_PANEL = "Data"
RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"


class ModeChoice(str, Enum):
    pairwise = "pairwise"
    pointwise = "pointwise"


class PositionsChoice(str, Enum):
    random = "random"
    swap = "swap"
    fixed = "fixed"


class FormatChoice(str, Enum):
    table = "table"
    json = "json"


@handles_errors
def eval_command(
    dataset: Annotated[
        Optional[str], typer.Argument(help="Data file: JSONL, CSV or a JSON array of rows.", show_default=False)
    ] = None,
    judge: Annotated[
        Optional[str],
        typer.Option(
            "--judge",
            "-j",
            envvar="JUDGEKIT_JUDGE",
            help="Judge model as provider/model, e.g. openai/gpt-4o-mini. "
            "Default: the embedded local judge, local/qwen2.5-coder-1.5b.",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = None,
    mode: Annotated[
        Optional[ModeChoice],
        typer.Option(
            "--mode",
            "-m",
            help="pairwise or pointwise (default: from the template or the data).",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = None,
    prompt: Annotated[
        Optional[str],
        typer.Option(
            "--prompt",
            "-p",
            help="Built-in template name or a .jinja file (see `judgekit prompts list`).",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = None,
    positions: Annotated[
        Optional[PositionsChoice],
        typer.Option(
            help="Pairwise answer order: random (seeded per item), swap (both orders) or fixed. "
            "Default: random; swap for the embedded local judge.",
            rich_help_panel=JUDGE_PANEL,
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for answer order, sampling and bootstrap.", rich_help_panel=JUDGE_PANEL)
    ] = 0,
    temperature: Annotated[
        Optional[float],
        typer.Option(help="Sampling temperature (default: the template's, usually 0).", rich_help_panel=JUDGE_PANEL),
    ] = None,
    max_tokens: Annotated[
        Optional[int],
        typer.Option(help="Longest judge answer in tokens (default: the template's).", rich_help_panel=JUDGE_PANEL),
    ] = None,
    base_url: Annotated[
        Optional[str],
        typer.Option(
            help="Server URL for this run (overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL).",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = None,
    field: Annotated[
        Optional[list[str]],
        typer.Option(
            "--field",
            "-f",
            help="Map a column onto a field: NAME=COLUMN (repeatable; dotted paths reach nested keys).",
            rich_help_panel=DATA_PANEL,
        ),
    ] = None,
    limit: Annotated[
        Optional[int], typer.Option("--limit", "-n", help="Judge only the first N items.", rich_help_panel=DATA_PANEL)
    ] = None,
    max_chars: Annotated[
        int,
        typer.Option(
            help="Longest text accepted in any field; longer texts are an error unless --truncate.",
            rich_help_panel=DATA_PANEL,
        ),
    ] = 100_000,
    truncate: Annotated[
        bool,
        typer.Option(
            "--truncate",
            help="Cut texts longer than --max-chars instead of rejecting the file.",
            rich_help_panel=DATA_PANEL,
        ),
    ] = False,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            "-c",
            envvar="JUDGEKIT_CONCURRENCY",
            min=1,
            help="Requests in flight at once.",
            rich_help_panel=RUN_PANEL,
        ),
    ] = 16,
    timeout: Annotated[
        float, typer.Option(envvar="JUDGEKIT_TIMEOUT", help="Seconds allowed per request.", rich_help_panel=RUN_PANEL)
    ] = 60.0,
    max_retries: Annotated[
        int,
        typer.Option(
            min=0,
            help="Retries per call on rate limits, server errors, timeouts and malformed answers.",
            rich_help_panel=RUN_PANEL,
        ),
    ] = 6,
    retry_base_delay: Annotated[
        float,
        typer.Option(
            envvar="JUDGEKIT_RETRY_BASE_DELAY",
            min=0,
            help="Seconds before the first retry; doubles each time (Retry-After wins).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = 1.0,
    max_calls: Annotated[
        Optional[int],
        typer.Option(
            min=0, help="Stop cleanly after sending this many requests (resume later).", rich_help_panel=RUN_PANEL
        ),
    ] = None,
    max_errors: Annotated[
        int,
        typer.Option(
            min=0, help="Items allowed to fail after retries before exiting with code 3.", rich_help_panel=RUN_PANEL
        ),
    ] = 0,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the completion cache.", rich_help_panel=RUN_PANEL)
    ] = False,
    cache_dir: Annotated[
        Optional[str],
        typer.Option(
            envvar="JUDGEKIT_CACHE_DIR",
            help="Cache directory (default: the user cache dir).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    out: Annotated[
        Optional[str],
        typer.Option(
            "--out",
            "-o",
            help="Run directory (default: runs/<data>-<kind>-<judge>-<run id>).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    runs_dir: Annotated[
        str,
        typer.Option(
            envvar="JUDGEKIT_RUNS_DIR", help="Where default run directories go.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = "runs",
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Start the run directory afresh instead of resuming it.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = False,
    resume: Annotated[
        Optional[str],
        typer.Option(help="Finish the run in this directory with its stored options.", rich_help_panel=OUTPUT_PANEL),
    ] = None,
    output_format: Annotated[
        FormatChoice,
        typer.Option(
            "--format", help="table (rich) or json (only the summary JSON on stdout).", rich_help_panel=OUTPUT_PANEL
        ),
    ] = FormatChoice.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
    threads: Annotated[
        Optional[int],
        typer.Option(
            envvar="JUDGEKIT_THREADS",
            min=1,
            help="CPU threads for a local/ model (default: the physical cores).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
) -> None:
    """Judge a dataset of model outputs and summarise the verdicts.

    Pairwise rows hold a question and two answers (answer_a, answer_b); pointwise rows a
    question and one answer. Results go to a run directory; running the same command again
    resumes it without repeating any finished call.
    """
    import asyncio

    from judgekit.api import config_from_run, execute, finish, prepare
    from judgekit.config import EvalConfig
    from judgekit.datasets import parse_field_options
    from judgekit.errors import ExitCode
    from judgekit.reporting.console import print_summary
    from judgekit.reporting.progress import make_progress

    if resume:
        if dataset:
            raise fail("give either a DATASET or --resume RUN_DIR, not both", ExitCode.USAGE)
        config = config_from_run(resume)
    else:
        if not dataset:
            raise fail("missing DATASET (a .jsonl, .csv or .json file); see `judgekit eval --help`", ExitCode.USAGE)
        fields = parse_field_options(field or [])
        chosen: dict[str, Any] = {
            "judge": judge,
            "prompt": prompt,
            "positions": positions.value if positions else "random",
        }
        if not judge:
            from judgekit import embedded

            kind = mode.value if mode else embedded.data_kind(dataset, fields)
            chosen = embedded.settings(kind, positions=positions.value if positions else None, prompt=prompt)
            warn(embedded.notice(chosen, kind))
        config = EvalConfig(
            dataset=dataset,
            mode=mode.value if mode else None,
            fields=fields,
            seed=seed,
            temperature=temperature,
            max_tokens=max_tokens,
            limit=limit,
            max_chars=max_chars,
            truncate=truncate,
            base_url=base_url,
            concurrency=concurrency,
            timeout=timeout,
            max_retries=max_retries,
            retry_base_delay=retry_base_delay,
            max_calls=max_calls,
            max_errors=max_errors,
            cache=not no_cache,
            cache_dir=cache_dir,
            out=out,
            runs_root=runs_dir,
            fresh=fresh,
            threads=threads,
            **chosen,
        )
    prepared = prepare(config)
    progress = make_progress(enabled=not quiet)
    try:
        result = asyncio.run(execute(prepared, progress))
    except KeyboardInterrupt:
        progress.stop()
        summary = finish(prepared.run_dir, status="interrupted")
        warn(
            f"interrupted: {summary.counts.scored + summary.counts.unscored} of {summary.counts.items} items "
            f"are judged and kept in {prepared.run_dir.path}; run the same command again to finish"
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    summary = result.summary
    if output_format is FormatChoice.json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
    else:
        print_summary(summary, stdout_console())
    counters = result.counters
    warn(
        f"run directory: {result.run_dir} ({counters.calls} calls made, {counters.cached} from cache, "
        f"{counters.resumed} resumed)"
    )
    if result.stop_reason:
        raise fail(
            f"the run stopped early: {result.stop_reason}; run the same command again to continue", ExitCode.PROVIDER
        )
    if summary.counts.errors > config.max_errors:
        raise fail(
            f"{summary.counts.errors} items failed after retries (allowed: --max-errors {config.max_errors}); "
            "run the same command again to retry only them",
            ExitCode.PROVIDER,
        )
