"""A comparison row's figures on checklist data with a human's verdict per criterion (`human_rubric`).

The statistic is the run summary's own (`metrics.checklist`), not a second version of it: every
(item, criterion) the row and the human both decided is one pair; the row's agreement is the share
of pairs where its met / not met equals the human's (Korn-Graubard interval, clustered by item), Cohen's kappa
beside it, pooled over every criterion, and its n is the number of pairs. A criterion the human left
blank, an item without human verdicts and a criterion the judge gave no verdict are no pair; an
unscored item still counts the criteria it graded, a failed or unjudged one counts none.

A panel voting per criterion is read from the rows its own run stores (`compare.panel_run`), so its
figures and its per-criterion calibration (the votes behind each verdict against the human's,
`metrics.checklist_confidence`) equal that run's summary.json. A panel averaging its judges' item
scores has no verdict per criterion: it has none of these figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from judgekit.compare.panel_run import panel_row
from judgekit.inputs.checklists import ALL_CALL
from judgekit.metrics.checklist import criterion_humans, human_pairs, verdicts_of
from judgekit.metrics.checklist_confidence import checklist_calibration
from judgekit.metrics.items import ItemFacts, judge_rows_by_item
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Judgment, RubricItem
from judgekit.summary import CriterionHumans, JudgeCalibration

CHECKLIST_METRICS = ("criterion_agreement", "criterion_kappa")
"""Ranking metrics of checklist data: the pooled agreement and kappa with the human verdicts."""

Pairs = dict[tuple[str, int], tuple[bool, bool]]
"""(item id, criterion position) -> (the row's verdict met, the human's verdict met)."""


@dataclass
class ChecklistHumans:
    humans: CriterionHumans
    """Pooled over every criterion: n pairs, agreement, kappa (as `ChecklistMetrics.human`)."""
    calibration: JudgeCalibration | None
    """A panel voting per criterion: its vote shares against the human verdicts; None otherwise."""


def is_checklist(facts: Sequence[ItemFacts]) -> bool:
    return any(fact.rubric_items is not None for fact in facts)


def has_criterion_humans(facts: Sequence[ItemFacts]) -> bool:
    """Some checklist item carries a human's verdicts per criterion."""
    return any(fact.rubric_items is not None and fact.human_rubric is not None for fact in facts)


def averages_scores(judged: JudgedSet) -> bool:
    """A panel that combined its judges' item scores (rule mean, live or read back from its run
    directory): it has no verdict per criterion."""
    return judged.panel_rule == "mean"


def _rows_by_item(judged: JudgedSet) -> Mapping[str, Mapping[str, Judgment]]:
    if judged.combined_from:  # a panel voting per criterion: the rows its run directory holds
        return {
            outcome.item_id: {ALL_CALL: panel_row(outcome, judged.name)}
            for outcome in judged.outcomes
            if outcome.status != "pending" and outcome.criteria is not None
        }
    return judge_rows_by_item(judged.rows)


def _graded(judged: JudgedSet) -> list[tuple[ItemFacts, tuple[RubricItem, ...]]]:
    return [(fact, fact.rubric_items) for fact in judged.facts if fact.rubric_items is not None]


def keyed_pairs(judged: JudgedSet) -> Pairs | None:
    """Every (item, criterion) the set and the human both decided, in the order the run summary pools
    them; None for a panel that averaged item scores."""
    return None if averages_scores(judged) else _pairs(judged, _rows_by_item(judged))


def _pairs(judged: JudgedSet, by_item: Mapping[str, Mapping[str, Judgment]]) -> Pairs:
    graded = _graded(judged)
    found = [verdicts_of(rubric, by_item.get(fact.id, {})) for fact, rubric in graded]
    paired = human_pairs([rubric for _, rubric in graded], [fact.human_rubric for fact, _ in graded], found)
    return {
        (graded[item][0].id, criterion): (judge, human)
        for pairs in paired.values()
        for item, criterion, judge, human in pairs
    }


def item_tables(first: Pairs, second: Pairs) -> tuple[np.ndarray, np.ndarray]:
    """Per item, the 2 x 2 table (row: the row's verdict, column: the human's; not met first) of the
    pairs both `first` and `second` decided, flattened to 4 counts: one row per shared item, in the
    order the items first appear, for a bootstrap that resamples whole items."""
    shared = [key for key in first if key in second]
    rows = {item: number for number, item in enumerate(dict.fromkeys(item for item, _ in shared))}
    tables = np.zeros((2, len(rows), 4))
    for key in shared:
        for side, pairs in enumerate((first, second)):
            judge, human = pairs[key]
            tables[side, rows[key[0]], 2 * judge + human] += 1
    return tables[0], tables[1]


def table_agreement(tables: np.ndarray) -> float:
    """The pooled agreement of per-item tables (`item_tables`): the pairs on the diagonal over all."""
    total = tables.sum(axis=0)
    return float((total[0] + total[3]) / total.sum())


def checklist_humans(judged: JudgedSet, options: Mapping[str, int]) -> ChecklistHumans | None:
    """The set's pooled agreement with the human verdicts (and a voting panel's calibration); None when
    the data holds no human verdict per criterion or the set is a panel that averaged item scores."""
    if not has_criterion_humans(judged.facts) or averages_scores(judged):
        return None
    by_item = _rows_by_item(judged)
    pooled = [(item, judge, human) for (item, _), (judge, human) in _pairs(judged, by_item).items()]
    return ChecklistHumans(criterion_humans(pooled, options), checklist_calibration(judged.facts, by_item))


def checklist_warnings(sets: Sequence[JudgedSet], agreement_found: bool, human_found: bool) -> list[str] | None:
    """What keeps checklist rows from being measured against the humans, a line each; None for data
    without checklists. `agreement_found`: some row has an agreement per criterion; `human_found`: some
    row has any human reference at all."""
    facts = sets[0].facts
    if not is_checklist(facts):
        return None
    if not has_criterion_humans(facts):
        if human_found:  # human scores per item: the rows' correlations stand
            return []
        return [
            "no checklist item has human verdicts per criterion (human_rubric) or a human score: "
            "agreement with the humans cannot be computed"
        ]
    warnings = [
        f"{judged.name}: averages its judges' item scores, so it has no verdict per criterion to set "
        "against the human verdicts (pass --panel-rule majority or unanimous)"
        for judged in sets
        if averages_scores(judged)
    ]
    if not agreement_found and not all(averages_scores(judged) for judged in sets):
        warnings.append(
            "no criterion has both a verdict and a human verdict (human_rubric): the checklist's "
            "agreement with the humans cannot be computed"
        )
    return warnings
