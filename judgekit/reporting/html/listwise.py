"""The report page's section for a listwise (best-of-N) run: how often each model was picked."""

from __future__ import annotations

from judgekit.reporting.html.run_data import RunData
from judgekit.reporting.html.view import Section, Table


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def listwise_sections(data: RunData) -> list[Section]:
    """One section: each model's pick rate with its exact interval, and the rate by chance."""
    metrics = data.summary.listwise
    section = Section(
        "picks",
        "Picks",
        "The share of the scored items in which the judge picked each model's answer as the best, "
        "with its exact 95% interval; 'chance' is what a judge without any preference would give. "
        "Unscored and failed items are counted in the header and left out of every rate.",
    )
    if metrics is None:
        return [section]
    rows = []
    for candidate in metrics.candidates:
        rate = candidate.pick_rate
        interval = "–" if rate is None or rate.low is None else f"[{_pct(rate.low)}, {_pct(rate.high)}]"
        rows.append(
            [
                candidate.name,
                f"{candidate.picked} / {candidate.offered}",
                _pct(rate.value if rate else None),
                interval,
                _pct(candidate.chance),
            ]
        )
    section.tables.append(Table(["model", "picked / offered", "pick rate", "95% CI", "chance"], rows))
    if metrics.p_first is not None:
        section.notes.append(
            f"The answer shown first was picked in {_pct(metrics.p_first.value)} of {metrics.p_first.n} read calls "
            f"(chance {_pct(metrics.first_chance)})."
        )
    if metrics.rotation_agreement is not None:
        section.notes.append(
            f"Under rotation, every order picked the same answer on {_pct(metrics.rotation_agreement.value)} "
            f"of {metrics.rotation_agreement.n} items ({metrics.combine})."
        )
    return [section]
