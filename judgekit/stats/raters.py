"""Agreement among several raters (judges in a panel): Fleiss' kappa.

Fleiss' kappa generalises Scott's pi to any number of raters: for each item, the share of rater
pairs that agree, averaged over items (P-bar), against the agreement expected from the overall
category shares (P-e): kappa = (P-bar - P-e) / (1 - P-e). Every item must be rated by the same
number of raters. Two raters are better described by Cohen's kappa (`agreement.cohen_kappa`),
which keeps each rater's own category shares.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, paired_estimate


def category_counts(ratings: Sequence[Sequence[str]]) -> np.ndarray:
    """items x categories table: how many raters put each item in each category."""
    categories = sorted({label for row in ratings for label in row})
    position = {label: index for index, label in enumerate(categories)}
    table = np.zeros((len(ratings), len(categories)))
    for item, row in enumerate(ratings):
        for label in row:
            table[item, position[label]] += 1
    return table


def fleiss_kappa_value(table: np.ndarray) -> float:
    """Fleiss' kappa of an items x categories count table (each row sums to the rater count)."""
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] == 0:
        return float("nan")
    raters = counts.sum(axis=1)
    if np.any(raters != raters[0]) or raters[0] < 2:
        raise ValueError("Fleiss' kappa needs the same number (at least two) of ratings for every item")
    r = raters[0]
    per_item = (np.sum(counts * counts, axis=1) - r) / (r * (r - 1))
    observed = float(per_item.mean())
    shares = counts.sum(axis=0) / counts.sum()
    expected = float(np.sum(shares * shares))
    if expected == 1.0:
        return 1.0 if observed == 1.0 else float("nan")
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(
    ratings: Sequence[Sequence[str]], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> Estimate | None:
    """Fleiss' kappa of items x raters labels, with a bootstrap CI over items."""
    if not ratings:
        return None
    table = category_counts(ratings)
    # Resample item indices (the bootstrap helper resamples 1-d samples) and rebuild the table.
    return paired_estimate(
        lambda rows: fleiss_kappa_value(table[rows]), [np.arange(len(ratings))], resamples=resamples, seed=seed
    )
