"""Comparison rows on checklist data with human verdicts per criterion (`human_rubric`): each row's
pooled agreement with the humans over (item, criterion) pairs, its kappa and n, checked against
hand-worked pairs with the independent Korn-Graubard interval of `tests.clustered_reference` (the
plain Clopper-Pearson one where each item gives one pair) and scikit-learn's kappa, at n = 0, 1, 2
and on a small set with a blank criterion and an item without human verdicts."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint

from judgekit.compare.checklist_humans import checklist_humans, keyed_pairs
from judgekit.compare.panel import combine
from judgekit.compare.significance import CLUSTER_BOOTSTRAP
from judgekit.compare.statistics import check_metric, compare
from judgekit.errors import UsageError
from tests.checklist_helpers import judged_set as _set
from tests.checklist_helpers import rubric_fact as _fact
from tests.clustered_reference import korn_graubard

M, N = 1.0, 0.0  # met, not met
OPTIONS = {"resamples": 200, "seed": 0}


def _interval(right: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(right, n, alpha=0.05, method="beta")
    return float(low), float(high)


# Three items of three criteria. x has a blank human verdict on c2, y has no human verdicts at all.
FACTS = [_fact("x", (True, False, None)), _fact("y", None), _fact("z", (False, True, False))]
SHARP = {"x": (M, N, M), "y": (M, M, M), "z": (N, M, M)}
# x: c0 M/T right, c1 N/F right, c2 blank; z: c0 N/F right, c1 M/T right, c2 M/F wrong -> 4 of 5
DULL = {"x": (M, M, None), "y": (N, N, N), "z": (M, M, N)}
# x: c0 right, c1 M/F wrong (x is unscored: c2 unread, but its graded criteria count); z: c0 M/F
# wrong, c1 right, c2 N/F right -> 3 of 5


def test_pooled_agreement_and_kappa_by_hand() -> None:
    # Each item's pairs (right 1, wrong 0): x c0, x c1, then z c0, z c1, z c2.
    cases = ((SHARP, [M, N, N, M, M], [[1, 1], [1, 1, 0]]), (DULL, [M, M, M, M, N], [[1, 0], [0, 1, 1]]))
    for verdicts, judge, items in cases:
        right = sum(map(sum, items))
        found = checklist_humans(_set("j", FACTS, verdicts), OPTIONS)
        assert found is not None and found.humans.n == 5 and found.calibration is None  # one judge: no votes
        agreement = found.humans.agreement
        assert agreement is not None and agreement.value == pytest.approx(right / 5)
        assert (agreement.low, agreement.high) == pytest.approx(korn_graubard(items))
        assert agreement.interval == "korn-graubard (clustered by item)"
        human = [1, 0, 0, 1, 0]  # x c0, x c1, z c0, z c1, z c2
        kappa = found.humans.kappa
        assert kappa is not None and kappa.value == pytest.approx(cohen_kappa_score(judge, human))


def test_n_zero_one_and_two() -> None:
    one = [_fact("x", (True, None, None))]
    unscored = checklist_humans(_set("j", one, {"x": (None, M, M)}), OPTIONS)
    assert unscored is not None and unscored.humans.n == 0 and unscored.humans.agreement is None
    single = checklist_humans(_set("j", one, {"x": (M, N, N)}), OPTIONS)
    assert single is not None and single.humans.n == 1
    assert single.humans.agreement is not None and single.humans.agreement.value == 1.0
    assert (single.humans.agreement.low, single.humans.agreement.high) == pytest.approx(_interval(1, 1))
    two = [_fact("x", (True, None, None)), _fact("y", (True, None, None))]
    pair = checklist_humans(_set("j", two, {"x": (M, N, N), "y": (N, M, M)}), OPTIONS)
    assert pair is not None and pair.humans.n == 2
    assert pair.humans.agreement is not None and pair.humans.agreement.value == 0.5
    assert (pair.humans.agreement.low, pair.humans.agreement.high) == pytest.approx(_interval(1, 2))
    # The human said met both times: kappa's chance agreement is the observed one, 0.
    assert pair.humans.kappa is not None and pair.humans.kappa.value == pytest.approx(0.0)


def test_no_human_verdicts_gives_no_figures() -> None:
    plain = [_fact("x", None), _fact("y", None)]
    assert checklist_humans(_set("j", plain, {"x": (M, N, N), "y": (N, N, N)}), OPTIONS) is None


def test_compare_ranks_by_criterion_agreement_and_tests_the_shared_pairs() -> None:
    sharp, dull = _set("sharp", FACTS, SHARP), _set("dull", FACTS, DULL)
    comparison = compare([dull, sharp], dataset="d", resamples=200)
    assert comparison.ranked_by == "criterion_agreement"
    assert [(row.name, row.rank, row.human_n) for row in comparison.rows] == [("sharp", 1, 5), ("dull", 2, 5)]
    assert not comparison.warnings
    test = comparison.best_vs_runner_up
    # Shared pairs: x c0 (both right), x c1 (sharp only), z c0 (sharp only), z c1, z c2 (dull only):
    # 4 of 5 against 3 of 5, on two shared items, too few to resample (the bootstrap needs 10).
    assert test is not None and (test.units, test.unit, test.method) == (2, "items", CLUSTER_BOOTSTRAP)
    assert test.only_best_right is None and test.p_value is None and not test.significant
    assert test.difference is not None and test.difference.value == pytest.approx(1 / 5)
    assert test.difference.low is None and "n=2 is too few for a bootstrap interval" in test.statement
    assert set(keyed_pairs(sharp) or {}) == {("x", 0), ("x", 1), ("z", 0), ("z", 1), ("z", 2)}


def test_a_panel_voting_per_criterion_and_one_averaging_scores() -> None:
    sets = [_set("sharp", FACTS, SHARP), _set("dull", FACTS, DULL), _set("third", FACTS, SHARP)]
    voting = combine(sets, name="panel", rule="majority", quorum=2)
    # Majority of three: x (M, N, M) -> c2 has 2 votes, both met; z (N, M, M) 2-1 each.
    found = checklist_humans(voting, OPTIONS)
    assert found is not None and found.humans.n == 5 and found.calibration is not None
    assert found.humans.agreement is not None and found.humans.agreement.value == pytest.approx(4 / 5)
    averaging = combine(sets, name="mean panel", rule="mean", quorum=2)
    assert checklist_humans(averaging, OPTIONS) is None
    comparison = compare([*sets, averaging], dataset="d", resamples=200)
    assert [row.criterion_agreement is None for row in comparison.rows] == [False, False, False, True]
    assert comparison.warnings == [
        "mean panel: averages its judges' item scores, so it has no verdict per criterion to set against the "
        "human verdicts (pass --panel-rule majority or unanimous)"
    ]


def test_all_unscored_and_no_human_verdicts_each_say_so_in_one_line() -> None:
    blank = {"x": (None,) * 3, "y": (None,) * 3, "z": (None,) * 3}
    unscored = compare([_set("a", FACTS, blank), _set("b", FACTS, blank)], dataset="d", resamples=200)
    assert [row.rank for row in unscored.rows] == [None, None] and unscored.best_vs_runner_up is None
    assert unscored.warnings == [
        "no criterion has both a verdict and a human verdict (human_rubric): the checklist's agreement with the "
        "humans cannot be computed"
    ]
    plain = [_fact("x", None), _fact("y", None)]
    verdicts = {"x": (M, N, N), "y": (N, N, N)}
    nothing = compare([_set("a", plain, verdicts)], dataset="d", resamples=200)
    assert nothing.ranked_by == "spearman" and nothing.rows[0].criterion_agreement is None
    assert nothing.warnings == [
        "no checklist item has human verdicts per criterion (human_rubric) or a human score: agreement with the "
        "humans cannot be computed"
    ]


def test_rank_by_checks() -> None:
    check_metric("criterion_kappa", "pointwise", "item", checklist=True)
    check_metric("spearman", "pointwise", "item", checklist=True)
    with pytest.raises(UsageError, match="criterion_agreement does not apply to pointwise data"):
        check_metric("criterion_agreement", "pointwise", "item")
    with pytest.raises(UsageError, match="does not apply to pairwise data"):
        check_metric("criterion_agreement", "pairwise", "item")
