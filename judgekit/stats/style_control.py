"""Style-controlled win rate: the win rate a judge would give if both answers had the same style.

Chatbot Arena's style control adds style features of the two answers to its preference
regression. judgekit does the same for a pair of systems judged on the same items:

    logit P(A preferred) = intercept + sum_k coefficient_k * z_k

with one feature per style count (length in characters, markdown headers, list items, bold
spans; see `metrics/style.py`). As Arena does, each count becomes the difference normalised by
the sum, `d = (a - b) / (a + b + 1)` (the 1 keeps two answers without any header at 0 instead of
0 / 0), and is then standardised. Arena subtracts the mean before dividing by the standard
deviation; its left and right answers are assigned at random, so that mean is close to zero.
Here A is the same system on every item, and centring would move the reference point from
"equal style" to "A's usual style advantage", so `z = d / rms(d)`: scaled by the standard
deviation about zero. The style-controlled win rate is then `expit(intercept)`, the modelled
win rate when the two answers are equal in every feature; a coefficient is the change in the
log-odds of preferring A per standard deviation of its feature (> 0: more of it wins).

A feature that is the same normalised difference on every item (e.g. no answer uses headers)
cannot be told apart from the intercept: it is left out and named. A tie counts as half a win.
When the outcome is fully determined by the features (perfect separation) or never varies, the
likelihood has no finite maximum and no estimate is given, with a note saying so. Intervals
come from the percentile bootstrap over items, refitting each resample (features scaled once on
the whole sample); when more than a tenth of the resamples have no finite fit the intervals are
withheld, since the remaining ones would overstate the certainty.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from judgekit.stats import logit
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, percentile_interval, without_interval

FEATURES = ("length", "headers", "lists", "bold")
"""The style counts of an answer, in this order (see `metrics/style.py`)."""
NORMALISATION = "(a - b) / (a + b + 1) per feature, divided by its root mean square over the items"
MIN_ITEMS_PER_FEATURE = 10
"""A feature must differ between the two answers on at least this many items (or on half the
items, when there are fewer than twenty) to be fitted: one
that shows up in a handful of answers (three bold spans in 805 items) separates those items
perfectly and has no finite coefficient, which would sink the whole fit."""
MAX_FAILED_RESAMPLES = 0.1
"""Share of bootstrap resamples without a finite fit above which no interval is reported."""


class StyleControlled(BaseModel):
    """A pairwise win rate of A with the answers' style differences controlled for."""

    win_rate: Estimate | None
    """expit(intercept): the modelled win rate of A when both answers have the same style."""
    coefficients: dict[str, Estimate] = Field(default_factory=dict)
    """Per fitted feature: change in the log-odds of preferring A per standard deviation of it."""
    left_out: dict[str, str] = Field(default_factory=dict)
    """Features not fitted, each with why: the same normalised difference on every item, or a
    difference on too few items (see MIN_ITEMS_PER_FEATURE)."""
    intercept: float | None = None
    scales: dict[str, float] = Field(default_factory=dict)
    """Per fitted feature: the root mean square of the normalised differences (the divisor)."""
    normalisation: str = NORMALISATION
    n: int = 0
    note: str | None = None
    """Why no estimate could be made, when none was."""


def normalised_differences(style_a: np.ndarray, style_b: np.ndarray) -> np.ndarray:
    """(a - b) / (a + b + 1), column by column (counts are never negative)."""
    a, b = np.asarray(style_a, dtype=float), np.asarray(style_b, dtype=float)
    return np.asarray((a - b) / (a + b + 1.0))


def design_of(
    style_a: Sequence[Sequence[float]], style_b: Sequence[Sequence[float]]
) -> tuple[np.ndarray, list[str], dict[str, str], dict[str, float]]:
    """The design matrix (intercept first), the fitted and left-out features, and the scales."""
    a = np.asarray(style_a, dtype=float).reshape(-1, len(FEATURES))
    b = np.asarray(style_b, dtype=float).reshape(-1, len(FEATURES))
    differences = normalised_differences(a, b)
    columns, kept, left_out, scales = [np.ones(differences.shape[0])], [], {}, {}
    for index, name in enumerate(FEATURES):
        column = differences[:, index]
        differing = int(np.count_nonzero(column))
        if differences.shape[0] == 0 or np.ptp(column) == 0:
            left_out[name] = "the same on every item"  # the intercept already carries it
            continue
        needed = min(MIN_ITEMS_PER_FEATURE, (differences.shape[0] + 1) // 2)
        if differing < needed:
            left_out[name] = f"differs on {differing} items (needs {needed})"
            continue
        scale = float(np.sqrt(np.mean(column**2)))
        columns.append(column / scale)
        kept.append(name)
        scales[name] = scale
    return np.column_stack(columns), kept, left_out, scales


def style_controlled(
    values: Sequence[float],
    style_a: Sequence[Sequence[float]],
    style_b: Sequence[Sequence[float]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> StyleControlled | None:
    """Fit the style model to outcome values (A = 1, tie = 0.5, B = 0) and bootstrap it; None for no items."""
    y = np.asarray(values, dtype=float)
    n = int(y.size)
    if n == 0:
        return None
    design, kept, left_out, scales = design_of(style_a, style_b)
    empty = StyleControlled(win_rate=None, left_out=left_out, scales=scales, n=n)
    if n <= design.shape[1]:
        return empty.model_copy(update={"note": f"n={n} is too few to fit {design.shape[1]} coefficients"})
    if np.ptp(y) == 0:
        return empty.model_copy(
            update={"note": "every verdict is the same: the odds are 0 or infinite, no coefficient has a finite value"}
        )
    beta = logit.fit(design, y, np.ones_like(y))[0]
    if not np.all(np.isfinite(beta)):
        return empty.model_copy(
            update={"note": "no finite fit: the style features fully determine the verdicts (perfect separation)"}
        )
    draws = _bootstrap(design, y, resamples, seed, beta)
    finite = draws[np.all(np.isfinite(draws), axis=1)]
    failed = 1.0 - finite.shape[0] / max(1, draws.shape[0])

    def estimate(value: float, column: np.ndarray) -> Estimate:
        if failed > MAX_FAILED_RESAMPLES:
            reason = f"{failed:.0%} of the bootstrap resamples have no finite fit (separation)"
            return without_interval(value, n, reason)
        return percentile_interval(value, column, n, resamples=resamples)

    intercept = float(beta[0])
    return StyleControlled(
        win_rate=estimate(float(logit.expit(np.array(intercept))), logit.expit(finite[:, 0])),
        coefficients={name: estimate(float(beta[i + 1]), finite[:, i + 1]) for i, name in enumerate(kept)},
        left_out=left_out,
        intercept=intercept,
        scales=scales,
        n=n,
    )


def _bootstrap(design: np.ndarray, y: np.ndarray, resamples: int, seed: int, start: np.ndarray) -> np.ndarray:
    """Coefficients refitted on bootstrap resamples of the items (NaN rows where no finite fit)."""
    rng = np.random.default_rng(seed)
    n = y.size
    per_batch = max(1, min(resamples, 1_000_000 // max(1, n)))
    out, done = [], 0
    while done < resamples:
        size = min(per_batch, resamples - done)
        counts = logit.bootstrap_counts(rng, size, n)
        out.append(logit.fit(design, counts * y, counts, start=start))
        done += size
    return np.vstack(out) if out else np.empty((0, design.shape[1]))
