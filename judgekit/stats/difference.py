"""The difference of two independent proportions with Newcombe's hybrid score interval.

For p1 = x1 / n1 and p2 = x2 / n2 from independent samples, the interval of p1 - p2 combines the
two Wilson score intervals (l1, u1) and (l2, u2) (Newcombe 1998, method 10):

    lower = (p1 - p2) - sqrt((p1 - l1)^2 + (u2 - p2)^2)
    upper = (p1 - p2) + sqrt((u1 - p1)^2 + (p2 - l2)^2)

Unlike a bootstrap it keeps a width at the edges: 20 of 20 against 0 of 40 gives a difference of
1 with the interval [0.82, 1], where every resample would repeat the 1. It needs no minimum
sample size and is None only when either sample is empty.
"""

from __future__ import annotations

import math

from judgekit.stats.intervals import CONFIDENCE, Estimate

METHOD = "newcombe"


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of successes / n (n >= 1)."""
    from scipy.special import ndtri

    if n < 1:
        raise ValueError("a proportion needs at least one observation")
    z = float(ndtri(1 - (1 - confidence) / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_estimate(x1: int, n1: int, x2: int, n2: int) -> Estimate | None:
    """p1 - p2 with Newcombe's hybrid score interval; None when either sample is empty."""
    if n1 < 1 or n2 < 1:
        return None
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    value = p1 - p2
    low = value - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = value + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Estimate(value=value, low=max(-1.0, low), high=min(1.0, high), n=n1 + n2, interval=METHOD)
