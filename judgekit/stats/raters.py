"""Agreement among several raters: Fleiss' kappa, Krippendorff's alpha, the ICC, a leave-one-out ceiling.

- Fleiss' kappa (labels, every item rated by the same number of raters): for each item, the
  share of rater pairs that agree, averaged over items (P-bar), against the agreement expected
  from the overall category shares (P-e): kappa = (P-bar - P-e) / (1 - P-e). Two raters are
  better described by Cohen's kappa (`agreement.cohen_kappa`), which keeps each rater's shares.
- Krippendorff's alpha (any number of raters, missing ratings allowed): 1 - observed / expected
  disagreement, both read from the coincidence matrix of values rated on the same item, with a
  distance that fits the level of measurement (nominal, ordinal, interval or ratio). Items with
  fewer than two ratings cannot show disagreement and are left out (Krippendorff, Content
  Analysis, 2004, ch. 11). Checked against the `krippendorff` package in the tests.
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

from judgekit.stats import logit
from judgekit.stats.intervals import (
    DEFAULT_RESAMPLES,
    MIN_BOOTSTRAP_ITEMS,
    Estimate,
    paired_estimate,
    percentile_interval,
    too_few,
    without_interval,
)

ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS = ("agreement", "oneway")
_ALPHA_BOOTSTRAP_WORK = 50_000_000
"""Most multiply-adds spent resampling an ordinal or ratio alpha (resamples x patterns x values squared)."""


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


# -- Krippendorff's alpha ------------------------------------------------------------------------


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
