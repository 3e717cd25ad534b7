"""Judge-confidence bands, the strata of `judgekit labels plan --stratify confidence`.

Where the judge is unsure its verdicts disagree with humans more often, so labels there buy
more correction. The scored items are cut into a few bands of about equal size by the judge's
confidence in its verdict (items with the same confidence always share a band), and the labels
are allotted to the bands in proportion to size x the spread of a verdict's error expected from
the band's confidence (Neyman allocation, sqrt(e(1 - e)) with e = 1 - confidence, e at least
`ERROR_FLOOR` because no judge's confidence is taken as certainty): low-confidence bands get
more labels per item. The estimate then weights each band by its share of the items, exactly as
for category strata, so the oversampling biases nothing.

The confidence of one item is the one of `metrics.confidence`, read in `item_confidences` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from judgekit.errors import UsageError
from judgekit.metrics.confidence import evidence_kind, item_confidence
from judgekit.metrics.items import ItemOutcome

DEFAULT_BANDS = 3
ERROR_FLOOR = 0.05
UNKNOWN = "confidence unknown"
"""The band of scored items without a confidence (e.g. no probabilities for that verdict)."""


def item_confidences(outcomes: Sequence[ItemOutcome]) -> tuple[str, list[float | None]]:
    """The confidence source and each outcome's confidence; a usage error when there is none."""
    source = evidence_kind(outcomes)
    if source is None:
        raise UsageError(
            "--stratify confidence needs the judge's confidence in its verdicts: probabilities "
            "(--score-method logprobs or samples) or both orders (--positions swap); this run has neither"
        )
    return source, [
        None if (known := item_confidence(outcome, source)) is None else known.value for outcome in outcomes
    ]


def confidence_bands(confidences: Sequence[float | None], bands: int) -> list[str]:
    """Each item's band name: about equal-sized bands by confidence, ties kept together."""
    if bands < 1:
        raise UsageError("--bands must be at least 1")
    known = sorted(value for value in confidences if value is not None)
    first_rank: dict[float, int] = {}
    for rank, value in enumerate(known):
        first_rank.setdefault(value, rank)
    number = {value: bands * rank // len(known) for value, rank in first_rank.items()}
    members: dict[int, list[float]] = {}
    for value in known:
        members.setdefault(number[value], []).append(value)
    names = {index: _name(min(values), max(values)) for index, values in members.items()}
    return [UNKNOWN if value is None else names[number[value]] for value in confidences]


def _name(low: float, high: float) -> str:
    return f"confidence {low:.2f}" if low == high else f"confidence {low:.2f}-{high:.2f}"


def band_weights(bands: Sequence[str], confidences: Sequence[float | None]) -> dict[str, float]:
    """Each band's allocation weight per item: the spread sqrt(e(1 - e)) of its expected error e."""
    sums: dict[str, list[float]] = {}
    for band, value in zip(bands, confidences, strict=True):
        sums.setdefault(band, [])
        if value is not None:
            sums[band].append(value)
    weights = {}
    for band, values in sums.items():
        error = 0.5 if not values else min(0.5, max(ERROR_FLOOR, 1.0 - sum(values) / len(values)))
        weights[band] = math.sqrt(error * (1.0 - error))
    return weights


def bands_by_id(ids: Sequence[str], outcomes: Sequence[ItemOutcome], bands: int) -> Mapping[str, str]:
    """Item id -> band over the scored items (the others are in no band)."""
    scored = [(key, outcome) for key, outcome in zip(ids, outcomes, strict=True) if outcome.status == "ok"]
    _, confidences = item_confidences([outcome for _, outcome in scored])
    names = confidence_bands(confidences, bands)
    return {key: name for (key, _), name in zip(scored, names, strict=True)}
