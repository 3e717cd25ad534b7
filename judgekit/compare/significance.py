"""Is the best judge better than the runner-up? One test per metric, on the items both were
measured on, each judge scored against the human references of its own data.

- agreement (with or without ties): McNemar's exact test on the items only one of the two got
  right; the interval printed beside it is the exact one that test inverts, so "significant"
  and "the interval excludes 0" always say the same thing.
- checklist agreement (and kappa) with human verdicts per criterion, pooled over the (item,
  criterion) pairs both rows and the human decided (`compare.checklist_humans`): a paired
  bootstrap that resamples items, each with all of its pairs. Criteria of one item share an
  answer and a judge call, so they are not independent; McNemar's test over the pairs would
  count each of them as a separate piece of evidence and give too small a p-value.
- kappa and the correlations: a paired bootstrap of the difference; the verdict follows the
  interval, and the p-value comes from the same draws. Where the two disagree at the edge of
  0.05 (the percentile interval and the share of draws on either side of 0 are read from the
  draws slightly differently), the statement says so.

The sets are expected to hold the same items (see `metrics.outcomes.check_same_data`); the
tests still pair items by id and read each set's own labels, so a mismatch can never borrow
one judge's references for the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from judgekit.compare.checklist_humans import CHECKLIST_METRICS, item_tables, keyed_pairs, table_agreement
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.metrics.levels import Level, groups_of, paired_values
from judgekit.metrics.outcomes import JudgedSet
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats import correlation
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate
from judgekit.stats.significance import mcnemar_exact, mcnemar_interval, paired_difference

PAIRWISE_METRICS = ("agreement", "agreement_without_ties", "kappa")
SCORE_METRICS = ("spearman", "kendall", "pearson")
LEVEL = 0.05
MCNEMAR = "McNemar exact test"
CLUSTER_BOOTSTRAP = "paired bootstrap of whole items"


class SignificanceTest(BaseModel):
    """Is the best row better than the runner-up on the same items?"""

    metric: str
    best: str
    runner_up: str
    units: int
    """Items (or groups) both rows were measured on."""
    unit: str = "items"
    difference: Estimate | None
    """best minus runner-up on those units, with the 95% interval of the same test: exact for
    McNemar's test, a paired bootstrap otherwise."""
    p_value: float | None
    method: str
    significant: bool
    """The test's result at the 5% level; always false when a mock judge is involved (see `caveat`)."""
    caveat: str | None = None
    """Why no claim is made although the numbers were computed (a mock judge calls no model)."""
    only_best_right: int | None = None
    """McNemar: items only the best row got right."""
    only_runner_up_right: int | None = None
    statement: str


