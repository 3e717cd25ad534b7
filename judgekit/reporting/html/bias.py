"""The run page's section on position and length bias (pairwise runs).

P(first) and P(longer) are preferences whose ideal is 50%; the flip rate is a failure whose ideal
is 0%. They get separate plots with their own reference line, so a 50% flip rate never sits on a
"50%: no preference" line looking ideal.
"""

from __future__ import annotations

from judgekit.reporting.html import derive, plots
from judgekit.reporting.html.optional import LengthControl
from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Figure, Section, Table, estimate_rows, split_estimate
from judgekit.stats.intervals import Estimate

ESTIMATE_HEADERS = ["", "value", "95% CI", "n"]


def bias_section(data: RunData, length: LengthControl | None) -> Section:
    bias = data.summary.bias
    section = Section(
        "bias",
        "Position and length bias",
        "An unbiased judge prefers the answer shown first, and the longer answer, about half the time. "
        "The flip rate is the share of items whose verdict changed when the order was swapped: 0% is ideal "
        "(it needs --positions swap).",
    )
    if bias is not None:
        preferences = {
            name: estimate
            for name, estimate in (("P(first shown preferred)", bias.p_first), ("P(longer answer wins)", bias.p_longer))
            if estimate is not None
        }
        if preferences:
            section.figures.append(_preference_figure(preferences))
        if bias.flip_rate is not None:
            section.figures.append(_flip_figure(bias.flip_rate))
    points = derive.pairwise_length_points(data.facts, data.outcomes)
    if points:
        section.figures.append(_length_figure(data, points, length))
    if not section.figures:
        section.notes.append("No decisive verdict yet: nothing to measure.")
    return section


def _preference_figure(preferences: dict[str, Estimate]) -> Figure:
    svg = plots.estimate_chart(
        "bias",
        list(preferences),
        list(preferences.values()),
        title="Position and length preference",
        axis_label="share (95% CI)",
        percent=True,
        reference=0.5,
        reference_label="50%: no preference (ideal)",
        limits=(0.0, 1.0),
    )
    caption = "P(first) counts every decisive judge call; P(longer) every decisive item whose answers differ in length."
    return Figure("bias", "Preference", svg, caption, Table(ESTIMATE_HEADERS, estimate_rows(preferences, percent=True)))


def _flip_figure(flip_rate: Estimate) -> Figure:
    named = {"Flip rate": flip_rate}
    svg = plots.estimate_chart(
        "flip_rate",
        list(named),
        [flip_rate],
        title="Flip rate under swapped order",
        axis_label="flip rate (95% CI)",
        percent=True,
        reference=0.0,
        reference_label="0%: ideal (the same verdict in both orders)",
        limits=(0.0, 1.0),
    )
    caption = (
        "A judge that reads the answers, not their order, never flips; one that decides at random flips about "
        "half the time or more."
    )
    return Figure("flip_rate", "Flip rate", svg, caption, Table(ESTIMATE_HEADERS, estimate_rows(named, percent=True)))


def _length_figure(data: RunData, points: list[tuple[float, float]], length: LengthControl | None) -> Figure:
    bins = derive.equal_count_bins(points, data.bootstrap, shares=True)
    caption = (
        "Each dot is an item: at 100% A was preferred, at 50% a tie, at 0% B (spread a little so they do not "
        "overlap). The line is the share of A wins in bins of equal item count, with 95% CIs."
    )
    curve: list[tuple[float, float]] = []
    if length is not None and length.win_rate is not None:
        curve = length.curve(min(x for x, _ in points), max(x for x, _ in points))
        value, interval = split_estimate(length.win_rate, percent=True)
        caption += (
            " The curve is the length-controlled model, logit P(A) = intercept + coefficient × "
            f"tanh(difference / {length.length_sd or 0:.0f}); at equal lengths it gives the length-controlled "
            f"win rate, {value} {interval or ''}".rstrip()
            + "."
        )
    svg = plots.binned_relation(
        "length",
        points,
        [plots.Bin(b.x, b.estimate, b.low_edge, b.high_edge) for b in bins],
        title="Verdict against answer-length difference",
        x_label="length of A − length of B (characters)",
        y_label="A preferred (ties ½)",
        percent=True,
        reference=0.5,
        vertical=0.0,
        curve=curve or None,
        curve_label="length-controlled fit",
    )
    return Figure("length", "Verdict against length", svg, caption, bin_table(bins, "length A − B", True))


def bin_table(bins: list[derive.LengthBin], what: str, percent: bool) -> Table:
    rows = []
    for b in bins:
        value, interval = split_estimate(b.estimate, percent=percent, digits=2)
        rows.append([f"{b.low_edge:g} to {b.high_edge:g}", value, interval or "–", str(b.estimate.n)])
    return Table([what, "mean", "95% CI", "n"], rows)
