"""An independent computation of the Korn-Graubard interval of a proportion clustered by item, for the
tests: the cluster-robust variance from statsmodels (OLS of the 0/1 outcomes on a constant,
cov_type="cluster"; its small-sample factor for one regressor is G / (G - 1)), the t ratio from
scipy.stats.t and the beta quantiles from scipy.stats.beta, with the edge rules of
`judgekit.stats.clustered` written out again (the rarer outcome in fewer than three items included)."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy.stats import beta, t
from statsmodels.stats.proportion import proportion_confint


def beta_bounds(x: float, n: float) -> tuple[float, float]:
    low = 0.0 if x <= 0 else float(beta.ppf(0.025, x, n - x + 1))
    high = 1.0 if x >= n else float(beta.ppf(0.975, x + 1, n - x))
    return low, high


def korn_graubard(items: list[list[int]]) -> tuple[float, float]:
    """The interval worked independently from each item's 0/1 outcomes."""
    outcomes = np.array([value for item in items for value in item], dtype=float)
    groups = np.repeat(np.arange(len(items)), [len(item) for item in items])
    total, clusters, p = outcomes.size, len(items), float(outcomes.mean())
    if clusters == total:  # nothing clustered: the plain exact interval
        low, high = proportion_confint(int(outcomes.sum()), total, method="beta")
        return float(low), float(high)
    if clusters == 1 or p in (0.0, 1.0):  # one observation per item
        return beta_bounds(p * clusters, clusters)
    fit = sm.OLS(outcomes, np.ones(total)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    variance = float(fit.bse[0] ** 2)
    design = min(total, p * (1 - p) / variance) if variance > 0 else total
    n_star = design * (t.ppf(0.975, total - 1) / t.ppf(0.975, clusters - 1)) ** 2
    low, high = beta_bounds(p * n_star, n_star)
    minority = 0 if p > 0.5 else 1  # the rarer outcome (ones when they are at most half)
    holding = sum(1 for item in items if minority in item)
    if holding < 3:  # its variance rests on one or two items: never narrower than one observation per item
        floor_low, floor_high = beta_bounds(p * clusters, clusters)
        low, high = min(low, floor_low), max(high, floor_high)
    return low, high
