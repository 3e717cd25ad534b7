"""Krippendorff's alpha: agreement of any number of raters, missing ratings allowed.

alpha = 1 - observed / expected disagreement, both read from the coincidence matrix of values
rated on the same item, with a distance that fits the level of measurement (nominal, ordinal,
interval or ratio). Items with fewer than two ratings cannot show disagreement and are left out
(Krippendorff, Content Analysis, 2nd ed., 2004, ch. 11). Checked against the `krippendorff`
package in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats import logit
from judgekit.stats.intervals import (
    DEFAULT_RESAMPLES,
    MIN_BOOTSTRAP_ITEMS,
    Estimate,
    percentile_interval,
    too_few,
    without_interval,
)

ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")
_ALPHA_BOOTSTRAP_WORK = 50_000_000
"""Most multiply-adds spent resampling an ordinal or ratio alpha (resamples x patterns x values squared)."""


def pairable(ratings: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """The rows of an items x raters matrix (NaN: not rated) that hold two or more ratings."""
    data = np.asarray(ratings, dtype=float)
    if data.ndim != 2:
        raise ValueError("ratings must be an items x raters matrix")
    return np.asarray(data[(~np.isnan(data)).sum(axis=1) >= 2])


def unit_counts(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, items x values counts) of a matrix of pairable items."""
    present = ~np.isnan(data)
    values = np.unique(data[present])
    counts = np.zeros((data.shape[0], values.size))
    np.add.at(counts, (np.nonzero(present)[0], np.searchsorted(values, data[present])), 1.0)
    return values, counts


def _interval_parts(data: np.ndarray) -> np.ndarray:
    """Per item: ratings m, their sum, their sum of squares, and the item's disagreement sum.

    At the interval level both disagreements have closed forms: a set of m values with sum s and
    sum of squares q holds pairs whose squared differences add up to 2 (m q - s^2).
    """
    present = ~np.isnan(data)
    m = present.sum(axis=1).astype(float)
    first = np.nansum(data, axis=1)
    second = np.nansum(data * data, axis=1)
    within = 2 * (m * second - first**2) / (m - 1)
    return np.asarray(np.column_stack([m, first, second, within]))


