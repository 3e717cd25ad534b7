"""Prediction-powered inference (PPI++) of a mean: many judge verdicts anchored by a few human labels.

The setting: every item carries the judge's value `f` (a verdict's credit, a score) and a random
sample of the items also carries the human value `y`. The target is the mean of `y` over all the
items, i.e. what the humans would have said had they labelled everything. Prediction-powered
inference (Angelopoulos et al. 2023) starts from the judge's mean and corrects it by the judge's
average error measured where humans labelled:

    theta(lam) = lam * mean(f over the N unlabelled items) + mean(y - lam * f over the n labelled)

For any fixed `lam` this is unbiased, because E[y - lam f] + lam E[f] = E[y]; a biased judge
only costs width, never coverage. `lam = 0` is the humans alone, `lam = 1` the original PPI.
PPI++ (Angelopoulos, Duchi and Zrnic 2024) picks the `lam` that minimises the variance

    var(theta) = lam^2 var(f unlabelled) / N + var(y - lam f labelled) / n,
    lam* = cov(y, f) / ((1 + n/N) var(f)),   clipped to [0, 1],

and the 95% interval is the normal one, theta +- 1.96 sd (a CLT interval: rough below a few
dozen labels). The conventions are those of the `ppi_py` package, which the tests check against:
standard deviations with ddof 0, var(f) over labelled and unlabelled items together (ddof 1).

The gain is bounded: the variance falls at best by the share of var(y) that the judge explains,
and with a judge no better than the systems it grades, by about half (Dorner et al., ICLR 2025).
`effective_labels` says what the judge was worth: the number of human labels that alone would
give an interval as narrow, n * var(human only) / var(PPI).

Stratified samples (a fixed number of labels drawn at random within each stratum, e.g. more
from a small category) are estimated per stratum and combined with weights M_h / M, the
stratum's share of the items: each labelled item then counts with the inverse of its chance of
being drawn, as the design requires (Fisch et al. 2024, "Stratified Prediction-Powered
Inference"). Only numpy is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

Z_95 = 1.959963984540054
"""The 0.975 quantile of the standard normal distribution."""

MIN_LABELLED = 2
"""Labelled items needed (per stratum) to measure the spread of the human values."""


@dataclass(frozen=True)
class MeanEstimate:
    """An estimated mean with the variance of the estimator and its normal 95% interval."""

    value: float
    variance: float
    n: int
    """Observations behind it: items for the judge alone, labelled items for the humans alone."""

    @property
    def low(self) -> float:
        return self.value - Z_95 * float(np.sqrt(self.variance))

    @property
    def high(self) -> float:
        return self.value + Z_95 * float(np.sqrt(self.variance))


@dataclass(frozen=True)
class Anchored:
    """The judge alone, the humans alone and the two combined (PPI++), over the same items."""

    judge_only: MeanEstimate
    """Mean of the judge's values over all items (biased by whatever biases the judge)."""
    human_only: MeanEstimate
    """Mean of the human values over the labelled items (weighted by stratum when stratified)."""
    corrected: MeanEstimate
    """The PPI++ estimate of the human mean over all items."""
    labelled: int
    unlabelled: int
    lambdas: dict[str, float] = field(default_factory=dict)
    """The power-tuning lambda of each stratum ("all" when there is one)."""

    @property
    def effective_labels(self) -> float | None:
        """Human labels that alone would give the corrected interval's width (None when undefined)."""
        if self.corrected.variance <= 0.0:
            return None if self.human_only.variance > 0.0 else float(self.labelled)
        return self.labelled * self.human_only.variance / self.corrected.variance


