"""Are these judged sets about the same data? Comparisons are only made on matched items.

Sets are matched by item id (their order may differ); a different item set, different texts
under one id (compared by fingerprint), or different human labels is refused with one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from judgekit.errors import InputError, UsageError
from judgekit.metrics.items import ItemFacts
from judgekit.metrics.outcomes import ColumnSpec, JudgedSet, from_columns, from_run_dir


def check_same_items(sets: Sequence[JudgedSet]) -> None:
    """Sets compared side by side must cover the same item ids."""
    if not sets:
        return
    reference = [fact.id for fact in sets[0].facts]
    for other in sets[1:]:
        if [fact.id for fact in other.facts] != reference:
            raise UsageError(
                f"{other.name} and {sets[0].name} were run on different items; compare runs of one dataset"
            )


def check_same_data(sets: Sequence[JudgedSet]) -> list[JudgedSet]:
    """Sets compared with one another must hold one dataset: the same item ids and, under each
    id, the same texts and human references. Raises UsageError naming the first difference;
    returns the sets with their items in the first set's order."""
    if len(sets) < 2:
        return list(sets)
    reference = sets[0]
    facts = {fact.id: fact for fact in reference.facts}
    for other in sets[1:]:
        ids = {fact.id for fact in other.facts}
        only = sorted(ids - facts.keys()) or sorted(facts.keys() - ids)
        if only:
            raise UsageError(
                f"{_where(reference)} and {_where(other)} hold different items (e.g. id {only[0]!r} is in only one); "
                "compare runs of one dataset"
            )
        for fact in other.facts:
            problem = _difference(facts[fact.id], fact, reference, other)
            if problem:
                raise UsageError(
                    f"{_where(reference)} and {_where(other)} hold different data: item {fact.id!r} has {problem}; "
                    "each judge must be scored against the same items and labels, so compare runs of one dataset"
                )
    order = [fact.id for fact in reference.facts]
    return [reference, *(_in_order(other, order) for other in sets[1:])]


def _where(judged: JudgedSet) -> str:
    return judged.run_dir or judged.name


def _difference(first: ItemFacts, second: ItemFacts, first_set: JudgedSet, second_set: JudgedSet) -> str | None:
    one, two = first_set.fingerprints.get(first.id), second_set.fingerprints.get(second.id)
    if one is not None and two is not None and one != two:
        return "a different question or different answers"
    if first.human_label != second.human_label:
        return f"different human labels ({first.human_label} vs {second.human_label})"
    if first.human_score != second.human_score:
        return f"different human scores ({first.human_score} vs {second.human_score})"
    return None


def _in_order(judged: JudgedSet, order: Sequence[str]) -> JudgedSet:
    if [fact.id for fact in judged.facts] == list(order):
        return judged
    position = {fact.id: index for index, fact in enumerate(judged.facts)}
    judged.facts = [judged.facts[position[item_id]] for item_id in order]
    judged.outcomes = [judged.outcomes[position[item_id]] for item_id in order]
    return judged


def load_sources(sources: Sequence[str], spec: ColumnSpec) -> list[JudgedSet]:
    """Judged sets from run directories and/or one data file with --pred columns."""
    spec.check()
    if spec.swapped and all(Path(source).is_dir() for source in sources):
        raise UsageError("--swapped names columns of a data file; run directories already hold both orders")
    sets: list[JudgedSet] = []
    for source in sources:
        if not Path(source).exists():
            raise InputError(f"{source}: not found (give a data file with --pred COLUMN, or a run directory)")
        if Path(source).is_dir():
            sets.append(from_run_dir(source))
        elif not spec.pred:
            raise UsageError(f"{source} is a data file: name the column holding the judgments with --pred COLUMN")
        else:
            sets.extend(from_columns(source, spec))
    names = [judged.name for judged in sets]
    for index, name in enumerate(names):
        if names.count(name) > 1:
            sets[index].name = f"{name} ({sets[index].run_dir or index + 1})"
    kinds = {judged.kind for judged in sets}
    if len(kinds) > 1:
        raise UsageError("the sources mix pairwise and pointwise judgments; compare one kind at a time")
    return check_same_data(sets)
