"""Correlation of judge scores with human scores at item, group and system level.

- item level: every (judge, human) pair at once.
- per group, then averaged (G-Eval's summary-level correlation on SummEval): within each group
  (e.g. one source document and its summaries) correlate the scores, skip groups where either
  side is constant, and average the per-group coefficients.
- system level: average the scores per system (e.g. per model), then correlate the averages
  (how AlpacaEval compares its leaderboard with Chatbot Arena's).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Hashable, Sequence

import numpy as np

from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, mean_of, paired_estimate

METHODS = ("spearman", "kendall", "pearson")


def coefficient(method: str, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rho, Kendall's tau-b or Pearson's r; NaN when either side is constant."""
    from scipy import stats

    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "spearman":
            return float(stats.spearmanr(a, b).statistic)
        if method == "kendall":
            return float(stats.kendalltau(a, b).statistic)
        if method == "pearson":
            return float(stats.pearsonr(a, b).statistic)
    raise ValueError(f"unknown correlation method {method!r}")


def item_level(
    method: str,
    judge: Sequence[float],
    human: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """The coefficient with a paired bootstrap CI; None when undefined (constant input, n < 2).

    Its interval is left out, with the reason, on fewer than 10 pairs or when every resample
    gives the same coefficient (e.g. a perfect rank agreement): never [1, 1].
    """
    return _paired(method, judge, human, resamples, seed, "items")


def _paired(
    method: str, judge: Sequence[float], human: Sequence[float], resamples: int, seed: int, unit: str
) -> Estimate | None:
    return paired_estimate(
        lambda a, b: coefficient(method, a, b),
        [np.asarray(judge, dtype=float), np.asarray(human, dtype=float)],
        resamples=resamples,
        seed=seed,
        unit=unit,
        batched=BATCHED.get(method),
    )


def pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r of each row pair of two (resamples x n) arrays; NaN where a row is constant."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    spread = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    constant = (np.ptp(x, axis=1) == 0) | (np.ptp(y, axis=1) == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=1) / spread
    r[constant] = np.nan
    clipped: np.ndarray = np.clip(r, -1.0, 1.0)  # rounding can put a perfect correlation a hair past 1
    return clipped


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair: Pearson's r of the rows' ranks (ties get their mean rank)."""
    from scipy.stats import rankdata

    return pearson_rows(rankdata(x, axis=1), rankdata(y, axis=1))


BATCHED = {"pearson": pearson_rows, "spearman": spearman_rows}
"""Coefficients computed for every bootstrap resample at once (Kendall's tau-b goes one by one)."""


def per_group(
    method: str,
    judge: Sequence[float],
    human: Sequence[float],
    groups: Sequence[Hashable],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[Estimate | None, int, int]:
    """Mean of per-group coefficients, its CI over groups, groups used and groups skipped."""
    members: dict[Hashable, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        members[group].append(index)
    a, b = np.asarray(judge, dtype=float), np.asarray(human, dtype=float)
    values = [coefficient(method, a[idx], b[idx]) for idx in members.values()]
    finite = [value for value in values if np.isfinite(value)]
    estimate = mean_of(finite, resamples=resamples, seed=seed, unit="groups")
    return estimate, len(finite), len(values) - len(finite)


def system_level(
    method: str,
    judge: Sequence[float],
    human: Sequence[float],
    systems: Sequence[Hashable],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> Estimate | None:
    """Correlation of per-system mean scores."""
    totals: dict[Hashable, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for j, h, system in zip(judge, human, systems, strict=True):
        entry = totals[system]
        entry[0] += j
        entry[1] += h
        entry[2] += 1
    judge_means = [entry[0] / entry[2] for entry in totals.values()]
    human_means = [entry[1] / entry[2] for entry in totals.values()]
    return _paired(method, judge_means, human_means, resamples, seed, "systems")
