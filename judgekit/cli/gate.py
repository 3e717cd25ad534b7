"""`judgekit gate`: check quality gates on a finished run (judge once, check many times)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from judgekit.cli import gating
from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import Quiet, fail, handles_errors, stdout_console

if TYPE_CHECKING:
    from judgekit.ci.gates import GateResult


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
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
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
    from judgekit.ci.gates import check_options
    from judgekit.ci.passrule import RunFacts
    from judgekit.errors import ExitCode
    from judgekit.pipeline.finished import load_finished

    options = gating.gate_options(
        min_win_rate=min_win_rate,
        min_score=min_score,
        min_pass_rate=min_pass_rate,
        pass_score=pass_score,
        max_unscored=max_unscored,
        max_flip_rate=max_flip_rate,
        min_agreement=min_agreement,
        on_ci_bound=on_ci_bound,
    )
    if not options.any and not gating.wants_reports(junit, markdown):
        raise fail(
            "no gate given: pass at least one of --min-win-rate, --min-score, --min-pass-rate, --max-unscored, "
            "--max-flip-rate, --min-agreement (or a report: --junit, --markdown)",
            ExitCode.USAGE,
        )
    view = load_finished(run_dir)
    check_options(options, RunFacts.of(view.manifest))
    results = gating.check_run(view, options, junit=junit, markdown=markdown)
    passed = all(result.passed for result in results)
    if output_format is FormatChoice.json:
        payload = {
            "run_dir": str(view.path),
            "passed": passed,
            "gates": [result.model_dump(mode="json") for result in results],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    elif results:
        _print_table(results)
    counts = view.summary.counts
    if counts.pending:
        raise fail(
            f"the run is incomplete: {counts.pending} of {counts.items} items were not judged; finish it with "
            f"`judgekit eval --resume {view.path}` before gating on it",
            ExitCode.PROVIDER,
        )
    if counts.errors > max_errors:
        raise fail(
            f"the run holds {counts.errors} failed items (allowed: --max-errors {max_errors}); "
            f"retry them with `judgekit eval --resume {view.path}`",
            ExitCode.PROVIDER,
        )
    from judgekit.ci.health import no_verdicts

    failure = no_verdicts(view.summary, view.path)
    if failure:
        raise fail(failure, ExitCode.PROVIDER)
    if not passed:
        raise typer.Exit(ExitCode.GATE_FAILED)


def _print_table(results: list[GateResult]) -> None:
    from rich.table import Table

    table = Table(title="judgekit gates", title_justify="left")
    table.add_column("gate", no_wrap=True)
    for column in ("metric", "value [95% CI]", "threshold", "checked", "result"):
        table.add_column(column)
    for result in results:
        estimate = result.estimate
        table.add_row(
            result.option,
            result.metric,
            "not measured" if estimate is None else f"{estimate.format(percent=result.percent)} (n={estimate.n})",
            f"{'≥' if result.bound == 'min' else '≤'} {result.format(result.threshold)}",
            "–" if result.checked is None else f"{result.checked_on} {result.format(result.checked)}",
            "pass" if result.passed else "FAIL",
        )
    stdout_console().print(table)
