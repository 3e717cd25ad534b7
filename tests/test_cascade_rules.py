"""The rules of a cascade on their own: confidence per item, who escalates, abstention, the split
and the held-apart figures of `--target-agreement` (each against numbers worked by hand; the
thresholds it picks are checked in tests/test_cascade_guarantee.py)."""

from __future__ import annotations

import math

import pytest

from judgekit.metrics.cascade import Settled, abstain, confidence, escalates, sources, without_confidence
from judgekit.metrics.cascade_thresholds import held_apart, split_labelled
from judgekit.metrics.items import ItemFacts, ItemOutcome


def facts(labels: list[str | None]) -> list[ItemFacts]:
    return [
        ItemFacts(
            id=f"i{index}", kind="pairwise", human_label=label, human_score=None, category=None,  # type: ignore[arg-type]
            model=None, model_a=None, model_b=None, length_a=1, length_b=1,
        )
        for index, label in enumerate(labels)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (ItemOutcome("x", "ok", verdict="B", probabilities={"A": 0.3, "B": 0.7}), 0.7),
        (ItemOutcome("x", "ok", verdict="A", flipped=False), 1.0),  # swap, both orders agree
        (ItemOutcome("x", "ok", verdict="tie", flipped=True), 0.5),  # swap, the orders disagree
        (ItemOutcome("x", "ok", verdict="A"), None),  # one order, no probabilities
        (ItemOutcome("x", "ok", score=7.4, probabilities={"7": 0.6, "8": 0.4}), 0.6),
        (ItemOutcome("x", "ok", score=7.0), None),
        (ItemOutcome("x", "unscored", reason="no verdict"), None),
        (ItemOutcome("x", "error"), None),
    ],
)
def test_confidence_of_each_source(outcome: ItemOutcome, expected: float | None) -> None:
    assert confidence(outcome) == expected


@pytest.mark.parametrize(
    ("outcome", "threshold", "expected"),
    [
        (ItemOutcome("x", "ok", verdict="A", probabilities={"A": 0.8, "B": 0.2}), 0.8, False),  # at it: kept
        (ItemOutcome("x", "ok", verdict="A", probabilities={"A": 0.79, "B": 0.21}), 0.8, True),
        (ItemOutcome("x", "ok", verdict="A"), 0.0, True),  # no confidence at all: never trusted
        (ItemOutcome("x", "unscored"), 0.0, True),
        (ItemOutcome("x", "dropped", flipped=True), 0.0, True),
        (ItemOutcome("x", "error"), 1.0, False),  # retried by the command again, not paid for twice
        (ItemOutcome("x", "pending"), 1.0, False),
    ],
)
def test_who_escalates(outcome: ItemOutcome, threshold: float, expected: bool) -> None:
    assert escalates(outcome, threshold) is expected


def test_abstention_after_the_last_judge() -> None:
    sure = ItemOutcome("a", "ok", verdict="A", probabilities={"A": 0.9, "B": 0.1})
    unsure = ItemOutcome("b", "ok", verdict="B", probabilities={"A": 0.4, "B": 0.6})
    unscored = ItemOutcome("c", "unscored", reason="no verdict")
    failed = ItemOutcome("d", "error", reason="timeout")
    settled = [abstain(Settled(one, "j", 2, confidence(one)), 0.9) for one in (sure, unsure, unscored, failed)]
    assert [one.abstained for one in settled] == [False, True, True, False]
    assert settled[1].outcome.status == "unscored" and settled[1].tentative is unsure
    assert settled[1].outcome.reason is not None and "0.600 < 0.9" in settled[1].outcome.reason
    assert settled[2].outcome is unscored  # its own reason is kept
    assert sources(settled) == {"j": 1, "abstained": 2, "error": 1}


def test_split_is_seeded_and_halves_the_labelled_items() -> None:
    # numpy's default_rng(0).permutation(6) is [3 2 5 4 0 1]: the first three calibrate.
    split = split_labelled(facts(["A", "B", "A", None, "A", "tie", "B"]), seed=0)
    labelled = ["i0", "i1", "i2", "i4", "i5", "i6"]
    assert split.calibration == {labelled[3], labelled[2], labelled[5]}
    assert split.held_apart == {labelled[4], labelled[0], labelled[1]}
    assert split_labelled(facts(["A"]), seed=0).calibration == {"i0"}  # n = 1: nothing is held apart
    empty = split_labelled(facts([None, None]), seed=0)
    assert empty.calibration == frozenset() and empty.held_apart == frozenset()


def test_held_apart_coverage_and_agreement() -> None:
    items = facts(["A", "B", "A", "A"])
    settled = [
        Settled(ItemOutcome("i0", "ok", verdict="A"), "j", 1),
        Settled(ItemOutcome("i1", "ok", verdict="A"), "j", 1),
        Settled(ItemOutcome("i2", "unscored", reason="abstained"), "j", 2, abstained=True),
        Settled(ItemOutcome("i3", "ok", verdict="A"), "j", 2),
    ]
    coverage, agreement = held_apart(settled, items, frozenset({"i0", "i1", "i2"}))
    assert coverage is not None and agreement is not None
    assert (coverage.value, coverage.n) == (pytest.approx(2 / 3), 3)
    assert (agreement.value, agreement.n) == (0.5, 2)
    # Clopper-Pearson for 1 of 2 (worked by hand): 1 - sqrt(0.975) and sqrt(0.975).
    assert agreement.low == pytest.approx(1 - math.sqrt(0.975))
    assert agreement.high == pytest.approx(math.sqrt(0.975))
    assert held_apart(settled, items, frozenset()) == (None, None)  # nothing held apart


def test_verdicts_without_a_confidence_are_counted() -> None:
    outcomes = [
        ItemOutcome("a", "ok", verdict="A"),  # no probabilities, one order
        ItemOutcome("b", "ok", verdict="A", probabilities={"A": 0.9, "B": 0.1}),
        ItemOutcome("c", "ok", score=4.0),
        ItemOutcome("d", "unscored"),  # no verdict at all: not a verdict without confidence
    ]
    assert without_confidence(outcomes) == 2
    assert without_confidence([]) == 0
