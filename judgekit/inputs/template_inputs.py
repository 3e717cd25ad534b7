"""What a template is given: item variables, neutralised untrusted text, requirement checks.

Candidate texts reach a template only as variables; verdict markers and declared delimiters
inside them are neutralised first, so an answer cannot fake the judge's verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from judgekit.inputs.parsing import compile_pattern, read_verdict
from judgekit.inputs.prompts import UNTRUSTED, AuxTemplate, Template
from judgekit.schema import Item


def neutralise(text: str, template: Template | AuxTemplate) -> str:
    """Alter verdict markers and prompt delimiters inside untrusted text so they cannot act.

    A delimiter (e.g. `[The End of Assistant A's Answer]`) gets "(quoted)" appended inside its
    brackets; a verdict marker has its ASCII punctuation (and, if still needed, its letters)
    turned into full-width look-alikes, so `[[A]]` becomes `［［A］］`: still readable, but
    no longer something the parser or the judge can take for a verdict.
    """
    for delimiter in template.delimiters:
        if delimiter in text:
            text = text.replace(delimiter, _quoted_delimiter(delimiter))
    if isinstance(template, AuxTemplate):
        return text  # no verdict to protect
    spec = template.meta.verdict
    regex = compile_pattern(spec.pattern, spec.ignore_case)
    if regex.search(text):
        text = regex.sub(lambda match: _defang(match.group(0), regex), text)
    return text


def _quoted_delimiter(delimiter: str) -> str:
    for closing in ("]", ">", ")", "|"):
        if delimiter.endswith(closing):
            return delimiter[: -len(closing)] + " (quoted)" + closing
    return delimiter + " (quoted)"


def _fullwidth(text: str, letters: bool) -> str:
    chars = []
    for char in text:
        code = ord(char)
        if 0x21 <= code <= 0x7E and (letters or not char.isalnum()):
            chars.append(chr(code + 0xFEE0))
        else:
            chars.append(char)
    return "".join(chars)


def _defang(marker: str, regex: Any) -> str:
    for letters in (False, True):
        altered = _fullwidth(marker, letters)
        if not regex.search(altered):
            return altered
    return "[verdict-like text removed by judgekit]"


def item_variables(
    item: Item, template: Template | AuxTemplate, shown: tuple[str, ...] | None = None, *, swapped: bool = False
) -> dict[str, Any]:
    """The variables one item offers a template (absent fields stay undefined).

    `shown` gives the pairwise (or listwise) answers in the order they are shown; `swapped` says
    answer_b is shown first, and so is its whole conversation when the item holds per-model
    conversations.
    """
    values: dict[str, Any] = {
        "question": item.question,
        "history": [message.model_dump() for message in item.history],
        "metadata": item.metadata,
        "item_id": item.id,
    }
    if item.kind == "pointwise":
        values["answer"] = item.answer
    elif item.kind == "listwise":
        answers = shown if shown is not None else item.answers or ()
        values["answers"] = [neutralise(answer, template) for answer in answers]
    else:
        first, second = shown if shown is not None else (item.answer_a, item.answer_b)
        values["answer_a"], values["answer_b"] = first, second
    for name in ("reference", "context", "category", "rubric"):
        value = getattr(item, name)
        if value is not None:
            values[name] = value
    for name in UNTRUSTED:
        if isinstance(values.get(name), str):
            values[name] = neutralise(values[name], template)
    values["history"] = [
        {"role": turn["role"], "content": neutralise(turn["content"], template)} for turn in values["history"]
    ]
    conversations = {
        "conversation": item.conversation,
        "conversation_a": item.conversation_b if swapped else item.conversation_a,
        "conversation_b": item.conversation_a if swapped else item.conversation_b,
    }
    for name, chat in conversations.items():
        if chat is not None:
            values[name] = [{"role": turn.role, "content": neutralise(turn.content, template)} for turn in chat]
    return values


OPTIONAL_ITEM_FIELDS = ("reference", "context", "category", "rubric")


def missing_requirements(
    item: Item, template: Template | AuxTemplate, supplied: Mapping[str, Any] | None = None
) -> list[str]:
    """Required item fields this item lacks (checked for every item before a run starts).

    `supplied` holds variables the pipeline provides itself (e.g. a generated reference).
    """
    return [
        name
        for name in template.meta.requires
        if name in OPTIONAL_ITEM_FIELDS and getattr(item, name) is None and not (supplied and name in supplied)
    ]


def self_test(template: Template) -> list[str]:
    """Problems found by reading the template's own verdict format back with its pattern."""
    spec = template.meta.verdict
    problems: list[str] = []
    samples: list[tuple[str, object]] = []
    if spec.type == "choice" and spec.choices:
        samples = [(template.example_verdict(choice), outcome) for choice, outcome in spec.choices.items()]
    elif spec.type == "score" and spec.scale:
        low, high = spec.scale
        samples = [
            (template.example_verdict(float(low)), float(low)),
            (template.example_verdict(float(high)), float(high)),
        ]
    elif spec.type == "score_pair" and spec.scale:
        low, high = spec.scale
        samples = [(template.example_verdict((float(high), float(low))), "first")]
    if template.meta.checklist == "all":
        return _checklist_self_test(template, samples)
    for text, expected in samples:
        reading = read_verdict(f"Some reasoning.\n{text}", spec)
        if reading.status != "ok" or reading.value != expected:
            problems.append(f"verdict.format writes {text!r} but verdict.pattern reads it as {reading.value!r}")
    if spec.structured is not None and spec.type == "choice" and spec.choices:
        # The JSON a schema-held answer carries must read back as the same outcomes.
        for choice, outcome in spec.choices.items():
            answer = json.dumps({spec.structured.field: choice})
            reading = read_verdict(answer, spec)
            if reading.status != "ok" or reading.value != outcome:
                problems.append(f"the structured answer {answer} reads as {reading.value!r}, not {outcome!r}")
    return problems


def _checklist_self_test(template: Template, samples: list[tuple[str, object]]) -> list[str]:
    """An all-in-one checklist template: one verdict line per criterion, read back per criterion."""
    from judgekit.inputs.checklist_verdicts import read_checklist

    spec = template.meta.verdict
    assert spec.choices is not None
    choices = list(spec.choices)
    lines = [template.example_verdict(choice, number) for number, choice in enumerate(choices, start=1)]
    reading = read_checklist("Some reasoning.\n" + "\n".join(lines), spec, len(lines))
    expected = tuple(float(spec.choices[choice]) for choice in choices)
    if reading.verdicts != expected:
        return [f"verdict.format writes {lines!r} but verdict.pattern reads them as {list(reading.verdicts)!r}"]
    return []
