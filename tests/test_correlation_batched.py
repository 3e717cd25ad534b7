"""The bootstrap of Pearson's and Spearman's coefficients computes every resample at once; it must
give exactly what one scipy call per resample gives (same resamples, same percentiles)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from judgekit.stats.correlation import item_level, pearson_rows, spearman_rows
from judgekit.stats.intervals import paired_estimate


def one_by_one(method: str, x: np.ndarray, y: np.ndarray) -> float:
    """scipy per pair of rows, NaN for a constant side (independent of judgekit's coefficient)."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    if method == "pearson":
        return float(stats.pearsonr(x, y).statistic)
    return float(stats.spearmanr(x, y).statistic)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("n", [10, 11, 40, 250])
def test_batched_bootstrap_equals_the_loop(method: str, n: int) -> None:
    rng = np.random.default_rng(n)
    human = rng.integers(1, 6, size=n).astype(float)  # 1-5 scores: many ties
    judge = np.clip(human + rng.normal(0, 1.5, size=n).round(), 1, 5)
    batched = item_level(method, judge, human, resamples=500, seed=3)
    looped = paired_estimate(lambda a, b: one_by_one(method, a, b), [judge, human], resamples=500, seed=3)
    assert batched is not None and looped is not None
    assert batched.value == pytest.approx(looped.value, abs=1e-12)
    assert (batched.low, batched.high) == (pytest.approx(looped.low, abs=1e-12), pytest.approx(looped.high, abs=1e-12))
    assert batched.no_interval == looped.no_interval


def test_rows_at_the_edges() -> None:
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 2.0, 2.0]])
    y = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    pearson = pearson_rows(x, y)
    assert np.isnan(pearson[0]) and np.isnan(pearson[3])  # a constant side: undefined, never 0
    assert pearson[1] == pytest.approx(1.0) and pearson[2] == pytest.approx(-1.0)
    assert -1.0 <= pearson[1] <= 1.0 and -1.0 <= pearson[2] <= 1.0
    ties_x, ties_y = np.array([[1.0, 2.0, 2.0, 3.0, 5.0]]), np.array([[2.0, 1.0, 4.0, 4.0, 3.0]])
    assert spearman_rows(ties_x, ties_y)[0] == pytest.approx(stats.spearmanr(ties_x[0], ties_y[0]).statistic)


def test_undefined_and_small_inputs_keep_their_answers() -> None:
    assert item_level("spearman", [3.0] * 12, list(range(12))) is None  # constant judge: no coefficient
    few = item_level("pearson", [1.0, 2.0, 3.0], [1.0, 3.0, 2.0])
    assert few is not None and few.low is None and few.no_interval  # too few for an interval
    perfect = item_level("spearman", list(range(20)), list(range(20)))
    assert perfect is not None and perfect.value == pytest.approx(1.0) and perfect.low is None  # no [1, 1]
