"""The report's item table: one row per item, opening to its texts and every judge call.

All texts (questions, answers, judge explanations, ids, names) are untrusted and stay plain
strings here; the page template escapes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from judgekit.metrics.confidence import item_confidence
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.reporting.html import derive
from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Call, Cell, Column, Filter, ItemRow, ItemTable
from judgekit.schema import Item, Judgment

CALL_NAMES = {"single": "judge call", "AB": "A shown first", "BA": "B shown first"}


@dataclass(frozen=True)
class _Shape:
    """Which columns and filters the table has: those the run's items give something to show."""

    pairwise: bool
    has_category: bool
    has_models: bool
    has_human: bool
    has_flips: bool
    has_confidence: bool
    scales: derive.ScoreScales
    with_gap: bool
    """A judge − human column (pointwise, with human scores on a scale the judge's can be put on)."""

    @classmethod
    def of(cls, data: RunData) -> _Shape:
        pairwise = data.summary.kind == "pairwise"
        items = data.items
        has_human = any(item.human_label is not None or item.human_score is not None for item in items)
        pointwise = data.summary.pointwise
        judge_scale = (float(pointwise.scale[0]), float(pointwise.scale[1])) if pointwise and pointwise.scale else None
        scales = derive.ScoreScales.of(judge_scale, data.facts)
        return cls(
            pairwise=pairwise,
            has_category=any(item.category for item in items),
            has_models=any(item.model_a or item.model_b or item.model for item in items),
            has_human=has_human,
            has_flips=any(outcome.flipped is not None for outcome in data.outcomes),
            has_confidence=any(item_confidence(outcome) is not None for outcome in data.outcomes),
            scales=scales,
            with_gap=has_human and not pairwise and scales.comparable,
        )


def item_table(data: RunData) -> ItemTable:
    shape = _Shape.of(data)
    rows = [
        _row(shape, item, fact, outcome, data.calls.get(item.id, []))
        for item, fact, outcome in zip(data.items, data.facts, data.outcomes, strict=True)
    ]
    scales = shape.scales
    note = f"{scales.describe()} {scales.describe_gap()}" if shape.has_human and not shape.pairwise else ""
    return ItemTable(_columns(shape), rows, _filters(shape), note=note)


def _columns(shape: _Shape) -> list[Column]:
    # On a phone the optional columns hide; what stays answers "what did the judge say, and was it right".
    pairwise, scales = shape.pairwise, shape.scales
    columns = [Column("id")]
    if shape.has_category:
        columns.append(Column("category", optional=True))
    if shape.has_models:
        columns.append(Column("models" if pairwise else "model"))
    columns.append(Column("verdict" if pairwise else _with_range("score", scales.judge), numeric=not pairwise))
    if shape.has_human:
        columns.append(Column("human" if pairwise else _with_range("human", scales.human), numeric=not pairwise))
        if pairwise:
            columns.append(Column("agrees"))
        elif shape.with_gap:
            gap_title = "judge − human" if scales.same else "judge − human (% of scale)"
            columns.append(Column(gap_title, numeric=True, optional=True))
    if shape.has_flips:
        columns.append(Column("flipped", optional=True))
    if shape.has_confidence:
        columns.append(Column("confidence", numeric=True, optional=True))
    columns.append(Column("length A − B" if pairwise else "length", numeric=True, optional=True))
    columns.append(Column("status", optional=True))
    return columns


def _row(shape: _Shape, item: Item, fact: ItemFacts, outcome: ItemOutcome, calls: list[Judgment]) -> ItemRow:
    """One item's cells (in `_columns` order), its filter values and what opens beneath it."""
    pairwise = shape.pairwise
    cells = [Cell(item.id, item.id)]
    values = {"status": outcome.status}
    if shape.has_category:
        cells.append(Cell(item.category or "", item.category or ""))
    if shape.has_models:
        models = f"{item.model_a or '?'} vs {item.model_b or '?'}" if pairwise else item.model or ""
        cells.append(Cell(models, models))
    if pairwise:
        verdict: str = outcome.verdict or ""
        cells.append(Cell(verdict or "–", verdict, f"verdict-{verdict}" if verdict else ""))
        values["verdict"] = verdict
    else:
        score = "" if outcome.score is None else derive.score_label(outcome.score)
        cells.append(Cell(score or "–", score))
    if shape.has_human:
        cells.extend(_human_cells(shape, item, outcome, values))
    if shape.has_flips:
        flipped = "" if outcome.flipped is None else ("yes" if outcome.flipped else "no")
        cells.append(Cell(flipped or "–", flipped))
        values["flipped"] = flipped
    if shape.has_confidence:
        confidence = item_confidence(outcome)
        shown = "" if confidence is None else f"{confidence.value:.2f}"
        cells.append(Cell(shown or "–", shown))
    length = fact.length_a - fact.length_b if pairwise else fact.length_a
    cells.append(Cell(str(length), str(length)))
    cells.append(Cell(outcome.status, outcome.status, f"status-{outcome.status}"))
    return ItemRow(
        id=item.id,
        cells=cells,
        status=outcome.status,
        filters=values,
        turns=[(message.role, message.content) for message in item.turns],
        answers=_answers(item),
        extras=_item_extras(item, outcome.reason),
        calls=[_call(row) for row in calls],
    )


