"""The style counts of an answer that style control regresses on (see `stats/style_control.py`).

Four counts, in the order of `style_control.FEATURES`: the length in characters (as the
length-controlled fit uses), markdown headers (a line starting with one to six `#` and a space),
list items (a line starting with `-`, `*` or `+`, or a number followed by `.` or `)`, then a
space; indentation allowed) and bold spans (`**text**` or `__text__` on one line). Lines inside
fenced code blocks (``` or ~~~) count towards the length only: a `#` comment in code is not a
header.
"""

from __future__ import annotations

import hashlib
import re

from judgekit.schema import Item

_HEADER = re.compile(r"^ {0,3}#{1,6}[ \t]+\S")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_BOLD = re.compile(r"\*\*(?=\S)[^*\n]*?\S\*\*|__(?=\S)[^_\n]*?\S__|\*\*\S\*\*|__\S__")
_FENCE = re.compile(r"^\s*(```|~~~)")

StyleCounts = tuple[int, int, int, int]


def style_counts(text: str) -> StyleCounts:
    """(length, headers, list items, bold spans) of one answer."""
    headers = items = bold = 0
    in_code = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        if _HEADER.match(line):
            headers += 1
        elif _LIST_ITEM.match(line):
            items += 1
        bold += len(_BOLD.findall(line))
    return (len(text), headers, items, bold)


def instruction_key(item: Item) -> str:
    """The same key for rows that answer the same conversation (the instruction of AlpacaEval's
    difficulty term), short enough to keep per item."""
    return text_key("\x00".join(f"{turn.role}\x01{turn.content}" for turn in item.turns))


def text_key(text: str) -> str:
    """A short, stable key of a text (judgments read from a file's columns key their requests so)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
