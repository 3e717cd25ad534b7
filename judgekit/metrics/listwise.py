"""Listwise (best-of-N) outcomes: one pick per item from its calls, then pick rates per model.

An item judged once (positions random or fixed) takes that call's pick. Under --positions swap
it has one call per rotation; the item's pick is the answer picked by the most rotations, and
a tie for most picks leaves it unscored ("rotations split"), as does any rotation that could
not be read (its verdict is unknown, so the count is too). A failed call makes the item failed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from judgekit.inputs.listwise import name_of
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.schema import Judgment
from judgekit.stats.picks import ListwiseMetrics, candidate_picks
from judgekit.stats.proportions import proportion_estimate

COMBINE = "the answer most rotations picked; a tie between answers leaves the item unscored"


def listwise_outcome(facts: ItemFacts, rows: Mapping[str, Judgment]) -> ItemOutcome:
    """The item's pick from its judge rows (keyed by call: "single", or "R1".."RN" under swap)."""
    rotations = [rows[call] for call in sorted(rows) if call.startswith("R")]
    wanted = facts.answers if rotations else 1
    calls = rotations or ([rows["single"]] if "single" in rows else [])
    if len(calls) < wanted or not calls:
        return ItemOutcome(facts.id, "pending")
    for status in ("error", "unscored"):
        bad = next((row for row in calls if row.status == status), None)
        if bad is not None:
            return ItemOutcome(facts.id, status, reason=bad.reason)
    tally = Counter(row.pick for row in calls)
    (best, most), *rest = tally.most_common()
    if rest and rest[0][1] == most:
        return ItemOutcome(facts.id, "unscored", reason="rotations split between answers", flipped=True)
    if rotations:
        return ItemOutcome(facts.id, "ok", pick=best, flipped=len(tally) > 1)
    voted = calls[0].panel_votes  # a panel's combined row: the votes behind its pick
    return ItemOutcome(
        facts.id,
        "ok",
        pick=best,
        backing=None if voted is None else voted[0],
        votes=None if voted is None else voted[1],
    )


def listwise_metrics(
    facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome], judge_rows: Sequence[Judgment]
) -> ListwiseMetrics:
    """Pick rates per model over scored items, the first-shown rate and rotation agreement."""
    scored = [(fact, outcome) for fact, outcome in zip(facts, outcomes, strict=True) if outcome.pick is not None]
    offered = [[name_of(fact.models, i) for i in range(fact.answers)] for fact, _ in scored]
    picked = [name_of(fact.models, int(outcome.pick or 0)) for fact, outcome in scored]
    read = [row for row in judge_rows if row.pick is not None and row.order]
    first = sum(row.order[0] == row.pick for row in read if row.order)
    chance = sum(1 / len(row.order) for row in read if row.order) / len(read) if read else None
    rotated = [outcome for outcome in outcomes if outcome.flipped is not None]
    agreeing = sum(not outcome.flipped for outcome in rotated)
    return ListwiseMetrics(
        candidates=candidate_picks(offered, picked),
        answers_per_item=sorted({fact.answers for fact in facts}),
        combine=COMBINE if any(row.call.startswith("R") for row in judge_rows) else None,
        p_first=proportion_estimate(float(first), len(read)),
        first_chance=chance,
        rotation_agreement=proportion_estimate(float(agreeing), len(rotated)),
    )
