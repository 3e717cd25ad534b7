"""The options of a cascade of judges (`judgekit eval --cascade A,B`), declared once."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

CASCADE_PANEL = "Cascade"

Cascade = Annotated[
    Optional[list[str]],
    typer.Option(
        "--cascade",
        help="Judges to try in turn, cheapest first: A,B,... (or repeat the option). Every item goes to the first; "
        "only items it is unsure of go on to the next. Replaces --judge.",
        rich_help_panel=CASCADE_PANEL,
        show_default=False,
    ),
]

EscalateBelow = Annotated[
    Optional[float],
    typer.Option(
        help="A cascade: a verdict whose confidence is below this goes on to the next judge (default 0.8).",
        rich_help_panel=CASCADE_PANEL,
        show_default=False,
    ),
]

AbstainBelow = Annotated[
    Optional[float],
    typer.Option(
        help="A cascade: after the last judge, leave items below this confidence (or without a verdict) to humans, "
        "in <out>/abstained.jsonl for `judgekit labels plan`.",
        rich_help_panel=CASCADE_PANEL,
        show_default=False,
    ),
]

TargetAgreement = Annotated[
    Optional[float],
    typer.Option(
        help="A cascade on human-labelled pairwise data: choose each judge's threshold on half of the labelled items "
        "(seeded by --seed) so kept verdicts agree with the humans this often; report coverage and agreement on the "
        "other half.",
        rich_help_panel=CASCADE_PANEL,
        show_default=False,
    ),
]

ErrorLevel = Annotated[
    Optional[float],
    typer.Option(
        help="With --target-agreement: the chance, at most, that the chosen thresholds keep verdicts agreeing with "
        "the humans less often than the target (each judge is tested at this divided by the number of judges). "
        "Default 0.1: the target holds with probability at least 90%.",
        rich_help_panel=CASCADE_PANEL,
        show_default=False,
    ),
]


def cascade_judges(given: list[str] | None) -> list[str]:
    """`--cascade A,B --cascade C` as [A, B, C] (judge specs hold no commas)."""
    return [name.strip() for value in given or [] for name in value.split(",") if name.strip()]
