"""The checklist section of a run's console report: each criterion's pass rate and agreement."""

from __future__ import annotations

from typing import Any

from judgekit.summary import ChecklistMetrics, CriterionHumans


def _humans(human: CriterionHumans | None) -> tuple[str, str]:
    if human is None:
        return "–", "–"
    agreement = human.agreement.format(percent=True) if human.agreement else "–"
    kappa = human.kappa.format(digits=2) if human.kappa else "–"
    return f"{agreement} (n={human.n})", kappa


def print_checklist(checklist: ChecklistMetrics, console: Any) -> None:
    """One row per criterion; the human columns only when the data holds human verdicts."""
    from rich.table import Table

    calls = "one call per criterion" if checklist.calls == "each" else "one call for all criteria"
    table = Table(title=f"Checklist criteria ({calls})", title_justify="left")
    headers = ["criterion", "points", "met / graded", "pass rate", "unscored"]
    with_humans = checklist.human is not None
    if with_humans:
        headers += ["agreement with humans", "kappa"]
    for header in headers:
        table.add_column(header)
    for criterion in checklist.criteria:
        points = f"{criterion.points:g}" if criterion.points is not None else "varies"
        rate = criterion.pass_rate.format(percent=True) if criterion.pass_rate else "–"
        cells = [criterion.name, points, f"{criterion.met} / {criterion.graded}", rate, str(criterion.unscored)]
        if with_humans:
            cells += list(_humans(criterion.human))
        table.add_row(*cells)
    if with_humans:
        table.add_row("all criteria", "", "", "", str(checklist.unscored_criteria), *_humans(checklist.human))
    console.print(table)
