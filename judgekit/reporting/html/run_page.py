"""Build the report page of one run: headline numbers, plots, the item table and the manifest."""

from __future__ import annotations

from typing import Any

from judgekit.metrics.caveats import is_mock_judge, mock_judge_warning
from judgekit.reporting.html import derive, humans, plots
from judgekit.reporting.html.anchored import anchored_section
from judgekit.reporting.html.bias import ESTIMATE_HEADERS, bias_cards, bias_section
from judgekit.reporting.html.checklist import checklist_sections
from judgekit.reporting.html.item_table import item_table
from judgekit.reporting.html.listwise import listwise_sections
from judgekit.reporting.html.manifest import manifest_table
from judgekit.reporting.html.optional import (
    LengthControl,
    label_of,
    leaderboard,
    length_control,
    looks_like_rate,
    unknown_fields,
)
from judgekit.reporting.html.pointwise import pointwise_sections
from judgekit.reporting.html.run_data import RunData, as_estimate, pretty_json
from judgekit.reporting.html.view import (
    Card,
    Figure,
    Page,
    Section,
    Table,
    estimate_card,
    estimate_rows,
    split_estimate,
)
from judgekit.stats.intervals import Estimate
from judgekit.summary import HumanAgreement, HumanCorrelation, Summary


def build_run_page(data: RunData) -> Page:
    summary = data.summary
    cards = _headline(summary, length_control(summary))
    if summary.kind == "listwise":
        sections = listwise_sections(data)
    else:
        sections = _pairwise_sections(data) if summary.kind == "pairwise" else pointwise_sections(data)
    sections.extend(checklist_sections(summary))
    if summary.human_anchored is not None:
        sections.append(anchored_section(summary.human_anchored))
    sections.extend(_extra_sections(summary))
    template = summary.template
    subtitle = [
        ("judge", summary.judge),
        ("template", f"{template.get('name', '?')} ({str(template.get('hash', ''))[:12]})"),
        ("data", f"{summary.dataset.get('path', '?')} ({summary.counts.items} items)"),
        ("created", str(data.manifest.get("created", "?"))),
    ]
    extras = unknown_fields(summary).other
    raw = [(f"summary.json: {name}", pretty_json(value)) for name, value in extras.items()]
    raw.append(("run.json (the run's full manifest)", pretty_json(data.manifest)))
    # A mock judge's numbers look real: a banner at the top says they are not (older summaries lack
    # the warning, so it is made here from the judge's name and left out of the warning list).
    banner = mock_judge_warning([summary.judge]) if is_mock_judge(summary.judge) else None
    return Page(
        title=f"judgekit report · {summary.kind} · {summary.judge}",
        subtitle=subtitle,
        kind=summary.kind,
        status=summary.status,
        cards=cards,
        banner=banner,
        warnings=[warning for warning in summary.warnings if warning != banner],
        sections=sections,
        items=item_table(data),
        manifest=manifest_table(data),
        raw=raw,
    )


# Headline ------------------------------------------------------------------------------------


