"""`--positions adaptive`: the other answer order only where the first left the verdict unsure.

Each pairwise item is judged once, in the order a seeded coin picks (as `--positions random`
does); its row is the call "AB" or "BA" by that order. The other order is judged too when the
first answer

- has a confidence (`confidence.row_confidence`) below the threshold (`--swap-below`),
- or is a tie, or is unscored (the other order may give a verdict where the first gave none),
- or is sure but drawn for the audit (`--swap-audit`, a seeded share of the sure items; see below).

A failed first call is retried like any failed call, never replaced by the other order. Without a
probability (score method parse) only ties and unscored answers get the other order.

An item judged in both orders is combined as under `--positions swap` (`orders.combine_orders`,
by `--order-disagreement`), except that an order with no valid verdict leaves the item to the
other one. An item with one order is final when that order needed no other, and pending (a run
stopped between the two calls) when it did: the rule is a function of the stored row, the item
id and the run's settings, so `judgekit report` rebuilds the same outcomes without a call.

The audit answers the question the threshold cannot: how many of full swap's verdicts did the
run keep? Items judged in both orders have swap's verdict by construction; a sure item judged
once keeps it unless its other order would have changed it. The audited items are a seeded random
sample of the sure ones, so the share of them whose combined verdict differs from their first
order's estimates that rate for all sure items, with an exact (Clopper-Pearson) interval, and

    kept = 1 - (sure items judged once / items) x (changed / audited)

with the interval's ends carried through the same line. A judge whose probabilities are
overconfident shows here: its sure verdicts change when audited, and the estimate falls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.metrics.confidence import row_confidence
from judgekit.metrics.orders import combine_orders
from judgekit.schema import Judgment
from judgekit.stats.draws import item_coin, item_uniform
from judgekit.stats.intervals import Estimate
from judgekit.stats.proportions import METHOD, clopper_pearson, share
from judgekit.summary import AdaptiveInfo

if TYPE_CHECKING:
    from judgekit.metrics.items import ItemOutcome

ORDER_CALLS = ("AB", "BA")
AUDIT_DRAW = "adaptive audit"
"""The purpose of the audit's seeded draw (independent of the coin that picks the first order)."""


@dataclass(frozen=True)
class AdaptiveRule:
    """When an adaptive run judges an item's other order: the run's --swap-below, --swap-audit, --seed."""

    threshold: float = DEFAULT_SWAP_BELOW
    audit: float = 0.0
    seed: int = 0

    def audited(self, item_id: str) -> bool:
        """Whether the item is in the audit sample (drawn whatever its first verdict turns out to be)."""
        return self.audit > 0 and item_uniform(self.seed, item_id, AUDIT_DRAW) < self.audit

    def first_call(self, item_id: str) -> str:
        """The order the item was judged in first ("AB" or "BA"), as `--positions random` picks it."""
        return "BA" if item_coin(self.seed, item_id) else "AB"

    def wants_other_order(self, first: Judgment) -> bool:
        """Whether the first-order answer sends the item to its other order (unsure or audited)."""
        if first.status == "error":
            return False
        return needs_other_order(first, self.threshold) or self.audited(first.item_id)


def adaptive_rule(
    positions: str | None, swap_below: float | None, swap_audit: float | None = None, seed: int | None = None
) -> AdaptiveRule | None:
    """The rule item outcomes are read with: the run's settings under adaptive, else None."""
    if positions != "adaptive":
        return None
    return AdaptiveRule(
        threshold=DEFAULT_SWAP_BELOW if swap_below is None else float(swap_below),
        audit=float(swap_audit or 0.0),
        seed=int(seed or 0),
    )


def needs_other_order(first: Judgment, threshold: float) -> bool:
    """Whether an item's first-order answer is unsure (see the module docstring)."""
    if first.status == "error":
        return False
    if first.status != "ok" or first.verdict in (None, "tie"):
        return True
    confidence = row_confidence(first)
    return confidence is not None and confidence.value < threshold


