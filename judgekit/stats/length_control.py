"""Length-controlled win rate: the win rate a judge would give if both answers were equally long.

Following the idea of AlpacaEval 2.0, the verdict is modelled by a logistic regression on the
length difference of the two answers, and the win rate is read off with that difference set to
zero. AlpacaEval also regresses on a per-instruction difficulty learned from many models; on
the user's own data there is only one pair of systems, so the model here is

    logit P(A preferred) = intercept + length_coefficient * tanh((len_a - len_b) / sd)

where lengths are characters, `sd` is the standard deviation (n-1) of the differences over the
scored items, and a tie counts as half a win (a fractional outcome). The length-controlled win
rate is expit(intercept); a positive coefficient means the judge favours the longer answer.
Intervals come from the percentile bootstrap over items, refitting each resample; resamples
whose fit has no finite maximum are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from judgekit.stats import logit
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, percentile_interval

FEATURE = "tanh((len_a - len_b) / sd), lengths in characters"


class LengthControlled(BaseModel):
    """A pairwise win rate of A with the answers' length difference controlled for."""

    win_rate: Estimate | None
    """expit(intercept): the modelled win rate of A at equal lengths (ties count one half)."""
    length_coefficient: Estimate | None
    """Change in the log-odds of preferring A per unit of the length feature (> 0: longer wins)."""
    intercept: float | None = None
    length_sd: float | None = None
    """Standard deviation of len_a - len_b (characters) used to scale the feature."""
    feature: str = FEATURE
    n: int = 0
    note: str | None = None
    """Why no estimate could be made, when none was."""


def _design(length_a: np.ndarray, length_b: np.ndarray) -> tuple[np.ndarray, float]:
    difference = length_a - length_b
    sd = float(np.std(difference, ddof=1)) if difference.size > 1 else 0.0
    feature = np.tanh(difference / sd) if sd > 0 else np.zeros_like(difference)
    return np.column_stack([np.ones_like(feature), feature]), sd


def fit_values(values: Sequence[float], length_a: Sequence[float], length_b: Sequence[float]) -> tuple[float, float]:
    """(intercept, length coefficient) of the point estimate; NaN when the fit has no finite maximum."""
    design, _ = _design(np.asarray(length_a, dtype=float), np.asarray(length_b, dtype=float))
    y = np.asarray(values, dtype=float)
    beta = logit.fit(design, y, np.ones_like(y))[0]
    return float(beta[0]), float(beta[1])


def length_controlled(
    values: Sequence[float],
    length_a: Sequence[float],
    length_b: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> LengthControlled | None:
    """Fit the length model to outcome values (A = 1, tie = 0.5, B = 0) and bootstrap it."""
    y = np.asarray(values, dtype=float)
    n = int(y.size)
    if n == 0:
        return None
    a, b = np.asarray(length_a, dtype=float), np.asarray(length_b, dtype=float)
    design, sd = _design(a, b)
    if n < 3 or sd == 0:
        return LengthControlled(
            win_rate=None, length_coefficient=None, length_sd=sd, n=n, note="too few items or no length difference"
        )
    beta = logit.fit(design, y, np.ones_like(y))[0]
    if not np.all(np.isfinite(beta)):
        return LengthControlled(
            win_rate=None,
            length_coefficient=None,
            length_sd=sd,
            n=n,
            note="no finite fit: the verdicts are fully determined by which answer is longer (or never vary)",
        )
    draws = _bootstrap(design, y, resamples, seed)
    finite = draws[np.all(np.isfinite(draws), axis=1)]

    def estimate(value: float, column: np.ndarray) -> Estimate:
        return percentile_interval(value, column, n, resamples=resamples)

    intercept, slope = float(beta[0]), float(beta[1])
    return LengthControlled(
        win_rate=estimate(float(logit.expit(np.array(intercept))), logit.expit(finite[:, 0])),
        length_coefficient=estimate(slope, finite[:, 1]),
        intercept=intercept,
        length_sd=sd,
        n=n,
    )


def _bootstrap(design: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Coefficients refitted on `resamples` bootstrap resamples of the items (NaN where no fit)."""
    rng = np.random.default_rng(seed)
    n = y.size
    per_batch = max(1, min(resamples, 2_000_000 // max(1, n)))
    out = []
    done = 0
    while done < resamples:
        size = min(per_batch, resamples - done)
        counts = logit.bootstrap_counts(rng, size, n)
        out.append(logit.fit(design, counts * y, counts))
        done += size
    return np.vstack(out)
