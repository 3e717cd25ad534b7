"""`judgekit agreement`: the comparison statistics on judgments that already exist (no model call)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from judgekit import choices
from judgekit.choices import DEFAULT_RESAMPLES
from judgekit.cli.choices import FormatChoice, KindChoice, LevelChoice
from judgekit.cli.common import Quiet, handles_errors
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
    swapped: Annotated[
        Optional[list[str]],
        typer.Option(
            "--swapped",
            help="Column holding the verdict given with the answers swapped (B shown first), in the data's own "
            "A/B; one per --pred, whose column is then the A-first order. Adds per-order accuracy.",
        ),
    ] = None,
    order_disagreement: Annotated[
        Optional[choices.OrderRule],
        typer.Option(
            help="With --swapped, the verdict of an item whose two orders disagree: tie (MT-Bench, default), "
            "decisive (a verdict beats a tie; JudgeBench), drop, or mean.",
        ),
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
    panel_rule: Annotated[
        Optional[choices.PanelRule],
        typer.Option(help="With --panel: majority, unanimous or mean (default: majority, or mean for scores)."),
    ] = None,
    quorum: Annotated[
        Optional[int], typer.Option(help="With --panel: valid votes an item needs (default: a majority of them).")
    ] = None,
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
    code = _run(dict(locals()))
    if code:
        raise typer.Exit(code)


def _run(given: dict[str, Any]) -> int:
    """Read the sources, compare them, and end as every command does (`judgekit.pipeline`)."""
    from judgekit.compare.runs import analyse
    from judgekit.inputs.datasets import parse_field_options
    from judgekit.metrics.levels import resolve_level
    from judgekit.metrics.matching import load_sources
    from judgekit.metrics.outcomes import ColumnSpec
    from judgekit.pipeline.ending import PostRun, RunEnd, end_run

    kind, level, out = given["kind"], given["level"], given["out"]
    spec = ColumnSpec(
        pred=list(given["pred"] or []),
        human=given["human"],
        kind=kind.value if kind else None,
        fields=parse_field_options(given["field"] or []),
        swapped=list(given["swapped"] or []),
        disagreement=given["order_disagreement"],
    )
    sources = given["sources"]
    comparison = analyse(
        load_sources(sources, spec),
        dataset=", ".join(sources),
        panel=given["panel"],
        panel_rule=given["panel_rule"],
        quorum=given["quorum"],
        rank_by=given["rank_by"],
        level=resolve_level(level.value if level else None, given["group_by"]),
        group_by=given["group_by"],
        seed=given["seed"],
        resamples=given["resamples"],
        directory=Path(out) if out else None,
        anchored=True,
        labels_are_random=given["labels_are_random"],
    )
    notes = [f"comparison saved in {out}/compare.json"] if out else []
    end = RunEnd(run_dir=None, show="comparison", comparison=comparison, notes=notes)
    return end_run(end, PostRun(as_json=given["output_format"] is FormatChoice.json))
