"""Calibration of a judge's confidence against human agreement: a reliability table and its ECE.

Each item has the judge's confidence in its own verdict (a probability in [0, 1]) and whether
the verdict matched the human label. The items are put in equal-width confidence bins (the
first bin [0, w], then (lo, hi], as scikit-learn's `calibration_curve` bins them); a calibrated
judge is right in each bin about as often as it is confident there. The expected calibration
error is the item-weighted mean gap, sum over bins of (n_b / n) * |accuracy_b - confidence_b|.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_BINS = 10


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    n: int
    confidence: float
    """Mean confidence of the bin's items."""
    accuracy: float
    """Share of the bin's items whose verdict matched the humans."""


def reliability(
    confidence: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray, bins: int = DEFAULT_BINS
) -> list[ReliabilityBin]:
    """The non-empty bins of a reliability table."""
    values = np.asarray(confidence, dtype=float)
    hits = np.asarray(correct, dtype=float)
    if values.shape != hits.shape:
        raise ValueError("confidence and correct must be aligned")
    if values.size and (values.min() < 0.0 or values.max() > 1.0):
        raise ValueError("confidence must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.searchsorted(edges[1:-1], values, side="left")
    table = []
    for number in range(bins):
        members = index == number
        if members.any():
            table.append(
                ReliabilityBin(
                    low=float(edges[number]),
                    high=float(edges[number + 1]),
                    n=int(members.sum()),
                    confidence=float(values[members].mean()),
                    accuracy=float(hits[members].mean()),
                )
            )
    return table


def expected_calibration_error(table: Sequence[ReliabilityBin]) -> float | None:
    """Item-weighted mean |accuracy - confidence| over the bins; None for no items."""
    total = sum(entry.n for entry in table)
    if total == 0:
        return None
    return float(sum(entry.n / total * abs(entry.accuracy - entry.confidence) for entry in table))
