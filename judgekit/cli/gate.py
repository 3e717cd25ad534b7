"""`judgekit gate`: check quality gates on a finished run (judge once, check many times)."""

from __future__ import annotations

from typing import Annotated

import typer

from judgekit.cli import gating
from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import Quiet, handles_errors


@handles_errors
def gate_command(
    run_dir: Annotated[str, typer.Argument(help="A run directory written by `judgekit eval`.", show_default=False)],
    min_win_rate: gating.MinWinRate = None,
    min_score: gating.MinScore = None,
    min_pass_rate: gating.MinPassRate = None,
    pass_score: gating.PassScore = None,
    max_unscored: gating.MaxUnscored = None,
    max_flip_rate: gating.MaxFlipRate = None,
    min_agreement: gating.MinAgreement = None,
    max_position_bias: gating.MaxPositionBias = None,
    max_length_bias: gating.MaxLengthBias = None,
    min_criterion_pass: gating.MinCriterionPass = None,
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
    min_items: gating.MinItems = None,
    junit: gating.Junit = None,
    markdown: gating.Markdown = None,
    max_errors: Annotated[
        int, typer.Option(min=0, help="Failed items the run may hold before exiting with code 3.")
    ] = 0,
    output_format: Annotated[
        FormatChoice, typer.Option("--format", help="table, or json (the gate results as JSON on stdout).")
    ] = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Check quality gates on a run without calling a model.

    Exit codes: 0 every gate passed, 1 a gate failed, 2 a usage or input error, 3 the run is
    incomplete or holds more failed items than --max-errors.
    """
    from judgekit.pipeline.paths import gate_run

    post = gating.post_run_of(locals(), as_json=output_format is FormatChoice.json)
    code = gate_run(run_dir, post)
    if code:
        raise typer.Exit(code)
