"""One judge's item outcomes over a dataset, wherever they come from.

A `JudgedSet` is what the comparison, panel and agreement statistics work on: the items'
facts (human labels or scores, lengths, models, every other column) and, aligned with them,
the judge's outcome per item. It is read from

- a run directory written by `judgekit eval` or `judgekit compare` (no model call), or
- columns of a data file that already holds judgments (`--pred COLUMN`), so published judge
  outputs can be re-analysed exactly as they were released.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, InputError, UsageError
from judgekit.inputs.datasets import LABEL_ALIASES, Dataset, Pairing, ReadOptions, lookup_path, resolve_pairing
from judgekit.manifest import load_manifest
from judgekit.metrics.aggregate import ItemFacts, ItemOutcome, item_outcome
from judgekit.schema import Item, Judgment, Label
from judgekit.store.rundir import RunDir, latest_rows


@dataclass
class JudgedSet:
    """A judge's (or a panel's) outcome for each item, aligned with the items' facts."""

    name: str
    """How the set is labelled in tables: prompt · judge, a column name, or a panel."""
    kind: str
    facts: list[ItemFacts]
    outcomes: list[ItemOutcome]
    rows: list[Judgment] = field(default_factory=list)
    """The judge calls behind the outcomes (empty for judgments read from columns)."""
    prompt: str | None = None
    judge: str | None = None
    run_dir: str | None = None
    renamed: dict[str, str] = field(default_factory=dict)
    """Data column -> canonical field, for --group-by on renamed columns."""
    wall_s: float | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    """Item id -> a hash of the texts the judge saw (question, answers, context, reference), so
    sets from different sources can be checked to hold the same data (empty: not known)."""

    def by_id(self) -> dict[str, ItemOutcome]:
        return {outcome.item_id: outcome for outcome in self.outcomes}


def from_run_dir(path: str | Path, name: str | None = None) -> JudgedSet:
    """The outcomes stored in a run directory, as `judgekit report` would aggregate them."""
    run_dir = RunDir(Path(path))
    manifest = load_manifest(run_dir)
    items = list(run_dir.iter_items())
    if manifest.limit:
        items = items[: manifest.limit]
    rows = run_dir.load_judgments()
    by_item: dict[str, dict[str, Judgment]] = defaultdict(dict)
    for row in latest_rows(rows).values():
        if row.role == "judge":
            by_item[row.item_id][row.call] = row
    facts = [ItemFacts.of(item) for item in items]
    outcomes = [item_outcome(fact, by_item.get(fact.id, {})) for fact in facts]
    mapping = manifest.dataset.mapping
    template = manifest.template.name or None
    judge = manifest.judge or None
    return JudgedSet(
        name=name or f"{template} · {judge}",
        kind=facts[0].kind if facts else "pointwise",
        facts=facts,
        outcomes=outcomes,
        rows=list(latest_rows(rows).values()),
        prompt=template,
        judge=judge,
        run_dir=str(run_dir.path),
        renamed={column: canonical for canonical, column in mapping.items() if column != canonical},
        fingerprints={item.id: _item_fingerprint(item) for item in items},
    )


