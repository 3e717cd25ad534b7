"""Bradley-Terry strengths of several systems from pairwise verdicts, with bootstrap intervals.

The model: P(i preferred over j) = expit(s_i - s_j). It is fitted by maximum likelihood as a
logistic regression without intercept (one column per system, +1 for the first answer's system
and -1 for the second's, one system held at 0), the way Chatbot Arena fits its ratings; a tie
counts as half a win for each side. Strengths are then shifted to average zero, so a strength
reads as log-odds against an average system. Intervals resample the compared items with
replacement and refit; resamples that cannot be fitted (a system that wins or loses every one of
its comparisons in that resample) are dropped.

A comparison may carry a weight, the votes it counts for (Arena-Hard counts a strong preference
as three): its credit and its trial both count that many times, as if the comparison had been
repeated, which is how Arena-Hard fits graded verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats import logit
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, percentile_interval


def _index(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return sorted(set(first) | set(second))


def connected(first: Sequence[str], second: Sequence[str]) -> bool:
    """Whether every system is linked to every other through comparisons (needed for BT)."""
    systems = _index(first, second)
    if not systems:
        return False
    links: dict[str, set[str]] = {name: set() for name in systems}
    for a, b in zip(first, second, strict=True):
        links[a].add(b)
        links[b].add(a)
    seen, stack = {systems[0]}, [systems[0]]
    while stack:
        for other in links[stack.pop()] - seen:
            seen.add(other)
            stack.append(other)
    return len(seen) == len(systems)


def _grouped(first: Sequence[str], second: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Systems, the design row of each distinct (first, second) pair, and each item's pair index."""
    systems = _index(first, second)
    position = {name: index for index, name in enumerate(systems)}
    pairs: dict[tuple[int, int], int] = {}
    membership = np.empty(len(first), dtype=int)
    for item, (name_a, name_b) in enumerate(zip(first, second, strict=True)):
        membership[item] = pairs.setdefault((position[name_a], position[name_b]), len(pairs))
    design = np.zeros((len(pairs), len(systems)))
    for (first_column, second_column), row in pairs.items():
        design[row, first_column] += 1.0
        design[row, second_column] -= 1.0
    return systems, design[:, 1:], membership  # the first system is held at 0 while fitting


def _centred(beta: np.ndarray) -> np.ndarray:
    full = np.concatenate([np.zeros((beta.shape[0], 1)), beta], axis=1)
    return np.asarray(full - full.mean(axis=1, keepdims=True))


def strengths_values(
    first: Sequence[str], second: Sequence[str], values: Sequence[float], weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Point estimates of the centred strengths (NaN when the fit has no finite maximum)."""
    systems, design, membership = _grouped(first, second)
    y = np.asarray(values, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    m = design.shape[0]
    successes = np.bincount(membership, weights=y * w, minlength=m)
    trials = np.bincount(membership, weights=w, minlength=m)
    beta = _centred(logit.fit(design, successes, trials))[0]
    return dict(zip(systems, (float(value) for value in beta), strict=True))


def strengths(
    first: Sequence[str],
    second: Sequence[str],
    values: Sequence[float],
    *,
    weights: Sequence[float] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> dict[str, Estimate] | None:
    """Centred BT strengths with percentile-bootstrap intervals; None when they cannot be fitted.

    `values` is the first system's credit per comparison: 1 win, 0.5 tie, 0 loss (a weighted
    comparison may hold a share between); `weights` the votes each comparison counts for (1 each
    by default). The bootstrap resamples comparisons, each with its weight.
    """
    if len(first) < 2 or not connected(first, second):
        return None
    systems, design, membership = _grouped(first, second)
    y = np.asarray(values, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    n, m = y.size, design.shape[0]
    point = strengths_values(first, second, values, weights)
    if not all(np.isfinite(value) for value in point.values()):
        return None
    # Resampling items changes each pair's successes and trials: project the counts onto pairs.
    projection = np.zeros((n, m))
    projection[np.arange(n), membership] = 1.0
    rng = np.random.default_rng(seed)
    per_batch = max(1, min(resamples, 2_000_000 // max(1, n)))
    draws = []
    done = 0
    while done < resamples:
        size = min(per_batch, resamples - done)
        counts = logit.bootstrap_counts(rng, size, n)
        draws.append(_centred(logit.fit(design, (counts * y * w) @ projection, (counts * w) @ projection)))
        done += size
    sample = np.vstack(draws)
    finite = sample[np.all(np.isfinite(sample), axis=1)]
    return {
        name: percentile_interval(point[name], finite[:, index], n, resamples=resamples, unit="comparisons")
        for index, name in enumerate(systems)
    }
