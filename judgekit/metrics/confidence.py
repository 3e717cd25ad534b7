"""How sure the judge was of one verdict: the one definition every part of judgekit uses.

The confidence of a verdict is, in this order of preference:

- its probability, when the judge gave one: the share of the verdict's token probability
  (`--score-method logprobs`) or of the votes (`--score-method samples`). Pairwise, that is
  P(verdict); under both orders the two orders' probabilities are averaged first, so the
  confidence is P(combined verdict). Pointwise, the verdict is the probability-weighted score,
  which is no single value, so the confidence is the probability of the most likely score.
- else, for a panel's verdict under `--panel-rule majority` or `unanimous`, the share of the
  panel's votes behind it: of the judges that gave the item a valid verdict (its effective panel
  size; an unscored or failed judge does not count), the share whose own verdict is the panel's.
  A 2-1 majority is 2/3, a 3-0 one 1; a tie the rule falls back to when no label wins is backed
  by the judges that said tie, so a 1-1 split is 0 (no judge stands behind the tie) and a
  1-1-1 split 1/3. Under unanimous every decisive verdict is therefore 1 and only forced ties
  fall lower. Pointwise and listwise panels the same, with the score or pick. An item without a
  panel verdict (below the quorum, no majority score) has none, never 0. (A `mean` panel
  carries the mean of its judges' probabilities instead: the first case.)
  A checklist item a panel voted on per criterion has one such share per criterion, and its
  confidence is their mean (`checklist_vote_share`), only when every criterion has a panel verdict.
- else, when the item was judged in both orders, the agreement of the two: 1 when both orders
  gave the same verdict, 1/2 when they disagreed (one order out of two stood behind the verdict).
- else none: a verdict parsed from text alone says nothing about how sure the judge was.

The calibration table (`calibration.py`), the summary's confidence figures, the per-item
outcomes file and `--positions adaptive` all read confidence through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from judgekit.schema import Judgment
from judgekit.summary import ConfidenceInfo

if TYPE_CHECKING:
    from judgekit.metrics.items import ItemOutcome

ConfidenceSource = Literal["logprobs", "samples", "probability", "panel votes", "order agreement"]
"""Where a confidence came from: token probabilities, vote shares of samples, probabilities of
another origin (a panel's mean distribution), the share of a panel's judges behind its verdict,
or the agreement of the two answer orders."""

SourceKind = Literal["probability", "panel votes", "order agreement"]
"""The kinds of evidence (logprobs, samples and other probabilities are all "probability")."""


@dataclass(frozen=True)
class Confidence:
    value: float
    """In [0, 1]."""
    source: ConfidenceSource


def verdict_probability(
    verdict: str | None, score: float | None, probabilities: Mapping[str, float] | None
) -> float | None:
    """The probability behind a verdict: P(verdict) for a label, the mode's for a score."""
    if not probabilities:
        return None
    if verdict is not None:
        return float(probabilities.get(verdict, 0.0))
    if score is not None:
        return float(max(probabilities.values()))
    return None


def panel_vote_share(backing: int | None, votes: int | None) -> float | None:
    """The share of a panel's valid votes behind its verdict; None without votes (never 0 for
    "nobody voted": a verdict no judge voted on has no confidence, not a low one)."""
    if backing is None or not votes:
        return None
    return backing / votes


def checklist_vote_share(criterion_votes: Sequence[tuple[int, int] | None]) -> float | None:
    """A checklist item's confidence from its panel's votes per criterion: the mean over the criteria
    of the share of voting judges behind the panel's verdict; None unless every criterion has one.

    The mean rather than the minimum: it is the chance that a voting judge drawn at random agrees
    with the panel on a criterion drawn at random, the same reading as one verdict's vote share,
    and it is what the per-criterion calibration table (`metrics.checklist_confidence`) checks, so
    the mean confidence and the ECE speak of one quantity. A minimum would make one 2-1 split among
    twenty unanimous criteria as doubtful as a 2-1 split on a checklist of one."""
    shares = [panel_vote_share(*votes) if votes is not None else None for votes in criterion_votes]
    known = [share for share in shares if share is not None]
    if not shares or len(known) < len(shares):
        return None
    return sum(known) / len(known)


def _panel_share(outcome: ItemOutcome) -> float | None:
    """The share of a panel's votes behind an item's verdict (per criterion and averaged for a checklist)."""
    if outcome.criterion_votes is not None:
        return checklist_vote_share(outcome.criterion_votes)
    return panel_vote_share(outcome.backing, outcome.votes)


def _probability_source(method: str | None) -> ConfidenceSource:
    return "logprobs" if method == "logprobs" else "samples" if method == "samples" else "probability"


def row_confidence(row: Judgment) -> Confidence | None:
    """The confidence of one judge call (a scored row with probabilities), else None."""
    if row.status != "ok":
        return None
    value = verdict_probability(row.verdict, row.score, row.probabilities)
    return None if value is None else Confidence(value, _probability_source(row.method))


def evidence_kind(outcomes: Iterable[ItemOutcome]) -> SourceKind | None:
    """The one kind of evidence a table over these outcomes should use: probability where any
    verdict carries one, else a panel's vote share where any verdict has one, else the agreement
    of both orders where any item has both, else None."""
    listed = list(outcomes)
    if any(outcome.probabilities for outcome in listed):
        return "probability"
    if any(_panel_share(outcome) is not None for outcome in listed):
        return "panel votes"
    if any(outcome.flipped is not None for outcome in listed):
        return "order agreement"
    return None


def item_confidence(outcome: ItemOutcome, kind: SourceKind | None = None) -> Confidence | None:
    """The confidence of an item's verdict (see the module docstring); `kind` keeps to one kind
    of evidence (as a calibration table must), else probability is preferred to order agreement."""
    if outcome.status != "ok":
        return None
    if outcome.verdict is None and outcome.score is None:  # a listwise pick: only a panel's vote share
        share = panel_vote_share(outcome.backing, outcome.votes) if outcome.pick is not None else None
        return None if share is None or kind not in (None, "panel votes") else Confidence(share, "panel votes")
    if kind in (None, "probability"):
        value = verdict_probability(outcome.verdict, outcome.score, outcome.probabilities)
        if value is not None:
            return Confidence(value, _probability_source(outcome.method))
    if kind in (None, "panel votes"):
        share = _panel_share(outcome)
        if share is not None:
            return Confidence(share, "panel votes")
    if kind in (None, "order agreement") and outcome.flipped is not None:
        return Confidence(0.5 if outcome.flipped else 1.0, "order agreement")
    return None


def confidence_info(outcomes: Sequence[ItemOutcome], threshold: float) -> ConfidenceInfo | None:
    """Mean confidence of the items and how many fall below `threshold`; None when none has one."""
    known = [confidence for outcome in outcomes if (confidence := item_confidence(outcome)) is not None]
    if not known:
        return None
    sources: dict[str, int] = {}
    for confidence in known:
        sources[confidence.source] = sources.get(confidence.source, 0) + 1
    below = sum(1 for confidence in known if confidence.value < threshold)
    return ConfidenceInfo(
        n=len(known),
        mean=round(sum(confidence.value for confidence in known) / len(known), 6),
        threshold=threshold,
        below=below,
        below_share=round(below / len(known), 6),
        sources=dict(sorted(sources.items())),
    )
