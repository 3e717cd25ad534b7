"""The checklist section of a run's reports (console and Markdown): each criterion's pass rate,
and its agreement with human verdicts when the data holds them."""

from __future__ import annotations

from typing import Any

from judgekit.summary import ChecklistMetrics, CriterionHumans


def _humans(human: CriterionHumans | None) -> list[str]:
    if human is None:
        return ["–", "–"]
    agreement = human.agreement.format(percent=True) if human.agreement else "–"
    kappa = human.kappa.format(digits=2) if human.kappa else "–"
    interval = human.agreement.interval if human.agreement else None
    # The pooled row's pairs are not independent draws: say what its interval counts.
    clustered = ", interval clustered by item" if interval and interval.startswith("korn-graubard") else ""
    return [f"{agreement} (n={human.n}{clustered})", kappa]


def checklist_title(checklist: ChecklistMetrics) -> str:
    calls = "one call per criterion" if checklist.calls == "each" else "one call for all criteria"
    return f"Checklist criteria ({calls})"


def checklist_table(checklist: ChecklistMetrics) -> tuple[list[str], list[list[str]]]:
    """The header and one row per criterion; the human columns only when the data holds human verdicts."""
    header = ["criterion", "points", "met / graded", "pass rate", "unscored"]
    with_humans = checklist.human is not None
    if with_humans:
        header += ["agreement with humans", "kappa"]
    rows = []
    for criterion in checklist.criteria:
        points = f"{criterion.points:g}" if criterion.points is not None else "varies"
        rate = criterion.pass_rate.format(percent=True) if criterion.pass_rate else "–"
        row = [criterion.name, points, f"{criterion.met} / {criterion.graded}", rate, str(criterion.unscored)]
        rows.append(row + (_humans(criterion.human) if with_humans else []))
    if with_humans:
        rows.append(["all criteria", "", "", "", str(checklist.unscored_criteria), *_humans(checklist.human)])
    return header, rows


def print_checklist(checklist: ChecklistMetrics, console: Any) -> None:
    from rich.table import Table

    header, rows = checklist_table(checklist)
    table = Table(title=checklist_title(checklist), title_justify="left")
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if checklist.by_tag:
        tags = ", ".join(
            f"{tag} {estimate.format(digits=2)} (n={estimate.n})" for tag, estimate in checklist.by_tag.items()
        )
        console.print(f"Checklist score by tag: {tags}")
