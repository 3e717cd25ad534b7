"""`--positions adaptive`: the other answer order only where the first left the verdict unsure.

Each pairwise item is judged once, in the order a seeded coin picks (as `--positions random`
does); its row is the call "AB" or "BA" by that order. The other order is judged too when the
first answer

- has a confidence (`confidence.row_confidence`) below the threshold (`--swap-below`),
- or is a tie, or is unscored (the other order may give a verdict where the first gave none).

A failed first call is retried like any failed call, never replaced by the other order. Without a
probability (score method parse) only ties and unscored answers get the other order.

An item judged in both orders is combined as under `--positions swap` (`orders.combine_orders`,
by `--order-disagreement`), except that an order with no valid verdict leaves the item to the
other one. An item with one order is final when that order needed no other, and pending (a run
stopped between the two calls) when it did: the rule is a function of the stored row and the
threshold, so `judgekit report` rebuilds the same outcomes without a call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.metrics.confidence import row_confidence
from judgekit.metrics.orders import combine_orders
from judgekit.schema import Judgment
from judgekit.stats.proportions import share
from judgekit.summary import AdaptiveInfo

if TYPE_CHECKING:
    from judgekit.metrics.aggregate import ItemOutcome

ORDER_CALLS = ("AB", "BA")


def adaptive_threshold(positions: str | None, swap_below: float | None) -> float | None:
    """The threshold item outcomes are read with: --swap-below under adaptive, else None."""
    if positions != "adaptive":
        return None
    return DEFAULT_SWAP_BELOW if swap_below is None else float(swap_below)


def needs_other_order(first: Judgment, threshold: float) -> bool:
    """Whether an item's first-order answer sends it to the other order (see the module docstring)."""
    if first.status == "error":
        return False
    if first.status != "ok" or first.verdict in (None, "tie"):
        return True
    confidence = row_confidence(first)
    return confidence is not None and confidence.value < threshold


def adaptive_outcome(
    item_id: str, rows: Mapping[str, Judgment], threshold: float, disagreement: str | None
) -> ItemOutcome:
    """The outcome of one item of an adaptive run from its order rows (keyed by call)."""
    from judgekit.metrics.aggregate import ItemOutcome

    orders = [rows[call] for call in ORDER_CALLS if call in rows]
    if not orders:
        return ItemOutcome(item_id, "pending")
    if len(orders) == 1:
        first = orders[0]
        if first.status == "error":
            return ItemOutcome(item_id, "error", reason=first.reason)
        if needs_other_order(first, threshold):
            return ItemOutcome(item_id, "pending")
        return _one_order(item_id, first)
    for row in orders:
        if row.status == "error":
            return ItemOutcome(item_id, "error", reason=row.reason)
    scored = [row for row in orders if row.status == "ok"]
    if not scored:
        return ItemOutcome(item_id, "unscored", reason=orders[0].reason)
    if len(scored) == 1:
        return _one_order(item_id, scored[0])
    verdict, flipped, probabilities = combine_orders(rows["AB"], rows["BA"], disagreement)
    method = rows["AB"].method
    if verdict is None:
        reason = "its two orders disagree (--order-disagreement drop)"
        return ItemOutcome(item_id, "dropped", flipped=True, reason=reason, probabilities=probabilities, method=method)
    return ItemOutcome(item_id, "ok", verdict=verdict, flipped=flipped, probabilities=probabilities, method=method)


def _one_order(item_id: str, row: Judgment) -> ItemOutcome:
    from judgekit.metrics.aggregate import ItemOutcome

    return ItemOutcome(item_id, "ok", verdict=row.verdict, probabilities=row.probabilities, method=row.method)


def adaptive_info(
    rows_by_item: Iterable[Mapping[str, Judgment]], outcomes: Sequence[ItemOutcome], threshold: float
) -> AdaptiveInfo:
    """Calls made and saved against full swap, and the flip rate of the items judged in both orders.

    `outcomes` are aligned with `rows_by_item`; items still pending (a run stopped between their
    two orders) are left out until they are finished."""
    items = both = 0
    for rows, outcome in zip(rows_by_item, outcomes, strict=True):
        if outcome.status == "pending":
            continue
        orders = sum(1 for call in ORDER_CALLS if call in rows)
        items += orders > 0
        both += orders == 2
    calls = items + both
    flips = [1.0 if outcome.flipped else 0.0 for outcome in outcomes if outcome.flipped is not None]
    return AdaptiveInfo(
        threshold=threshold,
        items=items,
        both_orders=both,
        calls=calls,
        full_swap_calls=2 * items,
        saved=2 * items - calls,
        calls_per_item=round(calls / items, 4) if items else 0.0,
        flip_rate=share(flips) if flips else None,
    )
