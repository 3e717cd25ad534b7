"""One judge's item outcomes over a dataset, wherever they come from.

A `JudgedSet` is what the comparison, panel and agreement statistics work on: the items'
facts (human labels or scores, lengths, models, every other column) and, aligned with them,
the judge's outcome per item. It is read from

- a run directory written by `judgekit eval` or `judgekit compare` (no model call), or
- columns of a data file that already holds judgments (`--pred COLUMN`), so published judge
  outputs can be re-analysed exactly as they were released.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.datasets import LABEL_ALIASES, Dataset, ReadOptions, lookup_path, resolve_mapping
from judgekit.manifest import load_manifest
from judgekit.metrics.aggregate import ItemFacts, ItemOutcome, item_outcome
from judgekit.schema import Judgment, Label
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
    )


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
    seen: dict[str, int] = {}
    for index, (line, row) in enumerate(raw, start=1):
        mapping = resolve_mapping(tuple(row), spec.fields)
        facts.append(_facts(path, index, line, row, mapping, kind, spec))
        if facts[-1].id in seen:
            raise DatasetError(
                path, line, "id", f"duplicate id {facts[-1].id!r} (first seen on line {seen[facts[-1].id]})"
            )
        seen[facts[-1].id] = line
    sets = []
    for column in spec.pred:
        outcomes = []
        for fact, (_, row) in zip(facts, raw, strict=True):
            value = lookup_path(row, column)
            if kind == "pairwise":
                label = parse_label(value)
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
        sets.append(JudgedSet(name=column, kind=kind, facts=facts, outcomes=outcomes))
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


def _facts(
    path: str,
    index: int,
    line: int,
    row: dict[str, Any],
    mapping: dict[str, str],
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
        metadata=row,
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


def load_sources(sources: Sequence[str], spec: ColumnSpec) -> list[JudgedSet]:
    """Judged sets from run directories and/or one data file with --pred columns."""
    sets: list[JudgedSet] = []
    for source in sources:
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
    check_same_items(sets)
    return sets
