"""How far a pairwise judge's confidence can be trusted, measured against human labels.

A verdict's confidence is defined once, in `confidence.py`: the judge's probability for it when
the verdicts carry probabilities (log-probabilities or samples, averaged over both orders under
swap), else, for a panel's majority or unanimous verdict, the share of its votes behind it, else,
with both orders, their agreement (1 when they agreed, 1/2 when they disagreed). One kind of
evidence is used for the whole table. The reliability table bins the labelled
items by confidence and compares each bin's confidence with how often the verdict matched the
humans; the expected calibration error (ECE) sums the gaps (see `stats.calibration`).
"""

from __future__ import annotations

from collections.abc import Sequence

from judgekit.metrics.confidence import evidence_kind, item_confidence
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.stats.calibration import expected_calibration_error, reliability
from judgekit.summary import JudgeCalibration, ReliabilityRow


def judge_calibration(facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome]) -> JudgeCalibration | None:
    """The reliability table of the labelled items, or None without a confidence to calibrate."""
    labelled = [(fact, outcome) for fact, outcome in zip(facts, outcomes, strict=True) if fact.human_label]
    source = evidence_kind(outcome for _, outcome in labelled)
    if source is None:
        return None
    confidence, correct = [], []
    for fact, outcome in labelled:
        value = item_confidence(outcome, source)
        if value is not None:
            confidence.append(value.value)
            correct.append(outcome.verdict == fact.human_label)
    return calibration_of(source, confidence, correct)


def calibration_of(source: str, confidence: Sequence[float], correct: Sequence[bool]) -> JudgeCalibration:
    """The reliability table and ECE of paired (confidence, right) entries, named by their source."""
    table = reliability(list(confidence), list(correct))
    return JudgeCalibration(
        source=source,
        n=len(confidence),
        bins=[ReliabilityRow(**entry.__dict__) for entry in table],
        ece=expected_calibration_error(table),
    )
