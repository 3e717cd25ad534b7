"""`judgekit compare`: several prompts and judges over one human-labelled dataset, side by side."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from judgekit.cli import gating
from judgekit.cli.choices import FormatChoice, LevelChoice, PositionsChoice
from judgekit.cli.common import fail, handles_errors

JUDGE_PANEL = "Judges and prompts"
DATA_PANEL = "Data and statistics"
RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"


@handles_errors
def compare_command(
    dataset: Annotated[str, typer.Argument(help="Human-labelled data: pairwise labels or pointwise human scores.")],
    judge: Annotated[
        Optional[list[str]],
        typer.Option(
            "--judge", "-j", help="Judge as provider/model; repeat to compare judges.", rich_help_panel=JUDGE_PANEL
        ),
    ] = None,
    prompt: Annotated[
        Optional[list[str]],
        typer.Option(
            "--prompt",
            "-p",
            help="Template name or .jinja file; repeat to compare prompts.",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = None,
    panel: Annotated[
        bool,
        typer.Option(
            "--panel",
            help="Also combine all judges of each prompt into a panel (majority verdict or mean score).",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = False,
    positions: Annotated[
        PositionsChoice,
        typer.Option(
            help="Pairwise answer order; swap (both orders) measures position consistency.", rich_help_panel=JUDGE_PANEL
        ),
    ] = PositionsChoice.swap,
    seed: Annotated[int, typer.Option(help="Seed for answer order and bootstrap.", rich_help_panel=JUDGE_PANEL)] = 0,
    resamples: Annotated[
        int, typer.Option(min=100, help="Bootstrap resamples per interval.", rich_help_panel=DATA_PANEL)
    ] = 2000,
    temperature: Annotated[
        Optional[float], typer.Option(help="Sampling temperature.", rich_help_panel=JUDGE_PANEL)
    ] = None,
    max_tokens: Annotated[
        Optional[int], typer.Option(help="Longest judge answer.", rich_help_panel=JUDGE_PANEL)
    ] = None,
    base_url: Annotated[
        Optional[str], typer.Option(help="Server URL for every judge.", rich_help_panel=JUDGE_PANEL)
    ] = None,
    field: Annotated[
        Optional[list[str]],
        typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.", rich_help_panel=DATA_PANEL),
    ] = None,
    limit: Annotated[
        Optional[int], typer.Option("--limit", "-n", help="Only the first N items.", rich_help_panel=DATA_PANEL)
    ] = None,
    group_by: Annotated[
        Optional[str],
        typer.Option(
            help="Column defining groups (e.g. doc_id) or systems (e.g. system_id).", rich_help_panel=DATA_PANEL
        ),
    ] = None,
    level: Annotated[
        Optional[LevelChoice],
        typer.Option(
            help="Correlation level: item, group (per group, averaged) or system.", rich_help_panel=DATA_PANEL
        ),
    ] = None,
    rank_by: Annotated[
        Optional[str],
        typer.Option(
            help="agreement, agreement_without_ties, kappa, spearman, kendall or pearson "
            "(default: agreement for pairwise, spearman for pointwise).",
            rich_help_panel=DATA_PANEL,
        ),
    ] = None,
    price: Annotated[
        Optional[list[str]],
        typer.Option(
            help="JUDGE=IN:OUT, USD per million input:output tokens, to show cost (repeatable).",
            rich_help_panel=DATA_PANEL,
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", envvar="JUDGEKIT_CONCURRENCY", min=1, rich_help_panel=RUN_PANEL)
    ] = 16,
    timeout: Annotated[float, typer.Option(envvar="JUDGEKIT_TIMEOUT", rich_help_panel=RUN_PANEL)] = 60.0,
    max_retries: Annotated[int, typer.Option(min=0, rich_help_panel=RUN_PANEL)] = 6,
    retry_base_delay: Annotated[
        float, typer.Option(envvar="JUDGEKIT_RETRY_BASE_DELAY", min=0, rich_help_panel=RUN_PANEL)
    ] = 1.0,
    max_calls: Annotated[
        Optional[int],
        typer.Option(min=0, help="Stop each combination after this many requests.", rich_help_panel=RUN_PANEL),
    ] = None,
    max_errors: Annotated[
        int,
        typer.Option(
            min=0, help="Items allowed to fail per combination before exit code 3.", rich_help_panel=RUN_PANEL
        ),
    ] = 0,
    no_cache: Annotated[bool, typer.Option("--no-cache", rich_help_panel=RUN_PANEL)] = False,
    cache_dir: Annotated[Optional[str], typer.Option(envvar="JUDGEKIT_CACHE_DIR", rich_help_panel=RUN_PANEL)] = None,
    out: Annotated[
        Optional[str],
        typer.Option(
            "--out", "-o", help="Output directory (default: runs/compare-<data>-<hash>).", rich_help_panel=OUTPUT_PANEL
        ),
    ] = None,
    runs_dir: Annotated[str, typer.Option(envvar="JUDGEKIT_RUNS_DIR", rich_help_panel=OUTPUT_PANEL)] = "runs",
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start every run afresh.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
    output_format: Annotated[
        FormatChoice,
        typer.Option("--format", help="table or json (the comparison JSON).", rich_help_panel=OUTPUT_PANEL),
    ] = FormatChoice.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress display.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
    html: Annotated[
        Optional[str],
        typer.Option(
            "--html", help="Also write the comparison as a self-contained HTML page.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = None,
) -> None:
    """Compare prompts and judges against human labels: agreement, correlation, bias, cost.

    Every (prompt, judge) combination judges the whole dataset (its own run directory under
    the output directory: cached and resumable); the rows are ranked and the best is tested
    against the runner-up on the same items. compare.json in the output directory keeps it all.
    """
    from judgekit.compare.runs import CompareOptions, parse_prices
    from judgekit.config import EvalConfig
    from judgekit.errors import ExitCode
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.pipeline.paths import compare_run

    if not judge:
        raise fail("no judge given: pass --judge provider/model (repeat it to compare judges)", ExitCode.USAGE)
    base = EvalConfig(
        dataset=dataset,
        judge=judge[0],
        fields=parse_field_options(field or []),
        positions=positions.value,
        seed=seed,
        temperature=temperature,
        max_tokens=max_tokens,
        limit=limit,
        base_url=base_url,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        retry_base_delay=retry_base_delay,
        max_calls=max_calls,
        max_errors=max_errors,
        cache=not no_cache,
        cache_dir=cache_dir,
        runs_root=runs_dir,
        fresh=fresh,
        group_by=group_by,
        level=level.value if level else None,
        bootstrap_resamples=resamples,
    )
    options = CompareOptions(
        base=base,
        prompts=list(prompt or []),
        judges=list(judge),
        panel=panel,
        rank_by=rank_by,
        level=level.value if level else None,
        group_by=group_by,
        prices=parse_prices(price or []),
        out=out,
    )
    post = gating.post_run(
        gating.gate_options(), html=html, as_json=output_format is FormatChoice.json, max_errors=max_errors
    )
    code = compare_run(options, post, quiet=quiet)
    if code:
        raise typer.Exit(code)
