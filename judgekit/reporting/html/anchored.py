"""The run page's section on human-anchored (PPI++) estimates: judge only, humans only, corrected."""

from __future__ import annotations

from judgekit.reporting.html import plots
from judgekit.reporting.html.view import Card, Figure, Section, Table, estimate_card, split_estimate
from judgekit.stats.intervals import Estimate
from judgekit.summary import AnchoredEstimate, HumanAnchored

HEADERS = ["", "items", "labelled", "judge only", "humans only", "corrected (PPI++)", "worth (labels)", "λ"]


def anchored_section(anchored: HumanAnchored) -> Section:
    percent = anchored.metric != "mean score"
    stratified = f", drawn per stratum ({anchored.stratified_by})" if anchored.stratified_by else ""
    section = Section(
        "anchored",
        "Human-anchored estimates",
        f"The {anchored.metric} three ways: the judge alone over all {anchored.items} scored items, the humans "
        f"alone over the {anchored.labelled} labelled ones{stratified}, and the judge corrected by its error on "
        "the labelled items (PPI++), which is unbiased for what the humans would say over all the items. "
        "Normal 95% intervals; worth: the human labels that alone would give as narrow an interval.",
    )
    if anchored.refused:
        section.notes.append(f"No estimate: {anchored.refused}.")
        return section
    overall = anchored.overall
    if overall is not None:
        section.cards = [
            estimate_card("anchored.judge_only", "Judge only", overall.judge_only, percent=percent),
            estimate_card("anchored.human_only", "Humans only", overall.human_only, percent=percent),
            estimate_card("anchored.corrected", "Corrected (PPI++)", overall.corrected, percent=percent),
        ]
        if overall.effective_labels is not None:
            gain = overall.effective_labels / overall.labelled
            section.cards.append(
                Card(
                    "The judge was worth",
                    f"{overall.effective_labels:.1f} labels",
                    note=f"{gain:.2f}x the {overall.labelled} labelled",
                    key="anchored.worth",
                )
            )
        title = f"{anchored.metric[:1].upper()}{anchored.metric[1:]}, all items"
        svg = plots.estimate_chart(
            "anchored",
            ["judge only", "humans only", "corrected (PPI++)"],
            [overall.judge_only, overall.human_only, overall.corrected],
            title=title,
            axis_label="estimate (95% CI)",
            percent=percent,
        )
        section.figures.append(Figure("anchored", "Three estimates", svg))
    rows = [("all items", overall)] if overall is not None else []
    rows += list(anchored.by_category.items())
    if rows:
        section.tables.append(
            Table(
                HEADERS,
                [_row(name, estimate, percent) for name, estimate in rows],
                caption="All items and each category",
            )
        )
    section.notes.extend(f"{note[:1].upper()}{note[1:]}." for note in anchored.notes)
    return section


def _row(name: str, estimate: AnchoredEstimate | None, percent: bool) -> list[str]:
    assert estimate is not None  # rows hold the overall estimate only when there is one

    def shown(value: Estimate) -> str:
        text, interval = split_estimate(value, percent=percent)
        return f"{text} {interval}" if interval else text

    return [
        name,
        str(estimate.items),
        str(estimate.labelled),
        shown(estimate.judge_only),
        shown(estimate.human_only),
        shown(estimate.corrected),
        "–" if estimate.effective_labels is None else f"{estimate.effective_labels:.1f}",
        " ".join(f"{value:.2f}" for value in estimate.lambdas.values()),
    ]
