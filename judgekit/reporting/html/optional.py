"""Summary fields that arrive with later features, and fields this renderer does not know.

Read defensively, so that a summary from an older or a newer judgekit still renders:

- the length-controlled win rate: `summary.pairwise.length_controlled` (or a top-level
  `length_controlled`), with `win_rate` and `length_coefficient` Estimates, `intercept` and
  `length_sd`, of the model logit P(A preferred) = intercept + coefficient * tanh(diff / sd);
- the leaderboard of three or more systems: `summary.leaderboard` with `rows` of `system`,
  `rank`, `comparisons`, `wins`, `losses`, `ties`, `win_rate`, `strength` and
  `length_controlled_win_rate`;
- any `Estimate` field of the pairwise, pointwise, bias or human block that the page does not
  already show becomes a headline card, any `dict[str, Estimate]` field there a bar chart, and
  any other top-level summary field is shown as JSON at the end of the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from judgekit.reporting.html.run_data import as_estimate, as_plain
from judgekit.stats.intervals import Estimate
from judgekit.summary import Summary

SHOWN: dict[str, set[str]] = {
    "pairwise": {"win_rate", "by_category", "length_controlled"},
    "pointwise": {"mean", "by_category", "by_model"},
    "bias": {
        "p_first",
        "flip_rate",
        "p_longer",
        "judge_p_longer_vs_humans",
        "human_p_longer",
        "p_longer_when_humans_longer",
        "p_longer_when_humans_shorter",
        "length_vs_humans",
    },
    "human": {"agreement", "agreement_without_ties", "kappa", "spearman", "kendall", "pearson"},
}
KNOWN_TOP_LEVEL = {"length_controlled", "leaderboard", "orders"}
PERCENT_HINTS = ("rate", "p_", "agreement", "share", "consistency", "accuracy", "pass")


@dataclass
class LengthControl:
    win_rate: Estimate | None
    coefficient: Estimate | None = None
    intercept: float | None = None
    length_sd: float | None = None
    note: str | None = None

    def curve(self, low: float, high: float, points: int = 101) -> list[tuple[float, float]]:
        """The fitted P(A preferred) over length differences from `low` to `high`."""
        if self.intercept is None or self.coefficient is None or not self.length_sd or high <= low:
            return []
        curve = []
        for index in range(points):
            x = low + (high - low) * index / (points - 1)
            logit = self.intercept + self.coefficient.value * math.tanh(x / self.length_sd)
            curve.append((x, 1.0 / (1.0 + math.exp(-logit))))
        return curve


def length_control(summary: Summary) -> LengthControl | None:
    extra = summary.model_extra or {}
    for candidate in (getattr(summary.pairwise, "length_controlled", None), extra.get("length_controlled")):
        data = as_plain(candidate)
        if not isinstance(data, dict):
            continue
        intercept, sd = data.get("intercept"), data.get("length_sd")
        return LengthControl(
            win_rate=as_estimate(data.get("win_rate")),
            coefficient=as_estimate(data.get("length_coefficient")),
            intercept=float(intercept) if isinstance(intercept, (int, float)) else None,
            length_sd=float(sd) if isinstance(sd, (int, float)) else None,
            note=str(data["note"]) if data.get("note") else None,
        )
    return None


def leaderboard(summary: Summary) -> dict[str, Any] | None:
    """The summary's leaderboard as plain data, when the run compared three or more systems."""
    board = as_plain(getattr(summary, "leaderboard", None) or (summary.model_extra or {}).get("leaderboard"))
    if isinstance(board, dict) and isinstance(board.get("rows"), list) and board["rows"]:
        return board
    return None


def looks_like_rate(name: str) -> bool:
    return any(hint in name for hint in PERCENT_HINTS)


def label_of(name: str) -> str:
    return name.replace("_", " ").capitalize()


@dataclass
class Extras:
    estimates: list[tuple[str, str, Estimate]] = field(default_factory=list)
    """(block, field name, estimate) of Estimate fields the page does not otherwise show."""
    breakdowns: list[tuple[str, str, dict[str, Estimate]]] = field(default_factory=list)
    other: dict[str, Any] = field(default_factory=dict)
    """Top-level summary fields this renderer does not know."""


def unknown_fields(summary: Summary) -> Extras:
    extras = Extras()
    for block_name, shown in SHOWN.items():
        block = getattr(summary, block_name, None)
        if not isinstance(block, BaseModel):
            continue
        values = {name: getattr(block, name) for name in type(block).model_fields}
        values.update(block.model_extra or {})
        for name, value in values.items():
            if name in shown or name == "confusion":
                continue
            estimate = as_estimate(value)
            if estimate is not None:
                extras.estimates.append((block_name, name, estimate))
            elif isinstance(value, dict) and value:
                parts = {key: as_estimate(item) for key, item in value.items()}
                if all(part is not None for part in parts.values()):
                    extras.breakdowns.append((block_name, name, {k: v for k, v in parts.items() if v is not None}))
    for name, value in (summary.model_extra or {}).items():
        if name not in KNOWN_TOP_LEVEL:
            extras.other[name] = value
    return extras
