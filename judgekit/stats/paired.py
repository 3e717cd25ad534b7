"""Paired tests for two runs over the same items: did the change move the numbers?

- Scores (pointwise): the Wilcoxon signed-rank test on the per-item differences (scipy's,
  two-sided; items with no change are dropped, as Wilcoxon's original procedure does; exact
  p-values for small samples without ties, the normal approximation otherwise).
- Pairwise outcomes: the sign test on the items whose outcome changed: under no real change,
  an item is as likely to get better as worse, so the number that got better is
  Binomial(changed, 1/2); the p-value is the exact two-sided binomial probability. For
  two-valued outcomes this is the exact McNemar test.

Both report the mean per-item change with a paired bootstrap CI (items are resampled as
pairs, so the correlation between the two runs is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, mean_estimate


class PairedTest(BaseModel):
    """The outcome of a paired test of `after` against `before`."""

    test: Literal["wilcoxon", "sign"]
    n: int
    """Pairs compared."""
    better: int
    """Pairs whose value went up."""
    worse: int
    """Pairs whose value went down."""
    unchanged: int
    statistic: float | None
    """Wilcoxon: the smaller of the positive and negative rank sums; sign: the count that got better."""
    p_value: float | None
    """Two-sided; None when no pair changed (nothing to test)."""
    change: Estimate | None
    """Mean of after - before, with its paired bootstrap 95% CI."""


def _differences(before: Sequence[float], after: Sequence[float]) -> np.ndarray:
    if len(before) != len(after):
        raise ValueError("paired samples must have the same length")
    differences: np.ndarray = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    return differences


def _counts(differences: np.ndarray) -> tuple[int, int, int]:
    return int((differences > 0).sum()), int((differences < 0).sum()), int((differences == 0).sum())


def sign_test(
    before: Sequence[float], after: Sequence[float], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> PairedTest:
    """Exact two-sided sign test on the pairs that changed."""
    from scipy.stats import binomtest

    differences = _differences(before, after)
    better, worse, unchanged = _counts(differences)
    changed = better + worse
    p_value = float(binomtest(better, changed, 0.5).pvalue) if changed else None
    return PairedTest(
        test="sign",
        n=int(differences.size),
        better=better,
        worse=worse,
        unchanged=unchanged,
        statistic=float(better) if changed else None,
        p_value=p_value,
        change=mean_estimate(differences, resamples=resamples, seed=seed),
    )


def wilcoxon_test(
    before: Sequence[float], after: Sequence[float], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0
) -> PairedTest:
    """Two-sided Wilcoxon signed-rank test on after - before (zero differences dropped)."""
    from scipy.stats import wilcoxon

    differences = _differences(before, after)
    better, worse, unchanged = _counts(differences)
    statistic = p_value = None
    if better + worse:
        result = wilcoxon(differences, zero_method="wilcox", alternative="two-sided")
        statistic, p_value = float(result.statistic), float(result.pvalue)
    return PairedTest(
        test="wilcoxon",
        n=int(differences.size),
        better=better,
        worse=worse,
        unchanged=unchanged,
        statistic=statistic,
        p_value=p_value,
        change=mean_estimate(differences, resamples=resamples, seed=seed),
    )
