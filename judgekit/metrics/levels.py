"""Judge-human correlation at the level the user asks for: item, group or system.

`--group-by COLUMN` names the unit: with `--level group` (the default once a column is given)
the judge and human scores are correlated within each group and the coefficients averaged, as
G-Eval does per SummEval document; with `--level system` the scores are averaged per group
(per system) and the averages correlated, as AlpacaEval compares systems with Chatbot Arena.
The column is any column of the data (kept as item metadata) or a canonical field such as
`model` or `category`.

Pairwise outcomes enter as numbers (A = 1, tie = 0.5, B = 0 for both judge and human), so a
system-level correlation of pairwise data compares per-system win rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from judgekit.errors import UsageError
from judgekit.metrics import score_agreement
from judgekit.stats import correlation
from judgekit.stats.agreement import OUTCOME_VALUE
from judgekit.summary import HumanCorrelation

if TYPE_CHECKING:
    from judgekit.metrics.items import ItemFacts, ItemOutcome

Level = Literal["item", "group", "system"]
LEVELS: tuple[str, ...] = ("item", "group", "system")
_CANONICAL = ("id", "model", "model_a", "model_b", "category")


def resolve_level(level: str | None, group_by: str | None) -> Level:
    """The level implied by the options: item without a column, group with one unless told otherwise."""
    chosen = level or ("group" if group_by else "item")
    if chosen not in LEVELS:
        raise UsageError(f"--level must be one of {', '.join(LEVELS)}, got {chosen!r}")
    if chosen != "item" and not group_by:
        example = "doc_id" if chosen == "group" else "system_id"
        raise UsageError(f"--level {chosen} needs --group-by COLUMN (e.g. --group-by {example})")
    return chosen  # type: ignore[return-value]


def group_key(fact: ItemFacts, column: str, renamed: Mapping[str, str] | None = None) -> str | None:
    """The item's value in `column`: a metadata column, a canonical field, or a column renamed by --field."""
    if column in fact.metadata and fact.metadata[column] is not None:
        return str(fact.metadata[column])
    canonical = (renamed or {}).get(column, column)
    if canonical in _CANONICAL:
        value = getattr(fact, canonical, None)
        return None if value is None else str(value)
    return None


def groups_of(facts: Sequence[ItemFacts], column: str, renamed: Mapping[str, str] | None = None) -> list[str]:
    """Each item's group, failing with the first item that has none."""
    keys = []
    for fact in facts:
        key = group_key(fact, column, renamed)
        if key is None:
            raise UsageError(f"--group-by {column}: item {fact.id!r} has no value in column '{column}'")
        keys.append(key)
    return keys


def paired_values(facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome]) -> list[tuple[int, float, float]]:
    """(item index, judge value, human value) for items with both, scores or pairwise credit."""
    pairs = []
    for index, (fact, outcome) in enumerate(zip(facts, outcomes, strict=True)):
        if fact.kind == "pairwise":
            if outcome.verdict is not None and fact.human_label is not None:
                pairs.append((index, OUTCOME_VALUE[outcome.verdict], OUTCOME_VALUE[fact.human_label]))
        elif outcome.score is not None and fact.human_score is not None:
            pairs.append((index, float(outcome.score), float(fact.human_score)))
    return pairs


def human_correlation(
    facts: Sequence[ItemFacts],
    outcomes: Sequence[ItemOutcome],
    *,
    level: Level,
    group_by: str | None,
    renamed: Mapping[str, str] | None = None,
    options: Mapping[str, Any],
) -> HumanCorrelation | None:
    """Spearman, Kendall tau-b and Pearson at the requested level; None without human values."""
    pairs = paired_values(facts, outcomes)
    has_human = any((fact.human_label if fact.kind == "pairwise" else fact.human_score) is not None for fact in facts)
    if not has_human:
        return None
    judge = [j for _, j, _ in pairs]
    human = [h for _, _, h in pairs]
    resampling = {"resamples": int(options["resamples"]), "seed": int(options["seed"])}
    if level == "item":
        return _item_level(facts, outcomes, judge, human, resampling)
    assert group_by is not None
    keys = groups_of([facts[index] for index, _, _ in pairs], group_by, renamed)
    if level == "system":
        estimates = {
            method: correlation.system_level(method, judge, human, keys, **resampling) for method in correlation.METHODS
        }
        return HumanCorrelation(
            n=len(pairs),
            spearman=estimates["spearman"],
            kendall=estimates["kendall"],
            pearson=estimates["pearson"],
            level="system",
            group_by=group_by,
            groups=len(set(keys)),
            groups_skipped=0,
            notes=_system_notes(judge, human, keys),
        )
    results = {
        method: correlation.per_group(method, judge, human, keys, **resampling) for method in correlation.METHODS
    }
    used = max(result[1] for result in results.values())
    skipped = len(set(keys)) - used
    return HumanCorrelation(
        n=len(pairs),
        level="group",
        group_by=group_by,
        groups=used,
        groups_skipped=skipped,
        spearman=results["spearman"][0],
        kendall=results["kendall"][0],
        pearson=results["pearson"][0],
    )


def _item_level(
    facts: Sequence[ItemFacts],
    outcomes: Sequence[ItemOutcome],
    judge: list[float],
    human: list[float],
    resampling: Mapping[str, int],
) -> HumanCorrelation:
    """Correlations of all pairs at once; for scores also the agreement figures and the ceiling."""
    item = {method: correlation.item_level(method, judge, human, **resampling) for method in correlation.METHODS}
    notes = score_agreement.correlation_notes(judge, human)
    figures: dict[str, Any] = {}
    ceiling = None
    if facts and facts[0].kind == "pointwise":
        figures, more = score_agreement.score_figures(judge, human, resampling)
        notes += more
        ceiling = score_agreement.ceiling(facts, outcomes, resampling)
    return HumanCorrelation(
        n=len(judge),
        spearman=item["spearman"],
        kendall=item["kendall"],
        pearson=item["pearson"],
        raters=ceiling,
        notes=notes,
        **figures,
    )


def _system_notes(judge: Sequence[float], human: Sequence[float], keys: Sequence[str]) -> list[str]:
    """Why a system-level correlation is undefined: too few systems, or equal means on one side."""
    totals: dict[str, list[float]] = {}
    for j, h, key in zip(judge, human, keys, strict=True):
        entry = totals.setdefault(key, [0.0, 0.0, 0.0])
        entry[0], entry[1], entry[2] = entry[0] + j, entry[1] + h, entry[2] + 1
    return score_agreement.correlation_notes(
        [entry[0] / entry[2] for entry in totals.values()],
        [entry[1] / entry[2] for entry in totals.values()],
        unit="system",
    )
