"""Data and a judge for the checklist tests.

Every criterion reads "Mentions WORD." and the judge (a fake OpenAI server's responder) finds it
met when the answer holds WORD. A criterion "Mentions SKIP..." gets no verdict: the per-criterion
template gets an answer without one, the all-in-one template a reply that leaves its line out.
"""

from __future__ import annotations

import re
from typing import Any

from judgekit.inputs.checklists import ALL_CALL
from judgekit.metrics.items import ItemFacts, item_outcome
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Item, Judgment, Message, RubricItem

FRUIT = [
    {"name": "apples", "criterion": "Mentions apples.", "points": 5},
    {"name": "pears", "criterion": "Mentions pears.", "points": 3},
    {"name": "poison", "criterion": "Mentions poison.", "points": -8},
]
PANTRY = [
    {"name": "figs", "criterion": "Mentions figs.", "points": 2},
    {"name": "dates", "criterion": "Mentions dates.", "points": 2},
    {"name": "mold", "criterion": "Mentions mold.", "points": -1},
]

ROWS: list[dict[str, Any]] = [
    {"id": "a", "question": "What should I buy?", "answer": "Buy apples and pears.", "rubric_items": FRUIT},
    {"id": "b", "question": "What should I buy?", "answer": "Buy apples and poison.", "rubric_items": FRUIT},
    {"id": "c", "question": "What should I buy?", "answer": "Only pears.", "rubric_items": FRUIT},
    {"id": "d", "question": "What is in the pantry?", "answer": "Figs and some mold.", "rubric_items": PANTRY},
]
SCORES = {
    "a": (5 + 3) / 8,  # every positive criterion met
    "b": -3 / 8,  # (5 - 8) / 8: penalties outweigh what was met (only the run's mean is clipped)
    "c": 3 / 8,
    "d": (2 - 1) / 4,
}
"""Each item's score worked by hand: points met over the positive points possible."""
MET = {"apples": (2, 3), "pears": (2, 3), "poison": (1, 3), "figs": (1, 1), "dates": (0, 1), "mold": (1, 1)}
"""Per criterion: (met, graded), by hand from ROWS."""

_CRITERION = re.compile(r"\[Start of Criterion\]\s*(.*?)\s*\[End of Criterion\]", re.S)
_ANSWER = re.compile(r"\[Start of Answer\]\s*(.*?)\s*\[End of Answer\]", re.S)
_LISTED = re.compile(r"^(\d+)\. \(-?[\d.]+ points\) Mentions (\w+)", re.M)


def _word(criterion: str) -> str:
    return criterion.strip().rstrip(".").split()[-1].lower()


def checklist_responder(request: Any) -> str:
    """Decide each criterion by whether the answer mentions its word (see the module docstring)."""
    prompt = request.prompt
    answer_match = _ANSWER.search(prompt)
    answer = answer_match.group(1).lower() if answer_match else ""
    one = _CRITERION.search(prompt)
    if one is not None:
        word = _word(one.group(1))
        if word.startswith("skip"):
            return "I cannot decide on this one."
        return "Checked.\nVerdict: [[MET]]" if word in answer else "Checked.\nVerdict: [[NOT MET]]"
    lines = ["Going through the criteria."]
    for number, word in _LISTED.findall(prompt):
        if word.lower().startswith("skip"):
            continue
        verdict = "MET" if word.lower() in answer else "NOT MET"
        lines.append(f"It {'does' if verdict == 'MET' else 'does not'} mention it.\nCriterion {number}: [[{verdict}]]")
    return "\n".join(lines)


def lazy_responder(request: Any) -> str:
    """openai/judge answers as `checklist_responder`; openai/lazy too, but reads no verdict on poison
    (its third criterion's line is left out) and never finds figs (criterion 1 not met)."""
    text = checklist_responder(request)
    if request.model != "lazy":
        return text
    lines = text.replace("Criterion 1: [[MET]]", "Criterion 1: [[NOT MET]]") if "figs" in request.prompt else text
    poison = "Mentions poison" in request.prompt
    return "\n".join(line for line in lines.split("\n") if not (poison and line.startswith("Criterion 3:")))


def rubric_fact(item_id: str, human: tuple[bool | None, ...] | None, criteria: int = 3) -> ItemFacts:
    """A checklist item of `criteria` criteria c0, c1, ... and the human's verdicts on them."""
    rubric = tuple(RubricItem(name=f"c{k}", criterion=f"Mentions c{k}.", points=1) for k in range(criteria))
    item = Item(id=item_id, line=1, turns=(Message(role="user", content="Q"),), answer="A", rubric_items=rubric)
    fact = ItemFacts.of(item)
    fact.human_rubric = human
    return fact


def judged_set(name: str, facts: list[ItemFacts], verdicts: dict[str, tuple[float | None, ...]]) -> JudgedSet:
    """A judge's set of `rubric_fact` items: one call grading every criterion per item (None: no verdict read)."""
    rows = []
    for fact in facts:
        found = verdicts[fact.id]
        status = "ok" if all(verdict is not None for verdict in found) else "unscored"
        rows.append(
            Judgment(item_id=fact.id, call=ALL_CALL, judge=name, request_hash=fact.id, status=status, criteria=found)
        )
    by_item = {row.item_id: {ALL_CALL: row} for row in rows}
    outcomes = [item_outcome(fact, by_item[fact.id]) for fact in facts]
    return JudgedSet(name=name, kind="pointwise", facts=facts, outcomes=outcomes, rows=rows, judge=name)
