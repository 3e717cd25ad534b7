"""The statistics behind compare, agreement, panels and leaderboards, each against an independent fit."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from judgekit.metrics.families import family, self_preference_warning
from judgekit.metrics.leaderboard import build
from judgekit.stats import agreement, bradley_terry, logit
from judgekit.stats.length_control import length_controlled
from judgekit.stats.raters import category_counts, fleiss_kappa, fleiss_kappa_value
from judgekit.stats.significance import mcnemar_exact, paired_difference


def _synthetic_lengths(seed: int, n: int, intercept: float, slope: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    length_a = rng.integers(50, 2000, n).astype(float)
    length_b = rng.integers(50, 2000, n).astype(float)
    difference = length_a - length_b
    feature = np.tanh(difference / difference.std(ddof=1))
    p = 1 / (1 + np.exp(-(intercept + slope * feature)))
    draw = rng.random(n)
    # Some ties, so the fractional outcome (a tie is half a win) is exercised too.
    values = np.where(draw < p * 0.9, 1.0, np.where(draw < p * 0.9 + 0.1, 0.5, 0.0))
    return values, length_a, length_b


def test_length_control_matches_a_statsmodels_glm_and_recovers_planted_parameters() -> None:
    values, length_a, length_b = _synthetic_lengths(3, 3000, intercept=-0.4, slope=1.5)
    fitted = length_controlled(values, length_a, length_b, resamples=400, seed=1)
    assert fitted is not None and fitted.win_rate is not None and fitted.length_coefficient is not None
    difference = length_a - length_b
    design = sm.add_constant(np.tanh(difference / difference.std(ddof=1)))
    glm = sm.GLM(values, design, family=sm.families.Binomial()).fit()
    assert fitted.intercept == pytest.approx(glm.params[0], abs=1e-7)
    assert fitted.length_coefficient.value == pytest.approx(glm.params[1], abs=1e-7)
    assert fitted.win_rate.value == pytest.approx(1 / (1 + np.exp(-glm.params[0])), abs=1e-9)
    # The planted slope lies inside the bootstrap interval, which is about as wide as the GLM's.
    coefficient = fitted.length_coefficient
    assert coefficient.low is not None and coefficient.high is not None
    assert coefficient.low < 1.5 * 0.9 < coefficient.high or coefficient.low < 1.5 < coefficient.high
    assert coefficient.high - coefficient.low == pytest.approx(2 * 1.96 * glm.bse[1], rel=0.25)


def test_length_control_without_a_length_effect_is_the_raw_win_rate() -> None:
    values, length_a, length_b = _synthetic_lengths(4, 2000, intercept=0.8, slope=0.0)
    fitted = length_controlled(values, length_a, length_b, resamples=200)
    assert fitted is not None and fitted.length_coefficient is not None and fitted.win_rate is not None
    low, high = fitted.length_coefficient.low, fitted.length_coefficient.high
    assert low is not None and high is not None and low < 0 < high
    assert fitted.win_rate.value == pytest.approx(np.mean(values), abs=0.02)


def test_length_control_reports_no_fit_when_length_decides_everything() -> None:
    lengths_a = [10.0, 200.0, 30.0, 400.0, 50.0, 600.0]
    lengths_b = [100.0, 20.0, 300.0, 40.0, 500.0, 60.0]
    longer_wins = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    fitted = length_controlled(longer_wins, lengths_a, lengths_b, resamples=50)
    assert fitted is not None and fitted.win_rate is None and fitted.note and "fully determined" in fitted.note


def test_batched_fit_matches_one_fit_per_resample() -> None:
    rng = np.random.default_rng(8)
    design = np.column_stack([np.ones(60), rng.normal(size=60)])
    y = (rng.random(60) < 0.5).astype(float)
    counts = logit.bootstrap_counts(rng, 5, 60)
    batched = logit.fit(design, counts * y, counts)
    for row, weights in zip(batched, counts, strict=True):
        glm = sm.GLM(y, design, family=sm.families.Binomial(), freq_weights=weights).fit()
        assert row == pytest.approx(glm.params, abs=1e-6)


def test_bradley_terry_matches_a_statsmodels_logistic_fit() -> None:
    rng = np.random.default_rng(11)
    truth = {"alpha": 0.9, "beta": 0.1, "gamma": -0.3, "delta": -0.7}
    names = list(truth)
    first, second, values = [], [], []
    for _ in range(1200):
        a, b = rng.choice(names, 2, replace=False)
        p = 1 / (1 + np.exp(-(truth[a] - truth[b])))
        draw = rng.random()
        first.append(str(a))
        second.append(str(b))
        values.append(1.0 if draw < 0.92 * p else 0.5 if draw < 0.92 * p + 0.08 else 0.0)
    ours = bradley_terry.strengths(first, second, values, resamples=300, seed=2)
    assert ours is not None
    # Independent fit: one column per system (+1 first, -1 second), "alpha" held at 0, no intercept.
    order = sorted(names)
    design = np.zeros((len(values), len(order)))
    for row, (a, b) in enumerate(zip(first, second, strict=True)):
        design[row, order.index(a)] = 1.0
        design[row, order.index(b)] = -1.0
    glm = sm.GLM(np.array(values), design[:, 1:], family=sm.families.Binomial()).fit()
    full = np.concatenate([[0.0], glm.params])
    centred = full - full.mean()
    for index, name in enumerate(order):
        assert ours[name].value == pytest.approx(centred[index], abs=1e-6)
        low, high = ours[name].low, ours[name].high
        assert low is not None and high is not None and low < ours[name].value < high
    planted = np.array([truth[name] for name in order])
    assert np.argsort(-centred).tolist() == np.argsort(-(planted - planted.mean())).tolist()


def test_bradley_terry_refuses_disconnected_comparisons() -> None:
    assert bradley_terry.strengths(["a", "c"] * 5, ["b", "d"] * 5, [1.0, 0.0] * 5) is None


def test_leaderboard_against_a_baseline_ranks_systems_and_finds_the_baseline() -> None:
    rng = np.random.default_rng(5)
    skill = {"strong": 1.2, "middle": 0.2, "weak": -0.8}
    first, second, values, length_a, length_b = [], [], [], [], []
    for name, value in skill.items():
        for _ in range(150):
            p = 1 / (1 + np.exp(-value))
            first.append(name)
            second.append("baseline")
            values.append(1.0 if rng.random() < p else 0.0)
            length_a.append(float(rng.integers(100, 900)))
            length_b.append(float(rng.integers(100, 900)))
    board = build(first, second, values, length_a, length_b, resamples=200)
    assert board is not None and board.baseline == "baseline" and board.systems == 4
    assert [row.system for row in board.rows] == ["strong", "middle", "baseline", "weak"]
    strong = board.rows[0]
    assert strong.win_rate is not None and strong.win_rate.value == pytest.approx(np.mean(values[:150]))
    assert strong.length_controlled_win_rate is not None
    assert build(["a", "a"], ["b", "b"], [1.0, 0.0], [1.0, 2.0], [2.0, 1.0]) is None  # two systems: no board


def test_fleiss_kappa_published_example_and_statsmodels() -> None:
    # The worked example in Fleiss' kappa's Wikipedia article: 10 items, 14 raters, 5 categories, kappa 0.210.
    table = np.array(
        [
            [0, 0, 0, 0, 14],
            [0, 2, 6, 4, 2],
            [0, 0, 3, 5, 6],
            [0, 3, 9, 2, 0],
            [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0],
            [3, 2, 6, 3, 0],
            [2, 5, 3, 2, 2],
            [6, 5, 2, 1, 0],
            [0, 2, 2, 3, 7],
        ]
    )
    assert round(fleiss_kappa_value(table), 3) == 0.210
    rng = np.random.default_rng(4)
    truth = rng.choice(["A", "B", "tie"], 150)
    ratings = [[t if rng.random() < 0.7 else str(rng.choice(["A", "B", "tie"])) for _ in range(4)] for t in truth]
    counts = category_counts(ratings)
    assert fleiss_kappa_value(counts) == pytest.approx(statsmodels_fleiss(counts))
    estimate = fleiss_kappa(ratings, resamples=300)
    assert estimate is not None and estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high


def test_mcnemar_exact_matches_statsmodels_and_a_hand_worked_case() -> None:
    # By hand: 8 items only the first judge got right, 2 only the second: p = 2 * P(X <= 2), X ~ Bin(10, 1/2)
    # = 2 * (1 + 10 + 45) / 1024 = 0.109375.
    first = [True] * 8 + [False] * 2 + [True] * 20 + [False] * 5
    second = [False] * 8 + [True] * 2 + [True] * 20 + [False] * 5
    assert mcnemar_exact(first, second) == (8, 2, pytest.approx(0.109375))
    rng = np.random.default_rng(6)
    a, b = rng.random(300) < 0.8, rng.random(300) < 0.72
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    assert mcnemar_exact(a, b)[2] == pytest.approx(mcnemar(table, exact=True).pvalue)


def test_paired_bootstrap_difference_agrees_with_the_normal_approximation() -> None:
    rng = np.random.default_rng(9)
    a = (rng.random(800) < 0.75).astype(float)
    b = (rng.random(800) < 0.65).astype(float)
    difference, p = paired_difference(lambda x: float(np.mean(x)), [a], [b], resamples=3000, seed=1)
    assert difference is not None and difference.low is not None and difference.high is not None and p is not None
    d = a - b
    se = d.std(ddof=1) / np.sqrt(d.size)
    assert difference.value == pytest.approx(d.mean())
    assert difference.low == pytest.approx(d.mean() - 1.96 * se, abs=0.01)
    assert difference.high == pytest.approx(d.mean() + 1.96 * se, abs=0.01)
    z = d.mean() / se
    assert p == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), abs=0.01)


def test_standard_error_is_the_sample_standard_error() -> None:
    values = [1.0, 0.0, 0.5, 1.0, 1.0, 0.0]
    assert agreement.standard_error(values) == pytest.approx(scipy_stats.sem(values))
    assert agreement.standard_error([1.0]) is None


@pytest.mark.parametrize(
    ("judge", "candidate", "same"),
    [
        ("openai/gpt-4o-mini", "gpt-4-0613", True),
        ("anthropic/claude-sonnet-4-5", "claude-v1", True),
        ("openai/llama3:8b", "alpaca-7b", True),
        ("openai/gpt-4o-mini", "claude-v1", False),
        ("openai/my-local-model", "gpt-4", False),
    ],
)
def test_self_preference_warning_by_model_family(judge: str, candidate: str, same: bool) -> None:
    warning = self_preference_warning(judge, [candidate, None])
    assert (warning is not None) == same
    if same:
        assert candidate in str(warning) and str(family(judge)) in str(warning)