def _headline(summary: Summary, length: LengthControl | None) -> list[Card]:
    counts = summary.counts
    cards = []
    if summary.pairwise is not None:
        pairwise = summary.pairwise
        a = f"A ({pairwise.model_a})" if pairwise.model_a else "A"
        b = f"B ({pairwise.model_b})" if pairwise.model_b else "B"
        cards.append(
            estimate_card(
                "win_rate",
                f"Win rate of {a} over {b}",
                pairwise.win_rate,
                percent=True,
                note=", ".join(
                    plural(number, word)
                    for number, word in ((pairwise.wins_a, "win"), (pairwise.wins_b, "loss"), (pairwise.ties, "tie"))
                ),
            )
        )
        # Shown even without a fit (no scored item yet): a dash, not a missing card.
        note = "no scored item to fit" if length is None else length.note
        if length is not None and length.coefficient is not None:
            value, interval = split_estimate(length.coefficient)
            note = f"length coefficient {value} {interval or ''}".rstrip()
        win_rate = None if length is None else length.win_rate
        cards.append(
            estimate_card("length_controlled", "Length-controlled win rate", win_rate, percent=True, note=note)
        )
        graded = pairwise.graded
        if graded is not None:  # a graded template: A's share of the votes, and the grades behind it
            grades = ", ".join(f"{name} {count}" for name, count in graded.counts.items())
            label = f"Win rate of A by votes (strong = {graded.strong_weight:g})"
            cards.append(estimate_card("graded_win_rate", label, graded.win_rate, percent=True, note=grades))
        styled = pairwise.style_controlled
        if styled is not None:
            terms = "; ".join(f"{name} {c.format(digits=2)}" for name, c in styled.coefficients.items())
            note = styled.note or (f"coefficients per sd: {terms}" if terms else "no style difference to fit")
            cards.append(
                estimate_card("style_controlled", "Style-controlled win rate", styled.win_rate, percent=True, note=note)
            )
    if summary.pointwise is not None:
        pointwise = summary.pointwise
        scale = f" on {pointwise.scale[0]:g}-{pointwise.scale[1]:g}" if pointwise.scale else ""
        method = f"method: {pointwise.method}" if pointwise.method and pointwise.method != "parse" else None
        if pointwise.pass_rate is not None:
            cards.append(estimate_card("pass_rate", "Pass rate", pointwise.pass_rate, percent=True, note=method))
        else:
            cards.append(estimate_card("mean", f"Mean score{scale}", pointwise.mean, digits=2, note=method))
    elif summary.kind == "pointwise":
        cards.append(estimate_card("mean", "Mean score", None))
    human = summary.human
    if isinstance(human, HumanAgreement):
        cards.append(estimate_card("agreement", "Agreement with humans", human.agreement, percent=True))
        cards.append(
            estimate_card(
                "agreement_without_ties", "Agreement, ties left out", human.agreement_without_ties, percent=True
            )
        )
        cards.append(estimate_card("kappa", "Cohen's kappa with humans", human.kappa))
    elif isinstance(human, HumanCorrelation):
        level = "" if human.level == "item" else f" ({human.level} level)"
        cards.append(estimate_card("spearman", f"Spearman with humans{level}", human.spearman))
        cards.append(estimate_card("kendall", f"Kendall tau-b with humans{level}", human.kendall))
        cards.append(estimate_card("pearson", f"Pearson with humans{level}", human.pearson))
    if summary.bias is not None:
        cards.extend(bias_cards(summary.bias, swapped=summary.config.get("positions") == "swap"))
    for block, name, estimate in unknown_fields(summary).estimates:
        percent = looks_like_rate(name) and 0.0 <= estimate.value <= 1.0
        cards.append(estimate_card(f"{block}.{name}", label_of(name), estimate, percent=percent))
    problems = f"{counts.unscored} unscored, {counts.errors} failed"
    if counts.pending:
        problems += f", {counts.pending} not judged"
    cards.append(Card("Items scored", f"{counts.scored} of {counts.items}", note=problems, key="scored"))
    return cards


def plural(number: int, word: str) -> str:
    """'1 win', '0 losses', '2 ties'."""
    if number == 1:
        return f"1 {word}"
    return f"{number} {word}{'es' if word.endswith('s') else 's'}"


# Pairwise ------------------------------------------------------------------------------------


def _pairwise_sections(data: RunData) -> list[Section]:
    summary = data.summary
    pairwise = summary.pairwise
    assert pairwise is not None
    counts = summary.counts
    verdicts = Section(
        "verdicts",
        "Verdicts",
        "How the judge decided, over all items and per category. Ties count one half toward a win rate; "
        "unscored and failed items count toward no rate.",
    )
    labels = ["A wins", "B wins", "ties", "unscored", "failed"]
    values = [pairwise.wins_a, pairwise.wins_b, pairwise.ties, counts.unscored, counts.errors]
    colors = ["accent", "accent2", "accent3", "bad", "bad"]
    if counts.pending:
        labels.append("not judged")
        values.append(counts.pending)
        colors.append("muted")
    verdicts.figures.append(
        Figure(
            "outcomes",
            "Outcomes",
            plots.count_bars("outcomes", labels, values, title="Outcomes", colors=colors),
            _model_caption(pairwise.model_a, pairwise.model_b),
            Table(["outcome", "items"], [[label, str(value)] for label, value in zip(labels, values, strict=True)]),
        )
    )
    if pairwise.by_category:
        verdicts.figures.append(_rate_figure("by_category", "Win rate of A by category", pairwise.by_category))
    board = leaderboard(summary)
    by_model = {} if board else derive.model_win_rates(data.facts, data.outcomes, data.bootstrap)
    if len(by_model) > 2:
        verdicts.figures.append(
            _rate_figure(
                "by_model",
                "Win rate by model",
                by_model,
                caption="Each model's share of the pairs it took part in that it won, ties counting one half.",
            )
        )
    sections = [verdicts]
    if board:
        sections.append(_leaderboard_section(board))
    if isinstance(summary.human, HumanAgreement):
        sections.append(humans.agreement_section(data, summary.human))
    sections.append(bias_section(data, length_control(summary)))
    return sections


