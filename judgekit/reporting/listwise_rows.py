"""A listwise (best-of-N) run as rows of the headline table (console and Markdown)."""

from __future__ import annotations

from collections.abc import Callable

from judgekit.stats.intervals import Estimate
from judgekit.stats.picks import ListwiseMetrics


def listwise_rows(metrics: ListwiseMetrics | None, pct: Callable[[Estimate | None], str]) -> list[tuple[str, str]]:
    """Each model's pick rate (with the rate a judge without preference would give), then the
    first-shown rate and, under --positions swap, how often the rotations agreed."""
    if metrics is None:
        return []
    rows = []
    for candidate in metrics.candidates:
        chance = f"; chance {candidate.chance:.0%}" if candidate.chance is not None else ""
        rows.append(
            (f"Picked as best: {candidate.name}", f"{pct(candidate.pick_rate)}  ({candidate.picked} picks{chance})")
        )
    if metrics.p_first is not None:
        chance = f"  (chance {metrics.first_chance:.0%})" if metrics.first_chance is not None else ""
        rows.append(("P(answer shown first picked)", pct(metrics.p_first) + chance))
    if metrics.rotation_agreement is not None:
        rows.append(("Rotations agreeing on the pick", pct(metrics.rotation_agreement)))
    return rows
