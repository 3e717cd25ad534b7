"""Every statistic against an independent computation or a published number."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from judgekit.stats import agreement, correlation
from judgekit.stats.intervals import mean_estimate, paired_estimate

BUNDLED = Path(__file__).resolve().parents[1] / "datasets"


def test_alpacaeval_published_win_rate_of_alpaca_7b() -> None:
    """AlpacaEval's leaderboard: alpaca-7b vs text_davinci_003, win rate 26.4596 (205 W, 584 L, 16 draws)."""
    path = BUNDLED / "alpaca_eval" / "annotations_alpaca_eval_gpt4_alpaca-7b.jsonl"
    preferences = [json.loads(line)["preference"] for line in path.read_text().splitlines()]
    # alpaca-7b is output_2: preference 2 is its win, 1 its loss, 0 or 1.5 a draw.
    verdicts = ["A" if p == 2 else "B" if p == 1 else "tie" for p in preferences]
    estimate = agreement.win_rate(verdicts)
    assert estimate is not None
    assert round(estimate.value * 100, 4) == 26.4596
    assert (verdicts.count("A"), verdicts.count("B"), verdicts.count("tie")) == (205, 584, 16)
    # AlpacaEval's standard error is 1.5357 (pandas' sem of the per-item values, in percent).
    standard_error = agreement.standard_error([{"A": 1.0, "B": 0.0, "tie": 0.5}[v] for v in verdicts])
    assert standard_error is not None and round(standard_error * 100, 4) == 1.5357
    # a 95% interval spans about +-1.96 SE.
    assert estimate.low is not None and estimate.high is not None
    assert estimate.high - estimate.low == pytest.approx(2 * 1.96 * 0.015357, rel=0.1)


def test_win_rate_counts_ties_as_half() -> None:
    estimate = agreement.win_rate(["A", "A", "B", "tie"])
    assert estimate is not None and estimate.value == pytest.approx(2.5 / 4)


