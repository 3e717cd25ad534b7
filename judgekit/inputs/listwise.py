"""Listwise rows: several answers to one request (`answers: [...]`) and, optionally, the model
behind each (`models: [...]`, same length, distinct names). The judge picks the best one.

A CSV cell cannot hold a list, so listwise data comes as JSONL or a JSON array (a cell holding
a JSON list in text form, e.g. from a spreadsheet, is read as that list too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from judgekit.errors import DatasetError
from judgekit.inputs.field_values import scalar_text, type_name

MAX_ANSWERS = 9
"""The most answers one listwise row may hold: the judge names its pick by a single digit."""
LISTWISE_FIELDS = ("answers", "models")


def _as_list(value: Any) -> Any:
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def listwise_fields(
    values: dict[str, Any],
    fail: Callable[[str, str], DatasetError],
    text: Callable[[Any, str], str],
) -> dict[str, Any]:
    """`answers` (and `models`) of a listwise row, checked; `text` reads one answer's text."""
    answers = _as_list(values["answers"])
    if not isinstance(answers, list):
        raise fail("answers", f"expected a list of answers, got {type_name(answers)}")
    if not 2 <= len(answers) <= MAX_ANSWERS:
        raise fail("answers", f"a listwise row needs 2 to {MAX_ANSWERS} answers, got {len(answers)}")
    for name in ("answer", "answer_a", "answer_b", "human_label", "human_score"):
        if name in values:
            raise fail(name, f"a listwise row (with 'answers') cannot also have '{name}'")
    fields: dict[str, Any] = {"answers": tuple(text(answer, "answers") for answer in answers)}
    if "models" in values:
        models = _as_list(values["models"])
        if not isinstance(models, list) or len(models) != len(answers):
            got = f"{len(models)} names" if isinstance(models, list) else type_name(models)
            raise fail("models", f"expected one model name per answer ({len(answers)}), got {got}")
        names = tuple(scalar_text(model, "models", fail) for model in models)
        if len(set(names)) != len(names):
            raise fail("models", "model names must be distinct within a row (each answer's pick is credited to it)")
        fields["models"] = names
    return fields


def name_of(models: tuple[str, ...] | None, position: int) -> str:
    """The name a pick is credited to: the model, or `answer N` (1-based) when the row names none."""
    return models[position] if models is not None else f"answer {position + 1}"
