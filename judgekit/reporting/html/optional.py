"""Summary fields this renderer does not know by name, and the few it expects to arrive later.

The summary grows as features land (a length-controlled win rate, costs, gates...). Rather than
dropping what it does not recognise, the report shows it:

- any `Estimate` field of the pairwise, pointwise, bias or human block that the page does not
  already show becomes a headline card;
- any `dict[str, Estimate]` field there becomes a bar chart with CI whiskers;
- any other top-level summary field is shown as JSON at the end of the page.

The length-controlled win rate is read from `summary.length_controlled` or
`summary.pairwise.length_controlled`: either an Estimate, or an object with `win_rate` (an
Estimate), optionally `coefficient` (the fitted length coefficient) and `curve` (a list of
[length difference, P(A preferred)] points of the fitted model, drawn over the length plot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from judgekit.reporting.html.run_data import as_estimate, as_plain
from judgekit.stats.intervals import Estimate
from judgekit.summary import Summary

SHOWN: dict[str, set[str]] = {
    "pairwise": {"win_rate", "by_category", "length_controlled"},
    "pointwise": {"mean", "by_category", "by_model"},
    "bias": {"p_first", "flip_rate", "p_longer"},
    "human": {"agreement", "agreement_without_ties", "kappa", "spearman", "kendall", "pearson"},
}
KNOWN_TOP_LEVEL = {"length_controlled"}
PERCENT_HINTS = ("rate", "p_", "agreement", "share", "consistency", "accuracy", "pass")


@dataclass
class LengthControl:
    win_rate: Estimate | None
    coefficient: float | None = None
    curve: list[tuple[float, float]] = field(default_factory=list)


def length_control(summary: Summary) -> LengthControl | None:
    extra = summary.model_extra or {}
    for candidate in (extra.get("length_controlled"), getattr(summary.pairwise, "length_controlled", None)):
        if candidate is None:
            continue
        estimate = as_estimate(candidate)
        if estimate is not None:
            return LengthControl(estimate)
        data = as_plain(candidate)
        if not isinstance(data, dict):
            continue
        coefficient = data.get("coefficient", data.get("length_coefficient"))
        curve = []
        for point in data.get("curve") or []:
            if isinstance(point, (list, tuple)) and len(point) == 2:
                curve.append((float(point[0]), float(point[1])))
        return LengthControl(
            as_estimate(data.get("win_rate")),
            float(coefficient) if isinstance(coefficient, (int, float)) else None,
            curve,
        )
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
