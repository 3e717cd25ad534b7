"""The orders in which a listwise item's answers are shown, and reading a pick back.

- `random` (default): one call per item, the answers in an order shuffled by a generator seeded
  with (seed, item id), so `--seed` reproduces the run and no answer keeps a fixed place.
- `swap`: N calls per item for N answers, the shuffled order and its rotations: each answer is
  shown once in every position (N times the cost of `random`). The item's pick is the answer
  picked most often; a tie for most often leaves the item without a pick (unscored).
- `fixed`: one call, the data's own order (only to measure position bias).

A pick names a position in the order shown (1 = shown first); it is stored as the position of
the answer in the data, so a pick always means the same answer whatever order the judge saw.
"""

from __future__ import annotations

import hashlib
import random

from judgekit.choices import Positions
from judgekit.schema import VerdictSpec


def shuffled(seed: int, item_id: str, n: int) -> tuple[int, ...]:
    """A permutation of range(n), stable per (seed, item id)."""
    digest = hashlib.sha256(f"{seed}\x00{item_id}\x00listwise".encode()).digest()
    order = list(range(n))
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return tuple(order)


def orders(positions: Positions, seed: int, item_id: str, n: int) -> list[tuple[str, tuple[int, ...]]]:
    """(call name, shown order) for each call an item of n answers needs."""
    if positions == "fixed":
        return [("single", tuple(range(n)))]
    base = shuffled(seed, item_id, n)
    if positions == "random":
        return [("single", base)]
    return [(f"R{shift + 1}", base[shift:] + base[:shift]) for shift in range(n)]


def pick_of(value: object, order: tuple[int, ...]) -> tuple[int | None, str | None]:
    """The data position picked by a verdict naming a shown position (1-based), or why none."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return None, f"unexpected outcome {value!r}"
    shown = int(value)
    if not 1 <= shown <= len(order):
        return None, f"picked answer {shown} of {len(order)} shown"
    return order[shown - 1], None


def expected_picks(spec: VerdictSpec, n: int) -> VerdictSpec:
    """The verdict a request of n shown answers expects, for the mock backend (never parsed with):
    only the numbers 1..n, valued so that its `first` behaviour names answer 1 and `second` the
    last one shown, as they name the first and second of a pair."""
    choices = spec.choices or {}
    kept = {label: float(n + 1 - int(value)) for label, value in choices.items() if 1 <= float(value) <= n}
    return spec.model_copy(update={"choices": kept})