def _fingerprint(turns: Sequence[tuple[str, str]], texts: Sequence[str | None]) -> str:
    payload = json.dumps([list(turns), list(texts)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _item_fingerprint(item: Item) -> str:
    turns = [(message.role, message.content) for message in item.turns]
    return _fingerprint(turns, [item.answer, item.answer_a, item.answer_b, item.context, item.reference])


def _row_fingerprint(row: Mapping[str, Any], mapping: Mapping[str, str]) -> str:
    """The same hash as `_item_fingerprint`, from a data file's row (as `Dataset` would read it)."""

    def text(name: str) -> str | None:
        value = lookup_path(row, mapping[name]) if name in mapping else None
        return None if value is None or (value == "" and name in ("context", "reference")) else str(value)

    question = lookup_path(row, mapping["question"]) if "question" in mapping else None
    if isinstance(question, list):
        turns = [(str(turn.get("role")), str(turn.get("content"))) for turn in question if isinstance(turn, Mapping)]
    else:
        turns = [] if question is None else [("user", str(question))]
    return _fingerprint(turns, [text(name) for name in ("answer", "answer_a", "answer_b", "context", "reference")])


def parse_label(value: Any) -> Label | None:
    """A pairwise verdict from a cell (A/B/tie, 1/2/0, 1.5 for a draw); None when unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        key = str(int(value)) if value.is_integer() else str(value)
    else:
        key = str(value).strip()
    return LABEL_ALIASES.get(key.lower())


def parse_score(value: Any) -> float | None:
    """A numeric score from a cell; None when empty or not a finite number."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass
class ColumnSpec:
    """Which columns of a data file hold the judgments and the human references."""

    pred: Sequence[str]
    human: str | None = None
    kind: str | None = None
    """pairwise or pointwise; by default pairwise when the values are labels such as A/B/tie."""
    fields: Mapping[str, str] = field(default_factory=dict)


def from_columns(path: str, spec: ColumnSpec) -> list[JudgedSet]:
    """One JudgedSet per --pred column of a data file; a value that cannot be read is unscored."""
    dataset = Dataset(path, ReadOptions(fields=spec.fields))
    raw = list(dataset.raw_rows())
    if not raw:
        raise DatasetError(path, None, None, "no rows")
    for column in [*spec.pred, *([spec.human] if spec.human else [])]:
        if not any(lookup_path(row, column) is not None for _, row in raw):
            raise DatasetError(path, None, column, "no row has this column")
    kind = spec.kind or _guess_kind(raw, spec)
    facts: list[ItemFacts] = []
    pairings: list[Pairing] = []
    fingerprints: dict[str, str] = {}
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(raw, start=1):
        mapping, pairing = resolve_pairing(tuple(row), spec.fields)
        pairings.append(pairing)
        facts.append(_facts(path, index, line, row, mapping, pairing, kind, spec))
        fingerprints[facts[-1].id] = _row_fingerprint(row, mapping)
        if facts[-1].id in seen:
            raise DatasetError(
                path, line, "id", f"duplicate id {facts[-1].id!r} (first seen on line {seen[facts[-1].id]})"
            )
        seen[facts[-1].id] = line
    sets = []
    for column in spec.pred:
        outcomes = []
        for fact, pairing, (line, row) in zip(facts, pairings, raw, strict=True):
            value = lookup_path(row, column)
            if kind == "pairwise":
                label = _following(parse_label(value), pairing, path, line, column, f"the verdicts in '{column}'")
                outcome = (
                    ItemOutcome(fact.id, "ok", verdict=label)
                    if label is not None
                    else ItemOutcome(fact.id, "unscored", reason=f"'{column}' holds no verdict ({value!r})")
                )
            else:
                score = parse_score(value)
                outcome = (
                    ItemOutcome(fact.id, "ok", score=score)
                    if score is not None
                    else ItemOutcome(fact.id, "unscored", reason=f"'{column}' holds no score ({value!r})")
                )
            outcomes.append(outcome)
        sets.append(JudgedSet(name=column, kind=kind, facts=facts, outcomes=outcomes, fingerprints=fingerprints))
    return sets


def _guess_kind(raw: list[tuple[int, dict[str, Any]]], spec: ColumnSpec) -> str:
    """pairwise when any judgment or human cell is a label word (A, B, tie); else pointwise."""
    columns = [*spec.pred, *([spec.human] if spec.human else [])]
    for _, row in raw:
        for column in columns:
            value = lookup_path(row, column)
            if isinstance(value, str) and value.strip().lower() in ("a", "b", "tie", "draw", "c", "model_a", "model_b"):
                return "pairwise"
    return "pointwise"


def _following(label: Label | None, pairing: Pairing, path: str, line: int, column: str, what: str) -> Label | None:
    """A label about the file's answers, seen from the order --field put them in."""
    if label is None:
        return None
    try:
        return pairing.label(label, what)
    except UsageError as exc:
        raise DatasetError(path, line, column, str(exc)) from None


def _facts(
    path: str,
    index: int,
    line: int,
    row: dict[str, Any],
    mapping: dict[str, str],
    pairing: Pairing,
    kind: str,
    spec: ColumnSpec,
) -> ItemFacts:
    def text(name: str) -> str | None:
        column = mapping.get(name)
        value = row.get(column) if column else None
        return None if value is None else str(value)

    human_label: Label | None = None
    human_score: float | None = None
    human_scores: tuple[float, ...] | None = None
    human_column = spec.human or mapping.get("human_label" if kind == "pairwise" else "human_score")
    if human_column is not None:
        value = lookup_path(row, human_column)
        if isinstance(value, str) and value.strip().startswith("[") and kind != "pairwise":
            value = _json_list(value)
        if value is not None and value != "":
            if kind == "pairwise":
                human_label = parse_label(value)
                if human_label is None:
                    raise DatasetError(
                        path, line, spec.human, f"expected a human label A, B or tie (or 1, 2, 0), got {value!r}"
                    )
                human_label = _following(human_label, pairing, path, line, human_column, "human labels")
            elif isinstance(value, list):
                human_scores = tuple(score for score in map(parse_score, value) if score is not None)
                if len(human_scores) != sum(rating is not None for rating in value) or not human_scores:
                    raise DatasetError(path, line, human_column, f"expected a list of numbers, got {value!r}")
                human_score = sum(human_scores) / len(human_scores)
            else:
                human_score = parse_score(value)
                if human_score is None:
                    raise DatasetError(path, line, human_column, f"expected a number, got {value!r}")
    pairwise = kind == "pairwise"
    return ItemFacts(
        id=text("id") or str(index),
        kind=kind,
        human_label=human_label,
        human_score=human_score,
        human_scores=human_scores,
        category=text("category"),
        model=text("model"),
        model_a=text("model_a"),
        model_b=text("model_b"),
        length_a=len(text("answer_a") or "") if pairwise else len(text("answer") or ""),
        length_b=len(text("answer_b") or "") if pairwise else 0,
        metadata=pairing.row(row) if pairwise else row,
    )


def _json_list(text: str) -> Any:
    """A CSV cell holding several raters' scores as JSON text ("[4, 5, 3]"); the text itself if not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


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
