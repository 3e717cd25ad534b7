"""Which answer is A: what else moves when `--field` remaps answer_a and answer_b.

A pairwise file names its two answers (`answer_a`/`answer_b`, or `output_1`/`output_2`, ...),
and every per-answer column, every label and every verdict in it speaks of that order: the
model that wrote each answer (`generator_1`), a length (`length_a`), a human label or a judge's
preference ("1" = the first answer). When `--field answer_a=output_2 --field answer_b=output_1`
puts the file's second answer in position A, all of these must follow, or the model names and
the labels describe the wrong answer:

- "file": the answers keep the file's order (or the file names no pair of its own, so the
  mapping defines A and B). Nothing moves.
- "swapped": the file's two answers trade places. The model columns trade places too (unless
  mapped explicitly), so do other paired columns (`X_1`/`X_2`, `X_a`/`X_b`), and a label or
  verdict naming A means the file's first answer, now B: it is flipped.
- "other": the answers come from other columns (e.g. `output_2` and `output_3` of a file with
  three). The model of each answer is the model column with the same suffix (`generator_3`),
  or none; a label naming the file's first or second answer cannot follow, and reading one is
  an error.

Per-model conversations (`conversation_a`/`conversation_b`) are a file's pair of answers in the
same way: remapping them moves the models, labels and paired columns exactly as above.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from judgekit.schema import Label

AnswerOrder = Literal["file", "swapped", "other"]

_ANSWER_PAIRS = (("answer_a", "answer_b"), ("conversation_a", "conversation_b"))
"""Fields that hold the two answers: plain answers, or whole per-model conversations."""
_MODEL_FIELDS = ("model_a", "model_b")
_MODEL_STEMS = ("model", "generator")
_LETTER_SIDE = re.compile(r"^(?P<stem>.+?)(?P<sep>[_\-. ])(?P<token>[A-Za-z])$")
_NUMBER_SIDE = re.compile(r"^(?P<stem>.+?)(?P<sep>[_\-. ]?)(?P<token>\d+)$")
_PARTNER = {"1": "2", "2": "1", "a": "b", "b": "a", "A": "B", "B": "A"}
_FLIPPED: dict[Label, Label] = {"A": "B", "B": "A", "tie": "tie"}


def answer_order(default: Mapping[str, str], chosen: Mapping[str, str]) -> AnswerOrder:
    """How the chosen answer columns relate to the file's own pair (`default` is the mapping
    without any --field, `chosen` the one with it)."""
    file_pair, pair = answer_pair(default), answer_pair(chosen)
    if None in file_pair or pair == file_pair:
        return "file"
    if pair == file_pair[::-1]:
        return "swapped"
    return "other"


def answer_pair(mapping: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The columns of the two answers a mapping names: answer_a/answer_b, else the conversations."""
    for first, second in _ANSWER_PAIRS:
        if first in mapping or second in mapping:
            return mapping.get(first), mapping.get(second)
    return None, None


def follow_answers(
    columns: Iterable[str],
    default: Mapping[str, str],
    chosen: Mapping[str, str],
    explicit: Mapping[str, str],
) -> dict[str, str]:
    """`chosen` with model_a/model_b moved to the columns that go with the chosen answers
    (a model field mapped explicitly stays where it was put)."""
    order = answer_order(default, chosen)
    mapping = dict(chosen)
    if order == "file":
        return mapping
    available = list(columns)
    answers = answer_pair(chosen)
    for side, model_field in enumerate(_MODEL_FIELDS):
        if model_field in explicit:
            continue
        mapping.pop(model_field, None)
        swapped = order == "swapped"
        source = default.get(_MODEL_FIELDS[1 - side]) if swapped else _model_column(available, answers[side])
        if source is not None:
            mapping[model_field] = source
    return mapping


def _side(column: str) -> tuple[str, str, str] | None:
    """(stem, separator, side token) of a column named for one answer: output_2, model_b."""
    match = _LETTER_SIDE.match(column) or _NUMBER_SIDE.match(column)
    return None if match is None else (match["stem"], match["sep"], match["token"])


def _model_column(columns: list[str], answer_column: str | None) -> str | None:
    """The model column with the same side suffix as an answer column (output_3 -> generator_3)."""
    side = _side(answer_column or "")
    if side is None:
        return None
    token = side[2]
    wanted = {token.lower(), _as_other_style(token)}
    for column in columns:
        found = _side(column)
        if found and found[0].lower() in _MODEL_STEMS and found[2].lower() in wanted:
            return column
    return None


def _as_other_style(token: str) -> str:
    """The same side written the other way: 2 <-> b, 1 <-> a (both lower case)."""
    if token.isdigit():
        number = int(token)
        return chr(ord("a") + number - 1) if 1 <= number <= 26 else token
    return str(ord(token.lower()) - ord("a") + 1)


def swap_paired(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with the values of paired columns traded (`length_a` <-> `length_b`,
    `score_1` <-> `score_2`), for a file whose answers were swapped."""
    swapped = dict(row)
    for key in row:
        side = _side(key)
        if side is None or side[2] not in _PARTNER or not side[1]:
            continue
        partner = f"{side[0]}{side[1]}{_PARTNER[side[2]]}"
        if partner in row:
            swapped[key] = row[partner]
    return swapped


def flip(label: Label) -> Label:
    """A label or verdict seen from the other order: A and B trade places, a tie stays."""
    return _FLIPPED[label]


def cannot_follow(what: str, default: Mapping[str, str], chosen: Mapping[str, str]) -> str:
    """Why labels cannot follow an "other" answer mapping, in one sentence."""
    (file_a, file_b), (shown_a, shown_b) = answer_pair(default), answer_pair(chosen)
    return (
        f"{what} say which of the file's answers {file_a} and {file_b} "
        f"was preferred, but --field shows {shown_a} as A and {shown_b} as B; "
        "map the two answers to those two columns (in either order) so the labels can follow"
    )
