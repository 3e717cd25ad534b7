"""The checklist section of a run's page: the run's score, each criterion's pass rate and, with
human verdicts, its agreement with them (the same table as the console and Markdown reports)."""

from __future__ import annotations

from judgekit.reporting.checklist_table import checklist_table, checklist_title
from judgekit.reporting.html.humans import add_calibration
from judgekit.reporting.html.view import Section, Table, estimate_card
from judgekit.summary import Summary


def checklist_sections(summary: Summary) -> list[Section]:
    checklist = summary.checklist
    if checklist is None:
        return []
    section = Section(
        "checklist",
        checklist_title(checklist),
        "An item scores the points of the criteria met over the positive points possible; the run's score "
        "is their mean clipped to 0-1. An item with an unscored criterion is unscored; each criterion's "
        "pass rate counts the items that graded it (exact 95% interval).",
    )
    if checklist.score is not None:
        section.cards.append(estimate_card("checklist-score", "checklist score", checklist.score, digits=3))
    header, rows = checklist_table(checklist)
    section.tables.append(Table(header, rows))
    if checklist.by_tag:
        tags = [[tag, estimate.format(digits=2), str(estimate.n)] for tag, estimate in checklist.by_tag.items()]
        section.tables.append(Table(["tag", "score [95% CI]", "items"], tags, caption="Score by tag"))
    if checklist.calibration is not None:  # a panel voting per criterion, with human verdicts
        add_calibration(section, checklist.calibration)
    return [section]
