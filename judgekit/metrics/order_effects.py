"""How much the order of the answers decided a pairwise judge's verdicts, against known labels.

From a `--positions swap` run on data whose `human_label` names the better answer (A or B),
compare the accuracy of each single order with the accuracy of the two orders combined, and
count how often both orders agree. A judge free of position bias is as accurate with the
right answer shown first as shown second, and gives the same verdict in both orders; a biased
one is right mostly when the right answer sits in its favourite place. Combining the orders
(probabilities averaged, `aggregate.combine_orders`) is what cancels that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from judgekit.metrics.aggregate import combine_orders
from judgekit.schema import Item, Judgment


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


def order_report(items: Iterable[Item], rows: Iterable[Judgment]) -> OrderReport:
    """Compare single orders and combined orders on labelled pairwise items (see module doc)."""
    by_item: dict[str, dict[str, Judgment]] = {}
    for row in rows:
        if row.role == "judge" and row.call in ("AB", "BA"):
            by_item.setdefault(row.item_id, {})[row.call] = row  # later rows replace earlier ones
    count = 0
    a_first = b_first = right_first = right_second = combined = consistent = first = Tally()
    for item in items:
        calls = by_item.get(item.id, {})
        ab, ba = calls.get("AB"), calls.get("BA")
        if item.human_label not in ("A", "B") or ab is None or ba is None:
            continue
        if ab.status != "ok" or ba.status != "ok" or ab.verdict is None or ba.verdict is None:
            continue
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