def _human_cells(shape: _Shape, item: Item, outcome: ItemOutcome, values: dict[str, str]) -> list[Cell]:
    """The human label and whether the judge agrees (pairwise), or the human score and the gap."""
    if shape.pairwise:
        label: str = item.human_label or ""
        agrees = "" if not label or not outcome.verdict else ("yes" if label == outcome.verdict else "no")
        values["agrees"] = agrees
        return [Cell(label or "–", label), Cell(agrees or "–", agrees, f"agree-{agrees}" if agrees else "")]
    human = "" if item.human_score is None else derive.score_label(item.human_score)
    cells = [Cell(human or "–", human)]
    if shape.with_gap:
        cells.append(_gap_cell(shape.scales, outcome.score, item.human_score))
    return cells


def _filters(shape: _Shape) -> list[Filter]:
    filters = [
        Filter(
            "status",
            "status",
            [("ok", "scored"), ("unscored", "unscored"), ("error", "failed"), ("pending", "not judged")],
        )
    ]
    if shape.pairwise:
        filters.append(Filter("verdict", "verdict", [("A", "A"), ("B", "B"), ("tie", "tie")]))
        if shape.has_human:
            filters.append(Filter("agrees", "agrees with humans", [("yes", "yes"), ("no", "no")]))
        if shape.has_flips:
            filters.append(Filter("flipped", "flipped", [("yes", "yes"), ("no", "no")]))
    return filters


def _with_range(title: str, scale: tuple[float, float] | None) -> str:
    return f"{title} ({scale[0]:g}–{scale[1]:g})" if scale is not None else title


def _gap_cell(scales: derive.ScoreScales, judge: float | None, human: float | None) -> Cell:
    gap = None if judge is None or human is None else scales.gap(judge, human)
    if gap is None:
        return Cell("–", "")
    if scales.same:
        return Cell(derive.score_label(gap), derive.score_label(gap))
    points = round(gap * 100)
    return Cell(f"{points:+d}" if points else "0", str(points))


def _answers(item: Item) -> list[tuple[str, str]]:
    if item.kind == "pairwise":
        a = f"Answer A ({item.model_a})" if item.model_a else "Answer A"
        b = f"Answer B ({item.model_b})" if item.model_b else "Answer B"
        return [(a, item.answer_a or ""), (b, item.answer_b or "")]
    label = f"Answer ({item.model})" if item.model else "Answer"
    return [(label, item.answer or "")]


def _item_extras(item: Item, reason: str | None) -> list[tuple[str, str]]:
    extras = []
    for label, value in (("Reference", item.reference), ("Context", item.context), ("Rubric", item.rubric)):
        if value:
            extras.append((label, value))
    if item.human_label is not None:
        extras.append(("Human label", item.human_label))
    if item.human_score is not None:
        extras.append(("Human score", f"{item.human_score:g}"))
    if item.metadata:
        extras.append(("Other fields", json.dumps(item.metadata, ensure_ascii=False, indent=1, default=str)))
    if reason:
        extras.append(("Why it has no verdict", reason))
    return extras


def _call(row: Judgment) -> Call:
    name = CALL_NAMES.get(row.call, row.call)
    if row.request_hash.startswith("cascade:"):  # a cascade's combined row: say whose verdict it kept
        name = f"cascade verdict, from {row.judge}"
    if row.role == "aux":
        name = f"{row.call} (prepared once for the judge)"
    if row.verdict is not None:
        shown = {"first": "the answer shown first", "second": "the answer shown second", "tie": "a tie"}
        outcome = f"verdict {row.verdict}" + (f" ({shown[row.shown]})" if row.shown and row.shown != "tie" else "")
    elif row.score is not None:
        outcome = f"score {derive.score_label(row.score)}"
    else:
        outcome = row.status
    details = []
    completion = row.completion
    if completion is not None and (completion.prompt_tokens or completion.completion_tokens):
        details.append(f"tokens {completion.prompt_tokens or 0} in / {completion.completion_tokens or 0} out")
    if row.latency_s:
        details.append(f"{row.latency_s:.2f} s")
    if row.cached:
        details.append("from the cache")
    retries = sum(row.retries.values())
    if retries:
        details.append(f"{retries} retries")
    if row.probabilities:
        details.append("probabilities " + ", ".join(f"{k} {v:.2f}" for k, v in row.probabilities.items()))
    texts = list(completion.texts) if completion is not None else []
    return Call(name, row.status, outcome, " · ".join(details), texts, row.reason)
