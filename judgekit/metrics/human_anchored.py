"""Human-anchored estimates: the judge's verdicts on every item, corrected by human labels on a few.

When some items carry a human label (pairwise) or score (pointwise) and the judge scored the
items, the summary reports side by side the judge-only value, the human-only value on the
labelled items and the PPI++ estimate (see `judgekit.stats.ppi`), overall and per category.

PPI is unbiased only if the labelled items are a random sample of the scored items. judgekit
cannot prove that; it assumes it, and refuses (exit 2) when the labelled set is obviously
selected: every labelled item in one category when the data has several, or the labelled items
being exactly the first (or last) rows, in each case only when a random sample would do that
with a probability under 1%. `labels_are_random` (`--labels-are-random`) overrides the check.
A sample drawn per stratum by `judgekit labels plan --stratify` carries each row's stratum in a
`label_stratum` column, and the estimate is then weighted by stratum (no check is needed).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from judgekit.errors import UsageError
from judgekit.inputs.labels import STRATUM_COLUMN
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.schema import Item
from judgekit.stats.agreement import OUTCOME_VALUE
from judgekit.stats.intervals import Estimate
from judgekit.stats.ppi import MIN_LABELLED, Anchored, MeanEstimate, anchor
from judgekit.summary import AnchoredEstimate, HumanAnchored

SELECTION_P = 0.01
"""Below this chance under random sampling, a pattern in the labelled set counts as selection."""
FEW_LABELS = 30
NO_CATEGORY = "(none)"


def human_anchored(
    facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome], *, labels_are_random: bool = False
) -> HumanAnchored | None:
    """The anchored estimates of a run; None unless some, but not all, scored items carry a human reference.

    With an obviously selected labelled set (and not `labels_are_random`) the result carries
    only `refused`, the one-line reason; `refuse_if_selected` turns that into a usage error
    where the estimates would be shown (`eval`, `report`, `agreement`).
    """
    pairwise = bool(facts) and facts[0].kind == "pairwise"
    judge: list[float] = []
    human: list[float] = []
    kept: list[ItemFacts] = []
    labelled_unscored = 0
    for fact, outcome in zip(facts, outcomes, strict=True):
        reference = _human_value(fact, pairwise)
        value = _judge_value(outcome, pairwise)
        if value is None:
            labelled_unscored += reference is not None
            continue
        judge.append(value)
        human.append(math.nan if reference is None else reference)
        kept.append(fact)
    labelled = sum(1 for value in human if not math.isnan(value))
    if labelled == 0 or labelled == len(kept):
        return None  # nothing to anchor, or nothing left to estimate: the humans' own figures say it all
    f, y = np.asarray(judge), np.asarray(human)
    strata = _strata(kept)
    result = HumanAnchored(
        metric=_metric_name(pairwise, f, y),
        items=len(kept),
        labelled=labelled,
        labelled_unscored=labelled_unscored,
        sample="stratified" if strata is not None else "asserted" if labels_are_random else "checked",
        stratified_by=STRATUM_COLUMN if strata is not None else None,
    )
    if strata is None and not labels_are_random:
        result.refused = selection_problem(kept, np.isfinite(y))
        if result.refused:
            return result
    rate = pairwise or result.metric == "pass rate"
    result.overall = _estimate(f, y, strata, rate)
    result.by_category, skipped = _by_category(kept, f, y, strata, rate)
    result.notes = _notes(result, strata)
    if skipped:
        result.notes.append(
            f"{skipped} categories have fewer than {MIN_LABELLED} labelled items (in some stratum): no corrected "
            "estimate for them"
        )
    return result


def refuse_selected_labels(items: Iterable[Item], *, labels_are_random: bool) -> None:
    """Before any call: refuse (exit 2) a labelled subset that is obviously not a random sample,
    so no judging is paid for first. The estimate checks again on the items the judge scored."""
    if labels_are_random:
        return
    facts = [ItemFacts.of(item) for item in items]
    if not facts or _strata(facts) is not None:
        return
    pairwise = facts[0].kind == "pairwise"
    labelled = np.array([_human_value(fact, pairwise) is not None for fact in facts])
    problem = selection_problem(facts, labelled)
    if problem:
        raise UsageError(problem)


def refuse_if_selected(anchored: HumanAnchored | None) -> None:
    """Raise the usage error (exit 2) that a refused estimate stands for."""
    if anchored is not None and anchored.refused:
        raise UsageError(anchored.refused)


def _human_value(fact: ItemFacts, pairwise: bool) -> float | None:
    if pairwise:
        return None if fact.human_label is None else OUTCOME_VALUE[fact.human_label]
    return fact.human_score


def _judge_value(outcome: ItemOutcome, pairwise: bool) -> float | None:
    if outcome.status != "ok":
        return None
    if pairwise:
        return None if outcome.verdict is None else OUTCOME_VALUE[outcome.verdict]
    return outcome.score


def _metric_name(pairwise: bool, judge: np.ndarray, human: np.ndarray) -> str:
    if pairwise:
        return "win rate of A"
    labels = human[np.isfinite(human)]
    if np.all((judge >= 0) & (judge <= 1)) and np.all((labels == 0) | (labels == 1)):
        return "pass rate"  # pass/fail verdicts (1/0), or probabilities of passing
    return "mean score"


def _strata(facts: Sequence[ItemFacts]) -> np.ndarray | None:
    """Each item's stratum from the plan's column, or None when no item carries one."""
    names = [fact.metadata.get(STRATUM_COLUMN) for fact in facts]
    if all(name is None or name == "" for name in names):
        return None
    return np.asarray([NO_CATEGORY if name is None or name == "" else str(name) for name in names])


def selection_problem(facts: Sequence[ItemFacts], labelled: np.ndarray) -> str | None:
    """One line saying why the labelled items cannot be a random sample, or None."""
    total, count = len(facts), int(labelled.sum())
    if count < 2 or count >= total:
        return None
    advice = (
        "PPI needs human labels on a random sample of the items: draw one with `judgekit labels plan`, "
        "or pass --labels-are-random if these were drawn at random"
    )
    categories = Counter(fact.category or NO_CATEGORY for fact in facts)
    chosen = {fact.category or NO_CATEGORY for fact, flag in zip(facts, labelled, strict=True) if flag}
    if len(categories) > 1 and len(chosen) == 1:
        (only,) = chosen
        chance = sum(math.exp(_log_choose(size, count) - _log_choose(total, count)) for size in categories.values())
        if chance < SELECTION_P:
            return (
                f"all {count} labelled items are in category '{only}' of {len(categories)} categories "
                f"(a random sample does that with probability {chance:.1g}); {advice}"
            )
    positions = np.flatnonzero(labelled)
    contiguous = positions[-1] - positions[0] + 1 == count
    if contiguous and (positions[0] == 0 or positions[-1] == total - 1):
        chance = min(1.0, 2 * math.exp(-_log_choose(total, count)))
        if chance < SELECTION_P:
            where = "first" if positions[0] == 0 else "last"
            return (
                f"the {count} labelled items are exactly the {where} {count} of the {total} scored items "
                f"(a random sample does that with probability {chance:.1g}); {advice}"
            )
    return None


def _log_choose(n: int, k: int) -> float:
    if k > n:
        return -math.inf
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _estimate(f: np.ndarray, y: np.ndarray, strata: np.ndarray | None, rate: bool) -> AnchoredEstimate | None:
    found = anchor(f, y, strata)
    return None if found is None else _model(found, rate)


def _model(found: Anchored, rate: bool) -> AnchoredEstimate:
    return AnchoredEstimate(
        judge_only=_interval(found.judge_only, rate),
        human_only=_interval(found.human_only, rate),
        corrected=_interval(found.corrected, rate),
        effective_labels=found.effective_labels,
        lambdas=found.lambdas,
        labelled=found.labelled,
        items=found.labelled + found.unlabelled,
    )


def _interval(estimate: MeanEstimate, rate: bool) -> Estimate:
    low, high = estimate.low, estimate.high
    if rate:  # a rate cannot leave [0, 1]; cutting the normal interval there loses no coverage
        low, high = max(0.0, low), min(1.0, high)
    return Estimate(value=estimate.value, low=low, high=high, n=estimate.n)


def _by_category(
    facts: Sequence[ItemFacts], f: np.ndarray, y: np.ndarray, strata: np.ndarray | None, rate: bool
) -> tuple[dict[str, AnchoredEstimate], int]:
    """The estimates per category, and how many categories had too few labels for one."""
    names = np.asarray([fact.category or NO_CATEGORY for fact in facts])
    if np.all(names == NO_CATEGORY):
        return {}, 0
    found: dict[str, AnchoredEstimate] = {}
    skipped = 0
    for name in sorted(set(names.tolist())):
        members = names == name
        estimate = _estimate(f[members], y[members], None if strata is None else strata[members], rate)
        if estimate is None:
            skipped += 1
        else:
            found[name] = estimate
    return found, skipped


def _notes(result: HumanAnchored, strata: np.ndarray | None) -> list[str]:
    notes = []
    if result.overall is None:
        where = "in every stratum" if strata is not None else ""
        notes.append(f"no corrected estimate: it needs at least {MIN_LABELLED} labelled items {where}".strip())
    elif result.labelled < FEW_LABELS:
        notes.append(f"only {result.labelled} labelled items: the normal 95% intervals are rough")
    if result.labelled_unscored:
        notes.append(f"{result.labelled_unscored} labelled items have no judge verdict and are left out")
    return notes
