"""How sure a checklist panel was, criterion by criterion, and how far that can be trusted.

A panel voting per criterion (`compare.checklist_panel`) stores, on its combined row, the votes
behind each criterion's verdict (`Judgment.criterion_votes`). An item's confidence is defined
with every other verdict's in `metrics.confidence` (`checklist_vote_share`); this module reads
the votes back from the row and checks the per-criterion shares against a human's verdict on
each criterion (`human_rubric`): every (item, criterion) the panel and the human both decided is
one entry of the reliability table, right when the two verdicts agree. The entries are the same
ones the checklist's pooled agreement with the humans counts (an unscored item's decided
criteria included), so the table's n equals that agreement's n.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from judgekit.inputs.checklists import ALL_CALL
from judgekit.metrics.calibration import calibration_of
from judgekit.metrics.checklist import human_pairs, verdicts_of
from judgekit.metrics.confidence import panel_vote_share
from judgekit.metrics.items import ItemFacts
from judgekit.schema import Judgment
from judgekit.summary import JudgeCalibration

SOURCE = "panel votes per criterion"
"""How the checklist's calibration names its confidence: a panel's vote share on each criterion."""


def panel_criterion_votes(rows: Mapping[str, Judgment]) -> list[tuple[int, int] | None] | None:
    """The votes behind each criterion's verdict on a checklist panel's combined row; None for any
    other rows (one judge's, or a panel averaging its judges' item scores)."""
    whole = rows.get(ALL_CALL)
    if whole is None or whole.criterion_votes is None:
        return None
    return list(whole.criterion_votes)


def checklist_calibration(
    facts: Sequence[ItemFacts], by_item: Mapping[str, Mapping[str, Judgment]]
) -> JudgeCalibration | None:
    """The reliability table of the panel's per-criterion vote shares against the human verdicts;
    None when no criterion has both (no human verdicts, or no panel voting per criterion). Its
    entries are the pairs the pooled agreement counts (`checklist.human_pairs`) that carry votes."""
    graded = [fact for fact in facts if fact.rubric_items is not None]
    rubrics = [fact.rubric_items or () for fact in graded]
    found = [verdicts_of(rubric, by_item.get(fact.id, {})) for fact, rubric in zip(graded, rubrics, strict=True)]
    confidence: list[float] = []
    correct: list[bool] = []
    for pairs in human_pairs(rubrics, [fact.human_rubric for fact in graded], found).values():
        for position, index, judge_met, human_met in pairs:
            votes = panel_criterion_votes(by_item.get(graded[position].id, {})) or []
            backing = votes[index] if index < len(votes) else None
            share = None if backing is None else panel_vote_share(*backing)
            if share is not None:
                confidence.append(share)
                correct.append(judge_met == human_met)
    if not confidence:
        return None
    return calibration_of(SOURCE, confidence, correct)
