"""Thresholds of a cascade chosen from human labels (`--target-agreement`), checked on held-apart items.

The labelled items are split in two with a seeded permutation (`--seed`): the first half (the
larger one when the count is odd) calibrates, the second is held apart.

At each stage the threshold is chosen so that, with probability at least 1 - delta over the
draw of the calibration items, the verdicts it keeps disagree with the humans at most 1 - target
of the time (the rule of Jung et al., "Trust or Escalate", 2024, in spirit). The candidates form
a coarse grid over the confidences of the calibration items that reached the stage with a verdict
and a confidence: for j = 1, ..., GRID_STEPS, the confidence at which the kept share of those
items first reaches j / GRID_STEPS (10%, 20%, ..., 100%). At candidate c the items with
confidence >= c are kept (a tie at a grid point keeps all of it, so more than the share), and c
passes when the exact one-sided upper bound on their disagreement rate (the binomial tail at
level delta, `stats.proportions.upper_bound`) is at most 1 - target. The candidates are tested
from the highest down; the scan stops at the first that fails and keeps the last that passed:
testing in a fixed order and stopping at the first failure keeps the chance of passing any
candidate whose true disagreement is too high at delta, with no correction for the number of
candidates. The argument needs only that which candidates are tested, and in what order, is
settled before any label is looked at. The grid is computed from the confidences alone, never
the labels, so the guarantee is unchanged from when every distinct confidence was a candidate.

Why a grid rather than every confidence: more candidates cost nothing in the level, but each is a
test that can end the scan. Tested at every confidence, the scan begins with the few most
confident items (22 at target 0.9, delta 0.1), where one disagreement already lifts the bound over
1 - target and ends it, so the stage trusts nothing although a larger kept set would pass easily.
With ten steps each test adds a tenth of the stage's items, enough for the bound to tighten
between tests; the price is resolution (the chosen threshold can keep up to a tenth of the items
fewer than the finest that would pass). The grid helps where a tenth of a stage's items is well
above the fewest that could pass (several hundred calibration items at target 0.9); with fewer,
its first test still needs every kept item to agree, on more items than before. Fewer calibration
items than steps give fewer, distinct candidates (one per item), and confidences all equal give
one, keeping every item.

Candidates that keep too few items to pass even if every one agreed are not tested (skipped, not
failed): at target 0.9 and delta 0.1 that is any candidate keeping fewer than 22 items. Which
candidates those are depends on the confidences alone, never on the labels, so skipping them
leaves the guarantee as it was. When no candidate passes, or no calibration item reached the
stage (none with a verdict and a confidence: all unscored, or no item escalated), no verdict of
that stage is trusted (every item it saw escalates, or abstains after the last judge).

The verdicts the cascade keeps are a mixture of the stages' kept verdicts, so they meet the
target whenever every stage's do; each of the K stages is tested at delta / K, so that holds for
all of them together with probability at least 1 - delta (a union bound).

A known gap in that argument, for stage k > 1: its calibration items are the ones the stages
before it escalated, and those stages chose their thresholds from the labels of partly the same
items. The scan's argument wants the stage's calibration items to be a sample of the items that
reach it, unselected by their labels; here the items between the candidate where an earlier scan
failed and the threshold it kept (every item its failed test kept, when none passed) go on
selected for having disagreed with the humans more often than chance. Items below the failed
candidate were never looked at and carry no such selection. When the judges tend to fail on the
same items (hard items, noisy human labels) this makes the later stage look worse than it is and
errs on the safe side; were a later judge right exactly where the earlier one was wrong, it would
err the other way. tests/test_cascade_guarantee.py simulates that case (stage 2 right on every
item stage 1 got wrong and wrong on 14.5% of the others, just over the allowed 0.1; 1,000 items,
each stage at 0.05): stage 2 passed wrongly in 1.5% of 1,000 seeded repeats, under its level.
Measured in one model built to make it bite, not proven. Two sound fixes were weighed and not
taken: disjoint calibration parts per stage (each stage decides on a K-th of the calibration
items; the benchmark's cascade at 400 items, seed 0, then trusts no verdict), or one
fixed-sequence scan over pairs of thresholds tested on the cascade's kept verdicts as a whole (the
later judge would have to judge every calibration item, calls the cascade exists to save).

The held-apart items never chose anything: the coverage (items that kept a verdict) and the
agreement of the kept verdicts with the humans are measured on them, each with its exact
Clopper-Pearson interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from judgekit.metrics.cascade import Settled
from judgekit.metrics.items import ItemFacts
from judgekit.stats.intervals import Estimate
from judgekit.stats.proportions import proportion_estimate, upper_bound

NEVER_TRUSTED = float("inf")
"""The threshold of a stage none of whose verdicts can be guaranteed to reach the target."""
DEFAULT_ERROR_LEVEL = 0.1
"""`--error-level` when not given: the guarantee holds with probability at least 90%."""
GRID_STEPS = 10
"""Candidate thresholds per stage: where the kept share of its calibration items reaches 10%, 20%, ...,
100% (coarse on purpose: see the module's docstring)."""


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


def stage_error_level(error_level: float, stages: int) -> float:
    """The level each of `stages` stages is tested at, so that all hold together at `error_level`."""
    return error_level / max(stages, 1)


def fewest_items(target: float, level: float) -> int | None:
    """The fewest kept items that could guarantee `target` at `level` (were every one right); None: no
    number can (a target of 1)."""
    allowed = 1.0 - target
    if allowed <= 0.0:
        return None
    guess = max(1, math.ceil(math.log(level) / math.log1p(-allowed)))
    while guess > 1 and upper_bound(0, guess - 1, level) <= allowed:
        guess -= 1  # the logarithms are rounded: settle the count on the bound itself
    while upper_bound(0, guess, level) > allowed:
        guess += 1
    return guess


@dataclass(frozen=True)
class Test:
    """One candidate threshold tested on the calibration items."""

    threshold: float
    kept: int
    """Calibration items with confidence >= threshold."""
    disagreements: int
    """Of those, the ones whose verdict differs from the human label."""
    bound: float
    """The exact one-sided upper bound on their disagreement rate at the stage's level."""


@dataclass(frozen=True)
class Guarantee:
    """What the scan found at one stage."""

    passed: Test | None
    """The lowest candidate that passed (None: none did, the stage trusts no verdict)."""
    failed: Test | None
    """The candidate the scan stopped at (None: it ran out of candidates)."""
    fewest: int | None
    """The fewest kept items that could pass (None: no number can)."""

    @property
    def threshold(self) -> float:
        return NEVER_TRUSTED if self.passed is None else self.passed.threshold


def grid_candidates(confidences: Sequence[float], steps: int = GRID_STEPS) -> list[float]:
    """The thresholds worth testing, most confident first: for each share j / steps (j = 1..steps), the
    confidence of the item at which the kept share first reaches it. Kept at a candidate are all items
    with that confidence or more, so a tie at a grid point keeps more than the share; grid points that
    fall on the same confidence (ties, or fewer items than steps) are one candidate. Labels play no part."""
    ordered = sorted(confidences, reverse=True)
    candidates: list[float] = []
    for step in range(1, steps + 1):
        reached = -(-step * len(ordered) // steps)  # the fewest items whose share is at least step / steps
        if reached and (not candidates or ordered[reached - 1] < candidates[-1]):
            candidates.append(ordered[reached - 1])
    return candidates


def pick_threshold(pairs: Sequence[tuple[float, bool]], target: float, level: float) -> Guarantee:
    """The fixed-sequence scan of the module's docstring over (confidence, agrees with the humans) pairs."""
    fewest = fewest_items(target, level)
    allowed = 1.0 - target
    passed: Test | None = None
    for candidate in grid_candidates([value for value, _ in pairs]):
        kept = [agrees for value, agrees in pairs if value >= candidate]
        if fewest is None or len(kept) < fewest:
            continue  # could not pass whatever the labels: not tested
        wrong = len(kept) - sum(kept)
        test = Test(candidate, len(kept), wrong, upper_bound(wrong, len(kept), level))
        if test.bound > allowed:
            return Guarantee(passed, test, fewest)
        passed = test
    return Guarantee(passed, None, fewest)


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
    error_level: float = DEFAULT_ERROR_LEVEL
    """delta: the chance, at most, that a chosen threshold keeps verdicts below the target."""
    stage_error_level: float = DEFAULT_ERROR_LEVEL
    """The level each stage was tested at (delta / the number of judges)."""
    seed: int
    calibration_items: int
    held_apart_items: int
    thresholds: list[float | None]
    """Per stage that ran: the confidence a verdict needs to be kept (None: none was trusted)."""
    evidence: list[int]
    """Per stage that ran: calibration items with a verdict and a confidence that chose its threshold."""
    kept: list[int] = []
    """Per stage that ran: the calibration items its threshold kept (0: none trusted)."""
    disagreement_bounds: list[float | None] = []
    """Per stage that ran: the upper bound on the kept verdicts' disagreement with the humans at the
    stage's level (at most 1 - target; None: none trusted)."""
    fewest: int | None = None
    """The fewest calibration items a stage must keep, all agreeing, to pass at the stage's level."""
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
