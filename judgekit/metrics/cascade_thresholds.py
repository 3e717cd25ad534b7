"""Thresholds of a cascade chosen from human labels (`--target-agreement`), checked on held-apart items.

The labelled items are split in two with a seeded permutation (`--seed`): the first half (the
larger one when the count is odd) calibrates, the second is held apart. At each stage, among
the calibration items that reached it and got a verdict with a confidence, the threshold is the
lowest confidence c at which the items with confidence >= c agree with the humans at least as
often as the target (so as many items as possible keep the stage's verdict); when no c reaches
the target, or no calibration item reached the stage, no verdict of that stage is trusted
(every item it saw escalates, or abstains after the last judge). Each kept group then agrees at
the target on the calibration items, so the verdicts kept from all stages together do too.

The held-apart items never chose anything: the coverage (items that kept a verdict) and the
agreement of the kept verdicts with the humans are measured on them, each with its exact
Clopper-Pearson interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from judgekit.metrics.aggregate import ItemFacts
from judgekit.metrics.cascade import Settled
from judgekit.stats.intervals import Estimate
from judgekit.stats.proportions import proportion_estimate

NEVER_TRUSTED = float("inf")
"""The threshold of a stage none of whose verdicts reached the target."""


@dataclass(frozen=True)
class Split:
    calibration: frozenset[str]
    held_apart: frozenset[str]


def split_labelled(facts: Sequence[ItemFacts], seed: int) -> Split:
    """Labelled items into a calibration half and a held-apart half (seeded; data order otherwise)."""
    labelled = [fact.id for fact in facts if fact.human_label is not None]
    order = np.random.default_rng(seed).permutation(len(labelled))
    cut = (len(labelled) + 1) // 2
    calibration = frozenset(labelled[int(index)] for index in order[:cut])
    held = frozenset(labelled[int(index)] for index in order[cut:])
    return Split(calibration, held)


def pick_threshold(pairs: Sequence[tuple[float, bool]], target: float) -> float:
    """The lowest confidence c with agreement >= target among the pairs with confidence >= c.

    `pairs` holds (confidence, agrees with the humans) per calibration item; NEVER_TRUSTED when
    no c reaches the target (or there are no pairs).
    """
    for candidate in sorted({value for value, _ in pairs}):
        kept = [agrees for value, agrees in pairs if value >= candidate]
        if sum(kept) >= target * len(kept):
            return candidate
    return NEVER_TRUSTED


def calibration_pairs(
    facts: Sequence[ItemFacts],
    confidences: Sequence[float | None],
    verdicts: Sequence[str | None],
    chosen: frozenset[str],
) -> list[tuple[float, bool]]:
    """(confidence, agrees) for the calibration items of one stage that have both."""
    pairs = []
    for fact, value, verdict in zip(facts, confidences, verdicts, strict=True):
        if fact.id in chosen and value is not None and verdict is not None:
            pairs.append((value, verdict == fact.human_label))
    return pairs


class TargetReport(BaseModel):
    """What `--target-agreement` chose and what it reached on the held-apart items."""

    target: float
    seed: int
    calibration_items: int
    held_apart_items: int
    thresholds: list[float | None]
    """Per stage that ran: the confidence a verdict needs to be kept (None: none was trusted)."""
    evidence: list[int]
    """Per stage that ran: calibration items with a verdict and a confidence that chose its threshold."""
    coverage: Estimate | None = None
    """Held-apart items that kept a verdict (not abstained, not unscored), of all held-apart items."""
    agreement: Estimate | None = None
    """Of those, the share whose verdict equals the human label (exact Clopper-Pearson interval)."""


def held_apart(
    settled: Sequence[Settled], facts: Sequence[ItemFacts], chosen: frozenset[str]
) -> tuple[Estimate | None, Estimate | None]:
    """Coverage and agreement of the final verdicts on the held-apart items."""
    by_id = {fact.id: fact for fact in facts}
    held = [one for one in settled if one.outcome.item_id in chosen]
    kept = [one for one in held if one.outcome.status == "ok" and one.outcome.verdict is not None]
    agree = sum(one.outcome.verdict == by_id[one.outcome.item_id].human_label for one in kept)
    return proportion_estimate(len(kept), len(held)), proportion_estimate(agree, len(kept))


def shown_threshold(value: float) -> float | None:
    return None if value == NEVER_TRUSTED else value
