"""Position and length bias of a pairwise run, and the flags raised when the evidence is clear.

- P(first): share of decisive judge calls that preferred the answer shown first. It estimates a
  position bias only when the order was independent of the answers: under `--positions swap`
  (both orders) or `random`. Under `fixed`, A is always shown first, so P(first) is the share of
  decisive verdicts won by A: a win rate, not a bias estimate, and it is labelled so.
- Flip rate (swap only): share of items whose verdict changed with the order (under adaptive, of
  the unsure items that got both orders: reported, never flagged).
- P(longer): share of decisive item verdicts won by the longer answer. Longer answers may simply
  be better, so without human labels it cannot separate a length bias from quality. With human
  labels the judge is measured against the people on the same items (both picked an answer, no
  tie, and the answers differ in length): the judge's and the humans' share of longer picks side
  by side, and the length bias conditional on the human label,

      P(judge picks longer | humans picked longer) + P(judge picks longer | humans picked shorter) - 1,

  which is the judge's rate of errors towards the longer answer minus its rate of errors towards
  the shorter one. It is 0 for a judge whose mistakes do not depend on length, however accurate
  (a perfect judge and a coin both score 0), +1 for one that always picks the longer answer and
  -1 for one that always picks the shorter. Its interval is Newcombe's hybrid score interval for
  the difference P(longer | humans longer) - P(shorter | humans shorter) of two independent
  proportions (`stats.difference`), which keeps a width at the edges where a bootstrap has none.

Flags (under swap or random only: under fixed position and length are confounded):

- P(first) whose 95% interval excludes 50%;
- a flip rate whose whole interval lies above FLIP_RATE_FLAG;
- with human labels, a length bias (above) whose interval excludes 0; without them, P(longer)
  whose interval excludes 50% (worded as a preference, not a proven bias).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from judgekit.schema import Judgment
from judgekit.stats.difference import difference_estimate
from judgekit.stats.intervals import Estimate
from judgekit.stats.proportions import share
from judgekit.summary import BiasFlag, BiasMetrics

if TYPE_CHECKING:
    from judgekit.metrics.items import ItemFacts, ItemOutcome

FLIP_RATE_FLAG = 0.2
"""A flip rate whose whole interval lies above this is flagged: one verdict in five decided by the
order. For scale: GPT-4 gave the same verdict in both orders on 87.0% of LLMBar's 200 MT-Bench
pairs (a 13% flip rate) with no tie allowed (princeton-nlp/LLMBar, statistics.json)."""

FIXED_ORDER_NOTE = "fixed order, A always first: not a bias estimate"

BIASED_ORDERS = ("swap", "random", "adaptive")
"""Answer orders under which P(first) and P(longer) estimate a bias (the order was not fixed)."""


def bias_metrics(
    facts: Sequence[ItemFacts],
    outcomes: Sequence[ItemOutcome],
    rows: Sequence[Judgment],
    positions: str | None = None,
) -> BiasMetrics:
    """Every bias figure of a pairwise run, with the flags the evidence supports."""
    decisive = [
        1.0 if row.shown == "first" else 0.0 for row in rows if row.status == "ok" and row.shown in ("first", "second")
    ]
    flips = [1.0 if outcome.flipped else 0.0 for outcome in outcomes if outcome.flipped is not None]
    longer = []
    judge_picks, human_picks = [], []
    for fact, outcome in zip(facts, outcomes, strict=True):
        if outcome.verdict not in ("A", "B") or fact.length_a == fact.length_b:
            continue
        a_longer = fact.length_a > fact.length_b
        judge_longer = 1.0 if (outcome.verdict == "A") == a_longer else 0.0
        longer.append(judge_longer)
        if fact.human_label in ("A", "B"):
            judge_picks.append(judge_longer)
            human_picks.append(1.0 if (fact.human_label == "A") == a_longer else 0.0)
    metrics = BiasMetrics(
        positions=positions,
        p_first=share(decisive),
        p_first_is_bias_estimate=positions != "fixed",
        flip_rate=share(flips) if flips else None,
        p_longer=share(longer),
    )
    if any(fact.human_label is not None for fact in facts):
        metrics.judge_p_longer_vs_humans = share(judge_picks)
        metrics.human_p_longer = share(human_picks)
        when_longer = [j for j, h in zip(judge_picks, human_picks, strict=True) if h == 1.0]
        when_shorter = [j for j, h in zip(judge_picks, human_picks, strict=True) if h == 0.0]
        metrics.p_longer_when_humans_longer = share(when_longer)
        metrics.p_longer_when_humans_shorter = share(when_shorter)
        # P(longer | humans longer) + P(longer | humans shorter) - 1 is P(longer | humans longer) minus
        # P(shorter | humans shorter): a difference of two independent proportions.
        right_shorter = len(when_shorter) - int(sum(when_shorter))
        metrics.length_vs_humans = difference_estimate(
            int(sum(when_longer)), len(when_longer), right_shorter, len(when_shorter)
        )
    if positions in BIASED_ORDERS:
        metrics.flags = flags(metrics)
    return metrics


def flags(metrics: BiasMetrics) -> list[BiasFlag]:
    """The bias figures whose interval is clear of the no-bias value (see the module docstring)."""
    found = []
    p_first = metrics.p_first
    if _excludes(p_first, 0.5):
        assert p_first is not None
        side = "first" if p_first.value > 0.5 else "second"
        found.append(
            BiasFlag(
                metric="p_first",
                estimate=p_first,
                reference=0.5,
                message=f"position bias: the judge preferred the answer shown first in {_pct(p_first)} of "
                f"{p_first.n} decisive verdicts, a lean towards the {side} answer (the interval excludes 50%)",
            )
        )
    flip = metrics.flip_rate
    # Under adaptive only the unsure items get both orders: their flip rate is no bias estimate.
    if metrics.positions != "adaptive" and flip is not None and flip.low is not None and flip.low > FLIP_RATE_FLAG:
        found.append(
            BiasFlag(
                metric="flip_rate",
                estimate=flip,
                reference=FLIP_RATE_FLAG,
                message=f"position bias: {_pct(flip)} of {flip.n} items changed verdict when the order was "
                f"swapped (the interval lies above {FLIP_RATE_FLAG:.0%})",
            )
        )
    found.extend(_length_flags(metrics))
    return found


def _length_flags(metrics: BiasMetrics) -> list[BiasFlag]:
    versus = metrics.length_vs_humans
    if versus is not None:
        if not _excludes(versus, 0.0):
            return []
        longer, shorter = metrics.p_longer_when_humans_longer, metrics.p_longer_when_humans_shorter
        assert longer is not None and shorter is not None
        towards = "longer" if versus.value > 0 else "shorter"
        return [
            BiasFlag(
                metric="length_vs_humans",
                estimate=versus,
                reference=0.0,
                message=f"length bias: measured against the human labels on {versus.n} items, the judge's "
                f"mistakes lean towards the {towards} answer (it picked the longer answer on {longer.value:.1%} "
                f"of the items the humans decided for the longer one and on {shorter.value:.1%} of those they "
                f"decided for the shorter one; bias {versus.value:+.3f} [{versus.low:+.3f}, {versus.high:+.3f}], "
                "the interval excludes 0)",
            )
        ]
    longer = metrics.p_longer
    if metrics.human_p_longer is not None or not _excludes(longer, 0.5):
        return []
    assert longer is not None
    which = "longer" if longer.value > 0.5 else "shorter"
    return [
        BiasFlag(
            metric="p_longer",
            estimate=longer,
            reference=0.5,
            message=f"length preference: the longer answer won {_pct(longer)} of {longer.n} decisive items, a "
            f"preference for the {which} answer (the interval excludes 50%; without human labels this cannot "
            "tell a length bias from longer answers being better)",
        )
    ]


def _excludes(estimate: Estimate | None, value: float) -> bool:
    if estimate is None or estimate.low is None or estimate.high is None:
        return False
    return bool(estimate.low > value or estimate.high < value)


def _pct(estimate: Estimate) -> str:
    return estimate.format(percent=True)


def deviation(estimate: Estimate | None, centre: float) -> Estimate | None:
    """|value - centre| with the interval it implies: the farthest the interval reaches from the
    centre, and the nearest (0 when the interval holds the centre). For the bias gates."""
    if estimate is None:
        return None
    value = abs(estimate.value - centre)
    if estimate.low is None or estimate.high is None:
        return Estimate(value=value, n=estimate.n)
    ends = (abs(estimate.low - centre), abs(estimate.high - centre))
    low = 0.0 if estimate.low <= centre <= estimate.high else min(ends)
    return Estimate(value=value, low=low, high=max(ends), n=estimate.n)
