"""One item's outcome: the facts an aggregation keeps about it, and its final result combined
from its judge calls (both orders, an adaptive run's one or two, a panel's combined row, a
checklist's criteria or a listwise pick)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from judgekit.config import EvalConfig
from judgekit.metrics.adaptive import AdaptiveRule, adaptive_outcome, adaptive_rule
from judgekit.metrics.graded import grades_of
from judgekit.metrics.orders import combine_orders
from judgekit.metrics.style import instruction_key, style_counts
from judgekit.schema import Item, Judgment, Label, RubricItem

SWAP_CALLS = ("AB", "BA")


@dataclass
class ItemOutcome:
    """One item's final result, combined from its judge calls."""

    item_id: str
    status: str
    """ok, unscored, error, pending (no row yet) or dropped (its two orders disagreed, under
    --order-disagreement drop)."""
    verdict: Label | None = None
    score: float | None = None
    flipped: bool | None = None
    reason: str | None = None
    probabilities: dict[str, float] | None = None
    votes: int | None = None
    """Panels: how many judges gave a valid verdict for the item (the effective panel size)."""
    backing: int | None = None
    """Panels voting by majority or unanimous: how many of the `votes` gave the panel's verdict."""
    method: str | None = None
    """How the verdict became a number (parse, logprobs, samples): names its confidence's source."""
    criteria: list[float | None] | None = None
    """Checklist panels voting per criterion: the panel's verdict on each criterion (None: none)."""
    criterion_votes: list[tuple[int, int] | None] | None = None
    """Checklist panels voting per criterion: (judges behind the panel's verdict, judges that voted)
    per criterion, None where it has no panel verdict; the item's confidence (`metrics.confidence`)."""
    grades: tuple[str, ...] | None = None
    """Graded templates: the grade of each judged order (A>>B ... B>>A, see `metrics.graded`)."""
    pick: int | None = None
    """Listwise: the data position (0-based) of the answer picked (see `metrics.listwise`)."""


@dataclass
class ItemFacts:
    """The little an aggregation needs to know about an item (kept small for large runs)."""

    id: str
    kind: str
    human_label: Label | None
    human_score: float | None
    category: str | None
    model: str | None
    model_a: str | None
    model_b: str | None
    length_a: int
    length_b: int
    metadata: dict[str, Any] = field(default_factory=dict)
    human_scores: tuple[float, ...] | None = None
    """Each human rater's score, when the data holds several (human_score is their mean)."""
    rubric_items: tuple[RubricItem, ...] | None = None
    """Checklist grading: the item's criteria."""
    human_rubric: tuple[bool | None, ...] | None = None
    """Checklist grading: a human's verdict per criterion."""
    style_a: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Pairwise: answer_a's style counts (length, headers, list items, bold; see `metrics.style`)."""
    style_b: tuple[int, int, int, int] = (0, 0, 0, 0)
    instruction: str = ""
    """A short hash of the conversation the answers reply to: the same request in several rows."""
    models: tuple[str, ...] | None = None
    """Listwise: the model behind each answer."""
    answers: int = 0
    """Listwise: how many answers the item offers."""

    @classmethod
    def of(cls, item: Item) -> ItemFacts:
        pairwise = item.kind == "pairwise"
        return cls(
            id=item.id,
            kind=item.kind,
            human_label=item.human_label,
            human_score=item.human_score,
            category=item.category,
            model=item.model,
            model_a=item.model_a,
            model_b=item.model_b,
            length_a=len(item.answer_a or "") if pairwise else len(item.answer or ""),
            length_b=len(item.answer_b or "") if pairwise else 0,
            metadata=item.metadata,
            human_scores=item.human_scores,
            rubric_items=item.rubric_items,
            human_rubric=item.human_rubric,
            style_a=style_counts(item.answer_a or "") if pairwise else (0, 0, 0, 0),
            style_b=style_counts(item.answer_b or "") if pairwise else (0, 0, 0, 0),
            models=item.models,
            answers=len(item.answers or ()),
            instruction=instruction_key(item),
        )


def item_outcome(
    facts: ItemFacts,
    rows: Mapping[str, Judgment],
    disagreement: str | None = None,
    adaptive: AdaptiveRule | None = None,
) -> ItemOutcome:
    """The outcome of one item from its judge rows (keyed by call); `disagreement` is one of ORDER_RULES,
    `adaptive` the rule of a --positions adaptive run (None for any other; see `adaptive`)."""
    if not rows:
        return ItemOutcome(facts.id, "pending")
    if facts.rubric_items is not None and "single" not in rows:  # a panel's combined row is "single"
        from judgekit.metrics.checklist import checklist_outcome
        from judgekit.metrics.checklist_confidence import panel_criterion_votes

        status, score, reason = checklist_outcome(facts.rubric_items, rows)
        votes = panel_criterion_votes(rows)
        return ItemOutcome(facts.id, status, score=score, reason=reason, criterion_votes=votes)
    if facts.kind == "listwise":
        from judgekit.metrics.listwise import listwise_outcome

        return listwise_outcome(facts, rows)
    if adaptive is not None and any(call in rows for call in SWAP_CALLS):  # (a panel's rows are "single")
        return adaptive_outcome(facts.id, rows, adaptive, disagreement)
    if all(call in rows for call in SWAP_CALLS):
        first, second = rows["AB"], rows["BA"]
        for row in (first, second):
            if row.status == "error":
                return ItemOutcome(facts.id, "error", reason=row.reason)
        for row in (first, second):
            if row.status == "unscored":
                return ItemOutcome(facts.id, "unscored", reason=row.reason)
        verdict, flipped, probabilities = combine_orders(first, second, disagreement)
        if verdict is None:
            reason = "its two orders disagree (--order-disagreement drop)"
            return ItemOutcome(facts.id, "dropped", flipped=True, reason=reason, probabilities=probabilities)
        grades = grades_of(first, second)
        return ItemOutcome(
            facts.id,
            "ok",
            verdict=verdict,
            flipped=flipped,
            probabilities=probabilities,
            method=first.method,
            grades=grades,
        )
    if any(call in rows for call in SWAP_CALLS):
        return ItemOutcome(facts.id, "pending")
    single = rows.get("single")
    if single is None:
        return ItemOutcome(facts.id, "pending")
    if single.status != "ok":
        return ItemOutcome(facts.id, single.status, reason=single.reason)
    return ItemOutcome(
        facts.id,
        "ok",
        verdict=single.verdict,
        score=single.score,
        probabilities=single.probabilities,
        method=single.method,
        grades=grades_of(single),
        backing=None if single.panel_votes is None else single.panel_votes[0],
        votes=None if single.panel_votes is None else single.panel_votes[1],
    )


def judge_rows_by_item(rows: Iterable[Judgment]) -> dict[str, dict[str, Judgment]]:
    """Each item's judge rows by call; a later row of a call (a retry) replaces an earlier one."""
    by_item: dict[str, dict[str, Judgment]] = defaultdict(dict)
    for row in rows:
        if row.role == "judge":
            by_item[row.item_id][row.call] = row
    return by_item


def stored_outcomes(
    config: EvalConfig, facts: Sequence[ItemFacts], by_item: Mapping[str, Mapping[str, Judgment]]
) -> list[ItemOutcome]:
    """Each item's outcome, read with the run's own settings (order rule, adaptive threshold and audit)."""
    adaptive = adaptive_rule(config.positions, config.swap_below, config.swap_audit, config.seed)
    return [item_outcome(fact, by_item.get(fact.id, {}), config.order_disagreement, adaptive) for fact in facts]
