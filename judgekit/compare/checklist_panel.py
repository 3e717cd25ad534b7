"""A panel of judges on checklist items: a vote per criterion (`--panel-rule majority|unanimous`).

Each judge's verdict on a criterion (met / not met) is a vote; a judge whose item failed or is not
judged yet, or that gave that criterion no readable verdict, does not vote on it. A criterion needs
`quorum` votes; under `majority` it is met (or not met) when more than half of its votes say so,
under `unanimous` when every vote does; otherwise it has no panel verdict. Each panel verdict keeps
how many of its votes stood behind it (`ItemOutcome.criterion_votes`): the item's confidence is the
mean share over its criteria (`metrics.confidence.checklist_vote_share`, source "panel votes"). The item's score comes
from the panel's verdicts as from one judge's (`metrics.checklist`), fail-closed: a criterion
without a panel verdict leaves its item unscored (or failed / pending when a judge's call failed or
is missing, so running the command again can complete it). Under `mean` (the pointwise default)
a panel averages the judges' item scores instead and gives no per-criterion verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from judgekit.metrics.checklist import CriterionVerdicts, item_score, verdicts_of
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.schema import Judgment

VOTING_RULES = ("majority", "unanimous")


def rows_by_item(rows: Sequence[Judgment]) -> dict[str, dict[str, Judgment]]:
    """The latest judge row per item and call (later rows replace earlier ones)."""
    found: dict[str, dict[str, Judgment]] = {}
    for row in rows:
        if row.role == "judge":
            found.setdefault(row.item_id, {})[row.call] = row
    return found


def vote_checklist(fact: ItemFacts, members: Sequence[Mapping[str, Judgment]], rule: str, quorum: int) -> ItemOutcome:
    """The panel's outcome of one checklist item from each judge's rows for it."""
    assert fact.rubric_items is not None
    found = [verdicts_of(fact.rubric_items, rows) for rows in members]
    panel: list[float | None] = []
    backing: list[tuple[int, int] | None] = []  # per criterion: (votes for the panel's verdict, votes)
    short = ""
    fewest = len(members)
    for index in range(len(fact.rubric_items)):
        votes = [item.verdicts[index] for item in found if _voted(item, index)]
        fewest = min(fewest, len(votes))
        if len(votes) < quorum:
            short = (
                short
                or f"criterion {index + 1}: {len(votes)} of {len(members)} judges gave a verdict (quorum {quorum})"
            )
        verdict = _decide([float(vote) for vote in votes if vote is not None], rule) if len(votes) >= quorum else None
        panel.append(verdict)
        backing.append(None if verdict is None else (sum(vote == verdict for vote in votes), len(votes)))
    if all(verdict is not None for verdict in panel):
        score = item_score(fact.rubric_items, CriterionVerdicts("ok", panel))
        return ItemOutcome(fact.id, "ok", score=score, votes=fewest, criteria=panel, criterion_votes=backing)
    statuses = {item.status for item in found}
    status = "error" if short and "error" in statuses else "pending" if short and "pending" in statuses else "unscored"
    missing = sum(verdict is None for verdict in panel)
    reason = short or f"{missing} criteria without a panel {rule} verdict"
    return ItemOutcome(fact.id, status, reason=reason, votes=fewest, criteria=panel, criterion_votes=backing)


def _voted(item: CriterionVerdicts, index: int) -> bool:
    return item.status in ("ok", "unscored") and index < len(item.verdicts) and item.verdicts[index] is not None


def _decide(votes: list[float], rule: str) -> float | None:
    met = sum(1 for vote in votes if vote == 1.0)
    if rule == "unanimous":
        return 1.0 if met == len(votes) else 0.0 if met == 0 else None
    if met * 2 > len(votes):
        return 1.0
    if (len(votes) - met) * 2 > len(votes):
        return 0.0
    return None
