"""`judgekit report`: rebuild a run's summary from its stored judgments (no model calls)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from judgekit.cli import gating
from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import Quiet, handles_errors
from judgekit.cli.options import LabelsAreRandom


@handles_errors
def report_command(
    run_dir: Annotated[str, typer.Argument(help="A run directory written by `judgekit eval`.")],
    output_format: Annotated[FormatChoice, typer.Option("--format", help="table or json.")] = FormatChoice.table,
    reparse: Annotated[
        bool,
        typer.Option(
            "--reparse",
            help="First read every stored judge answer again with the run's template.jinja and the current "
            "parser, rewriting judgments.jsonl (the old file is kept as judgments.jsonl.bak).",
        ),
    ] = False,
    html: Annotated[
        Optional[str],
        typer.Option(
            "--html",
            help="Also write a self-contained HTML report (plots, item table, manifest) to this file; "
            "given the output directory of `judgekit compare`, write its comparison page.",
        ),
    ] = None,
    quiet: Quiet = False,
    labels_are_random: LabelsAreRandom = False,
) -> None:
    """Re-aggregate a run: re-read its judgments and rewrite summary.json without calling a model."""
    from judgekit.pipeline.paths import report_run

    post = gating.post_run(gating.gate_options(), html=html, as_json=output_format is FormatChoice.json)
    code = report_run(run_dir, post, reparse=reparse, labels_are_random=labels_are_random)
    if code:
        raise typer.Exit(code)
