"""How a batch run behaves: the options of `eval --batch` and `batch collect`, as stored in the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from judgekit.judging.pricing import Prices

RetryMode = Literal["batch", "interactive", "none"]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run behaves; stored in batches/state.json so `batch collect` behaves alike."""

    poll_interval: float = 30.0
    """Seconds between two looks at the running batches."""
    retry: RetryMode = "batch"
    """What to do with requests that failed inside a batch: a new batch, interactive calls, nothing."""
    retry_rounds: int = 2
    """How many times one request is retried after failing inside a batch."""
    max_requests: int | None = None
    """Requests per batch, below the provider's limit."""
    max_bytes: int | None = None
    """Bytes of batch input per batch, below the provider's limit."""
    price: Prices | None = None
    """List price for the estimate; by default the run's --price-in/--price-out or judgekit's table."""
    detach: bool = False
    """Return once everything is submitted."""
    wait: bool = True
    """Wait for running batches (False: collect what has ended, then return)."""
    submit_new: bool = True
    """Submit calls never submitted before (False for `batch collect`: only its own retries)."""
    estimate_only: bool = False
    """Show what would be submitted and its cost, and submit nothing."""
    resubmit: bool = False
    """Submit the requests of interrupted submissions again without looking for them at the provider."""

    def stored(self) -> dict[str, Any]:
        return {
            "poll_interval": self.poll_interval,
            "retry": self.retry,
            "retry_rounds": self.retry_rounds,
            "max_requests": self.max_requests,
            "max_bytes": self.max_bytes,
            "price": [self.price.input, self.price.output] if self.price else None,
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any], **overrides: Any) -> BatchOptions:
        values: dict[str, Any] = {
            key: stored[key]
            for key in ("poll_interval", "retry", "retry_rounds", "max_requests", "max_bytes")
            if key in stored
        }
        if stored.get("price"):
            values["price"] = Prices(
                float(stored["price"][0]), float(stored["price"][1]), source="--price-in/--price-out"
            )
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)
