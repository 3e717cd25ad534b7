"""The report's plots, drawn with matplotlib (Agg) and returned as inline SVG elements.

matplotlib is imported inside `_figure`, so importing this module costs nothing until a plot
is drawn. Text stays text in the SVG (`svg.fonttype: none`): it is selectable, scales with
the page, and needs no font download. Colours are placeholders that `svg.inline_svg` turns
into CSS variables (light and dark mode). Labels come from the data (category and model names)
and are untrusted: math-text parsing is off, and matplotlib escapes text when writing SVG.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from judgekit.reporting.html import scales
from judgekit.reporting.html.svg import ACCENT, ACCENT2, ACCENT3, BAD, FG, HEAT, MUTED, ON_HEAT, inline_svg
from judgekit.stats.intervals import Estimate

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH = 5.6
"""Figure width in inches; the page scales figures down on narrow screens."""
DOT_AREA = 14.0
"""Area (points²) of a dot per item it stands for, in the judge-against-human scatter."""
MAX_POINTS = 2000
"""Most individual items drawn as dots in one plot (an evenly spaced subset beyond that)."""


def _rc(salt: str) -> dict[str, Any]:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": salt,
        "text.parse_math": False,
        "font.size": 10,
        "font.family": "sans-serif",
        "text.color": FG,
        "axes.labelcolor": FG,
        "axes.edgecolor": FG,
        "axes.facecolor": "none",
        "figure.facecolor": "none",
        "savefig.facecolor": "none",
        "xtick.color": FG,
        "ytick.color": FG,
        "grid.color": MUTED,
        "grid.alpha": 0.35,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 11,
        "axes.titlelocation": "left",
        "legend.frameon": False,
    }


@dataclass
class _Canvas:
    figure: Figure
    axes: Axes


@contextmanager
def _figure(salt: str, height: float, width: float = WIDTH) -> Iterator[_Canvas]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc(salt)):  # type: ignore[arg-type]  # keys are checked at run time
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.subplots()
        yield _Canvas(figure, axes)


def _svg(canvas: _Canvas, prefix: str, label: str) -> str:
    buffer = io.StringIO()
    canvas.figure.savefig(buffer, format="svg", metadata={"Date": None}, transparent=True)
    return inline_svg(buffer.getvalue(), prefix=prefix, label=label)


def _shorten(label: str, limit: int = 28) -> str:
    """Cut each line of a label to `limit` characters (the full text is in the figure's table)."""
    return "\n".join(line if len(line) <= limit else line[: limit - 1] + "…" for line in label.split("\n"))


def _percent_axis(axes: Axes, which: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    axis = axes.xaxis if which == "x" else axes.yaxis
    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))  # decimals as the ticks need


