"""`judgekit eval`: judge a dataset of model outputs."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

from judgekit.cli import gating, options
from judgekit.cli.choices import DomainChoice, FormatChoice, RetryChoice
from judgekit.cli.common import fail, handles_errors


@handles_errors
def eval_command(
    ctx: typer.Context,
    dataset: options.Dataset = None,
    judge: options.Judge = None,
    mode: options.Mode = None,
    prompt: options.Prompt = None,
    positions: options.Positions = None,
    seed: options.Seed = 0,
    temperature: options.Temperature = None,
    max_tokens: options.MaxTokens = None,
    base_url: options.BaseUrl = None,
    field: options.Field = None,
    limit: options.Limit = None,
    max_chars: options.MaxChars = 100_000,
    truncate: options.Truncate = False,
    concurrency: options.Concurrency = 16,
    timeout: options.Timeout = 60.0,
    max_retries: options.MaxRetries = 6,
    retry_base_delay: options.RetryBaseDelay = 1.0,
    max_calls: options.MaxCalls = None,
    max_errors: options.MaxErrors = 0,
    no_cache: options.NoCache = False,
    cache_dir: options.CacheDir = None,
    adaptive: options.Adaptive = False,
    max_cost: options.MaxCost = None,
    price_in: options.PriceIn = None,
    price_out: options.PriceOut = None,
    out: options.Out = None,
    runs_dir: options.RunsDir = "runs",
    fresh: options.Fresh = False,
    resume: options.Resume = None,
    output_format: options.OutputFormat = FormatChoice.table,
    quiet: options.Quiet = False,
    group_by: options.GroupBy = None,
    level: options.Level = None,
    baseline: options.Baseline = None,
    min_win_rate: gating.MinWinRate = None,
    min_score: gating.MinScore = None,
    min_pass_rate: gating.MinPassRate = None,
    pass_score: gating.PassScore = None,
    max_unscored: gating.MaxUnscored = None,
    max_flip_rate: gating.MaxFlipRate = None,
    min_agreement: gating.MinAgreement = None,
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
    min_items: gating.MinItems = None,
    junit: gating.Junit = None,
    markdown: gating.Markdown = None,
    domain: options.Domain = DomainChoice.general,
    criterion: options.Criterion = None,
    steps: options.Steps = None,
    generate_reference: options.GenerateReference = False,
    rubric: options.Rubric = None,
    score_method: options.ScoreMethod = None,
    samples: options.Samples = None,
    steps_prompt: options.StepsPrompt = None,
    reference_prompt: options.ReferencePrompt = None,
    endpoint_concurrency: options.EndpointConcurrency = None,
    batch: options.Batch = False,
    detach: options.Detach = False,
    estimate: options.Estimate = False,
    poll_interval: options.PollInterval = 30.0,
    batch_retry: options.BatchRetry = RetryChoice.batch,
    batch_retries: options.BatchRetries = 2,
    batch_max_requests: options.BatchMaxRequests = None,
    batch_max_bytes: options.BatchMaxBytes = None,
    html: options.Html = None,
    threads: options.Threads = None,
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
            min_items=min_items,
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
    batch_options = BatchOptions(
        poll_interval=poll_interval,
        retry=batch_retry.value,
        retry_rounds=batch_retries,
        max_requests=batch_max_requests,
        max_bytes=batch_max_bytes,
        detach=detach,
        estimate_only=estimate,
    )
    request = EvalRequest(config, post, judges=list(judge or []), batch=batch_options if batch else None, quiet=quiet)
    code = eval_run(request)
    if code:
        raise typer.Exit(code)


_RENAMED = {"no_cache": "cache", "runs_dir": "runs_root"}
_CONFIG_OPTIONS = {
    "mode", "prompt", "positions", "seed", "temperature", "max_tokens", "limit", "max_chars", "truncate",
    "concurrency", "timeout", "max_retries", "retry_base_delay", "max_calls", "max_errors", "no_cache", "cache_dir",
    "adaptive", "max_cost", "price_in", "price_out", "out", "runs_dir", "fresh", "group_by", "level", "domain",
    "criterion", "steps", "generate_reference", "rubric", "score_method", "samples", "steps_prompt",
    "reference_prompt", "endpoint_concurrency", "threads",
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
