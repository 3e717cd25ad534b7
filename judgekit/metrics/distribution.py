"""How a pointwise run's scores are counted on the template's scale, and what passes a pass/fail template.

The distribution always has a handful of bins, whatever the scores look like:

- a choice template (e.g. PASS = 1, FAIL = 0): one bin per choice, named by its label;
  a probability-weighted score counts at the nearest choice value (the higher one on a draw,
  as the pass rule decides);
- a scale of at most 11 whole points (1-5, 1-10, 0-10): one bin per point, zeros included;
  scores between points (probability-weighted G-Eval scores, means of samples) are rounded to
  the nearest point;
- a longer scale (0-100): ten equal-width ranges over the scale;
- no scale: one bin per distinct score when there are at most 12, else ten ranges over the
  observed span.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

MAX_POINTS = 11
"""Most whole points a scale may have to be shown one bin per point."""
MAX_DISTINCT = 12
RANGES = 10


def pass_fail_values(choices: Mapping[str, float] | None) -> tuple[float, float] | None:
    """(fail value, pass value) when a choice template has exactly two distinct values."""
    values = sorted({float(value) for value in (choices or {}).values()})
    return (values[0], values[1]) if len(values) == 2 else None


def passes(score: float, fail_value: float, pass_value: float) -> bool:
    """A score passes when it is at least halfway from the fail value to the pass value."""
    return score >= (fail_value + pass_value) / 2


def score_bins(
    scores: Sequence[float], scale: tuple[float, float] | None, choices: Mapping[str, float] | None = None
) -> tuple[dict[str, int], str | None]:
    """(bin label -> items, how the scores were binned); empty for no scores."""
    if not scores:
        return {}, None
    if choices:
        return _per_choice(scores, choices)
    if scale is not None:
        low, high = scale
        if float(low).is_integer() and float(high).is_integer() and high - low + 1 <= MAX_POINTS:
            return _per_point(scores, int(low), int(high))
        return _ranges(scores, low, high), f"{RANGES} equal ranges of the {low:g}-{high:g} scale"
    distinct = sorted(set(scores))
    if len(distinct) <= MAX_DISTINCT:
        counts = {_label(value): 0 for value in distinct}
        for score in scores:
            counts[_label(score)] += 1
        return counts, "per distinct score"
    return _ranges(scores, distinct[0], distinct[-1]), f"{RANGES} equal ranges of the observed scores"


def fraction_bins(scores: Sequence[float]) -> tuple[dict[str, int], str | None]:
    """Checklist scores (at most 1, below 0 when penalties outweigh) in equal ranges from 0, or
    from the lowest score when one is negative, to 1."""
    if not scores:
        return {}, None
    low = min(0.0, min(scores))
    return _ranges(scores, low, 1.0), f"{RANGES} equal ranges from {low:.3g} to 1"


def _per_choice(scores: Sequence[float], choices: Mapping[str, float]) -> tuple[dict[str, int], str]:
    names: dict[float, str] = {}
    for name, value in choices.items():
        names.setdefault(float(value), name)
    points = sorted(names)
    counts = {names[point]: 0 for point in points}
    exact = True
    for score in scores:
        nearest = min(points, key=lambda point: (abs(point - score), -point))
        exact = exact and nearest == score
        counts[names[nearest]] += 1
    return counts, "per choice" if exact else "per choice (probability-weighted scores at the nearest choice)"


def _per_point(scores: Sequence[float], low: int, high: int) -> tuple[dict[str, int], str]:
    counts = {str(point): 0 for point in range(low, high + 1)}
    whole = True
    for score in scores:
        point = min(high, max(low, math.floor(score + 0.5)))
        whole = whole and point == score
        counts[str(point)] += 1
    return counts, "per whole point" if whole else "per whole point (scores rounded to the nearest point)"


def _ranges(scores: Sequence[float], low: float, high: float) -> dict[str, int]:
    width = (high - low) / RANGES
    edges = [low + width * index for index in range(RANGES + 1)]
    labels = [f"{edges[index]:.3g}–{edges[index + 1]:.3g}" for index in range(RANGES)]
    counts = dict.fromkeys(labels, 0)
    for score in scores:
        index = RANGES - 1 if width == 0 else min(RANGES - 1, max(0, int((score - low) / width)))
        counts[labels[index]] += 1
    return counts


def _label(score: float) -> str:
    rounded = round(score, 2)
    return str(int(rounded)) if float(rounded).is_integer() else str(rounded)
