"""A cascade of judges: which judge's verdict an item keeps, and which items go on to the next.

Every item goes to the first judge. An item goes on ("escalates") to the next judge when the
judge before gave it no verdict it can stand behind:

- a verdict whose confidence is below the stage's threshold, or a verdict without any
  confidence (a provider that returned no log-probabilities for that answer);
- no verdict at all: unscored, or dropped because its two orders disagreed.

An item whose call failed after retries (error) or was never made (pending) does not escalate:
its outcome stays what it is, so the run exits 3 and running the same command again retries
only it, before a later judge is paid for it. After the last judge, `--abstain-below` leaves
the items still below the threshold, and those still without a verdict, for humans.

The confidence of a verdict (`confidence`) is the one place a cascade reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from judgekit.metrics.confidence import item_confidence
from judgekit.metrics.items import ItemOutcome

DEFAULT_ESCALATE_BELOW = 0.8
"""`--escalate-below` when not given: a verdict at 80% or more stays with its judge (under
`--positions swap` without probabilities, only verdicts both orders agreed on)."""
ABSTAINED = "abstained: confidence below --abstain-below after the last judge"
"""The reason an abstained item carries (the part before its numbers groups them in summaries)."""


def confidence(outcome: ItemOutcome) -> float | None:
    """How sure the judge was of its verdict on one item, in [0, 1]; None when nothing says.

    The one definition of `metrics.confidence`: pairwise, the verdict's probability
    (log-probabilities or the share of samples, averaged over both orders under swap), else the
    agreement of the two orders (1 when both gave the same verdict, 1/2 when they disagreed);
    pointwise, the probability of the most likely score.
    """
    known = item_confidence(outcome)
    return None if known is None else known.value


def escalates(outcome: ItemOutcome, threshold: float) -> bool:
    """Whether the item goes on to the next judge (see the module's docstring)."""
    if outcome.status in ("unscored", "dropped"):
        return True
    if outcome.status != "ok":
        return False  # error or pending: retried by running the command again, never paid twice
    value = confidence(outcome)
    return value is None or value < threshold


def without_confidence(outcomes: Sequence[ItemOutcome]) -> int:
    """Verdicts that carry no confidence (an answer without log-probabilities): each escalates, and a
    stage with some says so, since a provider that ignores the request would escalate every item."""
    return sum(outcome.status == "ok" and confidence(outcome) is None for outcome in outcomes)


@dataclass
class Settled:
    """An item's place in the cascade once every stage that saw it has judged it."""

    outcome: ItemOutcome
    """Its final outcome (an abstained verdict becomes unscored, with `ABSTAINED` as reason)."""
    judge: str | None
    """The judge whose outcome it is (None: no stage judged it)."""
    stage: int
    """1-based stage of that judge (0: none)."""
    confidence: float | None = None
    abstained: bool = False
    tentative: ItemOutcome | None = None
    """An abstained item: the last judge's outcome that was not trusted."""


def abstain(settled: Settled, threshold: float) -> Settled:
    """After the last judge: leave the item for humans when it has no trusted verdict."""
    outcome = settled.outcome
    if outcome.status in ("unscored", "dropped"):
        return Settled(outcome, settled.judge, settled.stage, None, abstained=True, tentative=outcome)
    if outcome.status != "ok" or (settled.confidence is not None and settled.confidence >= threshold):
        return settled
    shown = "none" if settled.confidence is None else f"{settled.confidence:.3f}"
    reason = f"{ABSTAINED} ({shown} < {threshold:g}; left for human labels)"
    kept = ItemOutcome(outcome.item_id, "unscored", reason=reason)
    return Settled(kept, settled.judge, settled.stage, settled.confidence, abstained=True, tentative=outcome)


def sources(settled: Sequence[Settled]) -> dict[str, int]:
    """Items per final verdict source: a judge's name, "abstained", or the item's status."""
    counts: dict[str, int] = {}
    for one in settled:
        if one.abstained:
            key = "abstained"
        elif one.outcome.status == "ok" and one.judge:
            key = one.judge
        else:
            key = one.outcome.status
        counts[key] = counts.get(key, 0) + 1
    return counts
