"""How much the order of the answers decided a pairwise judge's verdicts, against known labels.

From a `--positions swap` run on data whose `human_label` names the better answer (A or B),
compare the accuracy of each single order with the accuracy of the two orders combined, and
count how often both orders agree. A judge free of position bias is as accurate with the
right answer shown first as shown second, and gives the same verdict in both orders; a biased
one is right mostly when the right answer sits in its favourite place. Combining the orders
(`aggregate.combine_orders`) is what cancels that.

`order_accuracy` gives the figures the summary carries, defined as LLMBar publishes them: the
accuracy in each order, their mean ("Acc.") and the share of items with the same verdict in
both orders ("Agr."), plus the accuracy of the combined verdict under a named rule for orders
that disagree (MT-Bench's tie, JudgeBench's decisive, or drop).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from judgekit.metrics.aggregate import combine_orders
from judgekit.schema import Judgment, Label
from judgekit.stats.proportions import share
from judgekit.summary import OrderAccuracy


class Labelled(Protocol):
    """An item (or its facts) with a human label."""

    @property
    def id(self) -> str: ...

    @property
    def human_label(self) -> Label | None: ...


@dataclass(frozen=True)
class Tally:
    right: int = 0
    total: int = 0

    def add(self, correct: bool) -> Tally:
        return Tally(self.right + correct, self.total + 1)

    def share(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass(frozen=True)
class OrderReport:
    items: int
    """Items with a decisive label (A or B) and a valid verdict in both orders."""
    a_first: Tally
    """The order of the file (answer A shown first): verdicts that named the right answer."""
    b_first: Tally
    """The swapped order (answer B shown first)."""
    right_shown_first: Tally
    """Single-order verdicts when the right answer was shown first."""
    right_shown_second: Tally
    """Single-order verdicts when the right answer was shown second."""
    combined: Tally
    """The item verdict from both orders combined."""
    consistent: Tally
    """Items whose two orders gave the same verdict."""
    first_preferred: Tally
    """Decisive single-order verdicts that chose the answer shown first."""


def _both_orders(rows: Iterable[Judgment]) -> dict[str, dict[str, Judgment]]:
    by_item: dict[str, dict[str, Judgment]] = {}
    for row in rows:
        if row.role == "judge" and row.call in ("AB", "BA"):
            by_item.setdefault(row.item_id, {})[row.call] = row  # later rows replace earlier ones
    return by_item


def _valid_pair(calls: dict[str, Judgment]) -> tuple[Judgment, Judgment] | None:
    ab, ba = calls.get("AB"), calls.get("BA")
    if ab is None or ba is None or ab.status != "ok" or ba.status != "ok":
        return None
    if ab.verdict is None or ba.verdict is None:
        return None
    return ab, ba


def order_accuracy(
    items: Sequence[Labelled],
    rows: Iterable[Judgment],
    *,
    rule: str | None = None,
) -> OrderAccuracy | None:
    """Per-order accuracy against the human labels of a swap run (None without such items)."""
    by_item = _both_orders(rows)
    a_first, b_first, mean, both, same, combined = [], [], [], [], [], []
    rules_used: set[str] = set()
    dropped = 0
    for item in items:
        pair = _valid_pair(by_item.get(item.id, {}))
        if item.human_label is None or pair is None:
            continue
        ab, ba = pair
        right_ab, right_ba = float(ab.verdict == item.human_label), float(ba.verdict == item.human_label)
        a_first.append(right_ab)
        b_first.append(right_ba)
        mean.append((right_ab + right_ba) / 2)
        both.append(right_ab * right_ba)
        same.append(float(ab.verdict == ba.verdict))
        rules_used.add(rule or ("mean" if ab.probabilities and ba.probabilities else "tie"))
        verdict, _, _ = combine_orders(ab, ba, rule)
        if verdict is None:
            dropped += 1
        else:
            combined.append(float(verdict == item.human_label))
    if not a_first:
        return None
    # Shares of items, with exact intervals; the mean of the two orders credits 0, 1/2 or 1 per item.
    return OrderAccuracy(
        n=len(a_first),
        a_first=share(a_first),
        b_first=share(b_first),
        mean=share(mean),
        both_right=share(both),
        positional_agreement=share(same),
        rule=" or ".join(sorted(rules_used)),
        combined=share(combined),
        dropped=dropped,
    )


def order_report(items: Iterable[Labelled], rows: Iterable[Judgment]) -> OrderReport:
    """Compare single orders and combined orders on labelled pairwise items (see module doc)."""
    by_item = _both_orders(rows)
    count = 0
    a_first = b_first = right_first = right_second = combined = consistent = first = Tally()
    for item in items:
        pair = _valid_pair(by_item.get(item.id, {}))
        if item.human_label not in ("A", "B") or pair is None:
            continue
        ab, ba = pair
        count += 1
        label = item.human_label
        a_first = a_first.add(ab.verdict == label)
        b_first = b_first.add(ba.verdict == label)
        for row in (ab, ba):
            # The right answer is shown first when it is A in the file's order, or B when swapped.
            shown_first = (label == "A") != row.swapped
            if shown_first:
                right_first = right_first.add(row.verdict == label)
            else:
                right_second = right_second.add(row.verdict == label)
            if row.shown in ("first", "second"):
                first = first.add(row.shown == "first")
        verdict, flipped, _ = combine_orders(ab, ba)
        combined = combined.add(verdict == label)
        consistent = consistent.add(not flipped)
    return OrderReport(count, a_first, b_first, right_first, right_second, combined, consistent, first)


def format_report(report: OrderReport) -> list[str]:
    """The report as aligned text lines."""

    def line(label: str, tally: Tally) -> str:
        share = tally.share()
        percent = f"{share:6.1%}" if share is not None else "     –"
        return f"  {label:<44}{tally.right:>4} of {tally.total:<4}{percent}"

    return [
        f"  {'':<44}right answer chosen",
        line("one order: answer A shown first", report.a_first),
        line("one order: answer B shown first", report.b_first),
        line("one order, right answer shown first", report.right_shown_first),
        line("one order, right answer shown second", report.right_shown_second),
        line("both orders combined", report.combined),
        "",
        line("same verdict in both orders (consistency)", report.consistent),
        line("verdicts for the answer shown first", report.first_preferred),
    ]
