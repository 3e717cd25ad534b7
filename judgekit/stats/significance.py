"""Is one judge better than another on the same items? Paired tests.

- McNemar's exact test for a per-item right/wrong outcome (agreement with humans): only the
  items where exactly one of the two judges is right carry information; under the null each of
  them is a fair coin, so the two-sided p-value is a binomial tail (as statsmodels'
  `mcnemar(exact=True)` computes it).
- A paired bootstrap for any statistic (kappa, a correlation): resample the shared items (or
  the shared groups) once per draw, compute the statistic for both judges on the same resample,
  and read the 95% interval of the difference; the two-sided p-value is twice the smaller share
  of differences on either side of zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from judgekit.stats.intervals import CONFIDENCE, DEFAULT_RESAMPLES, Estimate


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
    if n < 3:
        return Estimate(value=value, n=n), None
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for index in range(resamples):
        picks = rng.integers(0, n, size=n)
        draws[index] = float(statistic(*(x[picks] for x in a))) - float(statistic(*(x[picks] for x in b)))
    finite = draws[np.isfinite(draws)]
    if finite.size < resamples // 2:
        return Estimate(value=value, n=n), None
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    p = min(1.0, 2.0 * min(float(np.mean(finite <= 0)), float(np.mean(finite >= 0))))
    return Estimate(value=value, low=float(low), high=float(high), n=n), p
