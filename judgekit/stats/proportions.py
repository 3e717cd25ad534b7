"""Exact (Clopper-Pearson) confidence intervals for proportions.

A proportion's interval is the set of true rates under which the observed count is not in the
outer 2.5% of either binomial tail. Its ends are quantiles of beta distributions:

    lower = Beta(x, n - x + 1).ppf(0.025)      (0 when x = 0)
    upper = Beta(x + 1, n - x).ppf(0.975)      (1 when x = n)

It is valid at every n, including n = 1 and counts of 0 or n, where a bootstrap resample can
only repeat the data: 3 wins out of 3 give [29.2%, 100%], not [100%, 100%]. It errs on the wide
side (coverage at least 95% for every true rate), the right side for a release gate.

A win rate counts a tie as half a win, so its items are worth 0, 1/2 or 1 and their total
W + T/2 is not a binomial count. The interval used for it is the Clopper-Pearson interval of that
total taken as if it were one (the beta quantiles are defined for a fractional count). That is
conservative: a tie has less spread than a coin flip between a win and a loss, and splitting each
tie into such a flip would make the total exactly binomial with the same mean. Computing the
interval's coverage exactly over every outcome of n <= 50 items, on a grid of win and tie
probabilities, finds no case where either end misses more often than the 2.5% of the pure
binomial (`tests/test_intervals.py` repeats that check for small n). Without ties the interval
is the plain Clopper-Pearson interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats.intervals import CONFIDENCE, Estimate

METHOD = "clopper-pearson"


def clopper_pearson(successes: float, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact two-sided interval of a proportion `successes` / `n` (n >= 1)."""
    from scipy.special import betaincinv  # scipy.special alone imports in a fraction of scipy.stats' time

    if n < 1:
        raise ValueError("a proportion needs at least one observation")
    if not 0.0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    tail = (1.0 - confidence) / 2.0
    low = 0.0 if successes <= 0 else float(betaincinv(successes, n - successes + 1.0, tail))
    high = 1.0 if successes >= n else float(betaincinv(successes + 1.0, n - successes, 1.0 - tail))
    return low, high


def proportion_estimate(successes: float, n: int) -> Estimate | None:
    """successes / n with its Clopper-Pearson interval; None when n is 0."""
    if n == 0:
        return None
    low, high = clopper_pearson(successes, n)
    return Estimate(value=successes / n, low=low, high=high, n=n, interval=METHOD)


def share(values: Sequence[float] | np.ndarray) -> Estimate | None:
    """The mean of per-item credits in {0, 1/2, 1} (1/2 only for a tie) with its exact interval."""
    data = np.asarray(values, dtype=float)
    if data.size and not np.all(np.isin(data, (0.0, 0.5, 1.0))):
        raise ValueError("a share is a mean of 0, 1/2 and 1 values")
    return proportion_estimate(float(data.sum()), int(data.size))


def upper_bound(events: int, n: int, error_level: float) -> float:
    """The exact one-sided upper confidence bound of a rate seen `events` times in `n` trials.

    The largest rate p at which `events` or fewer would happen with probability at least
    `error_level` (the binomial tail; Clopper-Pearson with the whole error on one side), so the
    true rate lies below it with probability at least 1 - error_level. 1 when n is 0 (nothing
    seen bounds nothing) or every trial was an event.
    """
    from scipy.special import betaincinv

    if not 0.0 < error_level < 1.0:
        raise ValueError(f"error level {error_level} outside (0, 1)")
    if n < 0 or not 0 <= events <= n:
        raise ValueError(f"events {events} outside 0..{n}")
    if n == 0 or events == n:
        return 1.0
    return float(betaincinv(events + 1.0, float(n - events), 1.0 - error_level))
