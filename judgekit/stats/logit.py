"""Maximum-likelihood logistic regression on grouped binomial data, many fits at once.

Length control and Bradley-Terry strengths are both logistic models whose outcome may be
fractional (a tie counts half a win). Each row of the design holds `successes` out of `trials`
(both may be fractional, e.g. bootstrap counts times a tie's 0.5), so one call fits the point
estimate (trials = 1 per item) or a whole batch of bootstrap resamples (trials = how often each
item was drawn), by Newton-Raphson without any penalty: the same estimate a binomial GLM gives.

A fit whose likelihood has no finite maximum (an outcome fully determined by a predictor, a
system that won every comparison) does not converge; it comes back as NaN rather than as a
huge coefficient that would pass for a number.
"""

from __future__ import annotations

import numpy as np

MAX_ITERATIONS = 50
TOLERANCE = 1e-10
DIVERGED = 30.0
"""|coefficient| past which a fit is taken as running off to infinity (odds beyond e^30)."""


def expit(eta: np.ndarray) -> np.ndarray:
    """The logistic function, written with tanh so large |eta| never overflows."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * eta)))


def fit(design: np.ndarray, successes: np.ndarray, trials: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Coefficients (batch x k) of logit P(success) = design @ beta, one fit per batch row.

    design: (m, k); successes, trials: (batch, m) or (m,). Rows that did not converge are NaN.
    `start` (k,): where every fit begins (default zeros); bootstrap refits start from the point
    estimate, which saves Newton steps and leaves the maximum they reach unchanged.
    """
    x = np.asarray(design, dtype=float)
    s = np.atleast_2d(np.asarray(successes, dtype=float))
    t = np.atleast_2d(np.asarray(trials, dtype=float))
    batch, k = s.shape[0], x.shape[1]
    beta = np.zeros((batch, k)) if start is None else np.tile(np.asarray(start, dtype=float), (batch, 1))
    active = np.ones(batch, dtype=bool)
    converged = np.zeros(batch, dtype=bool)
    ridge = 1e-12 * np.eye(k)  # only guards the solver against exact singularity
    outer = (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], k * k)  # a matmul builds every Hessian
    for _ in range(MAX_ITERATIONS):
        if not active.any():
            break
        b = beta[active]
        p = expit(b @ x.T)
        gradient = (s[active] - t[active] * p) @ x
        weights = t[active] * p * (1.0 - p)
        hessian = (weights @ outer).reshape(-1, k, k) + ridge
        try:
            step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(h, g, rcond=None)[0] for h, g in zip(hessian, gradient, strict=True)])
        b = b + step
        beta[active] = b
        indices = np.flatnonzero(active)
        done = np.max(np.abs(step), axis=1) < TOLERANCE
        runaway = ~np.all(np.isfinite(b), axis=1) | (np.max(np.abs(b), axis=1) > DIVERGED)
        converged[indices[done & ~runaway]] = True
        active[indices[done | runaway]] = False
    beta[~converged] = np.nan
    return beta


def bootstrap_counts(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """How often each of n items is drawn in each of `size` bootstrap resamples (size x n)."""
    picks = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
    return np.bincount(picks.ravel(), minlength=size * n).reshape(size, n).astype(float)
