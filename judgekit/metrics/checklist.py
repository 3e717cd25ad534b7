"""Checklist grading: an item's score from its criterion verdicts, and the per-criterion figures.

As HealthBench scores a rubric (Arora et al., 2025; its published grader), an item's score is the
points of the criteria the judge found met over the points possible, where only positive points
count as possible:

    item score = sum(points_i for met criteria i) / sum(points_i for points_i > 0)

A met criterion with negative points (something the answer should not do) takes points away, so
an item's score is at most 1 and may fall below 0. The run's score is the mean item score clipped
to [0, 1]; its bootstrap interval is the interval of the unclipped mean with both ends clipped
(clipping is monotone, so this is the percentile interval of the clipped bootstrap means).

Fail-closed: an item with any criterion the judge gave no valid verdict for is unscored (it is
never scored over the criteria that happened to be read); those criteria it did grade still count
in the per-criterion pass rates. A criterion's pass rate is its share of met verdicts over the
items that graded it, with an exact Clopper-Pearson interval; with human verdicts per criterion
(`human_rubric`) the judge's agreement with them and Cohen's kappa are given per criterion and
pooled over all criteria; the pooled agreement's interval counts the criteria of one item as one
cluster (Korn-Graubard, see `criterion_humans`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from judgekit.inputs.checklists import ALL_CALL, call_name
from judgekit.schema import Judgment, RubricItem
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats.clustered import clustered_proportion
from judgekit.stats.intervals import Estimate, mean_estimate, paired_estimate
from judgekit.stats.proportions import proportion_estimate
from judgekit.summary import ChecklistMetrics, CriterionHumans, CriterionMetrics

if TYPE_CHECKING:
    from judgekit.metrics.items import ItemFacts, ItemOutcome


def checklist_score(points: Sequence[float], met: Sequence[bool]) -> float:
    """Points earned over positive points possible (at most 1; below 0 when penalties outweigh)."""
    possible = sum(value for value in points if value > 0)
    if possible <= 0:
        raise ValueError("a checklist needs at least one criterion with positive points")
    earned = sum(value for value, was_met in zip(points, met, strict=True) if was_met)
    return earned / possible


def clipped(estimate: Estimate | None) -> Estimate | None:
    """The run's score: a mean of item scores, and its interval's ends, clipped to [0, 1]."""
    if estimate is None:
        return None

    def clip(value: float | None) -> float | None:
        return None if value is None else min(1.0, max(0.0, value))

    # Validated anew, so an interval clipped to zero width is dropped with its reason.
    values = {"value": clip(estimate.value), "low": clip(estimate.low), "high": clip(estimate.high)}
    return Estimate.model_validate({**estimate.model_dump(), **values})


@dataclass
class CriterionVerdicts:
    """What one item's rows say about each of its criteria."""

    status: str
    """ok (every criterion graded), unscored, error or pending."""
    verdicts: list[float | None] = field(default_factory=list)
    """1.0 met, 0.0 not met, None no valid verdict (for as many criteria as the rows answered)."""
    reason: str | None = None


def verdicts_of(rubric: Sequence[RubricItem], rows: Mapping[str, Judgment]) -> CriterionVerdicts:
    """Each criterion's verdict from an item's judge rows (one per criterion, or one for all)."""
    whole = rows.get(ALL_CALL)
    if whole is not None:
        if whole.status == "error":
            return CriterionVerdicts("error", reason=whole.reason)
        return _settled(rubric, list(whole.criteria or (None,) * len(rubric)), whole.reason)
    verdicts: list[float | None] = []
    reasons: list[str] = []
    for number in range(1, len(rubric) + 1):
        row = rows.get(call_name(number))
        if row is None:
            return CriterionVerdicts("pending")
        if row.status == "error":
            return CriterionVerdicts("error", reason=row.reason)
        verdicts.append(row.score if row.status == "ok" else None)
        if row.status != "ok":
            reasons.append(f"criterion {number}: {row.reason or 'no verdict'}")
    return _settled(rubric, verdicts, reasons[0] if reasons else None)


