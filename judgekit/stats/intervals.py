"""Point estimates with seeded percentile-bootstrap confidence intervals.

Percentile bootstrap: resample the items with replacement, recompute the statistic, and take
the 2.5th and 97.5th percentiles of the resampled values. The percentile method is used rather
than BCa because BCa's jackknife grows with the square of the item count and fails on data
with no spread, both common in judge runs. A fixed seed makes every interval reproducible.

For a mean, resampling n items is the same as drawing how many times each distinct value is
picked from a multinomial distribution, so data with few distinct values (verdicts, 1-10
scores) is bootstrapped in time independent of n; other data is resampled in bounded batches.
This needs only numpy, which keeps scipy's import (about a second) off the path of every run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from judgekit.choices import DEFAULT_RESAMPLES as DEFAULT_RESAMPLES  # defined once, shared with the CLI

CONFIDENCE = 0.95


class Estimate(BaseModel):
    """A statistic over `n` observations with its 95% bootstrap confidence interval."""

    model_config = ConfigDict(frozen=True)

    value: float
    low: float | None = None
    """Lower end of the 95% confidence interval (None when n is too small)."""
    high: float | None = None
    n: int

    def format(self, percent: bool = False, digits: int = 3) -> str:
        scale, suffix = (100.0, "%") if percent else (1.0, "")
        places = 1 if percent else digits
        text = f"{self.value * scale:.{places}f}{suffix}"
        if self.low is not None and self.high is not None:
            text += f" [{self.low * scale:.{places}f}, {self.high * scale:.{places}f}]"
        return text


def _batch_for(n: int) -> int:
    # Keep one resampling batch near a few million numbers, whatever the item count.
    return max(1, min(DEFAULT_RESAMPLES, 4_000_000 // max(1, n)))


MULTINOMIAL_MAX_VALUES = 256
"""Up to this many distinct values, a mean is bootstrapped through multinomial counts."""


def bootstrap_means(data: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of `resamples` bootstrap resamples of `data`."""
    n = data.size
    values, counts = np.unique(data, return_counts=True)
    if values.size <= MULTINOMIAL_MAX_VALUES:
        picks = rng.multinomial(n, counts / n, size=resamples)
        return np.asarray(picks @ values / n, dtype=float)
    means = np.empty(resamples)
    batch = _batch_for(n)
    for start in range(0, resamples, batch):
        size = min(batch, resamples - start)
        means[start : start + size] = data[rng.integers(0, n, size=(size, n))].mean(axis=1)
    return means


def mean_estimate(
    values: Sequence[float] | np.ndarray, *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> Estimate | None:
    """The mean with a percentile-bootstrap CI; None for no data."""
    data = np.asarray(values, dtype=float)
    n = int(data.size)
    if n == 0:
        return None
    value = float(data.mean())
    if n == 1:
        return Estimate(value=value, n=1)
    if float(np.ptp(data)) == 0.0:
        return Estimate(value=value, low=value, high=value, n=n)
    means = bootstrap_means(data, resamples, np.random.default_rng(seed))
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return Estimate(value=value, low=float(low), high=float(high), n=n)


def paired_estimate(
    statistic: Callable[..., float],
    samples: Sequence[Sequence[Any] | np.ndarray],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """A statistic of several aligned samples (e.g. judge and human scores) with a paired bootstrap CI.

    Resamples whose statistic is undefined (NaN, e.g. a correlation of constant data) are
    dropped before the percentiles are taken.
    """
    arrays = [np.asarray(sample) for sample in samples]
    n = int(arrays[0].size) if arrays else 0
    if n == 0:
        return None
    value = float(statistic(*arrays))
    if not np.isfinite(value):
        return None
    if n < 3:
        return Estimate(value=value, n=n)
    rng = np.random.default_rng(seed)
    draws = np.empty(resamples)
    for index in range(resamples):
        picks = rng.integers(0, n, size=n)
        draws[index] = statistic(*(array[picks] for array in arrays))
    finite = draws[np.isfinite(draws)]
    if finite.size < resamples // 2:
        return Estimate(value=value, n=n)
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(finite, [alpha, 1 - alpha])
    return Estimate(value=value, low=float(low), high=float(high), n=n)
