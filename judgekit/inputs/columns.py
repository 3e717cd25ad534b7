"""Which column of a data file feeds each field judgekit reads (`--field NAME=COLUMN`, names, aliases).

An explicit `--field` wins, then a column with the field's own name, then a known alias (the
column names AlpacaEval, LLMBar, Chatbot Arena and MT-Bench files use). When the mapping moves a
pair's answers, what speaks of them moves too (`judgekit.inputs.pairing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from judgekit.errors import UsageError
from judgekit.inputs.pairing import AnswerOrder, answer_order, cannot_follow, flip, follow_answers, swap_paired
from judgekit.schema import Label

CANONICAL_FIELDS = (
    "id",
    "question",
    "answer",
    "answer_a",
    "answer_b",
    "model",
    "model_a",
    "model_b",
    "reference",
    "context",
    "category",
    "rubric",
    "human_label",
    "human_score",
    "rubric_items",
    "human_rubric",
    "conversation",
    "conversation_a",
    "conversation_b",
    "answers",
    "models",
)
"""Field names judgekit understands; `--field NAME=COLUMN` maps a file's columns onto them."""

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "question": ("instruction", "input", "prompt"),
    "answer": ("output", "response"),
    "answer_a": ("output_1", "output_a", "response_a"),
    "answer_b": ("output_2", "output_b", "response_b"),
    "model": ("generator",),
    "model_a": ("generator_1",),
    "model_b": ("generator_2",),
    "human_label": ("label", "winner"),
}
"""Column names used when the canonical one is absent (AlpacaEval and LLMBar use these; Chatbot
Arena's and MT-Bench's human judgments name the preferred answer `winner`)."""


def resolve_mapping(columns: tuple[str, ...], explicit: Mapping[str, str]) -> dict[str, str]:
    """Decide which column feeds each canonical field: explicit mapping, then name, then alias.

    An explicit mapping whose column (or the root of its dotted path) is absent from these
    columns is left out; `Dataset.scan` reports a mapped column that no row has. When the
    mapping moves the answers, the model columns move with them (see `judgekit.inputs.pairing`).
    """
    return resolve_pairing(columns, explicit)[0]


def resolve_pairing(columns: tuple[str, ...], explicit: Mapping[str, str]) -> tuple[dict[str, str], Pairing]:
    """The mapping and how it moved the file's answers (what labels and paired columns must do)."""
    default, chosen = _plain_mapping(columns, {}), _plain_mapping(columns, explicit)
    pairing = Pairing(answer_order(default, chosen), default, chosen)
    return follow_answers(columns, default, chosen, explicit), pairing


@dataclass(frozen=True)
class Pairing:
    """How a --field mapping placed the file's answers as A and B."""

    order: AnswerOrder
    default: Mapping[str, str]
    """The mapping without any --field (the file's own answer columns)."""
    chosen: Mapping[str, str]

    def label(self, label: Label, what: str) -> Label:
        """A label or verdict about the file's answers, seen from the mapped order."""
        if self.order == "swapped":
            return flip(label)
        if self.order == "other":
            raise UsageError(cannot_follow(what, self.default, self.chosen))
        return label

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The row's paired columns (X_1/X_2, X_a/X_b) following the answers."""
        return swap_paired(row) if self.order == "swapped" else dict(row)


def _plain_mapping(columns: tuple[str, ...], explicit: Mapping[str, str]) -> dict[str, str]:
    available = set(columns)
    mapping: dict[str, str] = {}
    for canonical in CANONICAL_FIELDS:
        if canonical in explicit:
            column = explicit[canonical]
            if column in available or column.split(".")[0] in available:
                mapping[canonical] = column
        elif canonical in available:
            mapping[canonical] = canonical
        else:
            for alias in DEFAULT_ALIASES.get(canonical, ()):
                if alias in available and alias not in explicit.values():
                    mapping[canonical] = alias
                    break
    return mapping
