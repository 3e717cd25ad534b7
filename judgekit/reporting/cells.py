"""How a figure reads in a table cell: the estimate with its interval, and n (or why it has no interval)."""

from __future__ import annotations

from judgekit.stats.intervals import Estimate


def pct(estimate: Estimate | None) -> str:
    if estimate is None:
        return "–"
    return f"{estimate.format(percent=True)}  ({sample(estimate)})"


def num(estimate: Estimate | None, digits: int = 3) -> str:
    if estimate is None:
        return "–"
    return f"{estimate.format(digits=digits)}  ({sample(estimate)})"


def sample(estimate: Estimate) -> str:
    """n, and why there is no interval when there is none."""
    if estimate.low is None and estimate.no_interval:
        return f"n={estimate.n}; no CI: {estimate.no_interval}"
    return f"n={estimate.n}"