def estimate_chart(
    prefix: str,
    labels: Sequence[str],
    estimates: Sequence[Estimate],
    *,
    title: str,
    axis_label: str,
    percent: bool,
    reference: float | None = None,
    reference_label: str | None = None,
    limits: tuple[float, float] | None = None,
    bounds: tuple[float, float] | None = None,
    dots: bool = False,
    row_height: float = 0.32,
) -> str:
    """Horizontal bars (or dots) with 95% CI whiskers, one row per label, first label on top.

    The value axis is `limits`, or else fitted to the data inside `bounds` (0-100% for a rate).
    The reference line's label goes in a legend under the plot, never over a bar.
    """
    from matplotlib.ticker import MaxNLocator

    count = len(labels)
    with _figure(prefix, height=0.9 + row_height * count + (0.3 if reference_label else 0.0)) as canvas:
        axes = canvas.axes
        rows = list(range(count))[::-1]
        values = [estimate.value for estimate in estimates]
        lower = [estimate.value - estimate.low if estimate.low is not None else 0.0 for estimate in estimates]
        upper = [estimate.high - estimate.value if estimate.high is not None else 0.0 for estimate in estimates]
        if dots:
            # Not clipped: a dot at the very edge of the axis (a rate of 0%) stays whole.
            axes.errorbar(
                values, rows, xerr=[lower, upper], fmt="o", color=ACCENT, ecolor=FG, capsize=3, lw=1, clip_on=False
            )
        else:
            axes.barh(rows, values, color=ACCENT, height=0.6)
            axes.errorbar(values, rows, xerr=[lower, upper], fmt="none", ecolor=FG, capsize=3, lw=1)
        axes.set_yticks(rows, [f"{_shorten(label)} (n={e.n})" for label, e in zip(labels, estimates, strict=True)])
        axes.tick_params(axis="y", labelsize=9 if "\n" in "".join(labels) else 10)
        if reference is not None:
            axes.axvline(reference, color=MUTED, linestyle="--", lw=1, label=reference_label)
            if reference_label:
                canvas.figure.legend(loc="outside lower right", fontsize=8)
        if bounds is None and percent:
            bounds = scales.RATE
        if limits is None and bounds is not None:
            limits = scales.value_limits(estimates, bounds, include=[] if reference is None else [reference])
        if limits is not None:
            axes.set_xlim(*limits)
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))  # labels that never touch
        if percent:
            _percent_axis(axes)
        axes.set_xlabel(axis_label)
        axes.set_title(title)
        axes.grid(axis="x")
        axes.set_ylim(-0.6, count - 0.4)
        described = "; ".join(
            f"{label} {e.format(percent=percent)}" for label, e in zip(labels, estimates, strict=True)
        )
        return _svg(canvas, prefix, f"{title}: {described}")


def count_bars(
    prefix: str,
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str,
    axis_label: str = "",
    colors: Sequence[str] | None = None,
) -> str:
    """Vertical bars of counts, each bar labelled with its count."""
    palette = {"accent": ACCENT, "accent2": ACCENT2, "accent3": ACCENT3, "bad": BAD, "muted": MUTED}
    fills = [palette.get(color, ACCENT) for color in colors] if colors else [ACCENT] * len(labels)
    with _figure(prefix, height=2.8) as canvas:
        axes = canvas.axes
        positions = list(range(len(labels)))
        bars = axes.bar(positions, counts, color=fills, width=0.7)
        axes.bar_label(bars, labels=[str(count) for count in counts], padding=2, fontsize=9)
        axes.set_xticks(positions, [_shorten(label, 14) for label in labels])
        if len(labels) > 8 and max(len(label) for label in labels) > 3:
            axes.tick_params(axis="x", labelrotation=45)
        axes.set_ylabel("items")
        if axis_label:
            axes.set_xlabel(axis_label)
        axes.set_title(title)
        axes.set_ylim(0, max([*counts, 1]) * 1.15)
        axes.grid(axis="y")
        described = ", ".join(f"{label} {count}" for label, count in zip(labels, counts, strict=True))
        return _svg(canvas, prefix, f"{title}: {described}")