def adaptive_outcome(
    item_id: str, rows: Mapping[str, Judgment], rule: AdaptiveRule, disagreement: str | None
) -> ItemOutcome:
    """The outcome of one item of an adaptive run from its order rows (keyed by call)."""
    from judgekit.metrics.items import ItemOutcome

    orders = [rows[call] for call in ORDER_CALLS if call in rows]
    if not orders:
        return ItemOutcome(item_id, "pending")
    if len(orders) == 1:
        first = orders[0]
        if first.status == "error":
            return ItemOutcome(item_id, "error", reason=first.reason)
        if rule.wants_other_order(first):
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
    from judgekit.metrics.items import ItemOutcome

    return ItemOutcome(item_id, "ok", verdict=row.verdict, probabilities=row.probabilities, method=row.method)


def adaptive_info(
    rows_by_item: Iterable[Mapping[str, Judgment]], outcomes: Sequence[ItemOutcome], rule: AdaptiveRule
) -> AdaptiveInfo:
    """Calls made and saved against full swap, the flip rate of the items judged in both orders,
    and (with an audit) the estimated share of full swap's verdicts kept.

    `outcomes` are aligned with `rows_by_item`; items still pending (a run stopped between their
    two orders) are left out until they are finished."""
    items = both = sure_once = audited = changed = 0
    for rows, outcome in zip(rows_by_item, outcomes, strict=True):
        if outcome.status == "pending":
            continue
        orders = sum(1 for call in ORDER_CALLS if call in rows)
        items += orders > 0
        both += orders == 2
        first = rows.get(rule.first_call(outcome.item_id))
        if first is None or first.status != "ok" or needs_other_order(first, rule.threshold):
            continue  # unsure first verdicts get swap's own treatment: nothing to estimate
        if orders == 1:
            sure_once += 1
        elif outcome.status in ("ok", "dropped"):
            audited += 1
            changed += outcome.verdict != first.verdict
    calls = items + both
    flips = [1.0 if outcome.flipped else 0.0 for outcome in outcomes if outcome.flipped is not None]
    return AdaptiveInfo(
        threshold=rule.threshold,
        items=items,
        both_orders=both,
        calls=calls,
        full_swap_calls=2 * items,
        saved=2 * items - calls,
        calls_per_item=round(calls / items, 4) if items else 0.0,
        flip_rate=share(flips) if flips else None,
        audit=rule.audit,
        audited=audited,
        audit_changed=changed,
        kept=kept_estimate(items, sure_once, audited, changed),
    )


def kept_estimate(items: int, sure_once: int, audited: int, changed: int) -> Estimate | None:
    """The share of full swap's verdicts an adaptive run kept (see the module docstring).

    Exact when no sure item was judged once (every verdict is swap's); None when some were and
    none was audited (nothing tells how many of them the other order would have changed)."""
    if items == 0:
        return None
    if sure_once == 0:
        why = "every item was judged in both orders or audited: its verdicts are full swap's"
        return Estimate(value=1.0, n=items, no_interval=why)
    if audited == 0:
        return None
    once = sure_once / items
    low, high = clopper_pearson(changed, audited)
    value = 1.0 - once * changed / audited
    return Estimate(value=value, low=1.0 - once * high, high=1.0 - once * low, n=audited, interval=METHOD)


KEPT_TARGET = 0.95
"""The share of full swap's verdicts below which an audited adaptive run warns (the issue's goal)."""


def kept_warning(info: AdaptiveInfo | None) -> str | None:
    """A warning when the audit estimates that adaptive kept less than KEPT_TARGET of swap's verdicts."""
    if info is None or info.kept is None or info.kept.value >= KEPT_TARGET:
        return None
    return (
        f"--positions adaptive kept an estimated {info.kept.format(percent=True)} of full swap's verdicts "
        f"({info.audit_changed} of {info.audited} audited sure verdicts changed in the other order): the judge is "
        f"surer than its verdicts are; raise --swap-below (now {info.threshold:g}) or use --positions swap"
    )