def _settled(rubric: Sequence[RubricItem], verdicts: list[float | None], reason: str | None) -> CriterionVerdicts:
    missing = sum(verdict is None for verdict in verdicts)
    if missing:
        why = f"{missing} of {len(rubric)} criteria unscored ({reason})" if reason else f"{missing} criteria unscored"
        return CriterionVerdicts("unscored", verdicts, why)
    return CriterionVerdicts("ok", verdicts)


def checklist_outcome(
    rubric: Sequence[RubricItem], rows: Mapping[str, Judgment]
) -> tuple[str, float | None, str | None]:
    """An item's (status, score, reason) from its judge rows (see the module docstring)."""
    found = verdicts_of(rubric, rows)
    return found.status, item_score(rubric, found), found.reason


def checklist_section(
    calls: str,
    facts: Sequence[ItemFacts],
    by_item: Mapping[str, Mapping[str, Judgment]],
    outcomes: Sequence[ItemOutcome],
    options: Mapping[str, int],
) -> ChecklistMetrics:
    """The summary's checklist section of a run's items and judge rows."""
    from judgekit.metrics.checklist_confidence import checklist_calibration

    graded = [(fact.rubric_items, fact) for fact in facts if fact.rubric_items is not None]
    section = checklist_metrics(
        calls,
        [rubric for rubric, _ in graded],
        [fact.human_rubric for _, fact in graded],
        [verdicts_of(rubric, by_item.get(fact.id, {})) for rubric, fact in graded],
        [outcome.score for outcome in outcomes if outcome.score is not None],
        options,
    )
    section.calibration = checklist_calibration(facts, by_item)
    return section


def item_score(rubric: Sequence[RubricItem], found: CriterionVerdicts) -> float | None:
    """The item's checklist score, or None unless every criterion was graded (fail-closed)."""
    if found.status != "ok":
        return None
    return checklist_score([item.points for item in rubric], [verdict == 1.0 for verdict in found.verdicts])


@dataclass
class _Tally:
    points: set[float] = field(default_factory=set)
    items: int = 0
    judge: list[bool] = field(default_factory=list)
    unscored: int = 0


def checklist_metrics(
    calls: str,
    rubrics: Sequence[tuple[RubricItem, ...]],
    humans: Sequence[tuple[bool | None, ...] | None],
    found: Sequence[CriterionVerdicts],
    scores: Sequence[float],
    options: Mapping[str, int],
) -> ChecklistMetrics:
    """The summary's checklist section from every item's criteria, human verdicts and judge verdicts."""
    tallies: dict[str, _Tally] = {}
    for rubric, item in zip(rubrics, found, strict=True):
        for index, criterion in enumerate(rubric):
            tally = tallies.setdefault(criterion.name, _Tally())
            tally.points.add(criterion.points)
            tally.items += 1
            if item.status in ("error", "pending") or index >= len(item.verdicts):
                continue
            verdict = item.verdicts[index]
            if verdict is None:
                tally.unscored += 1
                continue
            tally.judge.append(verdict == 1.0)
    paired = human_pairs(rubrics, humans, found)
    criteria = [_criterion(name, tally, paired.get(name, []), options) for name, tally in tallies.items()]
    pooled = [(item, judge, human) for pairs in paired.values() for item, _, judge, human in pairs]
    any_human = any(human is not None for human in humans)
    mean = mean_estimate(list(scores), resamples=options["resamples"], seed=options["seed"])
    return ChecklistMetrics(
        calls=calls,
        score=clipped(mean),
        mean_item_score=mean,
        by_tag=_by_tag(rubrics, found, options),
        criteria=criteria,
        unscored_criteria=sum(tally.unscored for tally in tallies.values()),
        human=criterion_humans(pooled, options) if any_human else None,
    )


