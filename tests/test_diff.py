"""`judgekit diff`: paired tests checked by hand, and item-by-item comparison of two runs."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit.stats.paired import sign_test, wilcoxon_test
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import cli, gate_lines, pairs, points, start_judge, write_jsonl


# -- the statistics, against hand-worked numbers ------------------------------------------
def test_sign_test_matches_the_binomial_by_hand() -> None:
    # 7 items went from an A win to a loss, 1 the other way, 2 unchanged.
    before = [1.0] * 7 + [0.0] + [0.5, 1.0]
    after = [0.0] * 7 + [1.0] + [0.5, 1.0]
    result = sign_test(before, after)
    assert (result.better, result.worse, result.unchanged, result.n) == (1, 7, 2, 10)
    # P(X <= 1) for X ~ Binomial(8, 1/2) is (1 + 8) / 256; two-sided doubles it.
    assert result.p_value == pytest.approx(18 / 256)
    assert result.statistic == 1
    assert result.change is not None and result.change.value == pytest.approx(-0.6)


def test_sign_test_with_nothing_changed_has_no_p_value() -> None:
    result = sign_test([1.0, 0.5], [1.0, 0.5])
    assert result.p_value is None and result.unchanged == 2


def test_wilcoxon_exact_p_value_by_enumeration() -> None:
    differences = [1.5, -0.5, 2.0, 3.0, -1.0, 2.5, 4.0, 3.5]
    # Ranks of |d|: 0.5->1, 1->2, 1.5->3, 2->4, 2.5->5, 3->6, 3.5->7, 4->8; the negative ones
    # hold ranks 1 and 2, so W- = 3 and W+ = 33.
    result = wilcoxon_test([0.0] * 8, differences)
    assert result.statistic == 3
    # Under no change every sign pattern is equally likely: count patterns whose smaller rank
    # sum is at most 3 among all 2^8.
    ranks = range(1, 9)
    extreme = sum(
        1
        for signs in itertools.product((0, 1), repeat=8)
        if min(w := sum(r for r, s in zip(ranks, signs, strict=True) if s), 36 - w) <= 3
    )
    assert extreme == 10  # {}, {1}, {2}, {3}, {1,2} and their mirror images
    assert result.p_value == pytest.approx(extreme / 256)
    assert (result.better, result.worse) == (6, 2)


def test_wilcoxon_normal_approximation_with_ties_and_zeros_by_hand() -> None:
    rng = np.random.default_rng(3)
    differences = rng.integers(-3, 6, size=80).astype(float)  # many ties, some zeros
    result = wilcoxon_test([0.0] * 80, list(differences))
    kept = differences[differences != 0]
    n = kept.size
    magnitudes = np.abs(kept)
    ranks = np.empty(n)
    for value in np.unique(magnitudes):  # average ranks for ties
        positions = np.flatnonzero(np.sort(magnitudes) == value)
        ranks[magnitudes == value] = positions.mean() + 1
    w_plus = ranks[kept > 0].sum()
    mean = n * (n + 1) / 4
    _, tie_sizes = np.unique(magnitudes, return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24 - (tie_sizes**3 - tie_sizes).sum() / 48
    z = (w_plus - mean) / math.sqrt(variance)
    p_value = math.erfc(abs(z) / math.sqrt(2))  # 2 * (1 - Phi(|z|))
    assert result.statistic == pytest.approx(min(w_plus, n * (n + 1) / 2 - w_plus))
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.unchanged == int((differences == 0).sum())


# -- the command ---------------------------------------------------------------------------
@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(**options: Any) -> FakeProvider:
        return start_judge(fake_provider, monkeypatch, **options)

    return start


def _two_pointwise_runs(tmp_path: Path, judge_b: str = "openai/judge-1") -> None:
    # v1 answers q0-q7 well; v2 answers q0-q4 and q8 well: q5-q7 got worse (9 -> 2), q8 better.
    v1 = write_jsonl(tmp_path / "v1.jsonl", points(10, good=range(8)))
    v2 = write_jsonl(tmp_path / "v2.jsonl", points(10, good=[0, 1, 2, 3, 4, 8]))
    assert cli("eval", v1, "-j", "openai/judge-1", "-q", "--out", "run1").exit_code == 0
    assert cli("eval", v2, "-j", judge_b, "-q", "--out", "run2").exit_code == 0


def test_diff_lists_items_that_got_worse_and_gates_the_drop(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge()
    _two_pointwise_runs(tmp_path)
    calls = server.count()
    result = cli("diff", "run1", "run2", "--format", "json")
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    assert [item["id"] for item in diff["worse"]] == ["q5", "q6", "q7"]
    assert {(item["before"], item["after"], item["change"]) for item in diff["worse"]} == {("9", "2", -7.0)}
    assert [item["id"] for item in diff["better"]] == ["q8"]
    assert diff["test"]["test"] == "wilcoxon"
    assert (diff["test"]["better"], diff["test"]["worse"], diff["test"]["unchanged"]) == (1, 3, 6)
    assert diff["test"]["change"]["value"] == pytest.approx((-3 * 7 + 7) / 10)
    assert diff["before_metric"]["value"] == pytest.approx((8 * 9 + 2 * 2) / 10) and diff["after_metric"][
        "value"
    ] == pytest.approx((6 * 9 + 4 * 2) / 10)
    assert not diff["warnings"]
    passed = cli("diff", "run1", "run2", "--max-regression", "1.5")
    assert passed.exit_code == 0 and "Items that got worse (3)" in passed.stdout
    failed = cli("diff", "run1", "run2", "--max-regression", "1", "--markdown", "diff.md")
    assert failed.exit_code == 1
    [line] = gate_lines(failed.stderr)
    assert line.startswith("judgekit: gate FAILED: --max-regression 1: drop in mean score 1.400 [")
    assert line.endswith("(n=10) is above the threshold")
    markdown = Path("diff.md").read_text()
    assert "**Items that got worse (3)**" in markdown and "| q5 | 9 | 2 | -7 |" in markdown
    improved = cli("diff", "run2", "run1", "--max-regression", "0")
    assert improved.exit_code == 0  # the other way round the mean went up
    assert server.count() == calls  # diff never calls a model


def test_diff_of_pairwise_runs_uses_the_sign_test(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    first = write_jsonl(tmp_path / "first.jsonl", pairs(12, a_good=range(12)))
    second = write_jsonl(tmp_path / "second.jsonl", pairs(12, a_good=range(6)))
    assert cli("eval", first, "-j", "openai/j", "-q", "--out", "a").exit_code == 0
    assert cli("eval", second, "-j", "openai/j", "-q", "--out", "b").exit_code == 0
    result = cli("diff", "a", "b", "--format", "json", "--max-regression", "0.5")
    assert result.exit_code == 0  # the drop is exactly 0.5 (six of twelve wins became losses)
    diff = json.loads(result.stdout)
    assert diff["test"]["test"] == "sign" and diff["test"]["worse"] == 6 and diff["test"]["better"] == 0
    assert diff["test"]["p_value"] == pytest.approx(2 / 64)  # 2 * P(X = 0), X ~ Binomial(6, 1/2)
    assert diff["gate"]["estimate"]["value"] == pytest.approx(0.5)
    # Under --on-ci-bound lower the interval's upper end (above 0.5) must clear the threshold.
    strict = cli("diff", "a", "b", "--max-regression", "0.5", "--on-ci-bound", "lower")
    assert strict.exit_code == 1
    assert "its CI upper bound" in gate_lines(strict.stderr)[0]


def test_diff_warns_when_judges_differ(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    _two_pointwise_runs(tmp_path, judge_b="openai/judge-2")
    result = cli("diff", "run1", "run2")
    assert result.exit_code == 0
    assert "warning: the runs differ in judge (openai/judge-1 vs openai/judge-2)" in result.stderr


def test_diff_needs_the_same_items_and_kind(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "six.jsonl", points(6, good=[0]))
    write_jsonl(tmp_path / "five.jsonl", points(5, good=[0]))
    write_jsonl(tmp_path / "pairs.jsonl", pairs(6, a_good=[0]))
    for name, out in (("six", "r6"), ("five", "r5"), ("pairs", "rp")):
        assert cli("eval", tmp_path / f"{name}.jsonl", "-j", "mock/random", "-q", "--out", out).exit_code == 0
    fewer = cli("diff", "r6", "r5")
    assert fewer.exit_code == 2
    assert "r5 lacks 1 of the items of r6 (e.g. id 'q5'); diff compares two runs over the same items" in fewer.stderr
    kinds = cli("diff", "r6", "rp")
    assert kinds.exit_code == 2 and "is a pointwise run and rp a pairwise run" in kinds.stderr
    negative = cli("diff", "r6", "r6", "--max-regression", "-1")
    assert negative.exit_code == 2 and "0 or more" in negative.stderr
