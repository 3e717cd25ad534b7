"""`compare`'s best-vs-runner-up test on checklist rows: a paired bootstrap over items, each item keeping
all of its (item, criterion) pairs. Checked against an independent numpy bootstrap that resamples the
items with the same seed and recomputes both rows' agreement (and scikit-learn's kappa) on the pairs
the drawn items hold, on hand-worked cases, at the edges, and on a case where McNemar's test over the
pairs would call a difference significant that rests on four items."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.contingency_tables import mcnemar

from judgekit.compare.significance import CLUSTER_BOOTSTRAP, SignificanceTest, best_against_runner_up
from judgekit.metrics.outcomes import JudgedSet
from tests.checklist_helpers import judged_set, rubric_fact

Items = list[list[tuple[bool, bool, bool]]]
"""Per item, per criterion: (the human's verdict, the best row's verdict, the runner-up's verdict)."""


def _sets(items: Items) -> tuple[JudgedSet, JudgedSet]:
    facts = [rubric_fact(f"i{k}", tuple(h for h, _, _ in item), len(item)) for k, item in enumerate(items)]
    first = {f"i{k}": tuple(float(a) for _, a, _ in item) for k, item in enumerate(items)}
    second = {f"i{k}": tuple(float(b) for _, _, b in item) for k, item in enumerate(items)}
    return judged_set("best", facts, first), judged_set("other", facts, second)


def _test(items: Items, metric: str = "criterion_agreement", resamples: int = 2000) -> SignificanceTest:
    best, other = _sets(items)
    found = best_against_runner_up(best, other, metric, level="item", group_by=None, resamples=resamples, seed=4)
    assert found is not None
    return found


def _statistic(pairs: list[tuple[bool, bool, bool]], metric: str, side: int) -> float:
    human, judge = [p[0] for p in pairs], [p[side] for p in pairs]
    if metric == "criterion_agreement":
        return float(np.mean([h == j for h, j in zip(human, judge, strict=True)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(judge, human))


def _reference(items: Items, metric: str, resamples: int) -> tuple[float, float, float]:
    """(low, high, p) of a bootstrap drawing whole items with the seed's generator, as numpy draws them."""
    rng, draws = np.random.default_rng(4), []
    for _ in range(resamples):
        pairs = [pair for pick in rng.integers(0, len(items), size=len(items)) for pair in items[pick]]
        draws.append(_statistic(pairs, metric, 1) - _statistic(pairs, metric, 2))
    finite = np.array([draw for draw in draws if np.isfinite(draw)])
    low, high = np.quantile(finite, [0.025, 0.975])
    return float(low), float(high), min(1.0, 2 * min(float(np.mean(finite <= 0)), float(np.mean(finite >= 0))))


def _random_items(seed: int, count: int) -> Items:
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(count):
        first, second = rng.uniform(0.4, 1.0, size=2)  # each row's accuracy on this item
        criteria = int(rng.integers(1, 7))
        human = rng.random(criteria) < 0.5
        right_first, right_second = rng.random(criteria) < first, rng.random(criteria) < second
        items.append(
            [(bool(h), bool(h == a), bool(h == b)) for h, a, b in zip(human, right_first, right_second, strict=True)]
        )
    return items


@pytest.mark.parametrize("metric", ["criterion_agreement", "criterion_kappa"])
def test_matches_an_independent_bootstrap_over_items(metric: str) -> None:
    items = _random_items(11, 14)
    found = _test(items, metric, resamples=300)
    low, high, p = _reference(items, metric, 300)
    everything = [pair for item in items for pair in item]
    value = _statistic(everything, metric, 1) - _statistic(everything, metric, 2)
    assert found.difference is not None and found.difference.value == pytest.approx(value)
    assert (found.difference.low, found.difference.high, found.p_value) == pytest.approx((low, high, p))
    assert (found.units, found.unit, found.method) == (14, "items", CLUSTER_BOOTSTRAP)


def test_one_item_apart_by_hand() -> None:
    # Ten items of four criteria; both rows right everywhere but on item 0, where the runner-up is wrong
    # four times. A draw differs from 0 only if it picks item 0: P(difference <= 0) = 0.9^10, so p is
    # twice that, and the interval starts at 0.
    items = [[(True, True, k != 0)] * 4 for k in range(10)]
    found = _test(items)
    assert found.difference is not None and found.difference.value == pytest.approx(4 / 40)
    assert found.difference.low == pytest.approx(0.0) and not found.significant
    assert found.p_value == pytest.approx(2 * 0.9**10, abs=0.06)


def test_edges_no_shared_pair_one_and_two_items_and_equal_rows() -> None:
    best, other = _sets([[(True, True, True)]])
    blank = judged_set("blank", other.facts, {"i0": (None,)})
    assert best_against_runner_up(best, blank, "criterion_agreement", level="item", group_by=None) is None
    for count in (1, 2, 9):  # too few items to resample (fewer than 10): the difference without interval or p
        found = _test([[(True, True, False), (False, False, False)]] * count)
        assert found.difference is not None and found.difference.value == pytest.approx(0.5)
        assert found.p_value is None and found.difference.low is None and not found.significant
    same = _test([[(True, True, True), (False, True, True)]] * 10)  # every draw gives 0: no p-value either
    assert same.difference is not None and same.difference.value == 0.0 and same.difference.low is None
    assert same.p_value is None and not same.significant
    assert "every resample gave the same value" in same.statement


def test_criteria_of_one_item_do_not_count_as_independent_evidence() -> None:
    # Ten items of ten criteria: the best row is right on every criterion but those of item 3, the
    # runner-up wrong on every criterion of items 0-2. Over pairs that is 30 discordant pairs for the
    # best and 10 for the runner-up, which McNemar's test calls significant (p = 0.002); but the
    # evidence is three items against one, and the bootstrap over items does not: a resample's
    # difference is at most 0 when it draws item 3 at least as often as items 0-2 together, which
    # happens with probability 0.212 (the multinomial sum), so p is near 0.42.
    items = [[(True, k != 3, k not in (0, 1, 2))] * 10 for k in range(10)]
    pairs = [pair for item in items for pair in item]
    table = [[sum(a and b for _, a, b in pairs), sum(a and not b for _, a, b in pairs)],
             [sum(b and not a for _, a, b in pairs), sum(not a and not b for _, a, b in pairs)]]  # fmt: skip
    assert (table[0][1], table[1][0]) == (30, 10)
    assert mcnemar(table, exact=True).pvalue < 0.01
    found = _test(items)
    assert found.difference is not None and found.difference.value == pytest.approx(20 / 100)
    assert found.p_value == pytest.approx(0.424, abs=0.06) and not found.significant
    assert found.difference.low is not None and found.difference.low < 0
