"""The report page's sections for a pointwise run: the scores, agreement with humans, and length."""

from __future__ import annotations

from judgekit.reporting.html import derive, humans, plots
from judgekit.reporting.html.bias import ESTIMATE_HEADERS, bin_table
from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Figure, Section, Table, estimate_rows
from judgekit.summary import HumanCorrelation, PointwiseMetrics


def pointwise_sections(data: RunData) -> list[Section]:
    """The scores section, then agreement with human scores (where there are some) and length."""
    summary = data.summary
    pointwise = summary.pointwise
    assert pointwise is not None
    scores = Section(
        "scores",
        "Scores",
        "The judge's scores over all items, per category and per model. Unscored and failed items are "
        "counted here and left out of every mean.",
    )
    scores.figures.append(_distribution_figure(data))
    limits = _score_limits(pointwise)
    scores.figures.extend(_breakdown_figures(pointwise, limits))
    sections = [scores]
    if isinstance(summary.human, HumanCorrelation):
        sections.append(humans.correlation_section(data, summary.human))
    length = _length_section(data, limits)
    if length is not None:
        sections.append(length)
    return sections


def _distribution_figure(data: RunData) -> Figure:
    """Items per score over the whole scale, then the items with no score, by why."""
    pointwise, counts = data.summary.pointwise, data.summary.counts
    assert pointwise is not None
    labels, values = _full_scale(pointwise.distribution, pointwise.scale)
    colors = ["accent"] * len(labels)
    for name, number, color in (
        ("unscored", counts.unscored, "bad"),
        ("failed", counts.errors, "bad"),
        ("not judged", counts.pending, "muted"),
    ):
        if number:
            labels.append(name)
            values.append(number)
            colors.append(color)
    return Figure(
        "distribution",
        "Score distribution",
        plots.count_bars(
            "distribution", labels, values, title="Score distribution", axis_label="judge score", colors=colors
        ),
        "",
        Table(["score", "items"], [[label, str(value)] for label, value in zip(labels, values, strict=True)]),
    )


def _score_limits(pointwise: PointwiseMetrics) -> tuple[float, float] | None:
    """The value axis of the score charts: 0 to 1 for a pass rate, else the template's scale."""
    if pointwise.pass_rate is not None:
        return (0.0, 1.0)
    return (float(pointwise.scale[0]), float(pointwise.scale[1])) if pointwise.scale else None


def _breakdown_figures(pointwise: PointwiseMetrics, limits: tuple[float, float] | None) -> list[Figure]:
    """The mean score (or pass rate) per category, and per model where there are several."""
    passing = pointwise.pass_rate is not None
    what = "Pass rate" if passing else "Mean score"
    figures = []
    for key, title, breakdown in (
        ("by_category", f"{what} by category", pointwise.by_category),
        ("by_model", f"{what} by model", pointwise.by_model),
    ):
        if len(breakdown) > (0 if key == "by_category" else 1):
            svg = plots.estimate_chart(
                key,
                list(breakdown),
                list(breakdown.values()),
                title=title,
                axis_label=f"{what.lower()} (95% CI)",
                percent=passing,
                limits=limits,
            )
            rows = estimate_rows(breakdown, percent=passing, digits=2)
            figures.append(Figure(key, title, svg, "", Table(ESTIMATE_HEADERS, rows)))
    return figures


def _length_section(data: RunData, limits: tuple[float, float] | None) -> Section | None:
    """Score against answer length, binned; None when no item has both."""
    points = derive.pointwise_length_points(data.facts, data.outcomes)
    if not points:
        return None
    bins = derive.equal_count_bins(points, data.bootstrap)
    svg = plots.binned_relation(
        "length",
        points,
        [plots.Bin(b.x, b.estimate, b.low_edge, b.high_edge) for b in bins],
        title="Score against answer length",
        x_label="answer length (characters)",
        y_label="judge score",
        percent=False,
        jitter=0.0,
        y_limits=limits,
    )
    return Section(
        "length",
        "Length",
        "A judge that rewards length gives longer answers higher scores. Each dot is an item; the line is "
        "the mean score in bins of equal item count, with 95% CIs.",
        figures=[Figure("length", "Score against length", svg, "", bin_table(bins, "answer length", False))],
    )


def _full_scale(distribution: dict[str, int], scale: tuple[float, float] | None) -> tuple[list[str], list[int]]:
    """The distribution with a zero for every whole score of a short scale that nobody got."""
    labels = list(distribution)
    if scale is not None and all(label.lstrip("-").isdigit() for label in labels):
        low, high = scale
        if float(low).is_integer() and float(high).is_integer() and 0 < high - low <= 20:
            labels = sorted({*labels, *(str(score) for score in range(int(low), int(high) + 1))}, key=float)
    return labels, [distribution.get(label, 0) for label in labels]
