"""Ordinal and multi-rater agreement against independent implementations and published figures."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from scipy import stats as scipy_stats

from judgekit.stats import agreement, alpha, raters

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


def _noisy_ratings(seed: int, items: int = 80, slots: int = 4, missing: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, items)
    ratings = np.clip(truth[:, None] + rng.integers(-1, 2, (items, slots)), 1, 5).astype(float)
    ratings[rng.random(ratings.shape) < missing] = np.nan
    return ratings


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_matches_scikit_learn(weights: str) -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(11)
    human = rng.integers(1, 6, 200)
    judge = np.clip(human + rng.integers(-2, 3, 200), 1, 5)
    judge[judge == 3] = 4  # a scale point the judge never uses: weights follow the values, not the used labels
    ours = agreement.weighted_kappa_value(judge, human, weights)
    assert ours == pytest.approx(cohen_kappa_score(judge, human, weights=weights, labels=[1, 2, 3, 4, 5]))
    estimate = agreement.weighted_kappa(list(judge), list(human), weights)
    assert estimate is not None and estimate.low is not None and estimate.high is not None
    assert estimate.low < ours < estimate.high


def test_weighted_kappa_worked_by_hand_and_at_the_edges() -> None:
    # Two items, scores (1, 2) and (2, 1): observed |d| = 1 each; chance pairs (1,1),(1,2),(2,1),(2,2) at 1/4.
    # Linear: 1 - 1 / 0.5 = -1.
    assert agreement.weighted_kappa_value([1, 2], [2, 1], "linear") == pytest.approx(-1.0)
    assert agreement.weighted_kappa_value([1, 2, 3], [1, 2, 3], "quadratic") == pytest.approx(1.0)
    assert np.isnan(agreement.weighted_kappa_value([], [], "linear"))
    assert np.isnan(agreement.weighted_kappa_value([4, 4, 4], [4, 4, 4], "linear"))  # constant: undefined
    assert agreement.weighted_kappa_value([3, 3, 3, 3], [1, 2, 4, 5], "quadratic") == pytest.approx(0.0)
    assert agreement.weighted_kappa([4.0] * 20, [4.0] * 20) is None
    few = agreement.weighted_kappa([1.0, 2.0, 3.0], [1.0, 3.0, 3.0])
    assert few is not None and few.low is None and "too few" in str(few.no_interval)
    with pytest.raises(ValueError):
        agreement.weighted_kappa_value([1], [1], "cubic")


@pytest.mark.parametrize("level", alpha.ALPHA_LEVELS)
def test_krippendorff_alpha_matches_the_krippendorff_package(level: str) -> None:
    ratings = _noisy_ratings(3)
    ours = alpha.krippendorff_alpha_value(ratings, level)
    theirs = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
    assert ours == pytest.approx(theirs, abs=1e-12)
    # The resampled interval against a plain item bootstrap through the package.
    estimate = alpha.krippendorff_alpha(ratings, level, resamples=2000, seed=4)
    assert estimate is not None and estimate.interval == "bootstrap" and estimate.n == len(alpha.pairable(ratings))
    pairable = alpha.pairable(ratings)
    rng = np.random.default_rng(21)
    draws = [
        krippendorff.alpha(
            reliability_data=pairable[rng.integers(0, len(pairable), len(pairable))].T, level_of_measurement=level
        )
        for _ in range(600)
    ]
    low, high = np.quantile(draws, [0.025, 0.975])
    assert estimate.low == pytest.approx(low, abs=0.03) and estimate.high == pytest.approx(high, abs=0.03)


def test_krippendorff_alpha_at_the_edges() -> None:
    # No pairable item (one rating each), all equal, one pairable item, two raters on continuous scores.
    assert alpha.krippendorff_alpha([[1.0, np.nan], [2.0, np.nan]]) is None
    assert np.isnan(alpha.krippendorff_alpha_value([[3.0, 3.0]] * 12, "interval"))
    assert alpha.krippendorff_alpha([[3.0, 3.0]] * 12, "ordinal") is None
    single = alpha.krippendorff_alpha([[1.0, 2.0], [3.0, np.nan]], "interval")
    theirs = krippendorff.alpha(reliability_data=np.array([[1.0, 2.0], [3.0, np.nan]]).T)
    assert single is not None and single.value == pytest.approx(theirs) and single.low is None
    rng = np.random.default_rng(6)
    judge = rng.normal(3, 1, 60)
    human = judge + rng.normal(0, 0.7, 60)
    pair = np.column_stack([judge, human])
    continuous = alpha.krippendorff_alpha(pair, "interval")
    assert continuous is not None and continuous.low is not None
    assert continuous.value == pytest.approx(krippendorff.alpha(reliability_data=pair.T), abs=1e-12)
    ordinal = alpha.krippendorff_alpha(pair, "ordinal")  # 120 distinct values: too many to resample
    assert ordinal is not None and ordinal.low is None and "too many" in str(ordinal.no_interval)
    with pytest.raises(ValueError):
        alpha.krippendorff_alpha_value([[1.0, 2.0]], "cardinal")


def test_icc_reproduces_shrout_and_fleiss() -> None:
    # Published: ICC(1,1) = .17 and ICC(2,1) = .29 for this table.
    assert raters.icc_value(SHROUT_FLEISS, "oneway") == pytest.approx(0.17, abs=0.005)
    assert raters.icc_value(SHROUT_FLEISS, "agreement") == pytest.approx(0.29, abs=0.005)


def test_icc_matches_mean_squares_from_a_statsmodels_anova() -> None:
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    rng = np.random.default_rng(9)
    truth = rng.normal(3, 1, 40)
    matrix = np.column_stack([truth + rng.normal(0, 0.5, 40), truth + 0.4 + rng.normal(0, 0.5, 40)])
    frame = pd.DataFrame({"score": matrix.ravel(), "item": np.repeat(np.arange(40), 2), "rater": np.tile([0, 1], 40)})
    table = anova_lm(smf.ols("score ~ C(item) + C(rater)", data=frame).fit())
    rows, columns, error = (table.loc[name, "mean_sq"] for name in ("C(item)", "C(rater)", "Residual"))
    k, n = 2, 40
    expected = (rows - error) / (rows + (k - 1) * error + k * (columns - error) / n)
    assert raters.icc_value(matrix, "agreement") == pytest.approx(expected)
    oneway = anova_lm(smf.ols("score ~ C(item)", data=frame).fit())
    between, within = oneway.loc["C(item)", "mean_sq"], oneway.loc["Residual", "mean_sq"]
    assert raters.icc_value(matrix, "oneway") == pytest.approx((between - within) / (between + (k - 1) * within))
    estimate = raters.icc(matrix)
    assert estimate is not None and estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high


def test_icc_at_the_edges() -> None:
    assert np.isnan(raters.icc_value([[4.0, 4.0]] * 10))  # constant data
    assert np.isnan(raters.icc_value([[4.0, 5.0]]))  # one item
    assert np.isnan(raters.icc_value([[4.0], [5.0]]))  # one rater
    assert np.isnan(raters.icc_value([[4.0, np.nan], [5.0, 3.0]]))  # incomplete
    assert raters.icc(np.empty((0, 2))) is None
    with pytest.raises(ValueError):
        raters.icc_value(SHROUT_FLEISS, "consistency")


def test_leave_one_out_ceiling_against_a_loop_with_scipy() -> None:
    ratings = _noisy_ratings(5, items=60, slots=3, missing=0.1)
    rng = np.random.default_rng(2)
    judge = np.nanmean(ratings, axis=1) + rng.normal(0, 0.8, 60)
    human_rhos, judge_rhos = [], []
    for slot in range(3):
        others = np.delete(ratings, slot, axis=1)
        rows = ~np.isnan(ratings[:, slot]) & (np.sum(~np.isnan(others), axis=1) >= 1)
        rest = np.nanmean(others[rows], axis=1)
        human_rhos.append(scipy_stats.spearmanr(ratings[rows, slot], rest).statistic)
        judge_rhos.append(scipy_stats.spearmanr(judge[rows], rest).statistic)
    assert raters.leave_one_out_value(ratings) == pytest.approx(np.mean(human_rhos))
    assert raters.leave_one_out_value(ratings, judge) == pytest.approx(np.mean(judge_rhos))
    human = raters.leave_one_out(ratings)
    assert human is not None and human.low is not None and human.low < human.value < human.high  # type: ignore[operator]
    # Edges: every rating equal, a single rater, no item with two ratings.
    assert raters.leave_one_out(np.full((12, 3), 4.0)) is None
    assert np.isnan(raters.leave_one_out_value(np.array([[1.0], [2.0], [3.0]])))
    assert np.isnan(raters.leave_one_out_value(np.array([[1.0, np.nan], [np.nan, 2.0]])))


def test_fleiss_kappa_of_constant_labels_is_undefined() -> None:
    assert np.isnan(raters.fleiss_kappa_value(raters.category_counts([["A", "A"], ["A", "A"]])))


def test_resampled_kappa_and_ceiling_match_a_plain_item_bootstrap() -> None:
    """The table and pattern shortcuts give the intervals an item-by-item bootstrap gives."""
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(31)
    human = rng.integers(1, 6, 120)
    judge = np.clip(human + rng.integers(-1, 2, 120), 1, 5)
    estimate = agreement.weighted_kappa(list(judge), list(human), "quadratic", resamples=3000, seed=1)
    other = np.random.default_rng(4)
    picks = other.integers(0, 120, size=(1500, 120))
    labels = [1, 2, 3, 4, 5]
    draws = [cohen_kappa_score(judge[p], human[p], weights="quadratic", labels=labels) for p in picks]
    low, high = np.quantile(draws, [0.025, 0.975])
    assert estimate is not None and estimate.low == pytest.approx(low, abs=0.025)
    assert estimate.high == pytest.approx(high, abs=0.025)

    ratings = _noisy_ratings(8, items=100, slots=3, missing=0.1)
    ceiling = raters.leave_one_out(ratings, resamples=3000, seed=1)
    loop = [raters.leave_one_out_value(ratings[p]) for p in other.integers(0, 100, size=(800, 100))]
    low, high = np.quantile(loop, [0.025, 0.975])
    assert ceiling is not None and ceiling.low == pytest.approx(low, abs=0.03)
    assert ceiling.high == pytest.approx(high, abs=0.03)
