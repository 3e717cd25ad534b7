"""Length-controlled win rates against a baseline with a per-instruction difficulty term.

AlpacaEval 2.0's length-controlled model explains the judge's preference for system m over the
baseline on instruction i with a term per system, the length difference and a term per
instruction (how hard the instruction is for every system alike):

    logit P(m preferred on i) = theta_m + gamma * tanh((len_m - len_base) / sd) + delta_i

and reads each system's length-controlled win rate as the mean over its instructions of
expit(theta_m + delta_i), the length difference set to zero. `sd` is the standard deviation
(n-1) of the length differences over all comparisons; a tie counts one half; delta of the
first instruction is 0 (only differences between instructions are identified).

Fitted here by maximum likelihood without a penalty (AlpacaEval regularises its fit and takes
its difficulties from its whole leaderboard, so its published numbers are not reproduced
exactly). An instruction on which every system won (or every system lost) pushes its delta
to infinity: such an instruction says nothing about the systems or the length effect, so it is
left out of the fit and predicts its own outcome (1 or 0) in the win-rate mean; their number is
reported. The Newton steps eliminate the instruction terms through their diagonal block (a
Schur complement), so a fit costs O(comparisons x systems^2) however many instructions there
are. Intervals come from a bootstrap over instructions (each drawn instruction brings all its
comparisons), refitting each resample; resamples without a finite fit are dropped, and when
more than a tenth are the intervals are withheld.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from judgekit.stats import logit
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, percentile_interval, without_interval

MAX_ITERATIONS = 100
TOLERANCE = 1e-9
MAX_FAILED_RESAMPLES = 0.1


class DifficultyControlled(BaseModel):
    """Each system's length-controlled win rate against the baseline, instruction difficulty controlled."""

    win_rates: dict[str, Estimate] = Field(default_factory=dict)
    """Per system: the mean over its instructions of expit(theta + delta) at equal lengths."""
    length_coefficient: Estimate | None = None
    """Shared by all systems: log-odds per unit of tanh(length difference / sd)."""
    length_sd: float | None = None
    instructions: int = 0
    """Instructions with at least one scored comparison."""
    decided: int = 0
    """Instructions every system won (or every system lost): predicted as observed, left out of the fit."""
    comparisons: int = 0
    note: str | None = None
    """Why no estimate could be made, when none was."""


def _fit(
    system: np.ndarray, instruction: np.ndarray, z: np.ndarray, y: np.ndarray, t: np.ndarray, k: int, g: int
) -> np.ndarray | None:
    """(theta_1..k, gamma, delta_1..g-1) by Newton-Raphson; None when the maximum is not finite."""
    small = np.column_stack([np.eye(k)[system], z])  # system indicators and the length feature
    params = np.zeros(k + 1 + g)  # delta_0 stays 0
    for _ in range(MAX_ITERATIONS):
        eta = small @ params[: k + 1] + params[k + 1 :][instruction]
        p = logit.expit(eta)
        residual, weight = y - t * p, t * p * (1 - p)
        grad_small = small.T @ residual
        grad_delta = np.bincount(instruction, residual, minlength=g)[1:]
        a = (small * weight[:, None]).T @ small
        b = np.stack([np.bincount(instruction, weight * small[:, j], minlength=g)[1:] for j in range(k + 1)])
        d = np.bincount(instruction, weight, minlength=g)[1:]
        d = np.where(d > 0, d, 1.0)  # an instruction absent from a resample: its delta is never used
        schur = a - (b / d) @ b.T + 1e-12 * np.eye(k + 1)
        try:
            step_small = np.linalg.solve(schur, grad_small - (b / d) @ grad_delta)
        except np.linalg.LinAlgError:
            return None
        step_delta = (grad_delta - b.T @ step_small) / d
        step = np.concatenate([step_small, [0.0], step_delta])
        params += step
        if not np.all(np.isfinite(params)) or np.max(np.abs(params)) > logit.DIVERGED:
            return None
        if np.max(np.abs(step)) < TOLERANCE:
            return params
    return None


def _win_rates(
    params: np.ndarray, system: np.ndarray, instruction: np.ndarray, t: np.ndarray, decided: dict[int, float], k: int
) -> np.ndarray:
    """Per system, the modelled win rate averaged over its comparisons (weighted by how often each
    was drawn), at equal lengths; an instruction left out of the fit predicts its own outcome."""
    delta = params[k + 1 :]
    predicted = logit.expit(params[:k][system] + delta[instruction])
    for index, outcome in decided.items():
        predicted[instruction == index] = outcome
    weight = np.bincount(system, t, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.bincount(system, t * predicted, minlength=k) / weight)


