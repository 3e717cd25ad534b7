"""The pooled kappa of a checklist's criteria against human verdicts (`metrics.checklist.criterion_humans`):
its bootstrap resamples whole items, checked against an independent numpy bootstrap of the items with the
same seed and scikit-learn's kappa on the pairs each draw holds; with one pair per item it is the plain
bootstrap over pairs; below ten items it has no interval, however many pairs they hold."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from judgekit.metrics.checklist import criterion_humans
from judgekit.stats.agreement import cohen_kappa

OPTIONS = {"resamples": 400, "seed": 3}
Pairs = list[tuple[int, bool, bool]]


def _kappa(pairs: Pairs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score([j for _, j, _ in pairs], [h for _, _, h in pairs]))


def _reference(pairs: Pairs) -> tuple[float, float, float]:
    """(value, low, high): items drawn with the seed's generator, the percentiles of the finite draws,
    widened to hold the value (as judgekit's percentile interval is)."""
    items = [[pair for pair in pairs if pair[0] == item] for item in dict.fromkeys(item for item, _, _ in pairs)]
    rng = np.random.default_rng(OPTIONS["seed"])
    draws = [
        _kappa([pair for pick in rng.integers(0, len(items), size=len(items)) for pair in items[pick]])
        for _ in range(OPTIONS["resamples"])
    ]
    finite = np.array([draw for draw in draws if np.isfinite(draw)])
    low, high = np.quantile(finite, [0.025, 0.975])
    value = _kappa(pairs)
    return value, min(float(low), value), max(float(high), value)


def _pairs(seed: int, items: int, most: int) -> Pairs:
    rng = np.random.default_rng(seed)
    pairs = []
    for item in range(items):
        right = rng.uniform(0.3, 1.0)  # the judge's accuracy on this item: its criteria go together
        for _ in range(int(rng.integers(1, most + 1))):
            human = bool(rng.random() < 0.5)
            pairs.append((item, human if rng.random() < right else not human, human))
    return pairs


def test_the_pooled_kappa_resamples_whole_items() -> None:
    pairs = _pairs(5, 16, 6)
    kappa = criterion_humans(pairs, OPTIONS).kappa
    assert kappa is not None and kappa.n == 16 and kappa.interval == "bootstrap"
    assert (kappa.value, kappa.low, kappa.high) == pytest.approx(_reference(pairs))


def test_one_pair_per_item_is_the_bootstrap_over_pairs() -> None:
    pairs = _pairs(6, 30, 1)
    kappa = criterion_humans(pairs, OPTIONS).kappa
    plain = cohen_kappa([j for _, j, _ in pairs], [h for _, _, h in pairs], **OPTIONS)
    assert kappa is not None and plain is not None and kappa.low is not None and kappa.n == plain.n == 30
    assert (kappa.value, kappa.low, kappa.high) == pytest.approx((plain.value, plain.low, plain.high), abs=1e-12)
    assert (kappa.value, kappa.low, kappa.high) == pytest.approx(_reference(pairs))


def test_few_items_give_no_interval_however_many_pairs() -> None:
    pairs = [(item, k % 3 == 0, k % 2 == 0) for item in range(4) for k in range(item, item + 10)]
    kappa = criterion_humans(pairs, OPTIONS).kappa
    assert kappa is not None and kappa.low is None and kappa.n == 4 and "needs 10 items" in str(kappa.no_interval)
    assert kappa.value == pytest.approx(_kappa(pairs))
    assert criterion_humans([], OPTIONS).kappa is None
    one = criterion_humans([(0, True, True)], OPTIONS)  # both raters in one category: undefined
    assert one.n == 1 and one.kappa is None
