"""`judgekit eval`: judge a dataset of model outputs."""

from __future__ import annotations

from enum import Enum
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
from judgekit.cli.common import fail, handles_errors

JUDGE_PANEL = "Judge"
DATA_PANEL = "Data"
RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"
GRADING_PANEL = "Grading (prompt library)"
BATCH_PANEL = "Batch"


@handles_errors
def eval_command(
    ctx: typer.Context,
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
    from judgekit.batch.driver import BatchOptions
    from judgekit.pipeline.paths import EvalRequest, eval_run
    from judgekit.pipeline.setup import new_run_config, resumed_config

    given = {name: value for name, value in locals().items() if name in _CONFIG_OPTIONS}
    values = _config_values(given)
    post = gating.post_run(
        gating.gate_options(
            min_win_rate=min_win_rate,
            min_score=min_score,
            min_pass_rate=min_pass_rate,
            pass_score=pass_score,
            max_unscored=max_unscored,
            max_flip_rate=max_flip_rate,
            min_agreement=min_agreement,
            on_ci_bound=on_ci_bound,
        ),
        junit=junit,
        markdown=markdown,
        html=html,
        as_json=output_format is FormatChoice.json,
        max_errors=max_errors,
    )
    if (detach or estimate) and not batch:
        raise fail("--detach and --estimate go with --batch", 2)
    if resume:
        explicit = {name: values[name] for name in values if _given_on_command_line(ctx, name)}
        if judge:
            explicit["judge"] = judge[0] if len(judge) == 1 else ", ".join(judge)
        if field:
            from judgekit.inputs.datasets import parse_field_options

            explicit["fields"] = parse_field_options(field)
        config = resumed_config(resume, explicit, dataset=dataset, baseline=baseline)
    else:
        config = new_run_config(
            dataset, values, judges=judge or [], field_options=field or [], base_urls=base_url or [], baseline=baseline
        )
    options = BatchOptions(
        poll_interval=poll_interval,
        retry=batch_retry.value,
        retry_rounds=batch_retries,
        max_requests=batch_max_requests,
        max_bytes=batch_max_bytes,
        detach=detach,
        estimate_only=estimate,
    )
    request = EvalRequest(config, post, judges=list(judge or []), batch=options if batch else None, quiet=quiet)
    code = eval_run(request)
    if code:
        raise typer.Exit(code)


_RENAMED = {"no_cache": "cache", "runs_dir": "runs_root"}
_CONFIG_OPTIONS = {
    "mode", "prompt", "positions", "seed", "temperature", "max_tokens", "limit", "max_chars", "truncate",
    "concurrency", "timeout", "max_retries", "retry_base_delay", "max_calls", "max_errors", "no_cache", "cache_dir",
    "adaptive", "max_cost", "price_in", "price_out", "out", "runs_dir", "fresh", "group_by", "level", "domain",
    "criterion", "steps", "generate_reference", "rubric", "score_method", "samples", "steps_prompt",
    "reference_prompt", "endpoint_concurrency", "threads", "labels_are_random",
}  # fmt: skip
"""eval's options that are EvalConfig fields (under their config names, see `_RENAMED`)."""


def _config_values(given: dict[str, Any]) -> dict[str, Any]:
    """The options as EvalConfig values: enum choices as their strings, renamed fields renamed."""
    values: dict[str, Any] = {}
    for name, value in given.items():
        if name == "no_cache":
            value = not value
        values[_RENAMED.get(name, name)] = value.value if isinstance(value, Enum) else value
    return values


def _given_on_command_line(ctx: typer.Context, config_name: str) -> bool:
    """Whether the user gave this option (its value did not come from the default)."""
    option = next((cli for cli, config in _RENAMED.items() if config == config_name), config_name)
    source = ctx.get_parameter_source(option)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
