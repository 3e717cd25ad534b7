"""Token prices, for reporting what a run cost and for stopping it at `--max-cost`.

The built-in table holds list prices in US dollars per million tokens for standard requests
(no batch discount, no prompt caching) of a few well-known judge models, as OpenAI and
Anthropic published them. Prices change: the table says when it was checked, and
`--price-in` / `--price-out` override it for any model (they are required for a model the
table does not know when a cost budget is set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from judgekit.errors import UsageError

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
        if name in BUILTIN_PRICES:
            price_in, price_out = BUILTIN_PRICES[name]
            return Prices(price_in, price_out, f"built-in list price of {name} (checked {PRICES_CHECKED})")
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
