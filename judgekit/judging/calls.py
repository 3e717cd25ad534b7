"""Turn items into judge requests and judge answers into judgments.

Pairwise position handling:

- `random` (default): each item is shown A-first or B-first by a coin seeded with (seed, item
  id), so `--seed` reproduces a run exactly and about half the items are swapped.
- `swap`: each item is judged in both orders ("AB" and "BA"); the item's verdict is combined
  from the two (see `aggregate.combine_orders`), and a disagreement is recorded as a flip.
- `fixed`: always A first (only to measure position bias, or when order is meaningful).
- `adaptive`: the first call is the order `random` would show (named "AB" or "BA"); the other
  order (`other_order`) is asked only when the first answer was unsure, a tie or unscored
  (`metrics.adaptive.needs_other_order`), so it is a second call that waits for the first.

Whatever the order shown, a verdict is mapped back to the dataset's own A and B before it is
stored, so "A" in a judgment always means the dataset's answer_a.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from judgekit.errors import ProviderError, TemplateError
from judgekit.inputs.parsing import Reading, cut_off, read_samples, read_verdict, weigh_with_logprobs
from judgekit.inputs.prompts import Template
from judgekit.inputs.template_inputs import item_variables
from judgekit.judging import listwise
from judgekit.redact import redact
from judgekit.schema import (
    STRONG_OUTCOMES,
    Completion,
    Item,
    JudgeRequest,
    Judgment,
    Label,
    Positions,
    SamplingParams,
    Shown,
    VerdictSpec,
)
from judgekit.stats.draws import item_coin

ScoreMethod = Literal["parse", "logprobs", "samples"]

_TO_LABEL: dict[tuple[str, bool], Label] = {
    ("first", False): "A",
    ("second", False): "B",
    ("first", True): "B",
    ("second", True): "A",
    ("tie", False): "tie",
    ("tie", True): "tie",
}


@dataclass(frozen=True)
class JudgeSetup:
    """Everything that decides which requests are sent for an item."""

    judge: str
    """`provider/model`."""
    model: str
    """The provider's model name."""
    template: Template
    params: SamplingParams
    positions: Positions = "random"
    seed: int = 0
    method: ScoreMethod = "parse"
    """How a verdict becomes a number: parsed text, log-probability weighting, or sample mean."""
    schema: dict[str, Any] | None = None
    """The JSON schema of a structured verdict, asked of the backend (None: a plain-text verdict)."""


@dataclass(frozen=True)
class PlannedCall:
    """One request to make for an item, and how to read its answer."""

    item: Item
    call: str
    swapped: bool
    request: JudgeRequest
    order: tuple[int, ...] | None = None
    """Listwise: the data positions of the answers in the order shown (see `listwise.py`)."""


def shows_swapped(seed: int, item_id: str) -> bool:
    """The seeded coin of `--positions random`: stable per (seed, item id), fair across items."""
    return item_coin(seed, item_id)


def plan(item: Item, setup: JudgeSetup, extra: dict[str, object] | None = None) -> list[PlannedCall]:
    """The calls one item needs under the setup's position rule (or its checklist)."""
    if setup.template.meta.checklist is not None:
        return _checklist_calls(item, setup, extra)
    if item.kind == "pointwise":
        return [_planned(item, setup, "single", False, extra)]
    if item.kind == "listwise":
        shown_orders = listwise.orders(setup.positions, setup.seed, item.id, len(item.answers or ()))
        return [_planned(item, setup, call, False, extra, order) for call, order in shown_orders]
    if setup.positions == "swap":
        return [_planned(item, setup, "AB", False, extra), _planned(item, setup, "BA", True, extra)]
    swapped = setup.positions in ("random", "adaptive") and shows_swapped(setup.seed, item.id)
    if setup.positions == "adaptive":
        return [_planned(item, setup, "BA" if swapped else "AB", swapped, extra)]
    return [_planned(item, setup, "single", swapped, extra)]


def other_order(first: PlannedCall, setup: JudgeSetup, extra: dict[str, object] | None = None) -> PlannedCall:
    """The call of an item in the order its first (adaptive) call did not show."""
    swapped = not first.swapped
    return _planned(first.item, setup, "BA" if swapped else "AB", swapped, extra)


def _planned(
    item: Item,
    setup: JudgeSetup,
    call: str,
    swapped: bool,
    extra: dict[str, object] | None,
    order: tuple[int, ...] | None = None,
) -> PlannedCall:
    shown: tuple[str | None, ...] | None = None
    if item.kind == "pairwise":
        shown = (item.answer_b, item.answer_a) if swapped else (item.answer_a, item.answer_b)
    elif order is not None and item.answers is not None:
        shown = tuple(item.answers[position] for position in order)
    variables = item_variables(item, setup.template, shown, swapped=swapped)  # type: ignore[arg-type]
    if extra:
        variables.update(extra)
    messages = setup.template.render(variables)
    expect = setup.template.meta.verdict
    if order is not None:
        expect = listwise.expected_picks(expect, len(order))
    request = JudgeRequest(
        model=setup.model, messages=messages, params=setup.params, expect=expect, structured=setup.schema
    )
    return PlannedCall(item=item, call=call, swapped=swapped, request=request, order=order)


