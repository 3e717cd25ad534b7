"""`judgekit eval`: judge a dataset of model outputs."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from judgekit.cli import gating
from judgekit.cli.choices import (
    DomainChoice,
    FormatChoice,
    LevelChoice,
    ModeChoice,
    PositionsChoice,
    RetryChoice,
    ScoreMethodChoice,
)
from judgekit.cli.common import fail, handles_errors, stdout_console, warn

JUDGE_PANEL = "Judge"
DATA_PANEL = "Data"
RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"
GRADING_PANEL = "Grading (prompt library)"
BATCH_PANEL = "Batch"


@handles_errors
def eval_command(
    dataset: Annotated[
        Optional[str], typer.Argument(help="Data file: JSONL, CSV or a JSON array of rows.", show_default=False)
    ] = None,
    judge: Annotated[
        Optional[list[str]],
        typer.Option(
            "--judge",
            "-j",
            envvar="JUDGEKIT_JUDGE",
            help="Judge model as provider/model, e.g. openai/gpt-4o-mini; repeat it for a panel of judges. "
            "Default: the embedded local judge, local/qwen2.5-coder-1.5b.",
            rich_help_panel=JUDGE_PANEL,
        ),
    ] = None,
    mode: Annotated[
        Optional[ModeChoice],
        typer.Option(
            "--mode",
            "-m",
            help="pairwise or pointwise (default: from the template or the data); reference (grade against a "
            "reference answer) or geval (G-Eval: evaluation steps, then a 1-5 score; needs --criterion).",
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
        Optional[list[str]],
        typer.Option(
            help="Server URL for this run (overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL). Repeat it to balance "
            "calls over several servers of the same judge; URL@N caps one at N requests in flight.",
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
    adaptive: Annotated[
        bool,
        typer.Option(
            "--adaptive",
            help="Halve the requests in flight on each burst of rate limits (429) and let them grow back "
            "up to --concurrency.",
            rich_help_panel=RUN_PANEL,
        ),
    ] = False,
    max_cost: Annotated[
        Optional[float],
        typer.Option(
            min=0,
            help="Stop cleanly before this run's spending could pass this many US dollars (resume later).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    price_in: Annotated[
        Optional[float],
        typer.Option(
            min=0,
            help="US dollars per million input tokens (default: the built-in table for known models).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    price_out: Annotated[
        Optional[float],
        typer.Option(
            min=0,
            help="US dollars per million output tokens (default: the built-in table for known models).",
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
    group_by: Annotated[
        Optional[str],
        typer.Option(
            help="Column defining groups (e.g. doc_id) or systems (e.g. system_id) for the human correlation.",
            rich_help_panel=DATA_PANEL,
        ),
    ] = None,
    level: Annotated[
        Optional[LevelChoice],
        typer.Option(
            help="Human correlation level: item, group (per group, then averaged) or system.",
            rich_help_panel=DATA_PANEL,
        ),
    ] = None,
    baseline: Annotated[
        Optional[str],
        typer.Option(
            metavar="FILE",
            help="Judge DATASET's answers (A) against this file's (B), pairwise; both files hold question + "
            "answer rows, joined on id, else on the question.",
            rich_help_panel=DATA_PANEL,
            show_default=False,
        ),
    ] = None,
    min_win_rate: gating.MinWinRate = None,
    min_score: gating.MinScore = None,
    min_pass_rate: gating.MinPassRate = None,
    pass_score: gating.PassScore = None,
    max_unscored: gating.MaxUnscored = None,
    max_flip_rate: gating.MaxFlipRate = None,
    min_agreement: gating.MinAgreement = None,
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
    junit: gating.Junit = None,
    markdown: gating.Markdown = None,
    domain: Annotated[
        DomainChoice,
        typer.Option(
            help="Built-in prompt for general, coding or math questions; auto picks by each item's category.",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = DomainChoice.general,
    criterion: Annotated[
        Optional[str],
        typer.Option(
            help="G-Eval criterion: a built-in name (see `judgekit prompts criteria`), a file, or a sentence.",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = None,
    steps: Annotated[
        Optional[str],
        typer.Option(
            help="G-Eval: a file of evaluation steps to use instead of having the judge write them.",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = None,
    generate_reference: Annotated[
        bool,
        typer.Option(
            "--generate-reference",
            help="The judge writes a reference answer for each item that has none (once; cached and kept).",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = False,
    rubric: Annotated[
        Optional[str],
        typer.Option(
            help="Rubric file (text, or YAML/JSON score: description) for items without a rubric field.",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = None,
    score_method: Annotated[
        Optional[ScoreMethodChoice],
        typer.Option(
            help="How a verdict becomes a number: parse, logprobs (probability-weighted), samples (mean of "
            "--samples), or auto (logprobs where the backend has them, else samples). Default: parse; "
            "auto under --mode geval.",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = None,
    samples: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="Samples per judge call for the samples method (default 20, at --temperature or 1).",
            rich_help_panel=GRADING_PANEL,
        ),
    ] = None,
    steps_prompt: Annotated[
        Optional[str],
        typer.Option(help="Template (role: steps) that asks for G-Eval's steps.", rich_help_panel=GRADING_PANEL),
    ] = None,
    reference_prompt: Annotated[
        Optional[str],
        typer.Option(
            help="Template (role: reference) that asks for a reference answer.", rich_help_panel=GRADING_PANEL
        ),
    ] = None,
    endpoint_concurrency: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="With several --base-url: requests in flight at most per server (URL@N overrides it).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Judge through the provider's batch API (openai, anthropic): half the price, answers within 24 h.",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = False,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach",
            help="With --batch: return once submitted; then `judgekit batch status|collect RUN_DIR`.",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = False,
    estimate: Annotated[
        bool,
        typer.Option(
            "--estimate",
            help="With --batch: show the requests to submit and their estimated cost, and submit nothing.",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = False,
    poll_interval: Annotated[
        float,
        typer.Option(
            envvar="JUDGEKIT_BATCH_POLL_INTERVAL",
            min=0,
            help="With --batch: seconds between looks at the running batches.",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = 30.0,
    batch_retry: Annotated[
        RetryChoice,
        typer.Option(
            help="With --batch: requests that failed inside a batch go into a new batch, are retried "
            "interactively, or are left failed.",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = RetryChoice.batch,
    batch_retries: Annotated[
        int,
        typer.Option(min=0, help="With --batch: retries per failed request.", rich_help_panel=BATCH_PANEL),
    ] = 2,
    batch_max_requests: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="With --batch: requests per batch (default: the provider's limit, 50,000 / 100,000).",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = None,
    batch_max_bytes: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="With --batch: bytes of input per batch (default: the provider's limit, 200 MB / 256 MB).",
            rich_help_panel=BATCH_PANEL,
        ),
    ] = None,
    html: Annotated[
        Optional[str],
        typer.Option(
            "--html",
            help="Also write a self-contained HTML report (plots, item table, manifest) to this file.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    threads: Annotated[
        Optional[int],
        typer.Option(
            envvar="JUDGEKIT_THREADS",
            min=1,
            help="CPU threads for a local/ model (default: the physical cores).",
            rich_help_panel=RUN_PANEL,
        ),
    ] = None,
    labels_are_random: Annotated[
        bool,
        typer.Option(
            "--labels-are-random",
            help="The items carrying human labels are a random sample: skip the check that refuses an "
            "obviously selected set (the human-anchored estimates rest on it).",
            rich_help_panel=DATA_PANEL,
        ),
    ] = False,
) -> None:
    """Judge a dataset of model outputs and summarise the verdicts.

    Pairwise rows hold a question and two answers (answer_a, answer_b); pointwise rows a
    question and one answer. Results go to a run directory; running the same command again
    resumes it without repeating any finished call.
    """
    import asyncio

    from judgekit.api import config_from_run, execute, finish, prepare
    from judgekit.backends.pool import parse_endpoint
    from judgekit.config import EvalConfig
    from judgekit.errors import ExitCode
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.judging.progress import make_progress
    from judgekit.reporting.console import print_summary

    gates = gating.gate_options(
        min_win_rate=min_win_rate,
        min_score=min_score,
        min_pass_rate=min_pass_rate,
        pass_score=pass_score,
        max_unscored=max_unscored,
        max_flip_rate=max_flip_rate,
        min_agreement=min_agreement,
        on_ci_bound=on_ci_bound,
    )
    if html:
        from judgekit.reporting.html.render import check_target

        check_target(html)  # a typo in the report's path should not cost a whole run
    if resume:
        if dataset:
            raise fail("give either a DATASET or --resume RUN_DIR, not both", ExitCode.USAGE)
        if baseline:
            raise fail("--baseline cannot be combined with --resume (the run already holds the joined data)", 2)
        config = config_from_run(resume)
        if labels_are_random:
            config = config.model_copy(update={"labels_are_random": True})
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
            from judgekit.judging import embedded

            kind = "pairwise" if baseline else mode.value if mode else embedded.data_kind(dataset, fields)
            chosen = embedded.settings(kind, positions=positions.value if positions else None, prompt=prompt)
            warn(embedded.notice(chosen, kind))
        else:
            chosen["judge"] = judge[0]
        if score_method is not None:
            chosen["score_method"] = score_method.value
        if baseline:
            dataset = _join_baseline(dataset, baseline, field or [], mode, max_chars, truncate, runs_dir)
            fields = {}
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
            base_url=parse_endpoint(base_url[0])[0] if base_url else None,
            endpoints=list(base_url) if base_url and (len(base_url) > 1 or parse_endpoint(base_url[0])[1]) else [],
            endpoint_concurrency=endpoint_concurrency,
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
            group_by=group_by,
            level=level.value if level else None,
            domain=domain.value,
            criterion=criterion,
            steps=steps,
            generate_reference=generate_reference,
            rubric=rubric,
            samples=samples,
            steps_prompt=steps_prompt,
            reference_prompt=reference_prompt,
            adaptive=adaptive,
            max_cost=max_cost,
            price_in=price_in,
            price_out=price_out,
            threads=threads,
            labels_are_random=labels_are_random,
            **chosen,
        )
        if judge and len(judge) > 1:
            _run_panel(config, judge, output_format is FormatChoice.json, quiet)
            return
    if (detach or estimate) and not batch:
        raise fail("--detach and --estimate go with --batch", ExitCode.USAGE)
    prepared = prepare(config)
    from judgekit.ci.gates import check_options
    from judgekit.ci.passrule import RunFacts

    check_options(gates, RunFacts.of(prepared.manifest))
    for note in prepared.grading.notes():
        warn(note)
    if batch:
        from judgekit.batch.driver import BatchOptions
        from judgekit.cli.batch import eval_in_batches

        options = BatchOptions(
            poll_interval=poll_interval,
            retry=batch_retry.value,
            retry_rounds=batch_retries,
            max_requests=batch_max_requests,
            max_bytes=batch_max_bytes,
            detach=detach,
            estimate_only=estimate,
        )
        eval_in_batches(prepared, options, output_format=output_format.value, quiet=quiet)
        return
    progress = make_progress(enabled=not quiet)
    try:
        result = asyncio.run(execute(prepared, progress))
    except KeyboardInterrupt:
        progress.stop()
        if not prepared.run_dir.exists():  # stopped before the run directory was complete
            warn("interrupted before the run started; nothing was judged")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
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
    if html:
        from judgekit.reporting.html import write_run_report

        warn(f"HTML report: {write_run_report(result.run_dir, html, summary)}")
    counters = result.counters
    spent = f", ${counters.cost_usd:.4f} spent" if summary.cost is not None else ""
    warn(
        f"run directory: {result.run_dir} ({counters.calls} calls made, {counters.cached} from cache, "
        f"{counters.resumed} resumed{spent})"
    )
    if hasattr(prepared.backend, "report"):
        warn(prepared.backend.report())
    gate_failed = False
    if gates.any or gating.wants_reports(junit, markdown):
        from judgekit.pipeline.finished import load_finished

        checked = gating.check_run(load_finished(result.run_dir, summary), gates, junit=junit, markdown=markdown)
        gate_failed = not all(gate.passed for gate in checked)
    if result.lowest_concurrency is not None and result.lowest_concurrency < config.concurrency:
        warn(
            f"rate limits lowered the requests in flight from {config.concurrency} to as few as "
            f"{result.lowest_concurrency} (--adaptive)"
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
    if gate_failed:
        raise typer.Exit(ExitCode.GATE_FAILED)


def _join_baseline(
    dataset: str,
    baseline: str,
    fields: list[str],
    mode: Optional[ModeChoice],
    max_chars: int,
    truncate: bool,
    runs_dir: str,
) -> str:
    """Join the candidate and baseline files into a pairwise dataset; returns its path."""
    from pathlib import Path

    from judgekit.errors import ExitCode
    from judgekit.inputs.baseline import join
    from judgekit.inputs.datasets import ReadOptions, parse_field_options

    if mode is ModeChoice.pointwise:
        raise fail(
            "--baseline compares two files pairwise; it cannot be combined with --mode pointwise", ExitCode.USAGE
        )
    # Long texts are checked (or cut, with --truncate) when the joined file is read for the run.
    limit = 10**12 if truncate else max_chars
    joined = join(
        dataset,
        baseline,
        ReadOptions(fields=parse_field_options(fields), max_chars=limit),
        Path(runs_dir) / "_baseline",
    )
    warn(f"joined {joined.rows} items of {dataset} (A) and {baseline} (B) on {joined.key} into {joined.path}")
    return str(joined.path)


def _run_panel(config: object, judges: list[str], as_json: bool, quiet: bool) -> None:
    """Several --judge options: judge with each (own run directory) and combine them as a panel."""
    from judgekit.cli.compare import run_and_print
    from judgekit.compare.runs import CompareOptions
    from judgekit.config import EvalConfig

    assert isinstance(config, EvalConfig)
    options = CompareOptions(
        base=config.model_copy(update={"out": None}),
        prompts=[config.prompt],
        judges=judges,
        panel=True,
        level=config.level,
        group_by=config.group_by,
        out=config.out,
    )
    run_and_print(options, as_json, quiet)
