"""The style-controlled fit as rows of the headline table (console and Markdown)."""

from __future__ import annotations

from collections.abc import Callable

from judgekit.stats.intervals import Estimate
from judgekit.stats.style_control import StyleControlled

Format = Callable[[Estimate | None], str]


def style_rows(fitted: StyleControlled | None, pct: Format, num: Format) -> list[tuple[str, str]]:
    """The style-controlled win rate and each coefficient, or why there are none."""
    if fitted is None:
        return []
    if fitted.win_rate is None:
        return [("Style-controlled win rate of A", f"– ({fitted.note})")]
    rows = [("Style-controlled win rate of A", pct(fitted.win_rate))]
    for name, coefficient in fitted.coefficients.items():
        rows.append((f"Style coefficient: {name} (> 0: more wins)", num(coefficient)))
    if fitted.left_out:
        rows.append(("Style features left out", "; ".join(f"{k}: {why}" for k, why in fitted.left_out.items())))
    return rows


def style_cell(fitted: StyleControlled | None) -> str:
    """The style-controlled win rate in one table cell ("–" when none could be fitted)."""
    if fitted is None or fitted.win_rate is None:
        return "–"
    return fitted.win_rate.format(percent=True)
