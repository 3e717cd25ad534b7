"""Read the verdicts of a checklist call that grades every criterion at once, fail-closed.

The template's pattern has two groups: the criterion's number, then the choice. The rules
follow `parsing.read_verdict`, per criterion:

1. Every match is found; a match the judge copied from its prompt is dropped.
2. For each criterion number the last match counts. Another match for the same number on the
   same line with a different value makes that criterion's verdict ambiguous.
3. The choice must be one of the allowed choices.

A criterion without a valid verdict is unscored (None); the others keep theirs. Numbers outside
the checklist are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from judgekit.inputs.parsing import _is_quoted, choice_outcome, compile_pattern
from judgekit.schema import VerdictSpec


@dataclass(frozen=True)
class ChecklistReading:
    """The verdict read for each criterion (1.0 met, 0.0 not met, None unscored) and why any is missing."""

    verdicts: tuple[float | None, ...]
    reasons: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return all(verdict is not None for verdict in self.verdicts)

    @property
    def reason(self) -> str | None:
        """One short line for the row: the first problem and how many criteria have none."""
        missing = sum(verdict is None for verdict in self.verdicts)
        if not missing:
            return None
        return f"{missing} of {len(self.verdicts)} criteria without a valid verdict ({self.reasons[0]})"


def read_checklist(text: str, spec: VerdictSpec, count: int, sources: Sequence[str] = ()) -> ChecklistReading:
    """The verdicts of criteria 1..count in one judge answer."""
    regex = compile_pattern(spec.pattern, spec.ignore_case)
    by_number: dict[int, list[re.Match[str]]] = {}
    for match in regex.finditer(text):
        if _is_quoted(text, match, sources):
            continue
        number = _number(match.group(1))
        if number is not None and 1 <= number <= count:
            by_number.setdefault(number, []).append(match)
    verdicts: list[float | None] = []
    reasons: list[str] = []
    for number in range(1, count + 1):
        verdict, reason = _one(text, by_number.get(number, []), spec, number)
        verdicts.append(verdict)
        if reason:
            reasons.append(reason)
    return ChecklistReading(tuple(verdicts), tuple(reasons))


def _one(text: str, matches: list[re.Match[str]], spec: VerdictSpec, number: int) -> tuple[float | None, str | None]:
    if not matches:
        return None, f"criterion {number}: no verdict found"
    last = matches[-1]
    line_start = text.rfind("\n", 0, last.start()) + 1
    value = _key(last.group(2), spec)
    for other in matches[:-1]:
        if other.start() >= line_start and _key(other.group(2), spec) != value:
            return None, f"criterion {number}: ambiguous verdict"
    outcome = choice_outcome(last.group(2) or "", spec)
    if not isinstance(outcome, (int, float)):
        return None, f"criterion {number}: {last.group(2)!r} is not an allowed choice"
    return float(outcome), None


def _key(token: str | None, spec: VerdictSpec) -> str:
    key = (token or "").strip()
    return key.lower() if spec.ignore_case else key


def _number(token: str | None) -> int | None:
    text = (token or "").strip().rstrip(".")
    return int(text) if text.isdigit() else None
