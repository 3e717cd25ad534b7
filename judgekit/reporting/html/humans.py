"""The run page's section on agreement with humans: labels (pairwise) or scores (pointwise)."""

from __future__ import annotations

from judgekit.reporting.html import derive, plots
from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Card, Figure, Section, Table, estimate_card, split_estimate
from judgekit.stats.intervals import Estimate
from judgekit.summary import HumanAgreement, HumanCorrelation, JudgeCalibration

VERDICTS = ["A", "B", "tie"]


def agreement_section(data: RunData, human: HumanAgreement) -> Section:
    section = Section(
        "humans",
        "Agreement with human labels",
        f"{human.n} items have both a human label and a judge verdict. Rows are the human label, columns the "
        "judge's verdict; the outlined diagonal is where they agree.",
    )
    section.cards = [
        estimate_card("humans.agreement", "Agreement", human.agreement, percent=True),
        estimate_card(
            "humans.agreement_without_ties", "Agreement without ties", human.agreement_without_ties, percent=True
        ),
        estimate_card("humans.kappa", "Cohen's kappa", human.kappa),
    ]
    if human.n == 0:
        section.notes.append("No item has both a human label and a judge verdict yet.")
        return section
    counts = {h: [human.confusion.get(h, {}).get(j, 0) for j in VERDICTS] for h in VERDICTS}
    rows = list(VERDICTS)
    if not any(fact.human_label == "tie" for fact in data.facts) and not any(counts["tie"]):
        rows.remove("tie")  # the humans never called a tie: a row of zeros would suggest they could have
        section.notes.append("The human labels hold no tie, so the matrix has no tie row.")
    svg = plots.count_matrix(
        "confusion",
        rows,
        VERDICTS,
        [counts[h] for h in rows],
        title="Judge verdict against human label",
        row_title="human label",
        column_title="judge verdict",
    )
    table = Table(
        ["human \\ judge", *VERDICTS, "total"],
        [[h, *(str(value) for value in counts[h]), str(sum(counts[h]))] for h in rows],
        caption="Confusion matrix (counts)",
    )
    section.figures.append(Figure("confusion", "Confusion matrix", svg, table=None))
    section.tables.append(table)
    add_calibration(section, human.calibration)
    return section


def add_calibration(section: Section, calibration: JudgeCalibration | None) -> None:
    """The judge's reliability plot and table with its ECE, or a note saying why there is none."""
    if calibration is None:
        section.notes.append(
            "No calibration: the verdicts carry no confidence (it needs probabilities, from --score-method logprobs "
            "or samples, a panel's votes under --panel-rule majority or unanimous, or the two orders of "
            "--positions swap)."
        )
        return
    if calibration.n == 0 or calibration.ece is None:
        section.notes.append(f"No calibration: no labelled item has a {calibration.source} confidence.")
        return
    section.cards.append(
        Card(
            "Calibration error (ECE)",
            f"{calibration.ece:.3f}",
            n=calibration.n,
            note=f"confidence from {calibration.source}; 0 is calibrated",
            key="humans.ece",
        )
    )
    title = f"Judge confidence against human agreement\nECE = {calibration.ece:.3f}, {calibration.n} items"
    bins = [(row.confidence, row.accuracy, row.n) for row in calibration.bins]
    table = Table(
        ["confidence bin", "items", "mean confidence", "agreement with humans", "gap"],
        [
            [
                f"{row.low:.1f}-{row.high:.1f}",
                str(row.n),
                f"{row.confidence:.3f}",
                f"{row.accuracy:.3f}",
                f"{row.accuracy - row.confidence:+.3f}",
            ]
            for row in calibration.bins
        ],
        caption=f"Reliability table ({calibration.source}; ECE = items-weighted mean |gap|)",
    )
    caption = (
        f"The labelled items binned by the judge's confidence in its verdict ({calibration.source}); a dot's area "
        "grows with its items. On the dashed diagonal the judge is right as often as it is confident; below it, "
        "overconfident."
    )
    if len(bins) == 1:
        caption += " Every item falls in one bin, so the plot has one point."
    section.figures.append(
        Figure("reliability", "Calibration", plots.reliability("reliability", bins, title=title), caption)
    )
    section.tables.append(table)


