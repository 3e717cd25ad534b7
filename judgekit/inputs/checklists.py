"""Checklist rubrics: criteria with points, from the data or from one file shared by all items.

In the data, `rubric_items` holds a list of criteria, each `{criterion, points}` (and an
optional `name` or `id` that identifies it across items); a CSV cell may hold the same list as
JSON. `--checklist FILE` gives one list (YAML or JSON) to every item without its own. Points may
be negative: a criterion worth -5 is something the answer should not do.

`human_rubric` holds a human's verdict per criterion: a list of true/false in the order of the
criteria (null where not graded), or a mapping from criterion name to true/false.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.rubrics import read_option_file
from judgekit.schema import RubricItem

Fail = Callable[[str, str], DatasetError]
"""fail(field, problem): the error for one row's field."""

_NAME_KEYS = ("name", "id")
_KNOWN_KEYS = frozenset({"criterion", "points", *_NAME_KEYS, "tags"})


@dataclass(frozen=True)
class ShownCriterion:
    """A criterion as a template sees it: prints as its text, with .number, .points and .name."""

    number: int
    text: str
    points: float
    name: str

    @property
    def points_text(self) -> str:
        """The points as written (5, -5, 2.5)."""
        return str(int(self.points)) if float(self.points).is_integer() else str(self.points)

    def __str__(self) -> str:
        return self.text


def rubric_items_of(value: Any, fail: Fail, field: str = "rubric_items") -> tuple[RubricItem, ...]:
    """The criteria in one row's `rubric_items` value (a list, or a JSON text of one)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail(field, "not a list of {criterion, points} (nor JSON text of one)") from None
    if not isinstance(value, list) or not value:
        raise fail(field, "needs a non-empty list of {criterion, points}")
    items = [_rubric_item(entry, index, fail, field) for index, entry in enumerate(value, start=1)]
    if not any(item.points > 0 for item in items):
        raise fail(field, "no criterion has positive points; the score is the points met over the positive points")
    names = [item.name for item in items]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise fail(field, f"criterion {index + 1}: name {name!r} is used twice in one checklist")
    return tuple(items)


def _rubric_item(entry: Any, index: int, fail: Fail, field: str) -> RubricItem:
    where = f"criterion {index}"
    if not isinstance(entry, Mapping):
        raise fail(field, f"{where}: needs a mapping {{criterion, points}}, got {type(entry).__name__}")
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        raise fail(field, f"{where}: unknown key '{unknown[0]}' (known: criterion, points, name, id, tags)")
    text = entry.get("criterion")
    if not isinstance(text, str) or not text.strip():
        raise fail(field, f"{where}: 'criterion' must be a non-empty text")
    points = entry.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points):
        raise fail(field, f"{where}: 'points' must be a number (negative for something to avoid)")
    if points == 0:
        raise fail(field, f"{where}: 'points' is 0; a criterion worth nothing cannot change the score")
    name = next((entry[key] for key in _NAME_KEYS if entry.get(key) is not None), None)
    if name is not None and (isinstance(name, bool) or not isinstance(name, (str, int)) or not str(name).strip()):
        raise fail(field, f"{where}: 'name' must be a short text")
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
        raise fail(field, f"{where}: 'tags' must be a list of short texts")
    return RubricItem(
        criterion=text.strip(),
        points=float(points),
        name=str(name).strip() if name else text.strip(),
        tags=tuple(tag.strip() for tag in tags),
    )


def human_rubric_of(value: Any, fail: Fail, field: str = "human_rubric") -> tuple[bool | None, ...] | dict[str, bool]:
    """A human's verdicts per criterion: a list in criterion order, or a mapping by name."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail(field, "not a list of true/false (nor JSON text of one)") from None
    if isinstance(value, Mapping):
        return {str(name): _verdict(verdict, f"criterion {name!r}", fail, field) for name, verdict in value.items()}
    if not isinstance(value, list):
        raise fail(field, "needs a list of true/false, one per criterion (or a mapping from criterion name)")
    verdicts: list[bool | None] = []
    for index, verdict in enumerate(value, start=1):
        verdicts.append(None if verdict is None else _verdict(verdict, f"criterion {index}", fail, field))
    return tuple(verdicts)


def _verdict(value: Any, where: str, fail: Fail, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "met", "not met", "yes", "no"):
        return value.strip().lower() in ("true", "met", "yes")
    raise fail(field, f"{where}: {value!r} is not true or false")


def align_human(
    verdicts: tuple[bool | None, ...] | dict[str, bool], items: tuple[RubricItem, ...], fail: Fail
) -> tuple[bool | None, ...]:
    """The human verdicts in the order of the criteria; a count or name that does not fit is an error."""
    if isinstance(verdicts, dict):
        names = {item.name for item in items}
        unknown = sorted(set(verdicts) - names)
        if unknown:
            raise fail("human_rubric", f"no criterion named {unknown[0]!r} in this item's checklist")
        return tuple(verdicts.get(item.name) for item in items)
    if len(verdicts) != len(items):
        raise fail("human_rubric", f"has {len(verdicts)} verdicts but the checklist has {len(items)} criteria")
    return verdicts


def load_checklist(path: str) -> tuple[RubricItem, ...]:
    """The checklist file of `--checklist`: a YAML/JSON list of {criterion, points} (or {criteria: [...]})."""
    content = read_option_file(path, "checklist", "--checklist")
    import yaml

    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML/JSON ({getattr(exc, 'problem', exc)})") from None
    if isinstance(data, Mapping) and set(data) == {"criteria"}:
        data = data["criteria"]

    def fail(field: str, problem: str) -> DatasetError:
        return DatasetError(path, None, None, f"{problem} (--checklist)")

    return rubric_items_of(data, fail, "criteria")


def shown(items: tuple[RubricItem, ...]) -> list[ShownCriterion]:
    """The criteria as a template sees them, numbered from 1."""
    return [
        ShownCriterion(number=index, text=item.criterion, points=item.points, name=item.name)
        for index, item in enumerate(items, start=1)
    ]


def call_name(number: int) -> str:
    """The judgment call that grades criterion `number` alone."""
    return f"criterion-{number}"


ALL_CALL = "checklist"
"""The judgment call that grades every criterion at once."""


def criterion_number(call: str) -> int | None:
    """The criterion a per-criterion call grades (1-based), or None for any other call."""
    prefix = "criterion-"
    if call.startswith(prefix) and call[len(prefix) :].isdigit():
        return int(call[len(prefix) :])
    return None
