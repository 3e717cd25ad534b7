"""Reasoning judges: `--reasoning-effort` (OpenAI) and `--thinking-budget` (Anthropic, Gemini).

Each provider that has such a setting also restricts what goes with it, and the checks here
refuse (exit 2, one line, before any call) what the provider would refuse on every request:

- OpenAI's reasoning models (o-series, gpt-5) take `reasoning_effort` and reject a temperature
  other than the default; their token limit (`max_completion_tokens`) also covers the hidden
  reasoning, so an answer can run out before its verdict.
- Anthropic's extended thinking needs a budget of at least 1,024 tokens, a `max_tokens` above
  the budget (thinking counts toward it), and the default temperature; the verdict is read from
  the text after the thinking, never from the thinking itself. Claude on Vertex AI and on
  Bedrock takes the same.
- Gemini's `thinking_config` takes a budget from 1 token up (each model has its own range, which
  the service checks) beside any temperature; thinking counts toward the output limit there too.
- Reasoning models return no token log-probabilities: `--score-method logprobs` is refused with
  `--reasoning-effort`, and `auto` weighs samples instead. It is refused with `--thinking-budget`
  too: Claude returns none, and Gemini documents no guarantee that the log-probabilities it returns
  with thinking on are the answer's own (some of its thinking models refuse `response_logprobs`
  outright), so a verdict weighed by them could be weighed by the thoughts.

A backend declares which of the two it takes (`Capabilities.reasoning_effort` / `thinking`) and
the rules of its thinking budget (`thinking_minimum`, `thinking_temperature`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from judgekit.backends.base import Capabilities
from judgekit.config import EvalConfig
from judgekit.errors import UsageError

THINKING_JUDGES = "anthropic/, vertex/, gemini/, bedrock/ Claude"
"""The judges that take --thinking-budget, as the refusal names them."""


def check_reasoning(config: EvalConfig, capabilities: Capabilities, judge: str, max_tokens: Iterable[int]) -> None:
    """Refuse reasoning options the judge's backend cannot take, or a combination it rejects.

    `max_tokens` holds the token limit of each judge template under this run's options.
    """
    effort, budget = config.reasoning_effort, config.thinking_budget
    if effort is None and budget is None:
        return
    option = "--reasoning-effort" if effort is not None else "--thinking-budget"
    if effort is not None and budget is not None:
        raise UsageError("--reasoning-effort (OpenAI) and --thinking-budget (Anthropic, Gemini) cannot be combined")
    if effort is not None and not capabilities.reasoning_effort:
        raise UsageError(
            f"--reasoning-effort needs an OpenAI-compatible judge (openai/, azure/); {judge} cannot take it"
        )
    if budget is not None and not capabilities.thinking:
        raise UsageError(f"--thinking-budget needs a judge that can think ({THINKING_JUDGES}); {judge} cannot take it")
    fixed_temperature = effort is not None or not capabilities.thinking_temperature
    if fixed_temperature and config.temperature is not None and config.temperature != 1:
        raise UsageError(f"{option} judges sample at the provider's default temperature; drop --temperature")
    if budget is None:
        return
    if budget < capabilities.thinking_minimum:
        raise UsageError(f"--thinking-budget must be at least {capabilities.thinking_minimum} tokens for {judge}")
    lowest = min(max_tokens, default=None)
    if lowest is not None and lowest <= budget:
        raise UsageError(
            f"--thinking-budget {budget} needs a larger token limit: thinking counts toward --max-tokens "
            f"(now {lowest}); pass --max-tokens {budget + 1024} or more"
        )


def check_score_method(config: EvalConfig) -> None:
    """Refuse `--score-method logprobs` for a reasoning or thinking judge, whose token
    log-probabilities are missing or not known to be the answer's."""
    if config.score_method != "logprobs":
        return
    if config.reasoning_effort is not None:
        raise UsageError(
            "--score-method logprobs cannot go with --reasoning-effort: reasoning models return no token "
            "log-probabilities; use --score-method samples"
        )
    if config.thinking_budget is not None:
        raise UsageError(
            "--score-method logprobs cannot go with --thinking-budget: a thinking judge's token "
            "log-probabilities are missing or not known to be the answer's; use --score-method samples"
        )


def scoring_capabilities(config: EvalConfig, capabilities: Capabilities) -> Capabilities:
    """What the score method may count on: no log-probabilities from a reasoning or thinking judge."""
    thinks = config.reasoning_effort is not None or config.thinking_budget is not None
    return replace(capabilities, logprobs=False) if thinks else capabilities


def reasoning_fields(config: EvalConfig, capabilities: Capabilities) -> dict[str, Any]:
    """The sampling fields the reasoning options set: themselves, and no temperature where the model
    takes only its default (every reasoning model but Gemini with a thinking budget)."""
    fields: dict[str, Any] = {"reasoning_effort": config.reasoning_effort, "thinking_budget": config.thinking_budget}
    if config.reasoning_effort is not None or not capabilities.thinking_temperature:
        fields["temperature"] = None
    return fields
