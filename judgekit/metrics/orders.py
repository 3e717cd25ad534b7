"""How the two verdicts of a `--positions swap` item become one, by a named rule."""

from __future__ import annotations

from collections.abc import Mapping

from judgekit.schema import Judgment, Label

ORDER_RULES = ("mean", "tie", "decisive", "drop")
"""How the two orders of a --positions swap item are combined when their verdicts disagree:

- mean: the two orders' probabilities (log-probabilities or samples) are averaged and the most
  likely label wins (an exact draw is a tie); without probabilities in both orders, as tie.
- tie (MT-Bench): two verdicts that disagree make the item a tie.
- decisive (JudgeBench): a verdict and a tie give the verdict; A against B is a tie.
- drop: the item is left out of every rate (status "dropped", counted).

The default (None) is mean where both orders carry probabilities and tie elsewhere."""


def combine_orders(
    first: Judgment, second: Judgment, rule: str | None = None
) -> tuple[Label | None, bool, dict[str, float] | None]:
    """Combine the AB and BA verdicts of one item: (verdict, flipped, averaged probabilities).

    The verdict is None only under the drop rule, for an item whose two orders disagree.
    """
    assert first.verdict is not None and second.verdict is not None
    flipped = first.verdict != second.verdict
    mean: dict[str, float] | None = None
    if first.probabilities and second.probabilities:
        mean = {
            label: (first.probabilities.get(label, 0.0) + second.probabilities.get(label, 0.0)) / 2 for label in LABELS
        }
    chosen = rule or ("mean" if mean is not None else "tie")
    if chosen == "mean" and mean is not None:
        return _most_likely(mean), flipped, mean
    if not flipped:
        return first.verdict, False, mean
    if chosen == "drop":
        return None, True, mean
    if chosen == "decisive" and "tie" in (first.verdict, second.verdict):
        decisive = second.verdict if first.verdict == "tie" else first.verdict
        return decisive, True, mean
    return "tie", True, mean


LABELS: tuple[Label, ...] = ("A", "B", "tie")


def _most_likely(distribution: Mapping[str, float]) -> Label:
    best = max(distribution.values())
    leaders = [label for label in LABELS if distribution.get(label, 0.0) == best]
    # An exact draw between the answers is a tie, not a win for whichever label comes first.
    return leaders[0] if len(leaders) == 1 else "tie"
