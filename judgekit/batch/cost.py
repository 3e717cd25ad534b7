"""Tokens and dollars: an estimate before a batch is submitted, the actual usage after.

Input tokens are estimated from the rendered messages at about four characters a token plus a
few tokens of framing per message (English text with common tokenizers; code and other scripts
run higher), and output tokens are bounded by `max_tokens` per answer, so the price shown
before submission is a range: the input cost plus at most the output cost. After collection the
providers' own token counts give the actual cost.

Prices are list prices in US dollars per million tokens, for the models judgekit knows
(matched by the longest name prefix, so dated snapshots like `gpt-4o-mini-2024-07-18` match).
Both providers bill batch requests at half their list price, which `BATCH_DISCOUNT` applies.
Any other model can be priced with `--price INPUT,OUTPUT`.
"""

from __future__ import annotations

from dataclasses import dataclass

from judgekit.errors import UsageError
from judgekit.schema import JudgeRequest

BATCH_DISCOUNT = 0.5
"""Batch requests cost half the list price (OpenAI Batch API, Anthropic Message Batches)."""
CHARS_PER_TOKEN = 4.0
TOKENS_PER_MESSAGE = 4
"""Role and separator tokens each chat message adds."""


@dataclass(frozen=True)
class Price:
    """List price in US dollars per million tokens."""

    input: float
    output: float
    source: str = "built-in"


LIST_PRICES: dict[tuple[str, str], Price] = {
    ("openai", "gpt-4o-mini"): Price(0.15, 0.60),
    ("openai", "gpt-4o"): Price(2.50, 10.00),
    ("openai", "gpt-4.1"): Price(2.00, 8.00),
    ("openai", "gpt-4.1-mini"): Price(0.40, 1.60),
    ("openai", "gpt-4.1-nano"): Price(0.10, 0.40),
    ("openai", "gpt-5"): Price(1.25, 10.00),
    ("openai", "gpt-5-mini"): Price(0.25, 2.00),
    ("openai", "gpt-5-nano"): Price(0.05, 0.40),
    ("openai", "o3"): Price(2.00, 8.00),
    ("openai", "o3-mini"): Price(1.10, 4.40),
    ("openai", "o4-mini"): Price(1.10, 4.40),
    ("anthropic", "claude-opus-4-5"): Price(5.00, 25.00),
    ("anthropic", "claude-opus-4-1"): Price(15.00, 75.00),
    ("anthropic", "claude-opus-4"): Price(15.00, 75.00),
    ("anthropic", "claude-sonnet-4-5"): Price(3.00, 15.00),
    ("anthropic", "claude-sonnet-4"): Price(3.00, 15.00),
    ("anthropic", "claude-haiku-4-5"): Price(1.00, 5.00),
    ("anthropic", "claude-3-5-haiku"): Price(0.80, 4.00),
    ("anthropic", "claude-3-haiku"): Price(0.25, 1.25),
}
"""List prices (USD per million input / output tokens) as published when this table was made."""


def list_price(provider: str, model: str) -> Price | None:
    """The list price of a model, by the longest known name prefix; None when unknown."""
    best: tuple[int, Price] | None = None
    for (known_provider, name), price in LIST_PRICES.items():
        matches = known_provider == provider and (model == name or model.startswith(name + "-"))
        if matches and (best is None or len(name) > best[0]):
            best = (len(name), price)
    return best[1] if best else None


def parse_price(text: str) -> Price:
    """`INPUT,OUTPUT` in US dollars per million tokens, e.g. `0.15,0.60`."""
    parts = [part.strip().lstrip("$") for part in text.replace("/", ",").split(",")]
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != 2 or min(values) < 0:
        raise UsageError(f"--price expects INPUT,OUTPUT in dollars per million tokens (e.g. 0.15,0.60), not {text!r}")
    return Price(values[0], values[1], source="--price")


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


def cost(price: Price, prompt_tokens: int, completion_tokens: int, *, batch: bool) -> Dollars:
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

    def describe(self, price: Price | None, model: str) -> str:
        """One line for stderr: tokens, and the price range at batch rates when known."""
        tokens = f"≈{self.input_tokens:,} input tokens, at most {self.max_output_tokens:,} output tokens"
        if price is None:
            return f"{self.requests:,} requests, {tokens}; no price known for {model} (give one with --price IN,OUT)"
        batch = cost(price, self.input_tokens, self.max_output_tokens, batch=True)
        interactive = cost(price, self.input_tokens, self.max_output_tokens, batch=False)
        return (
            f"{self.requests:,} requests, {tokens}; estimated cost at batch prices "
            f"${batch.input:,.4f} input + up to ${batch.output:,.4f} output "
            f"(interactive: ${interactive.input:,.4f} + up to ${interactive.output:,.4f}; "
            f"{model} at ${price.input:g} / ${price.output:g} per million tokens, {price.source})"
        )

    def as_dict(self, price: Price | None) -> dict[str, float | int | None]:
        batch = cost(price, self.input_tokens, self.max_output_tokens, batch=True) if price else None
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "max_output_tokens": self.max_output_tokens,
            "input_usd": round(batch.input, 6) if batch else None,
            "max_output_usd": round(batch.output, 6) if batch else None,
        }


def describe_usage(
    prompt_tokens: int, completion_tokens: int, completions: int, price: Price | None, model: str
) -> str:
    """One line for stderr: the tokens the collected batch answers used, and what they cost."""
    tokens = f"{completions:,} answers, {prompt_tokens:,} input + {completion_tokens:,} output tokens"
    if price is None:
        return f"{tokens} (no price known for {model})"
    batch = cost(price, prompt_tokens, completion_tokens, batch=True)
    interactive = cost(price, prompt_tokens, completion_tokens, batch=False)
    return f"{tokens} ≈ ${batch.total:,.4f} at batch prices (${interactive.total:,.4f} interactive)"
