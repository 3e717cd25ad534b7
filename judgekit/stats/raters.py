"""Agreement among several raters: Fleiss' kappa, the ICC, a leave-one-out ceiling.

- Fleiss' kappa (labels, every item rated by the same number of raters): for each item, the
  share of rater pairs that agree, averaged over items (P-bar), against the agreement expected
  from the overall category shares (P-e): kappa = (P-bar - P-e) / (1 - P-e). Two raters are
  better described by Cohen's kappa (`agreement.cohen_kappa`), which keeps each rater's shares.
- Krippendorff's alpha: see `judgekit.stats.alpha`.
- The intraclass correlation (Shrout & Fleiss 1979; McGraw & Wong 1996), single rater:
  "agreement" is ICC(A,1) / ICC(2,1) (two-way, the same raters on every item, a rater's offset
  counts as disagreement: the form for a judge against a human); "oneway" is ICC(1) (each item's
  raters drawn afresh: the form for anonymous crowd ratings of each item).
- A leave-one-out ceiling for several human ratings per item: each rating against the mean of the
  item's other ratings (how well one human predicts the rest), next to the judge against the same
  means (how well the judge does in that human's place).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats.intervals import (
    DEFAULT_RESAMPLES,
    MIN_BOOTSTRAP_ITEMS,
    Estimate,
    paired_estimate,
    percentile_interval,
    too_few,
    without_interval,
)

ICC_FORMS = ("agreement", "oneway")


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
        return float("nan")  # every rating in one category: chance-corrected agreement is 0 / 0
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


# -- intraclass correlation ----------------------------------------------------------------------


def icc_value(matrix: np.ndarray | Sequence[Sequence[float]], form: str = "agreement") -> float:
    """Single-rater ICC of a complete items x raters matrix: ICC(A,1) ("agreement") or ICC(1) ("oneway").

    NaN with fewer than two items or raters, or when the data has no variance at all.
    """
    if form not in ICC_FORMS:
        raise ValueError(f"form must be one of {', '.join(ICC_FORMS)}, got {form!r}")
    data = np.asarray(matrix, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] < 2 or np.isnan(data).any():
        return float("nan")
    n, k = data.shape
    grand = data.mean()
    rows = k * float(np.sum((data.mean(axis=1) - grand) ** 2))
    columns = n * float(np.sum((data.mean(axis=0) - grand) ** 2))
    total = float(np.sum((data - grand) ** 2))
    between = rows / (n - 1)
    if form == "oneway":
        within = (total - rows) / (n * (k - 1))
        denominator = between + (k - 1) * within
        return float("nan") if denominator <= 0 else (between - within) / denominator
    error = (total - rows - columns) / ((n - 1) * (k - 1))
    denominator = between + (k - 1) * error + k * (columns / (k - 1) - error) / n
    return float("nan") if denominator <= 0 else (between - error) / denominator


def icc(
    matrix: np.ndarray | Sequence[Sequence[float]],
    form: str = "agreement",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """The ICC with a bootstrap CI over items (rows)."""
    data = np.asarray(matrix, dtype=float)
    return paired_estimate(
        lambda rows: icc_value(data[rows], form), [np.arange(data.shape[0])], resamples=resamples, seed=seed
    )


# -- leave-one-out ceiling -----------------------------------------------------------------------


def _weighted_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mid-ranks of `values` (P) in each row of `weights` (R x P): each value counted `weight` times.

    With whole weights this is the average rank (ties sharing their mean rank) in the data where
    every value is repeated as often as its weight says: a bootstrap resample, drawn as counts.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    group_weight = np.add.reduceat(weights[:, order], starts, axis=1)
    group_rank = np.cumsum(group_weight, axis=1) - group_weight + (group_weight + 1) / 2
    sizes = np.diff(np.r_[starts, values.size])
    ranks = np.empty_like(weights, dtype=float)
    ranks[:, order] = group_rank[:, np.repeat(np.arange(starts.size), sizes)]
    return ranks


def _weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman's rho of (x, y) pairs counted with `weights` (R x P), one per row; NaN where undefined."""
    if x.size == 0:
        return np.full(weights.shape[0], np.nan)
    rank_x, rank_y = _weighted_ranks(x, weights), _weighted_ranks(y, weights)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        centred_x = rank_x - np.sum(weights * rank_x, axis=1, keepdims=True) / total
        centred_y = rank_y - np.sum(weights * rank_y, axis=1, keepdims=True) / total
        spread = np.sum(weights * centred_x**2, axis=1) * np.sum(weights * centred_y**2, axis=1)
        rho = np.sum(weights * centred_x * centred_y, axis=1) / np.sqrt(spread)
    return np.asarray(np.where(spread > 1e-12, rho, np.nan))