def count_matrix(
    prefix: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    title: str,
    row_title: str,
    column_title: str,
    diagonal: bool = True,
) -> str:
    """A matrix of counts: each cell shaded by its count and labelled with it; the diagonal outlined.

    The label's colour follows the cell's shade (see `scales`), so every number keeps a 4.5:1
    contrast in light and dark mode. Cells and labels carry ids (`heat-ROW-COLUMN`,
    `heat-text-ROW-COLUMN`) so that tests can measure them in a browser.
    """
    from matplotlib.patches import Rectangle

    rows, columns = len(row_labels), len(column_labels)
    largest = max([value for row in counts for value in row] + [1])
    height = 1.2 + 0.45 * rows + 0.18 * title.count("\n")
    with _figure(prefix, height=height, width=min(WIDTH, max(3.6, 2.2 + 0.6 * columns))) as canvas:
        axes = canvas.axes
        for r, row in enumerate(counts):
            for c, value in enumerate(row):
                y = rows - 1 - r
                opacity = scales.cell_opacity(value, largest)
                cell = Rectangle((c - 0.5, y - 0.5), 1, 1, facecolor=HEAT, alpha=opacity, lw=0)
                cell.set_gid(f"heat-{r}-{c}")
                axes.add_patch(cell)
                if diagonal and row_labels[r] == column_labels[c]:
                    axes.add_patch(Rectangle((c - 0.48, y - 0.48), 0.96, 0.96, fill=False, edgecolor=FG, lw=1.2))
                colour = ON_HEAT if scales.on_strong_cell(opacity) else FG
                label = axes.text(c, y, str(value), ha="center", va="center", fontsize=9, color=colour)
                label.set_gid(f"heat-text-{r}-{c}")
        axes.set_xlim(-0.5, columns - 0.5)
        axes.set_ylim(-0.5, rows - 0.5)
        axes.set_xticks(range(columns), [_shorten(label, 8) for label in column_labels])
        axes.set_yticks(range(rows), [_shorten(label, 12) for label in row_labels][::-1])
        axes.set_xlabel(column_title)
        axes.set_ylabel(row_title)
        axes.set_title(title)
        for side in ("left", "bottom"):
            axes.spines[side].set_visible(False)
        axes.tick_params(length=0)
        return _svg(canvas, prefix, f"{title} ({row_title} by {column_title})".replace("\n", " "))


@dataclass
class Bin:
    """One bin of a binned relation: where it sits on the x axis and the mean inside it."""

    x: float
    estimate: Estimate
    low_edge: float
    high_edge: float


def binned_relation(
    prefix: str,
    points: Sequence[tuple[float, float]],
    bins: Sequence[Bin],
    *,
    title: str,
    x_label: str,
    y_label: str,
    percent: bool,
    reference: float | None = None,
    vertical: float | None = None,
    curve: Sequence[tuple[float, float]] | None = None,
    curve_label: str | None = None,
    jitter: float = 0.03,
    y_limits: tuple[float, float] | None = None,
) -> str:
    """Individual items as faint dots, bin means with CI whiskers, and an optional fitted curve.

    A percent axis runs from 0% to 100% (the dots at the ends are spread inwards only); the
    legend sits under the plot, not over the dots.
    """
    with _figure(prefix, height=3.5) as canvas:
        axes = canvas.axes
        shown = _thinned(points)
        if shown:
            xs = [x for x, _ in shown]
            ys = _spread([y for _, y in shown], jitter, (0.0, 1.0) if percent else y_limits)
            axes.scatter(xs, ys, s=12, color=MUTED, alpha=0.6, linewidths=0, label="items")
        if bins:
            centers = [b.x for b in bins]
            values = [b.estimate.value for b in bins]
            lower = [b.estimate.value - b.estimate.low if b.estimate.low is not None else 0.0 for b in bins]
            upper = [b.estimate.high - b.estimate.value if b.estimate.high is not None else 0.0 for b in bins]
            axes.errorbar(
                centers,
                values,
                yerr=[lower, upper],
                fmt="o-",
                color=ACCENT,
                ecolor=ACCENT,
                capsize=3,
                lw=1.5,
                label="bin mean, 95% CI",
            )
        if curve:
            axes.plot([x for x, _ in curve], [y for _, y in curve], color=ACCENT2, lw=2, label=curve_label or "fit")
        if reference is not None:
            axes.axhline(reference, color=MUTED, linestyle="--", lw=1)
        if vertical is not None:
            axes.axvline(vertical, color=MUTED, linestyle=":", lw=1)
        if percent:
            axes.set_ylim(-0.04, 1.04)  # a margin for the dots' radius; the ticks stay within 0-100%
            axes.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
            _percent_axis(axes, "y")
        elif y_limits is not None:
            margin = (y_limits[1] - y_limits[0]) * 0.04
            axes.set_ylim(y_limits[0] - margin, y_limits[1] + margin)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.set_title(title)
        axes.grid(True)
        canvas.figure.legend(loc="outside lower center", ncols=3, fontsize=8)
        return _svg(canvas, prefix, title)


