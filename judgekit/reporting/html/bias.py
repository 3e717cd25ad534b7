"""The run page's section on position and length bias (pairwise runs).

P(first) and P(longer) are preferences whose ideal is 50%; the flip rate is a failure whose ideal
is 0%. They get separate plots with their own reference line, so a 50% flip rate never sits on a
"50%: no preference" line looking ideal. The wording follows what the figures can claim for the
run (see `metrics.bias`): under --positions fixed P(first) is no bias estimate, and with human
labels the length effect is set against what the humans preferred. Flags are listed as notes.
"""

from __future__ import annotations

from judgekit.metrics.bias import FIXED_ORDER_NOTE
from judgekit.reporting.html import derive, plots
from judgekit.reporting.html.optional import LengthControl
from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Card, Figure, Section, Table, estimate_card, estimate_rows, split_estimate
from judgekit.stats.intervals import Estimate
from judgekit.summary import BiasMetrics, OrderAccuracy

ESTIMATE_HEADERS = ["", "value", "95% CI", "n"]


def bias_section(data: RunData, length: LengthControl | None) -> Section:
    bias = data.summary.bias
    section = Section("bias", "Position and length bias", _intro(bias))
    if bias is not None:
        section.notes.extend(f"Flagged: {flag.message}." for flag in bias.flags)
        preferences = {
            name: estimate
            for name, estimate in (("P(first shown preferred)", bias.p_first), ("P(longer answer wins)", bias.p_longer))
            if estimate is not None
        }
        if preferences:
            section.figures.append(_preference_figure(preferences))
        if bias.flip_rate is not None:
            section.figures.append(_flip_figure(bias.flip_rate))
        against_humans = _length_against_humans(bias)
        if against_humans is not None:
            section.tables.append(against_humans)
    if data.summary.orders is not None:
        section.tables.append(_order_table(data.summary.orders))
    points = derive.pairwise_length_points(data.facts, data.outcomes)
    if points:
        section.figures.append(_length_figure(data, points, length))
    if not section.figures:
        section.notes.append("No decisive verdict yet: nothing to measure.")
    return section


def bias_cards(bias: BiasMetrics, *, swapped: bool) -> list[Card]:
    """The headline cards: each figure with its flag, or the fixed-order caveat, as a note."""
    flagged = {flag.metric: "flagged: the interval is clear of no bias" for flag in bias.flags}
    first_note = flagged.get("p_first") if bias.p_first_is_bias_estimate else FIXED_ORDER_NOTE
    cards = [estimate_card("p_first", "P(first shown preferred)", bias.p_first, percent=True, note=first_note)]
    if bias.flip_rate is not None or swapped:
        flip_note = flagged.get("flip_rate")
        cards.append(
            estimate_card("flip_rate", "Flip rate under swapped order", bias.flip_rate, percent=True, note=flip_note)
        )
    longer_note = flagged.get("p_longer")
    cards.append(estimate_card("p_longer", "P(longer answer wins)", bias.p_longer, percent=True, note=longer_note))
    if bias.length_vs_humans is not None:
        label = "Length bias given the human labels (0: none)"
        note = flagged.get("length_vs_humans")
        cards.append(estimate_card("length_vs_humans", label, bias.length_vs_humans, note=note))
    return cards


def _intro(bias: BiasMetrics | None) -> str:
    """What the bias figures can and cannot say for this run's answer order and labels."""
    if bias is not None and not bias.p_first_is_bias_estimate:
        position = (
            "Under --positions fixed answer A is always shown first, so P(first shown preferred) is A's share of "
            "the decisive verdicts: a win rate, not a bias estimate (use swap or random to measure position bias)."
        )
    else:
        position = (
            "A judge without position bias prefers the answer shown first about half the time. The flip rate is "
            "the share of items whose verdict changed when the order was swapped: 0% is ideal (it needs "
            "--positions swap)."
        )
    if bias is not None and bias.length_vs_humans is not None:
        length = (
            "P(longer answer wins) is set against what the humans preferred on the same items: the length bias is "
            "P(judge picks longer | humans picked longer) + P(judge picks longer | humans picked shorter) - 1, "
            "0 when the judge's mistakes do not depend on length, +1 when it always picks the longer answer."
        )
    else:
        length = (
            "P(longer answer wins) far from 50% shows a preference for length, but without human labels it "
            "cannot tell a length bias from longer answers really being better."
        )
    return f"{position} {length}"


def _length_against_humans(bias: BiasMetrics) -> Table | None:
    named = {
        "P(longer picked): judge": bias.judge_p_longer_vs_humans,
        "P(longer picked): humans, same items": bias.human_p_longer,
        "P(judge picks longer | humans picked longer)": bias.p_longer_when_humans_longer,
        "P(judge picks longer | humans picked shorter)": bias.p_longer_when_humans_shorter,
    }
    present = {name: estimate for name, estimate in named.items() if estimate is not None}
    if not present:
        return None
    caption = "The longer answer against the human labels (items where both picked an answer of a different length)"
    if bias.length_vs_humans is not None:
        value, interval = split_estimate(bias.length_vs_humans, digits=3)
        caption += f"; length bias given the human labels {value} {interval or ''}".rstrip()
    return Table(ESTIMATE_HEADERS, estimate_rows(present, percent=True), caption=caption)


def _order_table(orders: OrderAccuracy) -> Table:
    named = {
        "Accuracy, answer A shown first": orders.a_first,
        "Accuracy, answer B shown first": orders.b_first,
        "Accuracy, mean of the two orders (LLMBar)": orders.mean,
        "Right in both orders": orders.both_right,
        "Same verdict in both orders (positional agreement)": orders.positional_agreement,
        f"Accuracy, orders combined ({orders.rule})": orders.combined,
    }
    present = {name: estimate for name, estimate in named.items() if estimate is not None}
    caption = f"Accuracy against the human labels in each shown order ({orders.n} items)"
    if orders.dropped:
        caption += f"; {orders.dropped} items whose orders disagreed are dropped from the combined accuracy"
    return Table(ESTIMATE_HEADERS, estimate_rows(present, percent=True), caption=caption)


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