def _interval_alpha(totals: np.ndarray) -> np.ndarray:
    """Interval alpha from summed `_interval_parts` (last axis); NaN where no disagreement is possible."""
    m, first, second, within = (totals[..., index] for index in range(4))
    expected = 2 * (m * second - first**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - within * (m - 1) / expected
    return np.asarray(np.where(expected > 1e-12 * np.maximum(1.0, m * second), alpha, np.nan))


def _coincidence(counts: np.ndarray) -> np.ndarray:
    """The values x values coincidence matrix: sum over items of (c c' - diag c) / (m - 1)."""
    scaled = counts / (counts.sum(axis=1) - 1)[:, None]
    return np.asarray(scaled.T @ counts - np.diag(scaled.sum(axis=0)))


def _distances(values: np.ndarray, marginals: np.ndarray, level: str) -> np.ndarray:
    """Squared distances between values (the last axis of `marginals` runs over values)."""
    if level == "nominal":
        return 1.0 - np.eye(values.size)
    if level == "interval":
        return np.asarray((values[:, None] - values[None, :]) ** 2)
    if level == "ratio":
        total = values[:, None] + values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(total == 0, 0.0, (values[:, None] - values[None, :]) / total)
        return np.asarray(ratio**2)
    if level == "ordinal":
        # The ordinal distance of c <= k is (n_c/2 + n_(c+1) + ... + n_(k-1) + n_k/2)^2: the gap
        # between the two values' mid-positions in the pooled ranking of all pairable values.
        middle = np.cumsum(marginals, axis=-1) - marginals / 2
        return np.asarray((middle[..., :, None] - middle[..., None, :]) ** 2)
    raise ValueError(f"level must be one of {', '.join(ALPHA_LEVELS)}, got {level!r}")


def _alpha_of(coincidence: np.ndarray, values: np.ndarray, level: str) -> float:
    marginals = coincidence.sum(axis=1)
    total = float(marginals.sum())
    delta = _distances(values, marginals, level)
    expected = float(marginals @ delta @ marginals) / (total - 1)
    if expected <= 0:
        return float("nan")  # every pairable rating has one value: no disagreement is possible
    return 1.0 - float(np.sum(coincidence * delta)) / expected


def krippendorff_alpha_value(ratings: np.ndarray | Sequence[Sequence[float]], level: str = "interval") -> float:
    """Krippendorff's alpha of an items x raters matrix of numbers (NaN: not rated); NaN when undefined."""
    if level not in ALPHA_LEVELS:
        raise ValueError(f"level must be one of {', '.join(ALPHA_LEVELS)}, got {level!r}")
    data = pairable(ratings)
    if data.shape[0] == 0:
        return float("nan")
    if level == "interval":
        return float(_interval_alpha(_interval_parts(data).sum(axis=0)))
    values, counts = unit_counts(data)
    return _alpha_of(_coincidence(counts), values, level)


def krippendorff_alpha(
    ratings: np.ndarray | Sequence[Sequence[float]],
    level: str = "interval",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """Krippendorff's alpha with a bootstrap CI over the items that hold two or more ratings.

    At the nominal, ordinal and ratio levels the work grows with the square of the number of
    distinct values; past a limit (continuous scores) the value comes without an interval.
    """
    value = krippendorff_alpha_value(ratings, level)
    if not np.isfinite(value):
        return None
    data = pairable(ratings)
    n = data.shape[0]
    if n < MIN_BOOTSTRAP_ITEMS:
        return without_interval(value, n, too_few(n))
    rng = np.random.default_rng(seed)
    if level == "interval":
        parts = _interval_parts(data)
        batch = max(1, min(resamples, 4_000_000 // n))
        draws = np.concatenate(
            [
                _interval_alpha(logit.bootstrap_counts(rng, min(batch, resamples - start), n) @ parts)
                for start in range(0, resamples, batch)
            ]
        )
    else:
        values, counts = unit_counts(data)
        resampled = _pattern_draws(values, counts, level, resamples, rng)
        if resampled is None:
            reason = f"{values.size} distinct values are too many to resample {level} alpha"
            return without_interval(value, n, reason)
        draws = resampled
    return percentile_interval(value, draws, n, resamples=resamples)


def _pattern_draws(
    values: np.ndarray, counts: np.ndarray, level: str, resamples: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Alpha on bootstrap resamples of the items; None when that is too much work.

    An item enters alpha only through its counts of each value, so items with equal counts are
    one pattern and a resample is a multinomial draw of pattern frequencies.
    """
    patterns, inverse = np.unique(counts, axis=0, return_inverse=True)
    n, (kinds, size) = counts.shape[0], patterns.shape
    if resamples * kinds * size * size > _ALPHA_BOOTSTRAP_WORK:
        return None
    frequency = np.bincount(inverse.ravel(), minlength=kinds) / n
    draws = rng.multinomial(n, frequency, size=resamples).astype(float)
    marginals = draws @ patterns
    per_pattern = np.asarray([_coincidence(row[None, :]) for row in patterns]).reshape(kinds, -1)
    observed, expected = np.empty(resamples), np.empty(resamples)
    step = max(1, 1_000_000 // (size * size))
    for start in range(0, resamples, step):
        part = slice(start, start + step)
        delta = _distances(values, marginals[part], level)
        if delta.ndim == 2:
            delta = np.broadcast_to(delta, (marginals[part].shape[0], size, size))
        coincidence = (draws[part] @ per_pattern).reshape(-1, size, size)
        observed[part] = np.sum(coincidence * delta, axis=(1, 2))
        expected[part] = np.einsum("rv,rvw,rw->r", marginals[part], delta, marginals[part])
    totals = marginals.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alphas = 1.0 - observed * (totals - 1) / expected
    return np.asarray(np.where(expected > 0, alphas, np.nan))
