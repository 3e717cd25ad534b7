"""Is one judge better than another on the same items? Paired tests.

- McNemar's exact test for a per-item right/wrong outcome (agreement with humans): only the
  items where exactly one of the two judges is right carry information; under the null each of
  them is a fair coin, so the two-sided p-value is a binomial tail (as statsmodels'
  `mcnemar(exact=True)` computes it).
  Its interval is the one the test inverts: an exact (Clopper-Pearson) interval for the share
  of those items the first judge got right, scaled to a difference in accuracy (`mcnemar_interval`),
  so the interval excludes 0 exactly when p < 0.05.
- A paired bootstrap for any statistic (kappa, a correlation): resample the shared items (or
  the shared groups) once per draw, compute the statistic for both judges on the same resample,
  and read the 95% interval of the difference; the two-sided p-value is twice the smaller share
  of differences on either side of zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from judgekit.stats.intervals import (
    CONFIDENCE,
    DEFAULT_RESAMPLES,
    MIN_BOOTSTRAP_ITEMS,
    Estimate,
    percentile_bounds,
    too_few,
    without_interval,
)


def mcnemar_exact(first_right: Sequence[bool], second_right: Sequence[bool]) -> tuple[int, int, float]:
    """(first right only, second right only, two-sided exact p-value)."""
    from scipy.stats import binom

    a = np.asarray(first_right, dtype=bool)
    b = np.asarray(second_right, dtype=bool)
    only_first = int(np.sum(a & ~b))
    only_second = int(np.sum(~a & b))
    discordant = only_first + only_second
    if discordant == 0:
        return only_first, only_second, 1.0
    p = 2.0 * float(binom.cdf(min(only_first, only_second), discordant, 0.5))
    return only_first, only_second, min(1.0, p)


def mcnemar_interval(only_first: int, only_second: int, n: int) -> tuple[float, float] | None:
    """The exact 95% interval of the difference in accuracy (first - second) that McNemar's
    exact test inverts; None when no item was right for only one of the two.

    Given the d = only_first + only_second discordant items, only_first is binomial with
    success share q, and the difference in accuracy is (d / n) * (2q - 1). The Clopper-Pearson
    bounds of q map to bounds of the difference; since the two-sided p-value is twice the
    smaller binomial tail (the central test), q's interval excludes 1/2, and so the difference's
    interval excludes 0, exactly when p < 0.05.
    """
    from scipy.stats import beta

    discordant = only_first + only_second
    if discordant == 0 or n <= 0:
        return None
    alpha = 1 - CONFIDENCE
    low = 0.0 if only_first == 0 else float(beta.ppf(alpha / 2, only_first, only_second + 1))
    high = 1.0 if only_second == 0 else float(beta.ppf(1 - alpha / 2, only_first + 1, only_second))
    share = discordant / n
    return share * (2 * low - 1), share * (2 * high - 1)


def paired_difference(
    statistic: Callable[..., float],
    first: Sequence[Sequence[Any] | np.ndarray],
    second: Sequence[Sequence[Any] | np.ndarray],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[Estimate | None, float | None]:
    """statistic(*first) - statistic(*second) with a paired bootstrap CI and a two-sided p-value.

    `first` and `second` are aligned samples over the same units (e.g. [judge scores, human
    scores] for each judge); one resample of the units is used for both sides of each draw.
    """
    a = [np.asarray(sample) for sample in first]
    b = [np.asarray(sample) for sample in second]
    n = int(a[0].shape[0]) if a else 0
    if n == 0:
        return None, None
    value = float(statistic(*a)) - float(statistic(*b))
    if not np.isfinite(value):
        return None, None
    if n < MIN_BOOTSTRAP_ITEMS:  # a handful of units cannot show how the difference varies: no claim
        return without_interval(value, n, too_few(n)), None
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for index in range(resamples):
        picks = rng.integers(0, n, size=n)
        draws[index] = float(statistic(*(x[picks] for x in a))) - float(statistic(*(x[picks] for x in b)))
    bounds = percentile_bounds(value, draws, n, resamples=resamples)
    if isinstance(bounds, str):  # e.g. every resample alike: no p-value can come of that either
        return without_interval(value, n, bounds), None
    finite = draws[np.isfinite(draws)]
    p = min(1.0, 2.0 * min(float(np.mean(finite <= 0)), float(np.mean(finite >= 0))))
    return Estimate(value=value, low=bounds[0], high=bounds[1], n=n), p
