"""A weighted share: the mean of per-item credits, each item counting its weight (its votes).

Graded pairwise verdicts give an item several votes when the judge's preference is strong;
the share of all votes won is then the weighted mean of the items' credits. Its interval is a
percentile bootstrap over items (an item's votes are resampled together, since they come from
one judgment of one item).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats.intervals import Estimate, paired_estimate


def weighted_share(values: Sequence[float], weights: Sequence[float], *, resamples: int, seed: int) -> Estimate | None:
    """sum(weight * value) / sum(weight) with a percentile-bootstrap interval; None for no items."""
    if len(values) == 0:
        return None
    return paired_estimate(
        _ratio,
        [np.asarray(values, dtype=float), np.asarray(weights, dtype=float)],
        resamples=resamples,
        seed=seed,
    )


def _ratio(values: np.ndarray, weights: np.ndarray) -> float:
    return float((values * weights).sum() / weights.sum())
