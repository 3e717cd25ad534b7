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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.columns import Pairing, resolve_pairing
from judgekit.inputs.datasets import Dataset, ReadOptions
from judgekit.inputs.field_values import LABEL_ALIASES, lookup_path
from judgekit.manifest import load_manifest
from judgekit.metrics.graded import strong_weight_of
from judgekit.metrics.items import ItemFacts, ItemOutcome, item_outcome, judge_rows_by_item, stored_outcomes
from judgekit.metrics.style import style_counts, text_key
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
    disagreement: str | None = None
    """How the two orders of a swap run were combined where they disagree (`aggregate.ORDER_RULES`)."""
    positions: str | None = None
    """The run's answer order (swap, random, fixed); None for judgments read from columns."""
    strong_weight: float | None = None
    """A graded template's votes for a strong preference (see `graded`); None for other runs."""
    swap_below: float | None = None
    """The run's --swap-below: the confidence below which a verdict counts as unsure (None: not known,
    the default applies)."""
    combined_from: int = 0
    """A panel's set: how many judges' sets it combines (0: one judge's own outcomes, or a panel's run
    directory read back, whose stored rows are the panel's own)."""
    panel_rule: str | None = None
    """A panel's rule (majority, unanimous, mean), live or read back from its run directory; None: one judge."""
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
    facts = [ItemFacts.of(item) for item in items]
    outcomes = stored_outcomes(manifest.config, facts, judge_rows_by_item(rows))
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
        disagreement=manifest.config.order_disagreement,
        positions=manifest.config.positions,
        strong_weight=strong_weight_of(manifest),
        swap_below=manifest.config.swap_below,
        fingerprints={item.id: _item_fingerprint(item) for item in items},
        panel_rule=manifest.panel.rule if manifest.panel is not None else None,
    )


def _fingerprint(turns: Sequence[tuple[str, str]], texts: Sequence[str | None]) -> str:
    payload = json.dumps([list(turns), list(texts)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_CONVERSATIONS = ("conversation", "conversation_a", "conversation_b")


def _item_fingerprint(item: Item) -> str:
    chats = [getattr(item, name) for name in _CONVERSATIONS]
    if any(chats):  # every turn of every conversation: the earlier replies differ between the answers
        turns = [
            (f"{name}:{message.role}", message.content)
            for name, chat in zip(_CONVERSATIONS, chats, strict=True)
            for message in chat or ()
        ]
        return _fingerprint(turns, [item.context, item.reference])
    turns = [(message.role, message.content) for message in item.turns]
    texts = [item.answer, item.answer_a, item.answer_b, item.context, item.reference]
    return _fingerprint(turns, texts + list(item.answers or ()))  # listwise answers only where there are some


def _row_fingerprint(row: Mapping[str, Any], mapping: Mapping[str, str]) -> str:
    """The same hash as `_item_fingerprint`, from a data file's row (as `Dataset` would read it)."""

    def text(name: str) -> str | None:
        value = lookup_path(row, mapping[name]) if name in mapping else None
        return None if value is None or (value == "" and name in ("context", "reference")) else str(value)

    chats = {name: lookup_path(row, mapping[name]) for name in _CONVERSATIONS if name in mapping}
    if any(isinstance(chat, list) for chat in chats.values()):
        turns = [
            (f"{name}:{turn.get('role')}", str(turn.get("content")))
            for name, chat in chats.items()
            if isinstance(chat, list)
            for turn in chat
            if isinstance(turn, Mapping)
        ]
        return _fingerprint(turns, [text("context"), text("reference")])
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
    swapped: Sequence[str] = ()
    """Pairwise: for each --pred column (the order of the data, A shown first), the column holding
    the verdict given with the answers swapped (B shown first), already in the data's own A/B."""
    disagreement: str | None = None
    """How two orders that disagree are combined (`aggregate.ORDER_RULES`)."""

    def check(self) -> None:
        if self.swapped and len(self.swapped) != len(self.pred):
            raise UsageError(
                f"--swapped pairs with --pred: give one --swapped column per --pred column "
                f"({len(self.pred)} --pred, {len(self.swapped)} --swapped)"
            )
        if self.swapped and self.kind == "pointwise":
            raise UsageError("--swapped holds verdicts of the swapped answer order: it applies to pairwise judgments")
        if self.disagreement is not None and not self.swapped:
            raise UsageError(
                "--order-disagreement needs --swapped COLUMN (the verdicts given in the other answer order)"
            )


def from_columns(path: str, spec: ColumnSpec) -> list[JudgedSet]:
    """One JudgedSet per --pred column of a data file; a value that cannot be read is unscored."""
    spec.check()
    dataset = Dataset(path, ReadOptions(fields=spec.fields))
    raw = list(dataset.raw_rows())
    if not raw:
        raise DatasetError(path, None, None, "no rows")
    for column in [*spec.pred, *spec.swapped, *([spec.human] if spec.human else [])]:
        if not any(lookup_path(row, column) is not None for _, row in raw):
            raise DatasetError(path, None, column, "no row has this column")
    kind = spec.kind or ("pairwise" if spec.swapped else _guess_kind(raw, spec))
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
    if spec.swapped:
        source = (path, raw, pairings, fingerprints)
        return [
            _two_orders(facts, source, first, second, spec.disagreement)
            for first, second in zip(spec.pred, spec.swapped, strict=True)
        ]
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


def _two_orders(
    facts: list[ItemFacts],
    source: tuple[str, list[tuple[int, dict[str, Any]]], list[Pairing], dict[str, str]],
    first: str,
    second: str,
    disagreement: str | None,
) -> JudgedSet:
    """A judged set from the verdicts of both answer orders (see `metrics.two_orders`)."""
    from judgekit.metrics.two_orders import order_rows

    path, raw, pairings, fingerprints = source
    rows: list[Judgment] = []
    outcomes = []
    for fact, pairing, (line, row) in zip(facts, pairings, raw, strict=True):

        def read(column: str, line: int = line, row: dict[str, Any] = row, pairing: Pairing = pairing) -> Any:
            value = lookup_path(row, column)
            what = f"the verdicts in '{column}'"
            return value, _following(parse_label(value), pairing, path, line, column, what)

        calls = order_rows(fact.id, first, second, swapped_answers=pairing.order == "swapped", read=read)
        rows.extend(calls.values())
        outcomes.append(item_outcome(fact, calls, disagreement))
    return JudgedSet(
        name=f"{first} + {second}",
        kind="pairwise",
        facts=facts,
        outcomes=outcomes,
        rows=rows,
        disagreement=disagreement,
        fingerprints=fingerprints,
    )


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
        style_a=style_counts(text("answer_a") or "") if pairwise else (0, 0, 0, 0),
        style_b=style_counts(text("answer_b") or "") if pairwise else (0, 0, 0, 0),
        instruction=text_key(text("question") or ""),
    )


def _json_list(text: str) -> Any:
    """A CSV cell holding several raters' scores as JSON text ("[4, 5, 3]"); the text itself if not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
