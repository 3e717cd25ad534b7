"""`judgekit agreement`: the comparison statistics on judgments that already exist (no model call)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from judgekit.choices import DEFAULT_RESAMPLES
from judgekit.cli.choices import FormatChoice, KindChoice, LevelChoice
from judgekit.cli.common import Quiet, handles_errors, stdout_console, warn
from judgekit.cli.options import LabelsAreRandom


@handles_errors
def agreement_command(
    sources: Annotated[
        list[str],
        typer.Argument(help="A data file holding judgments (with --pred), and/or run directories of earlier runs."),
    ],
    pred: Annotated[
        Optional[list[str]],
        typer.Option("--pred", help="Column holding the judge's verdict or score (repeat to compare columns)."),
    ] = None,
    human: Annotated[
        Optional[str],
        typer.Option(help="Column holding the human label or score (default: human_label / label or human_score)."),
    ] = None,
    kind: Annotated[
        Optional[KindChoice],
        typer.Option(
            help="pairwise (verdicts A/B/tie or 1/2/0) or pointwise (scores); default: guessed from the values."
        ),
    ] = None,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
    group_by: Annotated[
        Optional[str], typer.Option(help="Column defining groups (e.g. doc_id) or systems (e.g. system_id).")
    ] = None,
    level: Annotated[
        Optional[LevelChoice], typer.Option(help="Correlation level: item, group (per group, averaged) or system.")
    ] = None,
    rank_by: Annotated[Optional[str], typer.Option(help="Metric that ranks several sources.")] = None,
    panel: Annotated[bool, typer.Option("--panel", help="Also combine the sources into a panel.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    resamples: Annotated[int, typer.Option(min=100, help="Bootstrap resamples per interval.")] = DEFAULT_RESAMPLES,
    out: Annotated[
        Optional[str], typer.Option("--out", "-o", help="Also write compare.json to this directory.")
    ] = None,
    output_format: Annotated[FormatChoice, typer.Option("--format", help="table or json.")] = FormatChoice.table,
    quiet: Quiet = False,
    labels_are_random: LabelsAreRandom = False,
) -> None:
    """Agreement, correlation and bias of existing judgments, e.g. released judge outputs.

    Reads a column of judge verdicts or scores from a data file (--pred), or the judgments of
    earlier run directories, and reports the same statistics as `judgekit compare`. When only
    some items carry human labels (a random sample), it also reports the human-anchored (PPI++)
    estimates: the judge's figure corrected by its error on the labelled items.
    """
    from judgekit.compare.runs import analyse
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.metrics.levels import resolve_level
    from judgekit.metrics.outcomes import ColumnSpec, load_sources
    from judgekit.reporting.compare_table import print_comparison

    spec = ColumnSpec(
        pred=list(pred or []),
        human=human,
        kind=kind.value if kind else None,
        fields=parse_field_options(field or []),
    )
    sets = load_sources(sources, spec)
    comparison = analyse(
        sets,
        dataset=", ".join(sources),
        panel=panel,
        rank_by=rank_by,
        level=resolve_level(level.value if level else None, group_by),
        group_by=group_by,
        seed=seed,
        resamples=resamples,
        directory=Path(out) if out else None,
        anchored=True,
        labels_are_random=labels_are_random,
    )
    if output_format is FormatChoice.json:
        sys.stdout.write(comparison.model_dump_json(indent=2) + "\n")
    else:
        print_comparison(comparison, stdout_console(wide=True))
    if out:
        warn(f"comparison saved in {out}/compare.json")
