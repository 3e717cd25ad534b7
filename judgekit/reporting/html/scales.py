"""Where a plot's value axis starts and ends, and how strongly a count-matrix cell is shaded.

Both are plain arithmetic, kept apart from matplotlib so that they can be tested on their own.

Axis limits: a rate never runs past 0% or 100% and a correlation never past -1 or 1, whatever
the data; a set of equal values still gets an axis of a sensible width instead of matplotlib's
default of a few percent either side (which, for a rate of 100%, reached 104%).

Cell shading: a cell's colour is the heat colour at some opacity over the page's background, and
its number is written in the page's text colour on light cells and in `--plot-on-heat` on dark
ones. No single switching point gives both colours a contrast of 4.5:1 (WCAG AA) in light and in
dark mode, so opacities between `TEXT_SWITCH` and `STRONG` are never used: a cell is either light
enough for the text colour or dark enough for the other one. tests/test_html_report.py checks
the contrast of every opacity against the colours in report.css.
"""

from __future__ import annotations

from collections.abc import Sequence

from judgekit.stats.intervals import Estimate

RATE = (0.0, 1.0)
CORRELATION = (-1.0, 1.0)

FAINTEST = 0.08
"""Opacity of a cell holding zero."""
TEXT_SWITCH = 0.58
"""Cells below this opacity carry text in the page's text colour."""
STRONG = 0.78
"""Cells at or above this opacity carry text in --plot-on-heat."""
STRONGEST = 0.96
"""Opacity of the largest count."""


def value_limits(
    estimates: Sequence[Estimate],
    bounds: tuple[float, float],
    *,
    include: Sequence[float] = (),
    min_share: float = 0.1,
) -> tuple[float, float]:
    """Axis limits around the estimates and their intervals (and `include`), inside `bounds`.

    The axis spans at least `min_share` of the bounds, so equal values sit on an axis that
    shows where they are rather than one zoomed into rounding noise.
    """
    low_bound, high_bound = bounds
    width = high_bound - low_bound
    points = [value for e in estimates for value in (e.value, e.low, e.high) if value is not None]
    points += list(include)
    if not points:
        return bounds
    low, high = min(points), max(points)
    pad = max((high - low) * 0.08, width * 0.02)
    low, high = low - pad, high + pad
    shortest = width * min_share
    if high - low < shortest:
        middle = (low + high) / 2
        low, high = middle - shortest / 2, middle + shortest / 2
    if low < low_bound:  # shift the window inside the bounds, keeping its width
        low, high = low_bound, high + (low_bound - low)
    if high > high_bound:
        low, high = low - (high - high_bound), high_bound
    return max(low, low_bound), min(high, high_bound)


def nothing_to_show(estimates: Sequence[Estimate]) -> bool:
    """Every estimate is the same number with no interval around it: a plot would be one dot repeated."""
    values = {e.value for e in estimates}
    widths = [e.high - e.low for e in estimates if e.low is not None and e.high is not None]
    return len(estimates) > 1 and len(values) == 1 and all(width == 0 for width in widths)


def cell_opacity(count: int, largest: int) -> float:
    """How strongly a count-matrix cell is shaded: more for larger counts, never in the unreadable band."""
    share = count / largest if largest > 0 else 0.0
    opacity = FAINTEST + (STRONGEST - FAINTEST) * share
    if TEXT_SWITCH <= opacity < STRONG:  # the band where neither text colour reads well
        opacity = TEXT_SWITCH - 0.01 if opacity < (TEXT_SWITCH + STRONG) / 2 else STRONG
    return round(opacity, 3)


def on_strong_cell(opacity: float) -> bool:
    """Whether a cell of this opacity takes --plot-on-heat text rather than the page's text colour."""
    return opacity >= STRONG
