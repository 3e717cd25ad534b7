"""Judge verdicts given in both answer orders, read from two columns of a data file.

`judgekit agreement FILE --pred COLUMN --swapped COLUMN` reads released judge outputs made in
both orders (as LLMBar and MT-Bench publish them) into the rows a `--positions swap` run would
have written, so the per-order figures and the rules for disagreeing orders apply unchanged.

`--pred` holds the verdicts given with the file's first answer shown first, `--swapped` those
given with the answers swapped, both naming the file's own answers. When --field swapped the
answers (answer_a = the file's second answer), the first column's order is B first: the columns
trade places, and the verdicts, already flipped by the reader, follow the answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from judgekit.schema import Judgment, Label, Shown

Reader = Callable[[str], tuple[Any, Label | None]]
"""A column of the row -> (its raw value, the verdict read from it in the mapped order, or None)."""


def order_rows(item_id: str, first: str, second: str, *, swapped_answers: bool, read: Reader) -> dict[str, Judgment]:
    """The AB and BA rows of one item from its two verdict columns."""
    a_first, b_first = (second, first) if swapped_answers else (first, second)
    return {
        "AB": _row(item_id, a_first, read, swapped=False),
        "BA": _row(item_id, b_first, read, swapped=True),
    }


def _row(item_id: str, column: str, read: Reader, *, swapped: bool) -> Judgment:
    value, label = read(column)
    call = "BA" if swapped else "AB"
    if label is None:
        reason = f"'{column}' holds no verdict ({value!r})"
        return Judgment(
            item_id=item_id, call=call, judge=column, request_hash="", swapped=swapped, status="unscored", reason=reason
        )
    first_label = "B" if swapped else "A"
    shown: Shown = "tie" if label == "tie" else "first" if label == first_label else "second"
    return Judgment(
        item_id=item_id,
        call=call,
        judge=column,
        request_hash="",
        swapped=swapped,
        status="ok",
        verdict=label,
        shown=shown,
    )
