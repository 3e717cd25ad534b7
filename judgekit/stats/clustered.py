"""A proportion whose observations come in clusters: the Korn-Graubard (1998) interval.

Checklist data gives several (item, criterion) verdict pairs per item, and the pairs of one item
share an answer and a judge call, so they agree or disagree together. Counting them as independent
draws makes a Clopper-Pearson interval too narrow. Korn and Graubard's interval for a proportion
estimated from clustered (survey) data is the Clopper-Pearson interval at an effective sample size:
the number of independent observations that would give the proportion the variance it has.

For G clusters holding m_g observations and y_g successes each (N observations, p = sum y_g / N):

    var(p) = G / (G - 1) * sum_g (y_g - p m_g)^2 / N^2        the cluster-robust (linearisation) variance
    n*     = min(N, p (1 - p) / var(p))                        never more than the observations (N when var is 0)
    n*    *= (t_{N-1, 0.975} / t_{G-1, 0.975})^2               degrees of freedom: G clusters, not N pairs
    interval = Clopper-Pearson at n* with x* = p n* successes (fractional counts are fine for the beta quantiles)

as R's survey::svyciprop(method = "beta") computes it, with the usual capping of n* at N. The
edges, each so that no interval claims more independent evidence than the clusters give:

- no cluster holds more than one observation (G = N): nothing is clustered, and the interval is the
  plain Clopper-Pearson one exactly (the formula would give n* = N - 1 there only through the
  G / (G - 1) factor, a small-sample correction the exact binomial interval does not need);
- one cluster, or p of 0 or 1 (where var(p) is 0 and the method's convention is n* = N): the
  Clopper-Pearson interval of one observation per cluster (n = G, x = p G), so two items that agree
  on all 20 criteria each weigh as two agreements, not forty;
- the rarer outcome held by fewer than MIN_MINORITY_CLUSTERS clusters: the variance then rests on
  one or two clusters and can make the interval narrower as disagreements are added (20 items of 20
  criteria: lower bound 0.832 with no disagreement, 0.985 with one), so the interval is never
  narrower there than that of one observation per cluster; the edge above joins on without a jump.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from judgekit.stats.intervals import CONFIDENCE, Estimate
from judgekit.stats.proportions import METHOD as EXACT

MIN_MINORITY_CLUSTERS = 3
"""Clusters that must hold the rarer outcome before its between-cluster variance is trusted."""


def korn_graubard_method(cluster: str) -> str:
    return f"korn-graubard (clustered by {cluster})"


def effective_size(successes: Sequence[int], sizes: Sequence[int], confidence: float = CONFIDENCE) -> float:
    """n*, the degrees-of-freedom-adjusted effective sample size of clusters with 2 <= G < N and 0 < p < 1."""
    from scipy.special import stdtrit

    y, m = np.asarray(successes, dtype=float), np.asarray(sizes, dtype=float)
    total, clusters = float(m.sum()), int(m.size)
    p = float(y.sum()) / total
    variance = clusters / (clusters - 1) * float(np.sum((y - p * m) ** 2)) / total**2
    design = total if variance <= 0.0 else min(total, p * (1.0 - p) / variance)
    upper = 1.0 - (1.0 - confidence) / 2.0
    ratio = float(stdtrit(total - 1.0, upper)) / float(stdtrit(clusters - 1.0, upper))
    return design * ratio**2


def beta_interval(successes: float, n: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Clopper-Pearson's beta quantiles at a possibly fractional count `successes` of `n` (> 0)."""
    from scipy.special import betaincinv

    tail = (1.0 - confidence) / 2.0
    low = 0.0 if successes <= 0 else float(betaincinv(successes, n - successes + 1.0, tail))
    high = 1.0 if successes >= n else float(betaincinv(successes + 1.0, n - successes, 1.0 - tail))
    return low, high


def clustered_proportion(
    successes: Sequence[int], sizes: Sequence[int], *, cluster: str = "cluster", confidence: float = CONFIDENCE
) -> Estimate | None:
    """The pooled proportion sum(successes) / sum(sizes) of clusters, with the Korn-Graubard
    interval (see the module docstring); None when there is no observation. Clusters of size 0
    are left out."""
    kept = [(int(y), int(m)) for y, m in zip(successes, sizes, strict=True) if m > 0]
    if any(not 0 <= y <= m for y, m in kept):
        raise ValueError("a cluster's successes must lie between 0 and its size")
    total, clusters = sum(m for _, m in kept), len(kept)
    if total == 0:
        return None
    agreed = sum(y for y, _ in kept)
    p = agreed / total
    if clusters == total:
        low, high = beta_interval(agreed, total, confidence)
        return Estimate(value=p, low=low, high=high, n=total, interval=EXACT)
    per_cluster = beta_interval(p * clusters, clusters, confidence)
    if clusters == 1 or agreed in (0, total):
        low, high = per_cluster
    else:
        n_star = effective_size([y for y, _ in kept], [m for _, m in kept], confidence)
        low, high = beta_interval(p * n_star, n_star, confidence)
        rarer = [y for y, _ in kept] if 2 * agreed <= total else [m - y for y, m in kept]
        if sum(1 for count in rarer if count > 0) < MIN_MINORITY_CLUSTERS:
            low, high = min(low, per_cluster[0]), max(high, per_cluster[1])
    return Estimate(value=p, low=low, high=high, n=total, interval=korn_graubard_method(cluster))
