"""Thresholds of a cascade chosen from human labels (`--target-agreement`), checked on held-apart items.

The labelled items are split in two with a seeded permutation (`--seed`): the first half (the
larger one when the count is odd) calibrates, the second is held apart.

At each stage the threshold is chosen so that, with probability at least 1 - delta over the
draw of the calibration items, the verdicts it keeps disagree with the humans at most 1 - target
of the time (the rule of Jung et al., "Trust or Escalate", 2024, in spirit). The candidates
are read off the confidences of the calibration items that reached the stage with a verdict and
a confidence, at kept counts fixed by the target and the level alone: n_k, the fewest kept items
that can pass with k disagreements (n_0 = `fewest_items`; at target 0.9 and level 0.05: 29, 46,
61, 76, 89, ..., the gaps shrinking towards 1 / (1 - target)), for every n_k up to the number of
items, and then all of them. Candidate k is the confidence of the item at which the kept count
first reaches n_k; the items with confidence >= it are kept (a tie keeps all of it, so more than
n_k, and rungs that fall on one confidence are one candidate). It passes when the exact one-sided
upper bound on their disagreement rate (the binomial tail at level delta,
`stats.proportions.upper_bound`) is at most 1 - target. The candidates are tested from the
highest down; the scan stops at the first that fails and keeps the last that passed: testing in a
fixed order and stopping at the first failure keeps the chance of passing any candidate whose true
disagreement is too high at delta, with no correction for the number of candidates. The argument
needs only that which candidates are tested, and in what order, is settled before any label is
looked at: these come from the confidences, the target and the level, never the labels.

Why these candidates (a ladder): more candidates cost nothing in the level, but each is a test
that can end the scan. Between two rungs a larger kept set tolerates no more disagreements than
the rung below it, so testing every distinct confidence (the rule before) let one disagreement
just past the n_0 most confident items (29 at target 0.9, level 0.05) end the scan; the ladder
tests only where one more disagreement becomes affordable. Every rung the old scan passed, the ladder passes too, so it
always gets at least as far as the last rung the old scan reached, and gives up at most the items
between two rungs (17 at first at level 0.05, nearing 1 / (1 - target) later). A grid of kept
shares (10%, ..., 100%) was tried too: with few items its first testable step overshoots n_0 and
still needs every kept item to agree. Over 1,000 seeded repeats of the benchmark's two-judge
cascade (benchmarks/cascade_candidates.py, target 0.9, 0.05 per stage) the cheap judge kept a
share of 0.041, 0.087 and 0.153 of the items at 200, 400 and 1,000 labelled items (every
confidence: 0.045, 0.080, 0.112; the grid: 0.037, 0.038, 0.141), a little less than the old rule
with the fewest labels and more with more; each stage's true disagreement exceeded the limit in at
most 2.4% of repeats (its level: 5%). The first test is the old one: a disagreement among the n_0
most confident items still leaves the stage trusting nothing. Starting at a later rung would
tolerate that, at the price of trusting nothing far more often with few labels; with thousands
of labels and a judge wrong now and then even at its most confident, that first test is what
limits the ladder (in simulation the grid, whose first test then holds hundreds of items, kept
more there, and nothing when only the top few percent were reliable).

No candidate keeps fewer than n_0 items (they could not pass were every one to agree): a stage
with fewer calibration items has no candidate and trusts nothing untested. When no candidate
passes, or no calibration item reached the stage (none with a verdict and a confidence: all
unscored, or no item escalated), no verdict of that stage is trusted (every item it saw
escalates, or abstains after the last judge).

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
each stage at 0.05): stage 2 passed wrongly in 0.9% of 1,000 seeded repeats, under its level.
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
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

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


def tolerance_steps(target: float, level: float, up_to: int) -> list[int]:
    """n_0 < n_1 < ... <= up_to: n_k is the fewest kept items that pass with k disagreements (the bound
    on k of n_k at `level` is at most 1 - target). From the target and the level alone; [] when no number
    can pass (a target of 1)."""
    first = fewest_items(target, level)
    steps: list[int] = []
    if first is None:
        return steps
    for size in range(first, up_to + 1):  # k + 1 disagreements need more items than k: one step per size at most
        if upper_bound(len(steps), size, level) <= 1.0 - target:
            steps.append(size)
    return steps


def candidate_thresholds(confidences: Sequence[float], target: float, level: float) -> list[float]:
    """The thresholds to test, most confident first: the confidence at which the kept count first reaches
    each of `tolerance_steps`, then the lowest confidence (every item; none when there are fewer items than
    the first step). Kept at a candidate are all items with that confidence or more, so a tie keeps more
    than the step; steps that fall on one confidence are one candidate. Labels play no part."""
    ordered = sorted(confidences, reverse=True)
    counts = tolerance_steps(target, level, len(ordered))
    if counts:
        counts.append(len(ordered))
    candidates: list[float] = []
    for count in counts:
        if not candidates or ordered[count - 1] < candidates[-1]:
            candidates.append(ordered[count - 1])
    return candidates


def pick_threshold(pairs: Sequence[tuple[float, bool]], target: float, level: float) -> Guarantee:
    """The fixed-sequence scan of the module's docstring over (confidence, agrees with the humans) pairs."""
    fewest = fewest_items(target, level)
    ordered = sorted(pairs, key=lambda pair: -pair[0])
    falling = [-value for value, _ in ordered]  # ascending, for bisect
    wrong_among_first = list(accumulate((int(not agrees) for _, agrees in ordered), initial=0))
    passed: Test | None = None
    for candidate in candidate_thresholds([value for value, _ in ordered], target, level):
        kept = bisect_right(falling, -candidate)  # the items with confidence >= candidate
        wrong = wrong_among_first[kept]
        test = Test(candidate, kept, wrong, upper_bound(wrong, kept, level))
        if test.bound > 1.0 - target:
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