def _count_of_area(area: Any) -> Any:
    """Items behind a dot of this area (the legend reads the sizes back)."""
    return area / DOT_AREA


def _thinned(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """At most MAX_POINTS points, evenly spaced through the list."""
    shown = list(points)
    if len(shown) > MAX_POINTS:
        step = len(shown) / MAX_POINTS
        shown = [shown[int(index * step)] for index in range(MAX_POINTS)]
    return shown


def _spread(ys: Sequence[float], jitter: float, bounds: tuple[float, float] | None) -> list[float]:
    """Values moved by up to ±jitter so equal ones do not hide each other, reflected back inside `bounds`.

    A fixed generator keeps the picture identical from one rendering to the next.
    """
    import numpy as np

    spread = np.asarray(ys, dtype=float)
    if jitter > 0:
        spread = spread + np.random.default_rng(0).uniform(-jitter, jitter, size=spread.size)
    if bounds is not None:
        low, high = bounds
        spread = np.where(spread > high, 2 * high - spread, spread)
        spread = np.where(spread < low, 2 * low - spread, spread)
    return [float(y) for y in spread]


def scatter(prefix: str, points: Sequence[tuple[float, float]], *, title: str, x_label: str, y_label: str) -> str:
    """Judge against human scores when they take too many values for a count matrix.

    Items with the same pair of scores are one dot whose area grows with their number (a
    legend under the plot reads the sizes), so a stack of 30 items does not look like one.
    """
    from collections import Counter

    tally = Counter(points)
    pairs = list(tally)
    sizes = [DOT_AREA * tally[pair] for pair in pairs]
    with _figure(prefix, height=3.9, width=4.6) as canvas:
        axes = canvas.axes
        dots = axes.scatter(
            [x for x, _ in pairs], [y for _, y in pairs], s=sizes, color=ACCENT, alpha=0.55, linewidths=0
        )
        if max(tally.values()) > 1:
            handles, labels = dots.legend_elements(
                prop="sizes", num=4, func=_count_of_area, color=ACCENT, alpha=0.55, fmt="{x:.0f}"
            )
            canvas.figure.legend(handles, labels, title="items", loc="outside right center", fontsize=8)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.set_title(title)
        axes.grid(True)
        return _svg(canvas, prefix, title.replace("\n", " "))


def reliability(prefix: str, bins: Sequence[tuple[float, float, int]], *, title: str) -> str:
    """A reliability plot: each confidence bin's mean confidence against its agreement with humans.

    `bins` holds (mean confidence, agreement, items); a dot's area grows with its items. Points
    on the dashed diagonal are calibrated; below it the judge is more confident than right.
    """
    with _figure(prefix, height=3.9, width=4.6) as canvas:
        axes = canvas.axes
        axes.plot([0.0, 1.0], [0.0, 1.0], color=MUTED, linestyle="--", lw=1, label="calibrated")
        if bins:
            xs, ys, counts = zip(*bins, strict=True)
            axes.plot(xs, ys, color=ACCENT, lw=1, alpha=0.6)
            axes.scatter(xs, ys, s=[DOT_AREA * 2 * count for count in counts], color=ACCENT, alpha=0.7, linewidths=0)
        axes.set_xlim(-0.04, 1.04)
        axes.set_ylim(-0.04, 1.04)
        axes.set_xticks([0.0, 0.25, 0.5, 0.75, 1.0])
        axes.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
        _percent_axis(axes, "x")
        _percent_axis(axes, "y")
        axes.set_xlabel("judge's confidence (bin mean)")
        axes.set_ylabel("verdicts matching humans")
        axes.set_title(title)
        axes.grid(True)
        axes.legend(loc="upper left", fontsize=8)
        return _svg(canvas, prefix, title.replace("\n", " "))