def _leaderboard_section(board: dict[str, Any]) -> Section:
    rows = [row for row in board["rows"] if isinstance(row, dict)]
    baseline = f"; every comparison includes {board['baseline']}" if board.get("baseline") else ""
    section = Section(
        "leaderboard",
        "Leaderboard",
        f"{board.get('systems', len(rows))} systems in {board.get('comparisons', '?')} scored comparisons{baseline}, "
        f"ranked by {board.get('ranked_by', 'win rate')}. The win rate is a system's share of its comparisons won "
        "(ties one half); the Bradley-Terry strength is its log-odds of beating an average system.",
        notes=[str(note) for note in board.get("notes", [])],
    )
    rates = {str(row.get("system")): e for row in rows if (e := as_estimate(row.get("win_rate"))) is not None}
    if rates:
        section.figures.append(_rate_figure("leaderboard", "Win rate by system", rates))
    with_lc = any(row.get("length_controlled_win_rate") for row in rows)
    headers = ["rank", "system", "comparisons", "wins / losses / ties", "win rate", "strength"]
    if with_lc:
        headers.append("length-controlled win rate vs baseline")
    table_rows = []
    for row in rows:
        cells = [
            str(row.get("rank", "")),
            str(row.get("system", "?")),
            str(row.get("comparisons", "")),
            f"{row.get('wins', '?')} / {row.get('losses', '?')} / {row.get('ties', '?')}",
            _estimate_text(as_estimate(row.get("win_rate")), percent=True),
            _estimate_text(as_estimate(row.get("strength")), percent=False),
        ]
        if with_lc:
            cells.append(_estimate_text(as_estimate(row.get("length_controlled_win_rate")), percent=True))
        table_rows.append(cells)
    section.tables.append(Table(headers, table_rows, caption="Leaderboard", row_headers=False))
    return section


def _estimate_text(estimate: Estimate | None, *, percent: bool) -> str:
    value, interval = split_estimate(estimate, percent=percent)
    return f"{value} {interval}" if interval else value


def _model_caption(model_a: str | None, model_b: str | None) -> str:
    if model_a and model_b:
        return f"A is {model_a}, B is {model_b}."
    return "A and B are the dataset's answer_a and answer_b."


def _rate_figure(key: str, title: str, estimates: dict[str, Estimate], caption: str = "") -> Figure:
    svg = plots.estimate_chart(
        key,
        list(estimates),
        list(estimates.values()),
        title=title,
        axis_label="win rate (95% CI)",
        percent=True,
        reference=0.5,
        reference_label="50%: even",
        limits=(0.0, 1.0),
    )
    return Figure(key, title, svg, caption, Table(ESTIMATE_HEADERS, estimate_rows(estimates, percent=True)))


# Fields added by later features ---------------------------------------------------------------


def _extra_sections(summary: Summary) -> list[Section]:
    extras = unknown_fields(summary)
    if not extras.breakdowns:
        return []
    section = Section("more", "More breakdowns", "Further per-group estimates in this run's summary.")
    for block, name, breakdown in extras.breakdowns:
        percent = looks_like_rate(name) or all(0.0 <= e.value <= 1.0 for e in breakdown.values())
        key = f"{block}-{name}"
        title = f"{label_of(name)} ({block})"
        svg = plots.estimate_chart(
            key, list(breakdown), list(breakdown.values()), title=title, axis_label="estimate (95% CI)", percent=percent
        )
        section.figures.append(
            Figure(key, title, svg, "", Table(ESTIMATE_HEADERS, estimate_rows(breakdown, percent=percent)))
        )
    return [section]
