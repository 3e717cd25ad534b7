"""Join a candidate's outputs with a baseline's into one pairwise dataset (AlpacaEval style).

Both files hold single answers (question + answer, optionally id, model, reference, context,
category, rubric). Rows are joined on `id` when every row of both files has one, otherwise on
the question text (the whole conversation for multi-turn rows). The joined row shows the
candidate as answer A and the baseline as answer B, so the win rate is the candidate's.

Rows that hold a whole `conversation` (each model's own earlier replies) join into per-model
conversations (`conversation_a`, `conversation_b`): the key is then the user turns, which the
two conversations must share.

Every join key must appear exactly once in each file: a key missing from the other file, or a
key repeated within one file, is an error naming the file, the line and the key, because a
comparison over mismatched items would quietly measure something else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError
from judgekit.inputs.columns import resolve_mapping
from judgekit.inputs.datasets import Dataset, ReadOptions
from judgekit.schema import Item, Message
from judgekit.store.rundir import atomic_write

_CARRIED = ("reference", "context", "category", "rubric")
"""Fields taken from the candidate's row, or from the baseline's when the candidate lacks them."""


@dataclass(frozen=True)
class Joined:
    """The joined pairwise file and how it was made."""

    path: Path
    rows: int
    key: str
    """"id" or "question"."""


def _question_key(item: Item) -> str:
    if item.conversation is not None:  # each model's own replies differ: the user turns are the key
        return json.dumps([[turn.role, turn.content.strip()] for turn in _user_turns(item)], ensure_ascii=False)
    if len(item.turns) == 1:
        return item.question.strip()
    return json.dumps([[turn.role, turn.content.strip()] for turn in item.turns], ensure_ascii=False)


def _user_turns(item: Item) -> list[Message]:
    return [turn for turn in item.conversation or () if turn.role != "assistant"]


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class _Side:
    """One of the two files, read and indexed by join key."""

    def __init__(self, path: str, options: ReadOptions) -> None:
        self.name = path
        self.dataset = Dataset(path, options)
        self.items: list[Item] = []
        for item in self.dataset:
            if item.kind != "pointwise":
                raise DatasetError(
                    path,
                    item.line,
                    "answer",
                    "--baseline joins files of single answers (question + answer); this row has answer_a/answer_b",
                )
            self.items.append(item)
        if not self.items:
            raise DatasetError(path, None, None, "no rows")
        self.has_ids = all("id" in resolve_mapping(tuple(row), options.fields) for _, row in self.dataset.raw_rows())

    def index(self, key: str) -> dict[str, Item]:
        indexed: dict[str, Item] = {}
        for item in self.items:
            value = item.id if key == "id" else _question_key(item)
            if value in indexed:
                first = indexed[value].line
                if key == "id":
                    raise DatasetError(self.name, item.line, "id", f"duplicate id {value!r} (first on line {first})")
                raise DatasetError(
                    self.name,
                    item.line,
                    "question",
                    f"the same question as line {first} ({_short(item.question)!r}); questions are the join key "
                    "when the files have no id column, so they must be unique (add an id column to both files)",
                )
            indexed[value] = item
        return indexed


def join(candidate: str, baseline: str, options: ReadOptions, directory: str | Path) -> Joined:
    """Join the two files and write the pairwise dataset under `directory`.

    The output's name is `<candidate>-vs-<baseline>.jsonl` inside a folder named by a hash of
    its content, so the same inputs always give the same file (and the same run id, so a
    re-run resumes), while different inputs never overwrite each other's file.
    """
    new, old = _Side(candidate, options), _Side(baseline, options)
    key = "id" if new.has_ids and old.has_ids else "question"
    new_index, old_index = new.index(key), old.index(key)
    for side, index, other in ((new, new_index, old_index), (old, old_index, new_index)):
        for value, item in index.items():
            if value not in other:
                shown = repr(value) if key == "id" else repr(_short(item.question))
                other_name = baseline if side is new else candidate
                raise DatasetError(side.name, item.line, key, f"{key} {shown} has no match in {other_name}")
    rows = [_pair(item, old_index[value], key, new, old) for value, item in new_index.items()]
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    folder = Path(directory) / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{Path(candidate).stem}-vs-{Path(baseline).stem}.jsonl"
    atomic_write(path, text)
    return Joined(path=path, rows=len(rows), key=key)


def _pair(new: Item, old: Item, key: str, new_side: _Side, old_side: _Side) -> dict[str, Any]:
    row: dict[str, Any] = {"id": new.id, **_texts(new, old, new_side, old_side)}
    row["model_a"] = new.model or Path(new_side.name).stem
    row["model_b"] = old.model or Path(old_side.name).stem
    for name in _CARRIED:
        value = getattr(new, name) or getattr(old, name)
        if value is not None:
            row[name] = value
    row["joined_on"] = key
    row["candidate_line"] = new.line
    row["baseline_line"] = old.line
    return row


def _texts(new: Item, old: Item, new_side: _Side, old_side: _Side) -> dict[str, Any]:
    """The joined row's question and answers, or its two per-model conversations."""
    if new.conversation is None and old.conversation is None:
        question: Any = new.question if len(new.turns) == 1 else [turn.model_dump() for turn in new.turns]
        return {"question": question, "answer_a": new.answer, "answer_b": old.answer}
    for item, side, other in ((new, new_side, old_side), (old, old_side, new_side)):
        if item.conversation is None:
            raise DatasetError(
                side.name, item.line, "conversation", f"has no conversation, but its match in {other.name} has one"
            )
    if _user_turns(new) != _user_turns(old):
        raise DatasetError(
            old_side.name,
            old.line,
            "conversation",
            f"its user turns differ from those of {new_side.name}:{new.line}; both must continue the same conversation",
        )
    return {
        "conversation_a": [turn.model_dump() for turn in new.conversation or ()],
        "conversation_b": [turn.model_dump() for turn in old.conversation or ()],
    }
