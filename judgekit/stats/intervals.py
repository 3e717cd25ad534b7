"""Point estimates with 95% confidence intervals that never claim more certainty than the data holds.

Two kinds of interval are made here:

- Proportions (win rate, agreement, pass rate, P(first), flip rate, P(longer)) get the exact
  Clopper-Pearson interval (`judgekit.stats.proportions`): valid at n = 1 and at 0% or 100%,
  where a bootstrap has nothing to resample. A proportion pooled over clustered observations
  (several checklist criteria per item) gets Korn and Graubard's version (`judgekit.stats.clustered`).
- Means, correlations and model fits get a seeded percentile bootstrap: resample the items with
  replacement, recompute the statistic, and take the 2.5th and 97.5th percentiles. The
  percentile method is used rather than BCa because BCa's jackknife grows with the square of
  the item count and fails on data with no spread, both common in judge runs.

A bootstrap cannot see what the sample does not show: on very few items, or on data without
spread (every score equal, a perfect correlation), every resample gives the same number and the
percentiles collapse onto the point estimate. Such an interval is not reported at all: the
estimate carries no bounds and `no_interval` says why, so a gate under --on-ci-bound fails
instead of passing on a zero-width interval.

For a mean, resampling n items is the same as drawing how many times each distinct value is
picked from a multinomial distribution, so data with few distinct values (verdicts, 1-10
scores) is bootstrapped in time independent of n; other data is resampled in bounded batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from judgekit.choices import DEFAULT_RESAMPLES as DEFAULT_RESAMPLES  # defined once, shared with the CLI

CONFIDENCE = 0.95
MIN_BOOTSTRAP_ITEMS = 10
"""Fewest items a bootstrap interval is drawn from: below this, resamples of a handful of items
repeat the same few values and the percentiles say little about the population."""
ZERO_WIDTH = "every resample gave the same value (no spread in the data)"


class Estimate(BaseModel):
    """A statistic over `n` observations with its 95% confidence interval (when one can be given)."""

    model_config = ConfigDict(frozen=True)

    value: float
    low: float | None = None
    """Lower end of the 95% confidence interval (None when there is none; see `no_interval`)."""
    high: float | None = None
    n: int
    interval: str | None = None
    """How the interval was made: clopper-pearson (exact binomial) or bootstrap (percentile)."""
    no_interval: str | None = None
    """Why there is no interval (too few items, no spread in the data), when there is none."""

    @model_validator(mode="before")
    @classmethod
    def _never_zero_width(cls, data: Any) -> Any:
        # A last guard for every maker of estimates: an interval of zero width claims certainty no
        # finite sample gives, so it is dropped with the reason rather than reported.
        if isinstance(data, dict) and data.get("low") is not None and data.get("low") == data.get("high"):
            reason = data.get("no_interval") or ZERO_WIDTH
            return {**data, "low": None, "high": None, "interval": None, "no_interval": reason}
        return data

    def format(self, percent: bool = False, digits: int = 3) -> str:
        scale, suffix = (100.0, "%") if percent else (1.0, "")
        places = 1 if percent else digits
        text = f"{self.value * scale:.{places}f}{suffix}"
        if self.low is not None and self.high is not None:
            text += f" [{self.low * scale:.{places}f}, {self.high * scale:.{places}f}]"
        return text


def without_interval(value: float, n: int, reason: str) -> Estimate:
    """An estimate that says why it carries no interval."""
    return Estimate(value=value, n=n, no_interval=reason)


def too_few(n: int, unit: str = "items") -> str:
    return f"n={n} is too few for a bootstrap interval (needs {MIN_BOOTSTRAP_ITEMS} {unit})"


def percentile_bounds(
    value: float, draws: np.ndarray, n: int, *, resamples: int, unit: str = "items"
) -> tuple[float, float] | str:
    """The 2.5th and 97.5th percentiles of bootstrap draws (NaN draws dropped), or why they make no
    interval: the items are too few, most resamples gave no value, or the draws have no spread."""
    if n < MIN_BOOTSTRAP_ITEMS:
        return too_few(n, unit)
    finite = draws[np.isfinite(draws)]
    if finite.size < resamples // 2:
        return "most resamples gave no value (too little variation in the data)"
    alpha = (1 - CONFIDENCE) / 2
    low, high = (float(bound) for bound in np.quantile(finite, [alpha, 1 - alpha]))
    if high - low <= 1e-12 * max(1.0, abs(value)):
        return ZERO_WIDTH
    return low, high


def percentile_interval(value: float, draws: np.ndarray, n: int, *, resamples: int, unit: str = "items") -> Estimate:
    """The estimate with the 2.5th-97.5th percentiles of its bootstrap draws (`percentile_bounds`;
    none, with the reason, where they make no interval)."""
    bounds = percentile_bounds(value, draws, n, resamples=resamples, unit=unit)
    if isinstance(bounds, str):
        return without_interval(value, n, bounds)
    low, high = bounds
    # A biased statistic (kappa on few items, say) can put every percentile on one side of the
    # estimate; an interval that leaves out its own estimate claims too much, so it is widened to it.
    low, high = min(low, value), max(high, value)
    return Estimate(value=value, low=low, high=high, n=n, interval="bootstrap")


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
    """The mean with a percentile-bootstrap CI; None for no data.

    All-equal values get no interval (a resample of them can only repeat them), nor do fewer
    than `MIN_BOOTSTRAP_ITEMS` values; `no_interval` says which.
    """
    return mean_of(values, resamples=resamples, seed=seed, unit="items")


def mean_of(values: Sequence[float] | np.ndarray, *, resamples: int, seed: int, unit: str) -> Estimate | None:
    """`mean_estimate` of values that are `unit` (items, groups) rather than items."""
    data = np.asarray(values, dtype=float)
    n = int(data.size)
    if n == 0:
        return None
    value = float(data.mean())
    if n < MIN_BOOTSTRAP_ITEMS:
        return without_interval(value, n, too_few(n, unit))
    if float(np.ptp(data)) == 0.0:
        return without_interval(value, n, f"all {n} values are equal (no spread to resample)")
    means = bootstrap_means(data, resamples, np.random.default_rng(seed))
    return percentile_interval(value, means, n, resamples=resamples, unit=unit)


def paired_estimate(
    statistic: Callable[..., float],
    samples: Sequence[Sequence[Any] | np.ndarray],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    unit: str = "items",
    batched: Callable[..., np.ndarray] | None = None,
) -> Estimate | None:
    """A statistic of several aligned samples (e.g. judge and human scores) with a paired bootstrap CI.

    None when there is no data or the statistic is undefined on it (e.g. a correlation of
    constant data). Resamples whose statistic is undefined are dropped before the percentiles
    are taken; an interval is given only on enough items and when the resamples vary.

    `batched`, when given, computes the statistic of every resample at once: it takes one
    (resamples x n) array per sample, row r being resample r, and returns the resamples' values
    (NaN where undefined). The resamples are the very ones the loop would draw.
    """
    arrays = [np.asarray(sample) for sample in samples]
    n = int(arrays[0].shape[0]) if arrays else 0
    if n == 0:
        return None
    value = float(statistic(*arrays))
    if not np.isfinite(value):
        return None
    if n < MIN_BOOTSTRAP_ITEMS:
        return without_interval(value, n, too_few(n, unit))
    rng = np.random.default_rng(seed)
    if batched is not None:
        # One draw of every index at once gives the same indices as one row per resample.
        picks = rng.integers(0, n, size=(resamples, n))
        draws = np.asarray(batched(*(array[picks] for array in arrays)), dtype=float)
        return percentile_interval(value, draws, n, resamples=resamples, unit=unit)
    draws = np.empty(resamples)
    for index in range(resamples):
        picks = rng.integers(0, n, size=n)
        draws[index] = statistic(*(array[picks] for array in arrays))
    return percentile_interval(value, draws, n, resamples=resamples, unit=unit)
