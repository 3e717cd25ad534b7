"""What `judgekit eval --resume RUN_DIR` does with the other options given beside it.

They apply to the resumed run. Settings of the session (requests in flight, retries, budgets,
`--limit` to grow the run) simply take effect. An option that would change how the run judges
(judge, template, positions, ...) is checked like any rerun in the same directory: the run
directory refuses it, naming each setting that differs (old -> new), because judging the rest
of the items differently would mix two runs in one summary. A base URL whose credentials
run.json does not keep must be given again.
"""

from __future__ import annotations

from typing import Any

import typer

from judgekit.config import EvalConfig
from judgekit.errors import UsageError
from judgekit.redact import MASK

DECIDING = {
    "judge": "judge",
    "mode": "mode",
    "prompt": "prompt",
    "positions": "positions",
    "seed": "seed",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "field": "fields",
    "max_chars": "max_chars",
    "truncate": "truncate",
    "domain": "domain",
    "criterion": "criterion",
    "steps": "steps",
    "generate_reference": "generate_reference",
    "rubric": "rubric",
    "score_method": "score_method",
    "samples": "samples",
    "steps_prompt": "steps_prompt",
    "reference_prompt": "reference_prompt",
    "group_by": "group_by",
    "level": "level",
}
"""Command-line option -> configuration field, for options a resumed run must keep."""

SESSION = {
    "limit": "limit",
    "concurrency": "concurrency",
    "timeout": "timeout",
    "max_retries": "max_retries",
    "retry_base_delay": "retry_base_delay",
    "max_calls": "max_calls",
    "max_errors": "max_errors",
    "cache_dir": "cache_dir",
    "adaptive": "adaptive",
    "max_cost": "max_cost",
    "price_in": "price_in",
    "price_out": "price_out",
    "threads": "threads",
    "endpoint_concurrency": "endpoint_concurrency",
}
"""Options that apply to the session that resumes the run."""


def given_on_command_line(ctx: typer.Context) -> dict[str, Any]:
    """The options the user typed (not defaults, settings files or environment variables)."""
    given = {}
    for name, value in ctx.params.items():
        source = ctx.get_parameter_source(name)
        if source is not None and source.name == "COMMANDLINE":
            given[name] = value
    return given


def resume_config(ctx: typer.Context, config: EvalConfig) -> EvalConfig:
    """The stored configuration with this session's settings; raises UsageError when an option
    given would change how the run judges."""
    return apply_resume_options(given_on_command_line(ctx), config)


def apply_resume_options(given: dict[str, Any], config: EvalConfig) -> EvalConfig:
    from judgekit.inputs.datasets import parse_field_options

    updates: dict[str, Any] = {}
    for name, value in given.items():
        plain = getattr(value, "value", value)
        if name == "field":
            plain = parse_field_options(value or [])
        elif name == "judge":
            if len(value) > 1:
                raise UsageError("--resume continues one run: give at most one --judge")
            plain = value[0]
        if name in DECIDING:
            updates[DECIDING[name]] = plain
        elif name in SESSION:
            updates[SESSION[name]] = plain
        elif name == "no_cache":
            updates["cache"] = not value
    updates.update(_endpoints(given.get("base_url"), config))
    return config.model_copy(update=updates)


def _endpoints(urls: list[str] | None, config: EvalConfig) -> dict[str, Any]:
    """The base URL(s) for the resumed session. run.json keeps URLs without their credentials,
    so a URL that held some must be given again."""
    from judgekit.backends.pool import endpoint_settings

    if urls:
        return endpoint_settings(urls)
    if MASK in str([config.base_url, *config.endpoints]):
        raise UsageError(
            f"--resume {config.out}: the run's base URL {config.base_url} held credentials, which run.json "
            "does not keep; give the URL again with --base-url"
        )
    return {}