def _leave_one_out(data: np.ndarray, predictor: np.ndarray | None, weights: np.ndarray) -> np.ndarray:
    """`leave_one_out_value` for each row of item weights (R x items)."""
    present = ~np.isnan(data)
    sums, counts = np.nansum(data, axis=1), present.sum(axis=1)
    per_slot = []
    for slot in range(data.shape[1]):
        rows = present[:, slot] & (counts >= 2)
        others = (sums[rows] - data[rows, slot]) / (counts[rows] - 1)
        left_out = data[rows, slot] if predictor is None else predictor[rows]
        per_slot.append(_weighted_spearman(left_out, others, weights[:, rows]))
    stacked = np.array(per_slot)
    defined = np.isfinite(stacked)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(defined, stacked, 0.0).sum(axis=0) / defined.sum(axis=0)
    return np.asarray(np.where(defined.any(axis=0), mean, np.nan))


def leave_one_out_value(ratings: np.ndarray, predictor: np.ndarray | None = None) -> float:
    """Mean over rating slots r of Spearman(slot r, mean of the item's other ratings).

    With a `predictor` (the judge's scores), Spearman(predictor, the same means) instead: the
    judge in the place of the left-out rating. Slots whose correlation is undefined (constant
    ratings, fewer than two items) are skipped; NaN when none is left.
    """
    data = np.asarray(ratings, dtype=float)
    guide = None if predictor is None else np.asarray(predictor, dtype=float)
    return float(_leave_one_out(data, guide, np.ones((1, data.shape[0])))[0])


def leave_one_out(
    ratings: np.ndarray,
    predictor: np.ndarray | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """`leave_one_out_value` with a bootstrap CI over items (the same draws for human and judge).

    Items with the same ratings (and judge score) are one pattern, and a resample is a
    multinomial draw of pattern counts, so rating scales with few points resample quickly.
    """
    data = np.asarray(ratings, dtype=float)
    guide = None if predictor is None else np.asarray(predictor, dtype=float)
    value = leave_one_out_value(data, guide)
    n = data.shape[0]
    if not np.isfinite(value):
        return None
    if n < MIN_BOOTSTRAP_ITEMS:
        return without_interval(value, n, too_few(n))
    table = np.where(np.isnan(data), np.inf, data)  # NaN never equals itself; infinity marks "not rated"
    if guide is not None:
        table = np.column_stack([table, guide])
    patterns, inverse = np.unique(table, axis=0, return_inverse=True)
    frequency = np.bincount(inverse.ravel(), minlength=patterns.shape[0]) / n
    pattern_data = np.where(np.isinf(patterns[:, : data.shape[1]]), np.nan, patterns[:, : data.shape[1]])
    pattern_guide = None if guide is None else patterns[:, -1]
    rng = np.random.default_rng(seed)
    batch = max(1, min(resamples, 2_000_000 // patterns.shape[0]))
    draws = np.concatenate(
        [
            _leave_one_out(
                pattern_data, pattern_guide, rng.multinomial(n, frequency, size=min(batch, resamples - start))
            )
            for start in range(0, resamples, batch)
        ]
    )
    return percentile_interval(value, draws, n, resamples=resamples)