def correlation_section(data: RunData, human: HumanCorrelation) -> Section:
    scales = derive.ScoreScales.of(_judge_scale(data), data.facts)
    intro = f"{human.n} items have both a human score and a judge score. {scales.describe()}".rstrip()
    if human.level != "item":
        # Fields of per-group and system-level correlations (read with getattr: older summaries lack them).
        groups, group_by = getattr(human, "groups", None), getattr(human, "group_by", None)
        skipped = getattr(human, "groups_skipped", None)
        intro += f" The correlations are at the {human.level} level"
        intro += f", over {groups} groups by {group_by}" if groups is not None and group_by else ""
        intro += f" ({skipped} groups left out: constant on one side)" if skipped else ""
        intro += "; the table below counts single items."
    for note in getattr(human, "notes", []):
        intro += f" Note: {note}."
    section = Section("humans", "Agreement with human scores", intro)
    section.cards = [
        estimate_card("humans.spearman", "Spearman", human.spearman),
        estimate_card("humans.kendall", "Kendall tau-b", human.kendall),
        estimate_card("humans.pearson", "Pearson", human.pearson),
    ]
    section.cards += [
        estimate_card(f"humans.{key}", label, estimate)
        for key, label, estimate in _agreement_figures(human)
        if estimate is not None
    ]
    pairs = derive.score_pairs(data.facts, data.outcomes)
    title = "Judge score against human score"
    if human.spearman is not None:
        value, interval = split_estimate(human.spearman)
        level = "" if human.level == "item" else f" ({human.level} level)"
        title += f"\nSpearman ρ{level} = {value} {interval or ''}".rstrip()
    table = derive.cross_tab(pairs)
    if table is not None:
        svg = plots.count_matrix(
            "scores_vs_human",
            table.rows,
            table.columns,
            table.counts,
            title=title,
            row_title="human score",
            column_title="judge score",
            diagonal=False,  # the two scales need not be the same
        )
        section.figures.append(Figure("scores_vs_human", "Judge against human scores", svg))
        section.tables.append(
            Table(
                ["human \\ judge", *table.columns],
                [
                    [row, *(str(value) for value in counts)]
                    for row, counts in zip(table.rows, table.counts, strict=True)
                ],
                caption="Items per (human score, judge score)",
            )
        )
    elif pairs:
        svg = plots.scatter(
            "scores_vs_human", [(h, j) for h, j in pairs], title=title, x_label="human score", y_label="judge score"
        )
        caption = "Items with the same two scores are one dot, its area growing with their number."
        section.figures.append(Figure("scores_vs_human", "Judge against human scores", svg, caption))
    else:
        section.notes.append("No item has both a human score and a judge score yet.")
    return section


def _judge_scale(data: RunData) -> tuple[float, float] | None:
    pointwise = data.summary.pointwise
    if pointwise is None or pointwise.scale is None:
        return None
    return float(pointwise.scale[0]), float(pointwise.scale[1])


def _agreement_figures(human: HumanCorrelation) -> list[tuple[str, str, Estimate | None]]:
    """Agreement on scores and, with several human ratings per item, the human-human ceiling."""
    figures = [
        ("kappa_linear", "Weighted kappa (linear)", human.kappa_linear),
        ("kappa_quadratic", "Weighted kappa (quadratic)", human.kappa_quadratic),
        ("alpha_ordinal", "Krippendorff's alpha (ordinal)", human.alpha_ordinal),
        ("alpha_interval", "Krippendorff's alpha (interval)", human.alpha_interval),
        ("icc", "ICC(A,1)", human.icc),
    ]
    ceiling = human.raters
    if ceiling is not None:
        figures += [
            ("ceiling_alpha", f"Human-human alpha (interval, {ceiling.raters} raters)", ceiling.alpha_interval),
            ("ceiling_icc", "Human-human ICC(1)", ceiling.icc),
            ("ceiling_human", "Spearman, one human vs the rest", ceiling.human_spearman),
            ("ceiling_judge", "Spearman, judge vs the same rest", ceiling.judge_spearman),
        ]
    return figures