def power_tuned_lambda(human: np.ndarray, judge_labelled: np.ndarray, judge_unlabelled: np.ndarray) -> float:
    """PPI++'s variance-minimising lambda, clipped to [0, 1]; 0 when the judge cannot help.

    0 when there is no unlabelled item (every item is labelled: the humans say it all) and when
    the judge's values do not vary (a constant judge carries no information).
    """
    n, unlabelled = human.size, judge_unlabelled.size
    if unlabelled == 0 or n < MIN_LABELLED:
        return 0.0
    pooled = np.concatenate([judge_labelled, judge_unlabelled])
    spread = float(np.var(pooled, ddof=1))
    if spread == 0.0:
        return 0.0
    covariance = float(np.mean((human - human.mean()) * (judge_labelled - judge_labelled.mean())))
    return float(np.clip(covariance / ((1.0 + n / unlabelled) * spread), 0.0, 1.0))


def ppi_mean(
    human: np.ndarray, judge_labelled: np.ndarray, judge_unlabelled: np.ndarray, lam: float | None = None
) -> tuple[MeanEstimate, float]:
    """The prediction-powered mean and the lambda used (tuned when `lam` is None).

    Needs at least two labelled items; with no unlabelled item it is the humans' mean.
    """
    n, unlabelled = human.size, judge_unlabelled.size
    if n < MIN_LABELLED:
        raise ValueError(f"PPI needs at least {MIN_LABELLED} labelled items, got {n}")
    if lam is None:
        lam = power_tuned_lambda(human, judge_labelled, judge_unlabelled)
    rectifier = human - lam * judge_labelled
    imputed = float(judge_unlabelled.mean()) if unlabelled else 0.0
    variance = float(np.var(rectifier)) / n
    if unlabelled:
        variance += lam**2 * float(np.var(judge_unlabelled)) / unlabelled
    return MeanEstimate(value=lam * imputed + float(rectifier.mean()), variance=variance, n=n), lam


def plain_mean(values: np.ndarray) -> MeanEstimate:
    """The sample mean with its CLT variance (ddof 0, as `ppi_py`'s classical interval)."""
    if values.size == 0:
        raise ValueError("no values")
    return MeanEstimate(value=float(values.mean()), variance=float(np.var(values)) / values.size, n=int(values.size))


def anchor(
    judge: Sequence[float] | np.ndarray,
    human: Sequence[float] | np.ndarray,
    strata: Sequence[str] | np.ndarray | None = None,
) -> Anchored | None:
    """Judge-only, human-only and PPI++ means over items that all carry a judge value.

    `human` is NaN where an item has no human label; `strata` names each item's stratum when the
    labels were drawn per stratum (None: one simple random sample). Returns None when a stratum
    has fewer than two labelled items (the spread of the humans cannot be measured there).
    """
    f = np.asarray(judge, dtype=float)
    y = np.asarray(human, dtype=float)
    if f.shape != y.shape or f.ndim != 1:
        raise ValueError("judge and human values must be two aligned 1-d sequences")
    if f.size == 0 or not np.all(np.isfinite(f)):
        raise ValueError("every item needs a finite judge value")
    names = np.asarray(strata, dtype=str) if strata is not None else np.full(f.size, "all")
    labelled = np.isfinite(y)
    total = f.size
    value = variance = human_value = human_variance = 0.0
    lambdas: dict[str, float] = {}
    for name in np.unique(names):
        members = names == name
        chosen, rest = members & labelled, members & ~labelled
        if int(chosen.sum()) < MIN_LABELLED:
            return None
        weight = float(members.sum()) / total
        corrected, lambdas[str(name)] = ppi_mean(y[chosen], f[chosen], f[rest])
        humans = plain_mean(y[chosen])
        value += weight * corrected.value
        variance += weight**2 * corrected.variance
        human_value += weight * humans.value
        human_variance += weight**2 * humans.variance
    count = int(labelled.sum())
    return Anchored(
        judge_only=plain_mean(f),
        human_only=MeanEstimate(value=human_value, variance=human_variance, n=count),
        corrected=MeanEstimate(value=value, variance=variance, n=total),
        labelled=count,
        unlabelled=total - count,
        lambdas=lambdas,
    )