def best_against_runner_up(
    best: JudgedSet,
    runner_up: JudgedSet,
    metric: str,
    *,
    level: Level,
    group_by: str | None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> SignificanceTest | None:
    """Compare two judged sets on the items both were measured on."""
    options = {"resamples": resamples, "seed": seed}
    if metric in PAIRWISE_METRICS:
        return _test_labels(best, runner_up, metric, options)
    if metric in CHECKLIST_METRICS:
        return _test_criteria(best, runner_up, metric, options)
    return _test_correlation(best, runner_up, metric, level, group_by, options)


def _by_id(judged: JudgedSet) -> dict[str, tuple[ItemFacts, ItemOutcome]]:
    return {fact.id: (fact, outcome) for fact, outcome in zip(judged.facts, judged.outcomes, strict=True)}


def _test_labels(
    best: JudgedSet, runner_up: JudgedSet, metric: str, options: Mapping[str, int]
) -> SignificanceTest | None:
    second = _by_id(runner_up)
    first_verdicts, first_human, second_verdicts, second_human = [], [], [], []
    for fact, outcome in zip(best.facts, best.outcomes, strict=True):
        other_fact, other = second.get(fact.id, (None, None))
        if other_fact is None or other is None:
            continue
        labels = (fact.human_label, outcome.verdict, other_fact.human_label, other.verdict)
        if any(label is None for label in labels):
            continue
        if metric == "agreement_without_ties" and "tie" in labels:
            continue
        first_human.append(str(fact.human_label))
        first_verdicts.append(str(outcome.verdict))
        second_human.append(str(other_fact.human_label))
        second_verdicts.append(str(other.verdict))
    pairs = _Paired(first_verdicts, first_human, second_verdicts, second_human)
    return _test_paired(best, runner_up, metric, pairs, options)


@dataclass
class _Paired:
    """The verdicts of best and runner-up, each beside its own human reference, item by item."""

    first: list[str]
    first_human: list[str]
    second: list[str]
    second_human: list[str]


def _test_criteria(
    best: JudgedSet, runner_up: JudgedSet, metric: str, options: Mapping[str, int]
) -> SignificanceTest | None:
    """Checklist agreement (or kappa) with the human verdicts on the (item, criterion) pairs both rows
    decided, by a paired bootstrap over the items: criteria of one item share an answer and a judge
    call, so a resample draws whole items, each with all of its shared pairs, for both rows at once."""
    first, second = keyed_pairs(best), keyed_pairs(runner_up)
    if first is None or second is None:
        return None
    first_tables, second_tables = item_tables(first, second)
    if not first_tables.shape[0]:
        return None
    statistic = table_agreement if metric == "criterion_agreement" else pairwise_stats.kappa_of_tables
    difference, p = paired_difference(statistic, [first_tables], [second_tables], **options)
    units = first_tables.shape[0]
    return _bootstrap_result(metric, best, runner_up, units, "items", difference, p, CLUSTER_BOOTSTRAP)


def _test_paired(
    best: JudgedSet, runner_up: JudgedSet, metric: str, pairs: _Paired, options: Mapping[str, int]
) -> SignificanceTest | None:
    unit = "items"
    units = len(pairs.first)
    if not units:
        return None
    if metric == "kappa":
        difference, p = paired_difference(
            pairwise_stats.cohen_kappa_value,
            [pairs.first, pairs.first_human],
            [pairs.second, pairs.second_human],
            **options,
        )
        return _bootstrap_result(metric, best, runner_up, units, unit, difference, p, "paired bootstrap")
    right_first = [j == h for j, h in zip(pairs.first, pairs.first_human, strict=True)]
    right_second = [j == h for j, h in zip(pairs.second, pairs.second_human, strict=True)]
    only_first, only_second, p = mcnemar_exact(right_first, right_second)
    bounds = mcnemar_interval(only_first, only_second, units)
    value = (only_first - only_second) / units
    if bounds is not None:
        difference = Estimate(value=value, low=bounds[0], high=bounds[1], n=units, interval="clopper-pearson")
    else:
        difference = Estimate(value=value, n=units, no_interval="no item was right for only one of the two")
    significant = p < LEVEL
    basis = (
        f"exact interval from the {only_first + only_second} {unit} only one got right "
        f"({only_first} only {best.name}, {only_second} only {runner_up.name})"
        if bounds
        else "no item was right for only one of them"
    )
    if bounds is not None and significant != _excludes_zero(difference):  # not expected: the two are dual
        basis += "; the interval and p disagree by rounding, and the verdict follows p"
    result = _result(metric, best, runner_up, units, unit, difference, p, MCNEMAR, significant, basis)
    result.only_best_right, result.only_runner_up_right = only_first, only_second
    return result


def _test_correlation(
    best: JudgedSet,
    runner_up: JudgedSet,
    metric: str,
    level: Level,
    group_by: str | None,
    options: Mapping[str, int],
) -> SignificanceTest | None:
    # (judge score, human score) per item id, each from its own set.
    other_pairs = {runner_up.facts[i].id: (j, h) for i, j, h in paired_values(runner_up.facts, runner_up.outcomes)}
    kept = [
        (i, (j, h), other_pairs[best.facts[i].id])
        for i, j, h in paired_values(best.facts, best.outcomes)
        if best.facts[i].id in other_pairs
    ]
    if len(kept) < 3:
        return None
    a, human_a = np.array([first[0] for _, first, _ in kept]), np.array([first[1] for _, first, _ in kept])
    b, human_b = np.array([second[0] for _, _, second in kept]), np.array([second[1] for _, _, second in kept])
    if level == "item":
        difference, p = paired_difference(
            lambda x, y: correlation.coefficient(metric, x, y), [a, human_a], [b, human_b], **options
        )
        return _bootstrap_result(metric, best, runner_up, len(kept), "items", difference, p, "paired bootstrap")
    assert group_by is not None
    keys = np.array(groups_of([best.facts[k[0]] for k in kept], group_by, best.renamed))
    if level == "system":

        def system(judge: np.ndarray, human: np.ndarray, systems: np.ndarray) -> float:
            names = np.unique(systems)
            judge_means = [judge[systems == name].mean() for name in names]
            human_means = [human[systems == name].mean() for name in names]
            return correlation.coefficient(metric, judge_means, human_means)

        difference, p = paired_difference(system, [a, human_a, keys], [b, human_b, keys], **options)
        method = "paired bootstrap over items"
        return _bootstrap_result(metric, best, runner_up, len(kept), "items", difference, p, method)
    per_group_a, per_group_b = [], []
    for name in np.unique(keys):
        members = keys == name
        first_value = correlation.coefficient(metric, a[members], human_a[members])
        second_value = correlation.coefficient(metric, b[members], human_b[members])
        if np.isfinite(first_value) and np.isfinite(second_value):
            per_group_a.append(first_value)
            per_group_b.append(second_value)
    if len(per_group_a) < 2:
        return None
    difference, p = paired_difference(
        lambda x: float(np.mean(x)), [np.array(per_group_a)], [np.array(per_group_b)], **options
    )
    method = "paired bootstrap over groups"
    return _bootstrap_result(metric, best, runner_up, len(per_group_a), "groups", difference, p, method)


def _excludes_zero(difference: Estimate | None) -> bool:
    return (
        difference is not None
        and difference.low is not None
        and difference.high is not None
        and (difference.low > 0 or difference.high < 0)
    )


def _bootstrap_result(
    metric: str,
    best: JudgedSet,
    runner_up: JudgedSet,
    units: int,
    unit: str,
    difference: Estimate | None,
    p: float | None,
    method: str,
) -> SignificanceTest:
    """The verdict follows the bootstrap interval; p comes from the same draws."""
    significant = _excludes_zero(difference)
    if difference is None or difference.low is None:
        basis = (difference.no_interval if difference else None) or f"too few {unit} for an interval"
    elif p is not None and (p < LEVEL) != significant:
        side = "excludes" if significant else "includes"
        basis = (
            f"the interval {side} 0 while p = {p:.3g}: the two read the same draws differently at the edge; "
            "the verdict follows the interval"
        )
    else:
        basis = "interval and p from the same bootstrap draws"
    return _result(metric, best, runner_up, units, unit, difference, p, method, significant, basis)


def _result(
    metric: str,
    best: JudgedSet,
    runner_up: JudgedSet,
    units: int,
    unit: str,
    difference: Estimate | None,
    p: float | None,
    method: str,
    significant: bool,
    basis: str,
) -> SignificanceTest:
    gap = "–" if difference is None else f"{difference.value:+.3f}"
    if difference is not None and difference.low is not None and difference.high is not None:
        gap += f" [{difference.low:+.3f}, {difference.high:+.3f}]"
    p_text = "" if p is None else f", p = {p:.3g}"
    verdict = "is significantly better than" if significant else "is not significantly better than"
    statement = (
        f"{best.name} {verdict} {runner_up.name} on {metric} "
        f"({method} on {units} shared {unit}: difference {gap}{p_text}; {basis})"
    )
    return SignificanceTest(
        metric=metric,
        best=best.name,
        runner_up=runner_up.name,
        units=units,
        unit=unit,
        difference=difference,
        p_value=p,
        method=method,
        significant=significant,
        statement=statement,
    )


def without_claim(test: SignificanceTest, mock_names: set[str]) -> SignificanceTest:
    """The test with its claim withdrawn when the best or the runner-up is judged by a mock judge.

    A mock judge's verdicts are random or fixed by judgekit: a "significant" difference between
    two of them is real arithmetic on made-up data, so the statement claims nothing.
    """
    mocks = [name for name in (test.best, test.runner_up) if name in mock_names]
    if not mocks:
        return test
    who = "both are mock judges" if len(mocks) == 2 else f"{mocks[0]} is a mock judge"
    caveat = f"{who}, which call no model: their verdicts are made up, so no significance is claimed"
    statement = f"{test.best} ranks above {test.runner_up} on {test.metric}, but {caveat}"
    return test.model_copy(update={"significant": False, "caveat": caveat, "statement": statement})
