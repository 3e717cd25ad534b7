"""`judgekit compare`: several prompts and judges over one human-labelled dataset, side by side."""

from __future__ import annotations

from typing import Any

import typer

from judgekit.choices import DEFAULT_RESAMPLES, DEFAULT_SWAP_BELOW
from judgekit.cli import compare_options, gating, options, run_options
from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import fail, handles_errors


@handles_errors
def compare_command(
    dataset: compare_options.CompareDataset,
    judge: compare_options.CompareJudge = None,
    prompt: compare_options.ComparePrompt = None,
    panel: compare_options.ComparePanel = False,
    positions: compare_options.ComparePositions = "swap",
    seed: compare_options.CompareSeed = 0,
    resamples: compare_options.CompareResamples = DEFAULT_RESAMPLES,
    temperature: compare_options.CompareTemperature = None,
    max_tokens: compare_options.CompareMaxTokens = None,
    reasoning_effort: options.ReasoningEffort = None,
    thinking_budget: options.ThinkingBudget = None,
    base_url: compare_options.CompareBaseUrl = None,
    field: compare_options.CompareField = None,
    limit: compare_options.CompareLimit = None,
    group_by: compare_options.CompareGroupBy = None,
    level: compare_options.CompareLevel = None,
    rank_by: compare_options.CompareRankBy = None,
    price: compare_options.ComparePrice = None,
    concurrency: compare_options.CompareConcurrency = 16,
    timeout: run_options.Timeout = 60.0,
    max_retries: run_options.MaxRetries = 6,
    retry_base_delay: run_options.RetryBaseDelay = 1.0,
    max_calls: compare_options.CompareMaxCalls = None,
    max_errors: compare_options.CompareMaxErrors = 0,
    no_cache: run_options.NoCache = False,
    cache_dir: compare_options.CompareCacheDir = None,
    out: compare_options.CompareOut = None,
    runs_dir: compare_options.CompareRunsDir = "runs",
    fresh: compare_options.CompareFresh = False,
    output_format: compare_options.CompareOutputFormat = FormatChoice.table,
    quiet: compare_options.CompareQuiet = False,
    html: compare_options.CompareHtml = None,
    panel_rule: options.PanelRule = None,
    quorum: options.Quorum = None,
    order_disagreement: options.OrderDisagreement = None,
    swap_below: options.SwapBelow = DEFAULT_SWAP_BELOW,
    swap_audit: options.SwapAudit = 0.0,
    strong_weight: options.StrongWeight = None,
    mode: options.Mode = None,
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
    max_chars: options.MaxChars = 100_000,
    truncate: options.Truncate = False,
    threads: run_options.Threads = None,
    yes: run_options.Yes = False,
) -> None:
    """Compare prompts and judges against human labels: agreement, correlation, bias, cost.

    Each (prompt, judge) combination is graded exactly as `judgekit eval` would grade it with
    the same options (score method, criterion, rubric, steps, positions; the embedded judge's
    defaults too). Every combination judges the whole dataset (its own run directory under
    the output directory: cached and resumable); the rows are ranked and the best is tested
    against the runner-up on the same items. compare.json in the output directory keeps it all.
    """
    code = _run(dict(locals()))
    if code:
        raise typer.Exit(code)


_SAME_NAME = (
    "dataset", "positions", "seed", "temperature", "max_tokens", "limit", "concurrency", "timeout",
    "max_retries", "retry_base_delay", "max_calls", "max_errors", "cache_dir", "fresh", "group_by", "domain",
    "criterion", "steps", "generate_reference", "rubric", "checklist", "score_method", "samples", "steps_prompt",
    "reference_prompt", "max_chars", "truncate", "threads", "order_disagreement", "swap_below", "swap_audit",
    "reasoning_effort", "thinking_budget", "strong_weight",
)  # fmt: skip
"""compare's options that are EvalConfig fields of the same name."""


def _run(given: dict[str, Any]) -> int:
    """Build the comparison's shared configuration and run it through the library."""
    from judgekit.backends.pool import endpoint_settings
    from judgekit.compare.runs import CompareOptions, parse_prices
    from judgekit.config import EvalConfig
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.pipeline.paths import compare_run

    judges = list(given["judge"] or [])
    if not judges:
        raise fail("no judge given: pass --judge provider/model (repeat it to compare judges)", 2)
    level = given["level"].value if given["level"] else None
    base = EvalConfig(
        **{name: given[name] for name in _SAME_NAME},
        judge=judges[0],
        fields=parse_field_options(given["field"] or []),
        cache=not given["no_cache"],
        runs_root=given["runs_dir"],
        level=level,
        bootstrap_resamples=given["resamples"],
        mode=given["mode"].value if given["mode"] else None,
        **endpoint_settings(given["base_url"]),  # repeatable, as in eval
    )
    plan = CompareOptions(
        base=base,
        prompts=list(given["prompt"] or []),
        judges=judges,
        panel=given["panel"],
        panel_rule=given["panel_rule"],
        quorum=given["quorum"],
        rank_by=given["rank_by"],
        level=level,
        group_by=given["group_by"],
        prices=parse_prices(given["price"] or []),
        out=given["out"],
    )
    as_json = given["output_format"] is FormatChoice.json
    post = gating.post_run(gating.gate_options(), html=given["html"], as_json=as_json, max_errors=given["max_errors"])
    return compare_run(plan, post, quiet=given["quiet"], yes=given["yes"])
