"""Token prices, for reporting what a run cost and for stopping it at `--max-cost`.

The built-in table holds list prices in US dollars per million tokens for standard requests
(no batch discount, no prompt caching) of a few well-known judge models, as OpenAI and
Anthropic published them. Prices change: the table says when it was checked, and
`--price-in` / `--price-out` override it for any model (they are required for a model the
table does not know when a cost budget is set).

What a call was charged is written into its judgment row (`cost_usd`) when it is recorded:
list price for an interactive call, `BATCH_DISCOUNT` of it for an answer from a provider
batch. A run directory's spending is the sum over its rows, which is what `--max-cost`
holds across invocations and what the summary reports (with the list price beside it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from judgekit.errors import UsageError
from judgekit.schema import Completion, JudgeRequest, Judgment

PRICES_CHECKED = "2026-11"
"""When the built-in prices were last compared with the providers' price pages."""

BUILTIN_PRICES: dict[str, tuple[float, float]] = {
    # provider/model: (USD per million input tokens, USD per million output tokens)
    "openai/gpt-4o": (2.50, 10.00),
    "openai/gpt-4o-mini": (0.15, 0.60),
    "openai/gpt-4.1": (2.00, 8.00),
    "openai/gpt-4.1-mini": (0.40, 1.60),
    "openai/gpt-4.1-nano": (0.10, 0.40),
    "openai/o3": (2.00, 8.00),
    "openai/o3-mini": (1.10, 4.40),
    "openai/o4-mini": (1.10, 4.40),
    "openai/gpt-5": (1.25, 10.00),
    "openai/gpt-5-mini": (0.25, 2.00),
    "openai/gpt-5-nano": (0.05, 0.40),
    "anthropic/claude-opus-4-5": (5.00, 25.00),
    "anthropic/claude-opus-4-1": (15.00, 75.00),
    "anthropic/claude-opus-4": (15.00, 75.00),
    "anthropic/claude-opus-4-0": (15.00, 75.00),
    "anthropic/claude-sonnet-4-5": (3.00, 15.00),
    "anthropic/claude-sonnet-4": (3.00, 15.00),
    "anthropic/claude-sonnet-4-0": (3.00, 15.00),
    "anthropic/claude-3-7-sonnet": (3.00, 15.00),
    "anthropic/claude-haiku-4-5": (1.00, 5.00),
    "anthropic/claude-3-5-haiku": (0.80, 4.00),
    "anthropic/claude-3-haiku": (0.25, 1.25),
}

GEMINI_PRICES_CHECKED = "2026-03"
"""When the Gemini prices were last compared (Gemini API, paid tier, prompts up to 200k tokens).
Bedrock and Vertex AI prices differ by region and are not in the table: give --price-in/--price-out."""

GEMINI_PRICES: dict[str, tuple[float, float]] = {
    "gemini/gemini-2.5-pro": (1.25, 10.00),
    "gemini/gemini-2.5-flash": (0.30, 2.50),
    "gemini/gemini-2.5-flash-lite": (0.10, 0.40),
}
"""Thinking tokens are billed as output; the gemini backend counts them into completion tokens."""

BATCH_DISCOUNT = 0.5
"""Batch requests cost half the list price (OpenAI Batch API, Anthropic Message Batches)."""

_SNAPSHOT_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$")
"""Dated snapshots (gpt-4o-2024-08-06, claude-3-5-haiku-20241022) cost what their family costs."""


@dataclass(frozen=True)
class Prices:
    """USD per million tokens, and where the numbers came from."""

    input: float
    output: float
    source: str

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


def builtin_prices(judge: str) -> Prices | None:
    """The table's prices for `provider/model` (or a dated snapshot of it), if it has them."""
    for name in (judge, _SNAPSHOT_SUFFIX.sub("", judge)):
        for table, checked in ((BUILTIN_PRICES, PRICES_CHECKED), (GEMINI_PRICES, GEMINI_PRICES_CHECKED)):
            if name in table:
                price_in, price_out = table[name]
                return Prices(price_in, price_out, f"built-in list price of {name} (checked {checked})")
    return None


def resolve_prices(judge: str, price_in: float | None, price_out: float | None) -> Prices | None:
    """Prices given on the command line win; otherwise the table's; None if neither knows."""
    if (price_in is None) != (price_out is None):
        raise UsageError("give both --price-in and --price-out (US dollars per million tokens), or neither")
    if price_in is not None and price_out is not None:
        if price_in < 0 or price_out < 0:
            raise UsageError("--price-in and --price-out cannot be negative")
        return Prices(price_in, price_out, "--price-in/--price-out")
    return builtin_prices(judge)


def require_prices(judge: str, price_in: float | None, price_out: float | None) -> Prices:
    """Prices for a run with a cost budget: a model without any is a usage error."""
    prices = resolve_prices(judge, price_in, price_out)
    if prices is None:
        raise UsageError(
            f"--max-cost needs token prices, and judgekit has none for {judge}: pass "
            "--price-in and --price-out (US dollars per million input and output tokens)"
        )
    return prices


def estimated_tokens(text: str, per_token: int = 4) -> int:
    """A rough token count for servers that report no usage (4 characters a token), or a
    generous one for a budget's worst case (3 characters a token)."""
    return max(1, -(-len(text) // per_token))


def worst_cost(prices: Prices, request: JudgeRequest) -> float:
    """The most a request can cost at list price: a generous prompt estimate and every output token."""
    prompt = estimated_tokens("".join(message.content for message in request.messages), per_token=3)
    return prices.cost(prompt, request.params.max_tokens * max(1, request.params.n))


def completion_cost(prices: Prices, request: JudgeRequest, completion: Completion, *, batch: bool = False) -> float:
    """What an answer was charged: the provider's token counts (estimated where it gave none)."""
    prompt = completion.prompt_tokens
    if prompt is None:
        prompt = estimated_tokens("".join(message.content for message in request.messages))
    output = completion.completion_tokens
    if output is None:
        output = sum(estimated_tokens(text) for text in completion.texts)
    return prices.cost(prompt, output) * (BATCH_DISCOUNT if batch else 1.0)


@dataclass(frozen=True)
class Spent:
    """What a run directory's answers cost: as charged, and at list price."""

    charged: float = 0.0
    list_price: float = 0.0


def row_cost(row: Judgment, prices: Prices | None) -> Spent:
    """What one judgment row's answer cost (nothing for cached answers and failed calls).

    Rows record their charge (`cost_usd`); for rows written before they did, it is worked out
    from their token counts at `prices`, at the batch price for answers from a batch.
    """
    if row.completion is None or row.cached:
        return Spent()
    factor = BATCH_DISCOUNT if row.batch_id else 1.0
    if row.cost_usd is not None:
        return Spent(row.cost_usd, row.cost_usd / factor)
    if prices is None:
        return Spent()
    listed = prices.cost(row.completion.prompt_tokens or 0, row.completion.completion_tokens or 0)
    return Spent(listed * factor, listed)


def spent(rows: Iterable[Judgment], prices: Prices | None) -> Spent:
    """What every row of a run directory cost (each answer was paid once, whichever row it is)."""
    charged = listed = 0.0
    for row in rows:
        cost = row_cost(row, prices)
        charged += cost.charged
        listed += cost.list_price
    return Spent(charged, listed)


def format_usd(value: float) -> str:
    """Dollars with four decimals, or six below a cent, so a small spend never reads $0.0000."""
    if 0 < abs(value) < 0.01:
        return f"${value:.6f}"
    return f"${value:.4f}"
