"""From what a user asked `judgekit eval` to a checked `EvalConfig` (new runs and --resume).

The CLI passes the options it parsed; everything that decides a run's configuration lives
here: the embedded judge's defaults, joining a --baseline file, splitting --base-url into one
endpoint or a pool, and what --resume may and may not change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgekit.api import config_from_run
from judgekit.backends.pool import endpoint_settings
from judgekit.config import EvalConfig
from judgekit.errors import UsageError
from judgekit.inputs.datasets import ReadOptions, parse_field_options
from judgekit.redact import MASK
from judgekit.reporting.messages import say

RUN_CHANGING = (
    "judge", "mode", "prompt", "positions", "swap_below", "swap_audit", "score_method", "fields", "criterion", "rubric",
    "reasoning_effort", "thinking_budget",
)  # fmt: skip
"""Options that decide the verdicts: `--resume` refuses them when they differ from the stored run.
(`--limit` is not one: it says how many items to judge, so `--resume DIR --limit N` grows a run.)"""


def new_run_config(
    dataset: str | None,
    values: dict[str, Any],
    *,
    judges: list[str],
    field_options: list[str],
    base_urls: list[str],
    baseline: str | None,
) -> EvalConfig:
    """The configuration of a new run; `values` holds EvalConfig fields as the user gave them."""
    if not dataset:
        raise UsageError("missing DATASET (a .jsonl, .csv or .json file); see `judgekit eval --help`")
    fields = parse_field_options(field_options)
    chosen = dict(values)
    chosen["positions"] = values.get("positions") or "random"
    if judges and len(judges) > 1:
        chosen["judge"] = judges[0]  # a panel: each judge gets the embedded defaults in compare's plan
    elif judges:
        from judgekit.judging import embedded

        chosen["judge"] = judges[0]
        if judges[0] == embedded.DEFAULT_JUDGE and not values.get("positions"):
            chosen["positions"] = embedded.POSITIONS
    else:
        from judgekit.judging import embedded

        kind = "pairwise" if baseline else values.get("mode") or embedded.data_kind(dataset, fields)
        checklist = not baseline and embedded.grades_checklist(dataset, fields, values.get("checklist"))
        chosen.update(
            embedded.settings(kind, positions=values.get("positions"), prompt=values.get("prompt"), checklist=checklist)
        )
        if values.get("score_method"):
            chosen["score_method"] = values["score_method"]
        say(embedded.notice(chosen, kind))
    if baseline:
        dataset = _join_baseline(dataset, baseline, field_options, values)
        fields = {}
    chosen.update(endpoint_settings(base_urls))
    from judgekit.judging.embedded import fill_defaults

    return fill_defaults(EvalConfig(dataset=dataset, fields=fields, **chosen))


def _join_baseline(dataset: str, baseline: str, field_options: list[str], values: dict[str, Any]) -> str:
    """Join the candidate and baseline files into a pairwise dataset; returns its path."""
    from judgekit.inputs.baseline import join

    if values.get("mode") == "pointwise":
        raise UsageError("--baseline compares two files pairwise; it cannot be combined with --mode pointwise")
    # Long texts are checked (or cut, with --truncate) when the joined file is read for the run.
    limit = 10**12 if values.get("truncate") else int(values.get("max_chars", 100_000))
    joined = join(
        dataset,
        baseline,
        ReadOptions(fields=parse_field_options(field_options), max_chars=limit),
        Path(str(values.get("runs_root", "runs"))) / "_baseline",
    )
    say(f"joined {joined.rows} items of {dataset} (A) and {baseline} (B) on {joined.key} into {joined.path}")
    return str(joined.path)


def resumed_config(run_dir: str, given: dict[str, Any], *, dataset: str | None, baseline: str | None) -> EvalConfig:
    """The stored configuration of `run_dir`, with the run-behaviour options given now.

    Options that decide the verdicts (judge, template, positions...) cannot change on resume:
    given with a different value, they are refused with the difference.
    """
    if dataset:
        raise UsageError("give either a DATASET or --resume RUN_DIR, not both")
    if baseline:
        raise UsageError("--baseline cannot be combined with --resume (the run already holds the joined data)")
    stored = config_from_run(run_dir)
    if MASK in str([stored.base_url, *stored.endpoints]) and "base_url" not in given:
        raise UsageError(
            f"--resume {run_dir}: the run's base URL {stored.base_url} held credentials, which run.json does not "
            "keep; give the URL again with --base-url"
        )
    changed = [
        f"{name.replace('_', '-')} {getattr(stored, name)!r} -> {value!r}"
        for name, value in given.items()
        if name in RUN_CHANGING and value not in (None, [], {}) and value != getattr(stored, name)
    ]
    if changed:
        raise UsageError(
            f"--resume {run_dir} keeps the run's own judging options; these differ: {'; '.join(changed)} "
            "(start a new run with --out, or drop them)"
        )
    behaviour = {name: value for name, value in given.items() if name not in RUN_CHANGING and value is not None}
    return stored.model_copy(update=behaviour)