def _by_tag(
    rubrics: Sequence[tuple[RubricItem, ...]], found: Sequence[CriterionVerdicts], options: Mapping[str, int]
) -> dict[str, Estimate]:
    """Each tag's score: per scored item, its tagged criteria scored alone; the mean clipped to [0, 1]."""
    scores: dict[str, list[float]] = {}
    for rubric, item in zip(rubrics, found, strict=True):
        if item.status != "ok":
            continue
        for tag in sorted({tag for criterion in rubric for tag in criterion.tags}):
            tagged = [(c.points, v == 1.0) for c, v in zip(rubric, item.verdicts, strict=True) if tag in c.tags]
            if any(points > 0 for points, _ in tagged):
                points, met = zip(*tagged, strict=True)
                scores.setdefault(tag, []).append(checklist_score(points, met))
    estimates = {
        tag: clipped(mean_estimate(values, resamples=options["resamples"], seed=options["seed"]))
        for tag, values in sorted(scores.items())
    }
    return {tag: estimate for tag, estimate in estimates.items() if estimate is not None}


def _criterion(
    name: str, tally: _Tally, pairs: Sequence[tuple[int, int, bool, bool]], options: Mapping[str, int]
) -> CriterionMetrics:
    met = sum(tally.judge)
    return CriterionMetrics(
        name=name,
        points=next(iter(tally.points)) if len(tally.points) == 1 else None,
        items=tally.items,
        graded=len(tally.judge),
        unscored=tally.unscored,
        met=met,
        pass_rate=proportion_estimate(met, len(tally.judge)),
        human=criterion_humans([(item, judge, human) for item, _, judge, human in pairs], options) if pairs else None,
    )


def human_pairs(
    rubrics: Sequence[tuple[RubricItem, ...]],
    humans: Sequence[tuple[bool | None, ...] | None],
    found: Sequence[CriterionVerdicts],
) -> dict[str, list[tuple[int, int, bool, bool]]]:
    """Every criterion both the judge and the human decided, as (item position, criterion position,
    judge met, human met), grouped by criterion name in the order the names first appear: what the
    agreement with the humans counts, per criterion and pooled (in this order). A failed or pending
    item decides nothing; an unscored one still counts the criteria it graded."""
    paired: dict[str, list[tuple[int, int, bool, bool]]] = {}
    for position, (rubric, human, item) in enumerate(zip(rubrics, humans, found, strict=True)):
        for index, criterion in enumerate(rubric):
            paired.setdefault(criterion.name, [])
            if item.status in ("error", "pending") or index >= len(item.verdicts) or human is None:
                continue
            verdict, verdict_of_human = item.verdicts[index], human[index] if index < len(human) else None
            if verdict is not None and verdict_of_human is not None:
                paired[criterion.name].append((position, index, verdict == 1.0, bool(verdict_of_human)))
    return {name: pairs for name, pairs in paired.items() if pairs}


def criterion_humans(pairs: Sequence[tuple[Hashable, bool, bool]], options: Mapping[str, int]) -> CriterionHumans:
    """The agreement and Cohen's kappa of (item, judge met, human met) pairs, as a run's summary gives them.

    Pairs of one item share an answer and a judge call, so both intervals treat an item as one cluster:
    the agreement's is Korn and Graubard's for clustered data (`stats.clustered`), the kappa's a
    bootstrap that resamples whole items (its n the items). Pooled over many criteria per item they are
    wider than counting every pair as independent; with one pair per item (a single criterion's
    figures) they are the plain Clopper-Pearson interval and the bootstrap over the pairs."""
    tables: dict[Hashable, np.ndarray] = {}
    for item, judge_met, human_met in pairs:  # per item: counts of (judge, human) = (N,N) (N,M) (M,N) (M,M)
        tables.setdefault(item, np.zeros(4))[2 * judge_met + human_met] += 1
    counts = np.array(list(tables.values())).reshape(-1, 4)
    return CriterionHumans(
        n=len(pairs),
        agreement=clustered_proportion(
            [int(row[0] + row[3]) for row in counts], [int(row.sum()) for row in counts], cluster="item"
        ),
        kappa=paired_estimate(
            pairwise_stats.kappa_of_tables, [counts], resamples=options["resamples"], seed=options["seed"], unit="items"
        )
        if pairs
        else None,
    )
