"""Reasoning judges: `--reasoning-effort` (OpenAI) and `--thinking-budget` (Anthropic).

Each provider that has such a setting also restricts what goes with it, and the checks here
refuse (exit 2, one line, before any call) what the provider would refuse on every request:

- OpenAI's reasoning models (o-series, gpt-5) take `reasoning_effort` and reject a temperature
  other than the default; their token limit (`max_completion_tokens`) also covers the hidden
  reasoning, so an answer can run out before its verdict.
- Anthropic's extended thinking needs a budget of at least 1,024 tokens, a `max_tokens` above
  the budget (thinking counts toward it), and the default temperature; the verdict is read from
  the text after the thinking, never from the thinking itself.

A backend declares which of the two it takes (`Capabilities.reasoning_effort` / `thinking`).
"""

from __future__ import annotations

from collections.abc import Iterable

from judgekit.backends.base import Capabilities
from judgekit.config import EvalConfig
from judgekit.errors import UsageError

MIN_THINKING_BUDGET = 1024
"""Anthropic's smallest thinking budget."""


def check_reasoning(config: EvalConfig, capabilities: Capabilities, judge: str, max_tokens: Iterable[int]) -> None:
    """Refuse reasoning options the judge's backend cannot take, or a combination it rejects.

    `max_tokens` holds the token limit of each judge template under this run's options.
    """
    effort, budget = config.reasoning_effort, config.thinking_budget
    if effort is None and budget is None:
        return
    option = "--reasoning-effort" if effort is not None else "--thinking-budget"
    if effort is not None and budget is not None:
        raise UsageError("--reasoning-effort (OpenAI) and --thinking-budget (Anthropic) cannot be combined")
    if effort is not None and not capabilities.reasoning_effort:
        raise UsageError(
            f"--reasoning-effort needs an OpenAI-compatible judge (openai/, azure/); {judge} cannot take it"
        )
    if budget is not None and not capabilities.thinking:
        raise UsageError(f"--thinking-budget needs an Anthropic judge (anthropic/); {judge} cannot take it")
    if config.temperature is not None and config.temperature != 1:
        raise UsageError(f"{option} judges sample at the provider's default temperature; drop --temperature")
    if budget is None:
        return
    if budget < MIN_THINKING_BUDGET:
        raise UsageError(f"--thinking-budget must be at least {MIN_THINKING_BUDGET} tokens (Anthropic's minimum)")
    lowest = min(max_tokens, default=None)
    if lowest is not None and lowest <= budget:
        raise UsageError(
            f"--thinking-budget {budget} needs a larger token limit: thinking counts toward --max-tokens "
            f"(now {lowest}); pass --max-tokens {budget + 1024} or more"
        )
