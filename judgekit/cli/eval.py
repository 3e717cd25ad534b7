"""`judgekit eval`: judge a dataset of model outputs."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.cli import cascade_options, gating, options, run_options
from judgekit.cli.choices import FormatChoice, RetryChoice
from judgekit.cli.common import fail, handles_errors


@handles_errors
def eval_command(
    ctx: typer.Context,
    dataset: options.Dataset = None,
    judge: options.Judge = None,
    mode: options.Mode = None,
    prompt: options.Prompt = None,
    positions: options.Positions = None,
    order_disagreement: options.OrderDisagreement = None,
    swap_below: options.SwapBelow = DEFAULT_SWAP_BELOW,
    swap_audit: options.SwapAudit = 0.0,
    strong_weight: options.StrongWeight = None,
    panel_rule: options.PanelRule = None,
    quorum: options.Quorum = None,
    seed: options.Seed = 0,
    temperature: options.Temperature = None,
    max_tokens: options.MaxTokens = None,
    reasoning_effort: options.ReasoningEffort = None,
    thinking_budget: options.ThinkingBudget = None,
    base_url: options.BaseUrl = None,
    field: options.Field = None,
    limit: options.Limit = None,
    max_chars: options.MaxChars = 100_000,
    truncate: options.Truncate = False,
    concurrency: run_options.Concurrency = 16,
    timeout: run_options.Timeout = 60.0,
    max_retries: run_options.MaxRetries = 6,
    retry_base_delay: run_options.RetryBaseDelay = 1.0,
    max_calls: run_options.MaxCalls = None,
    max_errors: run_options.MaxErrors = 0,
    no_cache: run_options.NoCache = False,
    cache_dir: run_options.CacheDir = None,
    adaptive: run_options.Adaptive = False,
    max_cost: run_options.MaxCost = None,
    price_in: run_options.PriceIn = None,
    price_out: run_options.PriceOut = None,
    out: run_options.Out = None,
    runs_dir: run_options.RunsDir = "runs",
    fresh: run_options.Fresh = False,
    resume: run_options.Resume = None,
    output_format: run_options.OutputFormat = FormatChoice.table,
    quiet: run_options.Quiet = False,
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
    max_position_bias: gating.MaxPositionBias = None,
    max_length_bias: gating.MaxLengthBias = None,
    min_criterion_pass: gating.MinCriterionPass = None,
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
    min_items: gating.MinItems = None,
    junit: gating.Junit = None,
    markdown: gating.Markdown = None,
    domain: options.Domain = "general",
    criterion: options.Criterion = None,
    steps: options.Steps = None,
    generate_reference: options.GenerateReference = False,
    rubric: options.Rubric = None,
    checklist: options.Checklist = None,
    score_method: options.ScoreMethod = None,
    samples: options.Samples = None,
    steps_prompt: options.StepsPrompt = None,
    reference_prompt: options.ReferencePrompt = None,
    endpoint_concurrency: run_options.EndpointConcurrency = None,
    batch: run_options.Batch = False,
    detach: run_options.Detach = False,
    estimate: run_options.Estimate = False,
    resubmit: run_options.Resubmit = False,
    poll_interval: run_options.PollInterval = 30.0,
    batch_retry: run_options.BatchRetry = RetryChoice.batch,
    batch_retries: run_options.BatchRetries = 2,
    batch_max_requests: run_options.BatchMaxRequests = None,
    batch_max_bytes: run_options.BatchMaxBytes = None,
    html: run_options.Html = None,
    threads: run_options.Threads = None,
    yes: run_options.Yes = False,
    labels_are_random: options.LabelsAreRandom = False,
    cascade: cascade_options.Cascade = None,
    escalate_below: cascade_options.EscalateBelow = None,
    abstain_below: cascade_options.AbstainBelow = None,
    target_agreement: cascade_options.TargetAgreement = None,
    error_level: cascade_options.ErrorLevel = None,
) -> None:
    """Judge a dataset of model outputs and summarise the verdicts.

    Pairwise rows hold a question and two answers (answer_a, answer_b); pointwise rows a
    question and one answer. Results go to a run directory; running the same command again
    resumes it without repeating any finished call.
    """
    code = _run(ctx, dict(locals()))
    if code:
        raise typer.Exit(code)


def _run(ctx: typer.Context, given: dict[str, Any]) -> int:
    """Turn the parsed options into an `EvalRequest` and run it through the library."""
    from judgekit.pipeline.paths import eval_run
    from judgekit.pipeline.request import EvalRequest
    from judgekit.pipeline.setup import new_run_config

    post = gating.post_run_of(given, html=given["html"], as_json=given["output_format"] is FormatChoice.json)
    if (given["detach"] or given["estimate"] or given["resubmit"]) and not given["batch"]:
        raise fail("--detach, --estimate and --resubmit go with --batch", 2)
    values = _config_values({name: value for name, value in given.items() if name in _CONFIG_OPTIONS})
    cascading = given["cascade"] or (given["resume"] and _is_cascade(given["resume"]))
    if cascading and not _typed(ctx, "judge"):
        given["judge"] = None  # a default judge (JUDGEKIT_JUDGE, a settings file) gives way to a cascade
    stored = _stored_cascade(given)
    cascade = stored.spec if stored is not None else _cascade_spec(given)
    judges = list(given["judge"] or []) if cascade is None else cascade.judges
    if stored is not None:  # --resume OUT of a cascade: the options its first stage's run holds
        config = _resumed(ctx, given, values, str(stored.stage_one)).model_copy(update={"out": str(stored.out)})
    elif given["resume"]:
        config = _resumed(ctx, given, values, given["resume"])
    else:
        config = new_run_config(
            given["dataset"],
            values,
            judges=judges,
            field_options=given["field"] or [],
            base_urls=given["base_url"] or [],
            baseline=given["baseline"],
        )
    batch = _batch_options(given) if given["batch"] else None
    panel = {"panel_rule": given["panel_rule"], "quorum": given["quorum"]}
    return eval_run(
        EvalRequest(
            config, post, judges=judges, batch=batch, quiet=given["quiet"], yes=given["yes"], cascade=cascade, **panel
        )
    )


def _is_cascade(path: str) -> bool:
    from judgekit.pipeline.cascade_path import stored_cascade

    return stored_cascade(path) is not None


def _stored_cascade(given: dict[str, Any]) -> Any:
    """The cascade `--resume` names (None for another directory); it keeps its judges and thresholds."""
    from judgekit.pipeline.cascade_path import stored_cascade
    from judgekit.pipeline.request import refuse

    stored = stored_cascade(given["resume"]) if given["resume"] else None
    if stored is not None:
        names = ("judge", "cascade", "escalate_below", "abstain_below", "target_agreement", "error_level")
        refuse(
            [f"--{name.replace('_', '-')}" for name in names if given[name] not in (None, [])],
            f"with --resume {given['resume']}: a cascade keeps its judges and thresholds",
        )
    return stored


def _cascade_spec(given: dict[str, Any]) -> Any:
    """--cascade and its options as a CascadeSpec (None without --cascade); refused where they cannot apply."""
    from judgekit.pipeline.cascade_path import CascadeSpec
    from judgekit.pipeline.request import refuse

    tuning = [
        f"--{name.replace('_', '-')}"
        for name in ("escalate_below", "abstain_below", "target_agreement", "error_level")
        if given[name] is not None
    ]
    judges = cascade_options.cascade_judges(given["cascade"])
    if not judges:
        refuse(tuning, "without --cascade")
        return None
    refuse(["--judge"] if given["judge"] else [], "with --cascade, which names the judges")
    refuse(["--resume"] if given["resume"] else [], "with --cascade; `--resume OUT` alone resumes a cascade")
    return CascadeSpec(
        judges=judges,
        escalate_below=given["escalate_below"],
        abstain_below=given["abstain_below"],
        target_agreement=given["target_agreement"],
        error_level=given["error_level"],
    )


def _resumed(ctx: typer.Context, given: dict[str, Any], values: dict[str, Any], run_dir: str) -> Any:
    """--resume: the stored configuration, checked against the judging options given now."""
    from judgekit.pipeline.setup import resumed_config

    explicit = {name: values[name] for name in values if _given_on_command_line(ctx, name)}
    if given["judge"]:
        explicit["judge"] = ", ".join(given["judge"])
    if given["field"]:
        from judgekit.inputs.datasets import parse_field_options

        explicit["fields"] = parse_field_options(given["field"])
    if given["base_url"]:  # run.json keeps URLs without credentials: they come again from here
        from judgekit.backends.pool import endpoint_settings

        explicit.update(endpoint_settings(given["base_url"]))
    return resumed_config(run_dir, explicit, dataset=given["dataset"], baseline=given["baseline"])


def _batch_options(given: dict[str, Any]) -> Any:
    from judgekit.batch.driver import BatchOptions

    return BatchOptions(
        poll_interval=given["poll_interval"],
        retry=given["batch_retry"].value,
        retry_rounds=given["batch_retries"],
        max_requests=given["batch_max_requests"],
        max_bytes=given["batch_max_bytes"],
        detach=given["detach"],
        estimate_only=given["estimate"],
        resubmit=given["resubmit"],
    )


_RENAMED = {"no_cache": "cache", "runs_dir": "runs_root"}
_CONFIG_OPTIONS = {
    "mode", "prompt", "positions", "order_disagreement", "swap_below", "swap_audit", "strong_weight", "seed",
    "temperature",
    "max_tokens", "limit",
    "max_chars", "truncate",
    "concurrency", "timeout", "max_retries", "retry_base_delay", "max_calls", "max_errors", "no_cache", "cache_dir",
    "adaptive", "max_cost", "price_in", "price_out", "out", "runs_dir", "fresh", "group_by", "level", "domain",
    "criterion", "steps", "generate_reference", "rubric", "checklist", "score_method", "samples", "steps_prompt",
    "reference_prompt", "endpoint_concurrency", "threads", "labels_are_random", "reasoning_effort",
    "thinking_budget",
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


def _typed(ctx: typer.Context, option: str) -> bool:
    """Whether the option was typed on the command line (not a default, an environment variable or a file)."""
    source = ctx.get_parameter_source(option)
    return source is not None and source.name == "COMMANDLINE"


def _given_on_command_line(ctx: typer.Context, config_name: str) -> bool:
    """Whether the user gave this option (its value did not come from the default)."""
    option = next((cli for cli, config in _RENAMED.items() if config == config_name), config_name)
    source = ctx.get_parameter_source(option)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")