def _one(
    system: np.ndarray, instruction: np.ndarray, z: np.ndarray, y: np.ndarray, t: np.ndarray, k: int, g: int
) -> tuple[np.ndarray, float] | None:
    """Win rates and the length coefficient of one (weighted) sample; None without a finite fit."""
    present = t > 0
    totals = np.bincount(instruction, t, minlength=g)
    wins = np.bincount(instruction, y, minlength=g)
    decided = {int(i): float(wins[i] / totals[i]) for i in np.flatnonzero(totals) if wins[i] in (0.0, totals[i])}
    keep = present & ~np.isin(instruction, list(decided))
    if not keep.any():
        return None
    # Renumber the kept instructions so the first of them is the reference (delta = 0).
    kept_ids, local = np.unique(instruction[keep], return_inverse=True)
    params = _fit(system[keep], local, z[keep], y[keep], t[keep], k, kept_ids.size)
    if params is None:
        return None
    full = np.zeros(k + 1 + g)
    full[: k + 1] = params[: k + 1]
    full[k + 1 :][kept_ids] = params[k + 1 :]
    return _win_rates(full, system, instruction, t, decided, k), float(params[k])


def difficulty_controlled(
    systems: Sequence[str],
    instructions: Sequence[str],
    values: Sequence[float],
    length_own: Sequence[float],
    length_baseline: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> DifficultyControlled | None:
    """Fit the model to comparisons (system, instruction, its credit: 1, 1/2, 0); None for none."""
    n = len(values)
    if n == 0:
        return None
    names, system = np.unique(np.asarray(systems), return_inverse=True)
    ids, instruction = np.unique(np.asarray(instructions), return_inverse=True)
    k, g = names.size, ids.size
    difference = np.asarray(length_own, dtype=float) - np.asarray(length_baseline, dtype=float)
    sd = float(np.std(difference, ddof=1)) if n > 1 else 0.0
    z = np.tanh(difference / sd) if sd > 0 else np.zeros(n)
    y = np.asarray(values, dtype=float)
    shared = np.bincount(instruction, minlength=g) > 1
    result = DifficultyControlled(length_sd=sd, instructions=g, comparisons=n)
    if k < 2 or not shared.any():
        note = "needs two or more systems judged against the baseline on the same instructions"
        return result.model_copy(update={"note": note})
    if sd == 0:
        return result.model_copy(update={"note": "no length difference between the answers"})
    point = _one(system, instruction, z, y, np.ones(n), k, g)
    totals = np.bincount(instruction, minlength=g)
    wins = np.bincount(instruction, y, minlength=g)
    result.decided = int(np.sum((wins == 0) | (wins == totals)))
    if point is None:
        note = "no finite fit: the verdicts are fully determined by the systems, lengths and instructions"
        return result.model_copy(update={"note": note})
    draws = _bootstrap(system, instruction, z, y, k, g, resamples, seed)
    finite = draws[np.all(np.isfinite(draws), axis=1)]
    failed = 1.0 - finite.shape[0] / max(1, draws.shape[0])

    def estimate(value: float, column: np.ndarray) -> Estimate:
        if failed > MAX_FAILED_RESAMPLES:
            return without_interval(value, g, f"{failed:.0%} of the bootstrap resamples have no finite fit")
        return percentile_interval(value, column, g, resamples=resamples, unit="instructions")

    rates, gamma = point
    result.win_rates = {str(name): estimate(float(rates[i]), finite[:, i]) for i, name in enumerate(names)}
    result.length_coefficient = estimate(gamma, finite[:, k])
    return result


def _bootstrap(
    system: np.ndarray, instruction: np.ndarray, z: np.ndarray, y: np.ndarray, k: int, g: int, resamples: int, seed: int
) -> np.ndarray:
    """(win rates..., gamma) per resample of the instructions (NaN rows where no finite fit)."""
    rng = np.random.default_rng(seed)
    out = np.full((resamples, k + 1), np.nan)
    for index, counts in enumerate(logit.bootstrap_counts(rng, resamples, g)):
        t = counts[instruction]
        fitted = _one(system, instruction, z, y * t, t, k, g)
        if fitted is not None:
            out[index, :k], out[index, k] = fitted
    return out
