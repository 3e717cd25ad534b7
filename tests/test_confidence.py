"""The one definition of a verdict's confidence, the adaptive rules built on it, and their summaries,
checked against numbers worked by hand, at the edges too (n = 0, 1, all equal, all unscored)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.inputs.parsing import read_samples
from judgekit.metrics.adaptive import AdaptiveRule, adaptive_info, adaptive_outcome, adaptive_rule, needs_other_order
from judgekit.metrics.confidence import Confidence, confidence_info, item_confidence, row_confidence
from judgekit.metrics.items import ItemOutcome
from judgekit.schema import Judgment, VerdictSpec
from judgekit.testing.server import FakeProvider
from judgekit.testing.wire import Reply
from tests.helpers import rows_of, run, write_jsonl


def row(call: str = "AB", **fields: Any) -> Judgment:
    values: dict[str, Any] = {"item_id": "x", "call": call, "judge": "j", "request_hash": "h", "status": "ok"}
    values.update(fields)
    return Judgment(**values)


def test_pairwise_probability_is_that_of_the_verdict() -> None:
    outcome = ItemOutcome("x", "ok", verdict="B", probabilities={"A": 0.3, "B": 0.6, "tie": 0.1}, method="logprobs")
    assert item_confidence(outcome) == Confidence(0.6, "logprobs")


def test_pointwise_probability_is_that_of_the_most_likely_score() -> None:
    outcome = ItemOutcome("x", "ok", score=7.4, probabilities={"7": 0.6, "8": 0.4}, method="logprobs")
    assert item_confidence(outcome) == Confidence(0.6, "logprobs")


def test_vote_share_of_samples() -> None:
    spec = VerdictSpec(
        type="choice",
        pattern=r"\[\[([ABC])\]\]",
        format="[[{choice}]]",
        choices={"A": "first", "B": "second", "C": "tie"},
    )
    reading = read_samples(["[[A]]", "[[A]]", "[[B]]", "[[A]]"], spec)
    judged = row(verdict="A", probabilities={"A": 0.75, "B": 0.25, "tie": 0.0}, method=reading.method)
    assert reading.probabilities == {"first": 0.75, "second": 0.25}
    assert row_confidence(judged) == Confidence(0.75, "samples")


def test_agreement_of_the_two_orders_without_probabilities() -> None:
    assert item_confidence(ItemOutcome("x", "ok", verdict="A", flipped=False)) == Confidence(1.0, "order agreement")
    assert item_confidence(ItemOutcome("x", "ok", verdict="tie", flipped=True)) == Confidence(0.5, "order agreement")


def test_probability_is_preferred_and_a_kind_can_be_required() -> None:
    both = ItemOutcome("x", "ok", verdict="A", flipped=True, probabilities={"A": 0.7, "B": 0.3}, method="logprobs")
    assert item_confidence(both) == Confidence(0.7, "logprobs")
    assert item_confidence(both, "order agreement") == Confidence(0.5, "order agreement")
    assert item_confidence(ItemOutcome("x", "ok", verdict="A", flipped=False), "probability") is None


def test_no_confidence_without_evidence_or_verdict() -> None:
    assert item_confidence(ItemOutcome("x", "ok", verdict="A")) is None  # parsed text alone
    assert item_confidence(ItemOutcome("x", "unscored")) is None
    assert item_confidence(ItemOutcome("x", "dropped", flipped=True, probabilities={"A": 0.5})) is None
    panel_mean = ItemOutcome("x", "ok", verdict="A", probabilities={"A": 0.9, "B": 0.1})
    assert item_confidence(panel_mean) == Confidence(0.9, "probability")


def test_summary_figures_by_hand() -> None:
    outcomes = [
        ItemOutcome("a", "ok", verdict="A", probabilities={"A": 0.9}, method="logprobs"),
        ItemOutcome("b", "ok", verdict="B", probabilities={"B": 0.6}, method="logprobs"),
        ItemOutcome("c", "ok", verdict="A", flipped=True),
        ItemOutcome("d", "unscored"),
        ItemOutcome("e", "ok", verdict="A"),
    ]
    info = confidence_info(outcomes, 0.8)
    assert info is not None
    assert (info.n, info.below, info.threshold) == (3, 2, 0.8)
    assert info.mean == pytest.approx((0.9 + 0.6 + 0.5) / 3)
    assert info.below_share == pytest.approx(2 / 3)
    assert info.sources == {"logprobs": 2, "order agreement": 1}


def test_summary_edges() -> None:
    assert confidence_info([], 0.8) is None  # n = 0
    assert confidence_info([ItemOutcome("x", "unscored")] * 3, 0.8) is None  # all unscored
    one = confidence_info([ItemOutcome("x", "ok", verdict="A", flipped=False)], 0.8)
    assert one is not None and (one.n, one.mean, one.below) == (1, 1.0, 0)
    same = [ItemOutcome(str(i), "ok", verdict="A", probabilities={"A": 0.7}) for i in range(4)]
    equal = confidence_info(same, 0.7)
    assert equal is not None and equal.mean == pytest.approx(0.7) and equal.below == 0  # below, not at
    assert confidence_info(same, 0.0).below == 0  # type: ignore[union-attr]
    assert confidence_info(same, 1.0).below == 4  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("first", "threshold", "needed"),
    [
        (row(verdict="A", probabilities={"A": 0.79, "B": 0.21}, method="logprobs"), 0.8, True),
        (row(verdict="A", probabilities={"A": 0.8, "B": 0.2}, method="logprobs"), 0.8, False),
        (row(verdict="A", probabilities={"A": 0.99, "B": 0.01}, method="logprobs"), 1.0, True),
        (row(verdict="A", probabilities={"A": 0.51, "B": 0.49}, method="logprobs"), 0.0, False),
        (row(verdict="tie", probabilities={"tie": 0.9}, method="logprobs"), 0.0, True),
        (row(status="unscored"), 0.8, True),
        (row(status="error"), 0.8, False),  # retried as itself, never replaced by the other order
        (row(verdict="A"), 1.0, False),  # parsed text: no probability to be unsure of
    ],
)
def test_which_first_answers_need_the_other_order(first: Judgment, threshold: float, needed: bool) -> None:
    assert needs_other_order(first, threshold) is needed


RULE = AdaptiveRule(threshold=0.8)


def test_outcome_of_one_order() -> None:
    sure = row("BA", verdict="B", probabilities={"A": 0.1, "B": 0.9}, method="logprobs")
    assert adaptive_outcome("x", {"BA": sure}, RULE, None) == ItemOutcome(
        "x", "ok", verdict="B", probabilities=sure.probabilities, method="logprobs"
    )
    unsure = row(verdict="A", probabilities={"A": 0.6, "B": 0.4}, method="logprobs")
    assert adaptive_outcome("x", {"AB": unsure}, RULE, None).status == "pending"
    assert adaptive_outcome("x", {"AB": row(status="error", reason="boom")}, RULE, None).status == "error"
    assert adaptive_outcome("x", {}, RULE, None).status == "pending"


def test_outcome_of_both_orders() -> None:
    unscored = row("AB", status="unscored", reason="no verdict")
    answered = row("BA", verdict="B")
    assert adaptive_outcome("x", {"AB": unscored, "BA": answered}, RULE, None).verdict == "B"
    both_unscored = adaptive_outcome("x", {"AB": unscored, "BA": row("BA", status="unscored")}, RULE, None)
    assert both_unscored.status == "unscored"
    tie, decisive = row("AB", verdict="tie"), row("BA", verdict="A")
    assert adaptive_outcome("x", {"AB": tie, "BA": decisive}, RULE, "decisive").verdict == "A"
    assert adaptive_outcome("x", {"AB": tie, "BA": decisive}, RULE, "tie").verdict == "tie"
    assert adaptive_outcome("x", {"AB": tie, "BA": decisive}, RULE, "drop").status == "dropped"
    agreed = adaptive_outcome("x", {"AB": row(verdict="A"), "BA": row("BA", verdict="A")}, RULE, None)
    assert (agreed.verdict, agreed.flipped) == ("A", False)


def test_calls_saved_by_hand() -> None:
    rows = [{"AB": row()}, {"BA": row("BA")}, {"AB": row(), "BA": row("BA")}, {"AB": row()}, {}]
    outcomes = [
        ItemOutcome("0", "ok", verdict="A"),
        ItemOutcome("1", "ok", verdict="A"),
        ItemOutcome("2", "ok", verdict="tie", flipped=True),
        ItemOutcome("3", "pending"),  # stopped between its orders: not counted yet
        ItemOutcome("4", "pending"),
    ]
    info = adaptive_info(rows, outcomes, RULE)
    assert (info.items, info.both_orders, info.calls, info.full_swap_calls, info.saved) == (3, 1, 4, 6, 2)
    assert info.calls_per_item == pytest.approx(4 / 3, abs=1e-4)
    assert info.flip_rate is not None and (info.flip_rate.value, info.flip_rate.n) == (1.0, 1)
    empty = adaptive_info([], [], RULE)
    assert (empty.items, empty.calls, empty.calls_per_item, empty.flip_rate) == (0, 0, 0.0, None)


def test_rule_applies_only_to_adaptive_runs() -> None:
    assert adaptive_rule("swap", 0.5) is None
    assert adaptive_rule("adaptive", 0.5) == AdaptiveRule(0.5, 0.0, 0)
    assert adaptive_rule("adaptive", None, None, None) == AdaptiveRule(DEFAULT_SWAP_BELOW, 0.0, 0)
    assert adaptive_rule("adaptive", 0.6, 0.2, 7) == AdaptiveRule(0.6, 0.2, 7)


def test_adaptive_flip_rate_is_reported_but_never_flagged() -> None:
    from judgekit.metrics.bias import flags
    from judgekit.stats.proportions import share
    from judgekit.summary import BiasMetrics

    flips = share([1.0] * 30)  # every unsure item flipped: the interval lies far above 20%
    swap = BiasMetrics(positions="swap", p_first=None, p_first_is_bias_estimate=True, flip_rate=flips)
    adaptive = swap.model_copy(update={"positions": "adaptive"})
    assert [flag.metric for flag in flags(swap)] == ["flip_rate"]
    assert flags(adaptive) == []


def test_pointwise_confidence_is_written_per_item_and_summarised(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(lambda request: Reply("Good.\nRating: [[8]]", at="8", distribution={"8": 0.7, "9": 0.2, "7": 0.1}))
    rows = [{"id": f"p{index}", "question": f"Q{index}?", "answer": "An answer."} for index in range(2)]
    data = write_jsonl(tmp_path / "p.jsonl", rows)
    result = run("eval", data, "-j", "openai/m", "--score-method", "logprobs", "-q", "--out", "run")
    assert result.exit_code == 0, result.output
    lines = rows_of("run", "outcomes.jsonl")
    assert [line["item_id"] for line in lines] == ["p0", "p1"]
    for line in lines:
        assert line["score"] == pytest.approx(8 * 0.7 + 9 * 0.2 + 7 * 0.1)
        assert (line["confidence"], line["confidence_source"]) == (pytest.approx(0.7), "logprobs")
    summary = json.loads((Path("run") / "summary.json").read_text())
    assert summary["confidence"]["mean"] == pytest.approx(0.7) and summary["confidence"]["below"] == 2
    assert summary["adaptive"] is None