def test_bootstrap_interval_matches_an_independent_bootstrap() -> None:
    rng = np.random.default_rng(1)
    data = rng.binomial(1, 0.3, size=400).astype(float)
    ours = mean_estimate(data, resamples=4000, seed=7)
    assert ours is not None and ours.low is not None and ours.high is not None
    # An independent plain-numpy percentile bootstrap with its own generator.
    other = np.random.default_rng(99)
    means = data[other.integers(0, data.size, size=(20000, data.size))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    assert ours.low == pytest.approx(low, abs=0.006)
    assert ours.high == pytest.approx(high, abs=0.006)
    # And the normal approximation agrees for a sample this size.
    se = data.std(ddof=1) / np.sqrt(data.size)
    assert ours.low == pytest.approx(data.mean() - 1.96 * se, abs=0.01)


def test_bootstrap_is_seeded_and_handles_degenerate_data() -> None:
    data = [0.0, 1.0, 1.0, 0.5, 1.0, 0.0, 1.0]
    assert mean_estimate(data, seed=3) == mean_estimate(data, seed=3)
    constant = mean_estimate([1.0] * 15)
    assert constant is not None and (constant.low, constant.high) == (None, None) and constant.no_interval
    assert mean_estimate([]) is None


def test_cohen_kappa_hand_worked_example() -> None:
    # Two raters, 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> po 0.70, pe 0.50, kappa 0.40.
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert agreement.cohen_kappa_value(first, second) == pytest.approx(0.4)


def test_cohen_kappa_matches_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(5)
    labels = np.array(["A", "B", "tie"])
    human = labels[rng.integers(0, 3, 300)]
    judge = np.where(rng.random(300) < 0.6, human, labels[rng.integers(0, 3, 300)])
    assert agreement.cohen_kappa_value(judge, human) == pytest.approx(cohen_kappa_score(judge, human))
    estimate = agreement.cohen_kappa(list(judge), list(human))
    assert estimate is not None and estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high


def test_kappa_of_a_table_of_counts() -> None:
    from sklearn.metrics import confusion_matrix

    assert agreement.kappa_of_table([[20, 5], [10, 15]]) == pytest.approx(0.4)  # the hand-worked example
    rng = np.random.default_rng(8)
    for size in (2, 3):
        first = rng.integers(0, size, 80)
        second = np.where(rng.random(80) < 0.5, first, rng.integers(0, size, 80))
        table = confusion_matrix(first, second, labels=list(range(size)))
        assert agreement.kappa_of_table(table) == pytest.approx(agreement.cohen_kappa_value(first, second))
    # Both raters in one category throughout (chance agreement 1), or no pairs: undefined, as the value is.
    assert np.isnan(agreement.kappa_of_table([[0, 0], [0, 7]])) and np.isnan(
        agreement.cohen_kappa_value([1] * 7, [1] * 7)
    )
    assert np.isnan(agreement.kappa_of_table([[0, 0], [0, 0]]))
    assert agreement.kappa_of_table([[0, 3], [4, 0]]) == pytest.approx(
        agreement.cohen_kappa_value([0] * 3 + [1] * 4, [1] * 3 + [0] * 4)
    )


def test_agreement_with_and_without_ties_follows_mt_bench() -> None:
    judge = ["A", "B", "tie", "A", "B", "tie", "A"]
    human = ["A", "A", "tie", "tie", "B", "A", "A"]
    # An independent loop in the style of FastChat's compute_agreement.py.
    with_ties = sum(j == h for j, h in zip(judge, human, strict=True)) / len(judge)
    kept = [(j, h) for j, h in zip(judge, human, strict=True) if "tie" not in (j, h)]
    without_ties = sum(j == h for j, h in kept) / len(kept)
    assert agreement.agreement(judge, human).value == pytest.approx(with_ties)  # type: ignore[union-attr]
    estimate = agreement.agreement(judge, human, include_ties=False)
    assert estimate is not None and estimate.value == pytest.approx(without_ties) and estimate.n == len(kept)


def test_confusion_matrix() -> None:
    table = agreement.confusion(["A", "B", "A"], ["A", "A", "tie"])
    assert table["A"] == {"A": 1, "B": 1, "tie": 0}
    assert table["tie"]["A"] == 1


def test_item_level_correlations_match_scipy() -> None:
    rng = np.random.default_rng(2)
    human = rng.integers(1, 6, 120).astype(float)
    judge = human + rng.normal(0, 1.2, 120)
    assert correlation.coefficient("spearman", judge, human) == pytest.approx(scipy_stats.spearmanr(judge, human)[0])
    assert correlation.coefficient("kendall", judge, human) == pytest.approx(scipy_stats.kendalltau(judge, human)[0])
    assert correlation.coefficient("pearson", judge, human) == pytest.approx(np.corrcoef(judge, human)[0, 1])
    assert np.isnan(correlation.coefficient("spearman", [1, 1, 1], [1, 2, 3]))


def test_per_group_correlation_skips_constant_groups() -> None:
    judge = [1, 2, 3, 5, 5, 5, 1, 3, 2]
    human = [1, 2, 3, 1, 2, 3, 3, 2, 1]
    groups = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    estimate, used, skipped = correlation.per_group("spearman", judge, human, groups)
    expected = np.mean([scipy_stats.spearmanr([1, 2, 3], [1, 2, 3])[0], scipy_stats.spearmanr([1, 3, 2], [3, 2, 1])[0]])
    assert estimate is not None and estimate.value == pytest.approx(expected)
    assert (used, skipped) == (2, 1)


def test_summeval_summary_level_correlation_of_humans_with_themselves_is_one() -> None:
    path = Path(__file__).resolve().parents[1] / "datasets" / "summeval_20.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    scores = [row["scores"]["coherence"] for row in rows]
    documents = [row["doc_id"] for row in rows]
    for method in correlation.METHODS:
        estimate, used, _ = correlation.per_group(method, scores, scores, documents)
        assert estimate is not None and estimate.value == pytest.approx(1.0) and used > 0


def test_system_level_correlates_per_system_means() -> None:
    systems = ["s1", "s1", "s2", "s2", "s3", "s3"]
    judge = [1.0, 3.0, 4.0, 4.0, 9.0, 7.0]
    human = [2.0, 2.0, 3.0, 5.0, 5.0, 5.0]
    estimate = correlation.system_level("pearson", judge, human, systems)
    expected = np.corrcoef([2.0, 4.0, 8.0], [2.0, 4.0, 5.0])[0, 1]
    assert estimate is not None and estimate.value == pytest.approx(expected)


def test_paired_estimate_drops_undefined_resamples() -> None:
    estimate = paired_estimate(
        lambda a, b: correlation.coefficient("pearson", a, b), [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 2.0, 5.0]]
    )
    assert estimate is not None and estimate.value == pytest.approx(np.corrcoef([1, 2, 3, 4], [1, 2, 2, 5])[0, 1])


def test_bootstrap_of_continuous_data_matches_an_independent_bootstrap() -> None:
    rng = np.random.default_rng(4)
    data = rng.normal(5.0, 2.0, size=600)  # 600 distinct values: resampled by index, not by counts
    ours = mean_estimate(data, resamples=4000, seed=1)
    assert ours is not None and ours.low is not None and ours.high is not None
    other = np.random.default_rng(123)
    means = data[other.integers(0, data.size, size=(20000, data.size))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    assert ours.low == pytest.approx(low, abs=0.03)
    assert ours.high == pytest.approx(high, abs=0.03)
