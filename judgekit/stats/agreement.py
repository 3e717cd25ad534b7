"""Pairwise outcomes: win rate, agreement with human labels, Cohen's kappa, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, mean_estimate, paired_estimate

LABELS = ("A", "B", "tie")
OUTCOME_VALUE = {"A": 1.0, "tie": 0.5, "B": 0.0}
"""A's credit per outcome: a tie counts half a win, as AlpacaEval and Chatbot Arena count it."""


def win_rate(verdicts: Sequence[str], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> Estimate | None:
    """Share of A wins, ties counting one half, over the scored verdicts, with a bootstrap CI."""
    return mean_estimate([OUTCOME_VALUE[verdict] for verdict in verdicts], resamples=resamples, seed=seed)


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
    pairs = [(j, h) for j, h in zip(judge, human, strict=True) if include_ties or (j != "tie" and h != "tie")]
    return mean_estimate([1.0 if j == h else 0.0 for j, h in pairs], resamples=resamples, seed=seed)


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
        return 1.0 if observed == 1.0 else float("nan")
    return (observed - expected) / (1.0 - expected)


def cohen_kappa(
    first: Sequence[str], second: Sequence[str], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> Estimate | None:
    return paired_estimate(cohen_kappa_value, [list(first), list(second)], resamples=resamples, seed=seed)


def confusion(judge: Sequence[str], human: Sequence[str]) -> dict[str, dict[str, int]]:
    """counts[human label][judge verdict]."""
    table = {h: dict.fromkeys(LABELS, 0) for h in LABELS}
    for j, h in zip(judge, human, strict=True):
        table[h][j] += 1
    return table
