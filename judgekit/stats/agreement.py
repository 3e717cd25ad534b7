"""Two raters: win rate, agreement with human labels, Cohen's kappa (plain and weighted), confusion matrix."""

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
from judgekit.stats.proportions import share

LABELS = ("A", "B", "tie")
OUTCOME_VALUE = {"A": 1.0, "tie": 0.5, "B": 0.0}
"""A's credit per outcome: a tie counts half a win, as AlpacaEval and Chatbot Arena count it."""


def win_rate(verdicts: Sequence[str], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Estimate | None:
    """Share of A wins, ties counting one half, over the scored verdicts, with its exact interval.

    `resamples` and `seed` are accepted for a uniform call signature; the interval is Clopper-Pearson's
    (see `judgekit.stats.proportions` for why it stays valid with ties counted as halves).
    """
    del resamples, seed
    return share([OUTCOME_VALUE[verdict] for verdict in verdicts])


def standard_error(values: Sequence[float]) -> float | None:
    """Sample standard deviation / sqrt(n) of per-item outcome values (pandas' `sem`, AlpacaEval's SE)."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        return None
    return float(data.std(ddof=1) / np.sqrt(data.size))


def agreement(
    judge: Sequence[str],
    human: Sequence[str],
    *,
    include_ties: bool = True,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """Share of items where the judge's verdict equals the human label.

    Without ties, an item counts only when neither side called a tie (MT-Bench's "w/o tie").
    """
    del resamples, seed  # an exact (Clopper-Pearson) interval: nothing to resample
    pairs = [(j, h) for j, h in zip(judge, human, strict=True) if include_ties or (j != "tie" and h != "tie")]
    return share([1.0 if j == h else 0.0 for j, h in pairs])


def cohen_kappa_value(first: Sequence[str] | np.ndarray, second: Sequence[str] | np.ndarray) -> float:
    """Cohen's kappa of two raters: (observed - chance agreement) / (1 - chance agreement)."""
    a, b = np.asarray(first), np.asarray(second)
    n = a.size
    if n == 0:
        return float("nan")
    categories = np.union1d(a, b)
    observed = float(np.mean(a == b))
    expected = float(sum(np.mean(a == c) * np.mean(b == c) for c in categories))
    if expected == 1.0:
        # Both raters used one and the same category throughout: agreement beyond chance is
        # undefined (0 / 0), not perfect; scikit-learn's cohen_kappa_score says NaN too.
        return float("nan")
    return (observed - expected) / (1.0 - expected)


def kappa_of_table(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Cohen's kappa of a k x k table of counts (rows the first rater's category, columns the second's),
    as `cohen_kappa_value` gives it for the pairs the table counts; NaN where that is NaN. It is the
    weighted kappa with disagreement weight 1 off the diagonal, so `_kappa_of` computes it."""
    counts = np.asarray(table, dtype=float)
    if counts.sum() <= 0:
        return float("nan")
    return float(_kappa_of(counts.reshape(1, -1), 1.0 - np.eye(counts.shape[0]))[0])


def kappa_of_tables(tables: np.ndarray) -> float:
    """Cohen's kappa of the pairs that several k x k tables, each flattened to a row, count together:
    the statistic of a bootstrap that resamples whole tables (the items of clustered pairs)."""
    total = np.asarray(tables, dtype=float).sum(axis=0)
    size = round(float(np.sqrt(total.size)))
    return kappa_of_table(total.reshape(size, size))


def cohen_kappa(
    first: Sequence[str], second: Sequence[str], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> Estimate | None:
    return paired_estimate(cohen_kappa_value, [list(first), list(second)], resamples=resamples, seed=seed)


WEIGHTS = ("linear", "quadratic")


def weighted_kappa_value(
    first: Sequence[float] | np.ndarray, second: Sequence[float] | np.ndarray, weights: str = "quadratic"
) -> float:
    """Cohen's weighted kappa of two raters' scores: 1 - observed / chance-expected disagreement.

    The categories are the distinct scores; a disagreement weighs the distance between the two
    scores (linear) or its square (quadratic). On a scale whose whole points are all categories
    this is the textbook weighting by category index; with scores between the points (e.g. a mean
    of several human ratings) distances stay true to the values. NaN when no disagreement is
    possible by chance (both raters constant at one value) or there is no data.
    """
    categories, cells, distance = _kappa_table(first, second, weights)
    if cells.size == 0:
        return float("nan")
    return float(_kappa_of(np.bincount(cells, minlength=categories.size**2)[None, :], distance)[0])


def _kappa_table(
    first: Sequence[float] | np.ndarray, second: Sequence[float] | np.ndarray, weights: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(categories, each item's cell in the categories x categories table, disagreement weights)."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be linear or quadratic, got {weights!r}")
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    categories = np.union1d(a, b)
    cells = np.searchsorted(categories, a) * categories.size + np.searchsorted(categories, b)
    distance = np.abs(categories[:, None] - categories[None, :])
    return categories, cells, distance * distance if weights == "quadratic" else distance


def _kappa_of(tables: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Weighted kappa of each row of flattened count tables (R x k*k); NaN where undefined."""
    k = distance.shape[0]
    counts = tables.reshape(-1, k, k).astype(float)
    total = counts.sum(axis=(1, 2))
    expected = np.einsum("ri,rj->rij", counts.sum(axis=2), counts.sum(axis=1)) / total[:, None, None]
    chance = np.sum(expected * distance, axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = 1.0 - np.sum(counts * distance, axis=(1, 2)) / chance
    return np.asarray(np.where(chance > 1e-12 * np.maximum(1.0, total), kappa, np.nan))


def weighted_kappa(
    first: Sequence[float],
    second: Sequence[float],
    weights: str = "quadratic",
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """Weighted kappa with a bootstrap CI over items; None when undefined (see the value).

    Kappa depends on the items only through the table of (first, second) score pairs, so a
    resample is a multinomial draw of the table's cells.
    """
    categories, cells, distance = _kappa_table(first, second, weights)
    n = int(cells.size)
    value = weighted_kappa_value(first, second, weights)
    if not np.isfinite(value):
        return None
    if n < MIN_BOOTSTRAP_ITEMS:
        return without_interval(value, n, too_few(n))
    size = categories.size**2
    used, counts = np.unique(cells, return_counts=True)
    rng = np.random.default_rng(seed)
    batch = max(1, min(resamples, 4_000_000 // size))
    draws = []
    for start in range(0, resamples, batch):
        picks = rng.multinomial(n, counts / n, size=min(batch, resamples - start))
        tables = np.zeros((picks.shape[0], size))
        tables[:, used] = picks
        draws.append(_kappa_of(tables, distance))
    return percentile_interval(value, np.concatenate(draws), n, resamples=resamples)


def confusion(judge: Sequence[str], human: Sequence[str]) -> dict[str, dict[str, int]]:
    """counts[human label][judge verdict]."""
    table = {h: dict.fromkeys(LABELS, 0) for h in LABELS}
    for j, h in zip(judge, human, strict=True):
        table[h][j] += 1
    return table
