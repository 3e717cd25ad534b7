"""One field of a data row turned into a typed value: texts, conversations, labels, scores.

Dotted column paths reach nested keys; a value of the wrong type, or a path that misses at any
depth, is an error naming the row's file, line and field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from judgekit.errors import DatasetError
from judgekit.schema import Label, Message

LABEL_ALIASES: dict[str, Label] = {
    "a": "A",
    "1": "A",
    "model_a": "A",
    "answer_a": "A",
    "b": "B",
    "2": "B",
    "model_b": "B",
    "answer_b": "B",
    "tie": "tie",
    "draw": "tie",
    "0": "tie",
    "1.5": "tie",
    "c": "tie",
    "tie (bothbad)": "tie",
}


def follow_path(row: Mapping[str, Any], column: str, fail: Callable[[str], DatasetError]) -> Any:
    """The value a mapped column names; a dotted path must exist at every depth below its root.

    A row without the path's first part lacks the column, as a row may lack any column; a row that
    has it but misses a deeper key is a mistake in the path (a typo such as scores.coherance), and
    fails naming the row instead of passing as "no value".
    """
    if column in row or "." not in column:
        return row.get(column)
    value: Any = row
    walked: list[str] = []
    for part in column.split("."):
        if value is None:
            return None  # a null object on the way: no value, as a null cell
        if not isinstance(value, Mapping):
            raise fail(f"'{'.'.join(walked)}' is {type_name(value)}, not an object with a key '{part}'")
        if part not in value:
            where = f"under '{'.'.join(walked)}'" if walked else "in the row"
            keys = ", ".join(sorted(str(key) for key in value)) or "none"
            raise fail(f"no key '{part}' {where} (its keys: {keys})")
        value = value[part]
        walked.append(part)
    return value


def lookup_path(row: Mapping[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if isinstance(value, list) and part.isdigit():  # a list element by position: results.0.winner
            if int(part) >= len(value):
                return None
            value = value[int(part)]
            continue
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def scalar_text(value: Any, key: str, fail: Any) -> str:
    if isinstance(value, str):
        return _without_lone_surrogates(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(key, f"expected text, got {type_name(value)}")
    return str(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(text: str) -> str:
    """JSON may escape half of a surrogate pair ("\\ud800"), which no file encoding can hold;
    such a code point becomes U+FFFD, as a UTF-8 decoder would make of a broken byte."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def turns_of(value: Any, fail: Any) -> tuple[Message, ...]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (Message(role="user", content=_without_lone_surrogates(str(value))),)
    if not isinstance(value, list) or not value:
        raise fail("question", f"expected text or a list of {{role, content}} messages, got {type_name(value)}")
    turns = []
    for position, message in enumerate(value, start=1):
        if (
            not isinstance(message, Mapping)
            or message.get("role") not in ("system", "user", "assistant")
            or not isinstance(message.get("content"), str)
        ):
            raise fail(
                "question",
                f"message {position} must be an object with role (system, user or assistant) and text content",
            )
        turns.append(Message(role=message["role"], content=_without_lone_surrogates(message["content"])))
    if turns[-1].role != "user":
        raise fail("question", "the last message of a conversation must be the user turn being answered")
    return tuple(turns)


def label_of(value: Any, fail: Any) -> Label:
    if isinstance(value, bool):
        raise fail("human_label", "expected A, B or tie, got true/false")
    key = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        key = str(int(value))
    label = LABEL_ALIASES.get(key.lower())
    if label is None:
        raise fail("human_label", f"expected A, B or tie (or 1, 2, 0), got {value!r}")
    return label


def human_scores_of(value: Any, fail: Any) -> tuple[float, tuple[float, ...] | None]:
    """One human score, or several raters' scores as a list (their mean is the item's human score).

    A CSV cell holds a list as JSON text ("[4, 5, 3]"); null entries are raters who did not rate.
    """
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail("human_score", f"expected a number or a list of numbers, got {value!r}") from None
    if not isinstance(value, list):
        return score_of(value, fail), None
    ratings = tuple(score_of(rating, fail) for rating in value if rating is not None)
    if not ratings:
        raise fail("human_score", "the list of human scores holds no number")
    return math.fsum(ratings) / len(ratings), ratings


def score_of(value: Any, fail: Any) -> float:
    if isinstance(value, bool):
        raise fail("human_score", "expected a number, got true/false")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise fail("human_score", f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise fail("human_score", f"expected a finite number, got {value!r}")
    return number


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)
