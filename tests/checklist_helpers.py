"""Data and a judge for the checklist tests.

Every criterion reads "Mentions WORD." and the judge (a fake OpenAI server's responder) finds it
met when the answer holds WORD. A criterion "Mentions SKIP..." gets no verdict: the per-criterion
template gets an answer without one, the all-in-one template a reply that leaves its line out.
"""

from __future__ import annotations

import re
from typing import Any

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
