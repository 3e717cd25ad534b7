"""The Korn-Graubard interval of a clustered proportion (`judgekit.stats.clustered`), checked against the
independent computation of `tests.clustered_reference` (statsmodels, scipy.stats) at ordinary sizes and
at the edges, and a seeded coverage simulation."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from judgekit.stats.clustered import clustered_proportion, korn_graubard_method
from judgekit.stats.proportions import clopper_pearson
from tests.clustered_reference import beta_bounds as _beta_bounds
from tests.clustered_reference import korn_graubard as _reference


def _estimate(items: list[list[int]]) -> tuple[float, float]:
    found = clustered_proportion([sum(item) for item in items], [len(item) for item in items], cluster="item")
    assert found is not None and found.low is not None and found.high is not None
    assert found.n == sum(len(item) for item in items)
    assert found.value == pytest.approx(sum(map(sum, items)) / found.n)
    return found.low, found.high


CASES = {
    "ordinary": [[1, 1, 0, 1], [0, 0, 1], [1, 1, 1, 1, 1], [1, 0], [1, 1, 1], [0, 1, 1, 0]],
    "two items": [[1, 1, 1, 0], [0, 0, 1]],
    "very unequal sizes": [[1] * 30 + [0] * 5, [0], [1, 0], [0, 0, 1], [1]],
    "one item holds two pairs": [[1], [0], [1], [1, 1], [0], [1], [1]],
    "equal shares in every item (variance 0)": [[1, 0], [0, 1], [1, 0]],
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_the_independent_computation(name: str) -> None:
    assert _estimate(CASES[name]) == pytest.approx(_reference(CASES[name]), abs=1e-9)


def test_ordinary_clustered_data_is_wider_than_counting_pairs_as_independent() -> None:
    items = CASES["ordinary"]
    low, high = _estimate(items)
    pooled = clopper_pearson(sum(map(sum, items)), sum(map(len, items)))
    assert high - low > pooled[1] - pooled[0]


def test_random_clustered_data_matches_at_ordinary_sizes() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        items = [list(rng.binomial(1, rng.uniform(0.3, 0.95), size=rng.integers(1, 9))) for _ in range(12)]
        assert _estimate(items) == pytest.approx(_reference(items), abs=1e-9)


def test_one_pair_per_item_is_the_plain_exact_interval() -> None:
    items = [[1], [0], [1], [1], [1], [0], [1]]
    found = clustered_proportion([1, 0, 1, 1, 1, 0, 1], [1] * 7, cluster="item")
    assert found is not None and found.interval == "clopper-pearson"
    assert (found.low, found.high) == pytest.approx(proportion_confint(5, 7, method="beta"), abs=1e-12)
    assert _estimate(items) == pytest.approx(_reference(items))


def test_edges_n_zero_one_pair_and_one_item() -> None:
    assert clustered_proportion([], []) is None
    assert clustered_proportion([0, 0], [0, 0]) is None
    single = clustered_proportion([1], [1])
    assert single is not None and (single.low, single.high) == pytest.approx(proportion_confint(1, 1, method="beta"))
    # One item of five pairs, three agreeing: one item's worth of evidence, a fractional count of 0.6.
    one_item = clustered_proportion([3], [5], cluster="item")
    assert one_item is not None and one_item.value == pytest.approx(0.6)
    assert (one_item.low, one_item.high) == pytest.approx(_beta_bounds(0.6, 1))
    assert one_item.interval == korn_graubard_method("item")
    assert clustered_proportion([2, 0], [0, 3]) is not None  # an empty cluster is left out
    with pytest.raises(ValueError, match="between 0 and its size"):
        clustered_proportion([3], [2])


def test_all_agree_and_none_agree_weigh_one_observation_per_item() -> None:
    # Two items of twenty criteria, all agreeing: the interval of 2 of 2, not of 40 of 40.
    everything = clustered_proportion([20, 20], [20, 20], cluster="item")
    assert everything is not None and everything.value == 1.0
    assert (everything.low, everything.high) == pytest.approx(proportion_confint(2, 2, method="beta"))
    nothing = clustered_proportion([0, 0, 0], [4, 1, 7])
    assert nothing is not None and (nothing.low, nothing.high) == pytest.approx(proportion_confint(0, 3, method="beta"))
    assert _estimate([[1] * 20, [1] * 20]) == pytest.approx(_reference([[1] * 20, [1] * 20]))


def test_disagreements_in_one_or_two_items_never_narrow_the_interval() -> None:
    """20 items of 20 criteria. Korn-Graubard alone gives a lower bound of 0.832 with no disagreement
    and 0.985 with one: more disagreement, more certainty. With the rarer outcome in fewer than three
    items the interval keeps at least one observation per item's width, so the lower bound only falls."""
    lows = []
    for wrong in range(3):
        agreed = [20 - (1 if index < wrong else 0) for index in range(20)]
        estimate = clustered_proportion(agreed, [20] * 20, cluster="item")
        assert estimate is not None and estimate.low is not None
        lows.append(estimate.low)
        per_item = _beta_bounds(estimate.value * 20, 20)
        assert estimate.low <= per_item[0] + 1e-12
    assert lows[0] == pytest.approx(0.8316, abs=1e-4) and lows[0] > lows[1] > lows[2]
    # Both disagreements in one item: the same floor.
    one_item = clustered_proportion([18] + [20] * 19, [20] * 20, cluster="item")
    assert one_item is not None and one_item.low is not None and one_item.low <= lows[0]


def test_the_new_interval_covers_correlated_criteria_where_the_old_one_did_not() -> None:
    # 30 items of 10 criteria; each item's agreement rate is drawn from Beta(2, 0.5) (mean 0.8, an
    # intra-item correlation of 1 / 3.5), so criteria of one item agree together. Over 1000 seeded
    # repeats the Korn-Graubard interval covered the true 0.8 in 95.5% of them; Clopper-Pearson over
    # the 300 pairs taken as independent covered it in 70.3%.
    rng = np.random.default_rng(7)
    items, criteria, repeats, truth = 30, 10, 1000, 0.8
    clustered = pooled = 0
    for _ in range(repeats):
        agreed = rng.binomial(criteria, rng.beta(2.0, 0.5, size=items))
        found = clustered_proportion(agreed, [criteria] * items, cluster="item")
        assert found is not None and found.low is not None and found.high is not None
        clustered += found.low <= truth <= found.high
        low, high = clopper_pearson(int(agreed.sum()), items * criteria)
        pooled += low <= truth <= high
    assert clustered / repeats >= 0.93
    assert pooled / repeats <= 0.85