def _checklist_calls(item: Item, setup: JudgeSetup, extra: dict[str, object] | None) -> list[PlannedCall]:
    """One call per criterion (`checklist: each`), or one call that shows every criterion (`all`)."""
    from judgekit.inputs.checklists import ALL_CALL, call_name, shown
    from judgekit.inputs.template_inputs import neutralise

    if not item.rubric_items:
        raise TemplateError(f"template {setup.template.name} grades a checklist, but item {item.id} has none")
    criteria = [
        replace(criterion, text=neutralise(criterion.text, setup.template)) for criterion in shown(item.rubric_items)
    ]
    if setup.template.meta.checklist == "all":
        planned = _planned(item, setup, ALL_CALL, False, {**(extra or {}), "rubric_items": criteria})
        request = planned.request.model_copy(update={"expect_criteria": len(criteria)})
        return [replace(planned, request=request)]
    return [
        _planned(item, setup, call_name(criterion.number), False, {**(extra or {}), "rubric_item": criterion})
        for criterion in criteria
    ]


def read(planned: PlannedCall, completion: Completion, setup: JudgeSetup) -> Reading:
    """Read the verdict of a completion the way the setup asks."""
    spec = setup.template.meta.verdict
    sources = [message.content for message in planned.request.messages]
    if setup.template.meta.checklist == "all":
        return _read_all(planned, completion, spec, sources)
    if setup.method == "samples" and len(completion.texts) > 1:
        return read_samples(completion.texts, spec, sources)
    reading = read_verdict(completion.text, spec, sources)
    if setup.method == "logprobs":
        reading = weigh_with_logprobs(reading, completion, spec)
    return cut_off(reading, completion.finish_reason, planned.request.params.max_tokens)


def _read_all(planned: PlannedCall, completion: Completion, spec: VerdictSpec, sources: list[str]) -> Reading:
    from judgekit.inputs.checklist_verdicts import read_checklist

    count = planned.request.expect_criteria or 0
    found = read_checklist(completion.text, spec, count, sources)
    return Reading("ok" if found.complete else "unscored", reason=found.reason, criteria=found.verdicts)


def base_row(planned: PlannedCall, setup: JudgeSetup, request_hash: str, **fields: Any) -> Judgment:
    """A judgment row of a planned call: who judged it, with which template, in which order."""
    return Judgment(
        item_id=planned.item.id,
        call=planned.call,
        judge=setup.judge,
        template=setup.template.name,
        template_hash=setup.template.hash,
        request_hash=request_hash,
        swapped=planned.swapped,
        **fields,
    )


def error_row(planned: PlannedCall, setup: JudgeSetup, request_hash: str, error: ProviderError) -> Judgment:
    """The row of a call that failed for good (its message redacted: servers echo keys)."""
    return base_row(planned, setup, request_hash, status="error", reason=redact(str(error)), error_kind=error.kind)


def to_judgment(
    planned: PlannedCall,
    setup: JudgeSetup,
    request_hash: str,
    completion: Completion,
    reading: Reading,
) -> Judgment:
    """A judgment row for a completed call, with pairwise outcomes mapped back to A/B."""
    row = base_row(
        planned,
        setup,
        request_hash,
        status="ok" if reading.status == "ok" else "unscored",
        reason=reading.reason,
        method=reading.method if reading.status == "ok" else None,
        valid_mass=reading.valid_mass,
        completion=completion,
    )
    if planned.order is not None:
        row.order = planned.order
    if reading.criteria is not None:
        row.criteria = reading.criteria
    if reading.status != "ok" or reading.criteria is not None:
        return row
    if planned.item.kind == "listwise":
        pick, why = listwise.pick_of(reading.value, planned.order or ())
        if pick is None:
            return row.model_copy(update={"status": "unscored", "reason": why, "method": None})
        row.pick = pick
        return row
    if planned.item.kind == "pairwise":
        outcome = str(reading.value)
        shown, strong = _graded(outcome)
        if shown not in ("first", "second", "tie"):
            return row.model_copy(update={"status": "unscored", "reason": f"unexpected outcome {outcome!r}"})
        row.shown = shown  # type: ignore[assignment]
        row.verdict = _TO_LABEL[(shown, planned.swapped)]
        if setup.template.meta.verdict.graded:
            row.strong = strong
        if reading.pair is not None:
            first, second = reading.pair
            row.scores = (second, first) if planned.swapped else (first, second)
        if reading.probabilities is not None:
            row.probabilities = _probabilities_to_labels(reading.probabilities, planned.swapped)
    else:
        if not isinstance(reading.value, (int, float)):
            return row.model_copy(update={"status": "unscored", "reason": f"non-numeric outcome {reading.value!r}"})
        row.score = float(reading.value)
        row.probabilities = reading.probabilities
    return row


def _graded(outcome: str) -> tuple[str, bool]:
    """A pairwise outcome without its grade: "first_strong" is a strong "first"."""
    if outcome in STRONG_OUTCOMES:
        return outcome.removesuffix("_strong"), True
    return outcome, False


def _probabilities_to_labels(probabilities: dict[str, float], swapped: bool) -> dict[str, float]:
    labelled: dict[str, float] = {"A": 0.0, "B": 0.0, "tie": 0.0}
    for outcome, probability in probabilities.items():
        shown = _graded(outcome)[0]
        if shown in ("first", "second", "tie"):
            labelled[_TO_LABEL[(shown, swapped)]] += probability
    return labelled


def shown_of(label: Label, swapped: bool) -> Shown:
    """The shown position of a dataset label (inverse of the mapping back)."""
    for (shown, was_swapped), mapped in _TO_LABEL.items():
        if was_swapped == swapped and mapped == label:
            return shown  # type: ignore[return-value]
    raise ValueError(label)
