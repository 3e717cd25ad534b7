"""Tokens and dollars: an estimate before a batch is submitted, the actual usage after.

Input tokens are estimated from the rendered messages at about four characters a token plus a
few tokens of framing per message (English text with common tokenizers; code and other scripts
run higher), and output tokens are bounded by `max_tokens` per answer, so the price shown
before submission is a range: the input cost plus at most the output cost. After collection the
providers' own token counts give the actual cost.

Prices are the list prices of `judgekit.judging.pricing` (its dated table, or `--price-in` and
`--price-out`); both providers bill batch requests at half their list price, which
`BATCH_DISCOUNT` applies.

`--max-cost` holds for batch runs as for interactive ones (`BatchBudget`): a request is submitted
only if the run directory's settled spending, the worst case of its batches still running, and
the worst case of what this plan submits leave room for its own worst case at the batch price.
"""

from __future__ import annotations

from dataclasses import dataclass

from judgekit.judging.pricing import BATCH_DISCOUNT, Prices, format_usd, worst_cost
from judgekit.schema import JudgeRequest

__all__ = ["BATCH_DISCOUNT", "BatchBudget", "Dollars", "Estimate", "cost", "describe_usage", "input_tokens"]
CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 4
"""Role and separator tokens each chat message adds."""


def input_tokens(request: JudgeRequest) -> int:
    """Estimated prompt tokens of a request."""
    characters = sum(len(message.content) for message in request.messages)
    return int(characters / CHARS_PER_TOKEN + 0.5) + TOKENS_PER_MESSAGE * len(request.messages)


@dataclass
class Dollars:
    input: float
    output: float

    @property
    def total(self) -> float:
        return self.input + self.output


def cost(price: Prices, prompt_tokens: int, completion_tokens: int, *, batch: bool) -> Dollars:
    factor = BATCH_DISCOUNT if batch else 1.0
    return Dollars(
        prompt_tokens * price.input / 1e6 * factor,
        completion_tokens * price.output / 1e6 * factor,
    )


@dataclass
class Estimate:
    """What a set of requests will use, added up one request at a time."""

    requests: int = 0
    input_tokens: int = 0
    max_output_tokens: int = 0

    def add(self, request: JudgeRequest) -> None:
        self.requests += 1
        self.input_tokens += input_tokens(request)
        self.max_output_tokens += request.params.max_tokens * max(1, request.params.n)

    def describe(self, price: Prices | None, model: str) -> str:
        """One line for stderr: tokens, and the price range at batch rates when known."""
        tokens = f"≈{self.input_tokens:,} input tokens, at most {self.max_output_tokens:,} output tokens"
        if price is None:
            hint = "give one with --price-in and --price-out"
            return f"{self.requests:,} requests, {tokens}; no price known for {model} ({hint})"
        batch = cost(price, self.input_tokens, self.max_output_tokens, batch=True)
        interactive = cost(price, self.input_tokens, self.max_output_tokens, batch=False)
        return (
            f"{self.requests:,} requests, {tokens}; estimated cost at batch prices "
            f"${batch.input:,.4f} input + up to ${batch.output:,.4f} output "
            f"(interactive: ${interactive.input:,.4f} + up to ${interactive.output:,.4f}; "
            f"{model} at ${price.input:g} / ${price.output:g} per million tokens, {price.source})"
        )

    def as_dict(self, price: Prices | None) -> dict[str, float | int | None]:
        batch = cost(price, self.input_tokens, self.max_output_tokens, batch=True) if price else None
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "max_output_tokens": self.max_output_tokens,
            "input_usd": round(batch.input, 6) if batch else None,
            "max_output_usd": round(batch.output, 6) if batch else None,
        }


def describe_usage(
    prompt_tokens: int, completion_tokens: int, completions: int, price: Prices | None, model: str
) -> str:
    """One line for stderr: the tokens the collected batch answers used, and what they cost."""
    tokens = f"{completions:,} answers, {prompt_tokens:,} input + {completion_tokens:,} output tokens"
    if price is None:
        return f"{tokens} (no price known for {model})"
    batch = cost(price, prompt_tokens, completion_tokens, batch=True)
    interactive = cost(price, prompt_tokens, completion_tokens, batch=False)
    return f"{tokens} ≈ ${batch.total:,.4f} at batch prices (${interactive.total:,.4f} interactive)"


@dataclass
class BatchBudget:
    """--max-cost while planning batches: what is spent, what running batches may still cost."""

    limit: float
    price: Prices
    spent: float
    """Charged so far for the answers in the run directory."""
    running: float
    """The most the run's batches still with the provider can cost."""
    planned: float = 0.0
    """The most the requests planned so far can cost."""

    def admit(self, request: JudgeRequest) -> str | None:
        """Count a request in, or say (as the run's stop reason) why it does not fit."""
        worst = worst_cost(self.price, request) * BATCH_DISCOUNT
        if self.spent + self.running + self.planned + worst <= self.limit + 1e-12:
            self.planned += worst
            return None
        return (
            f"stopped submitting at {format_usd(self.spent)} spent in this run directory, with batches that could "
            f"cost up to {format_usd(self.running + self.planned)} more: the next request could cost up to "
            f"{format_usd(worst)}, over --max-cost ${self.limit:g}"
        )

    def worst(self, request: JudgeRequest) -> float:
        return worst_cost(self.price, request) * BATCH_DISCOUNT
