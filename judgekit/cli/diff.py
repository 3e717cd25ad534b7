"""`judgekit diff`: compare two runs over the same items, item by item, with a paired test."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from judgekit.cli import gating
from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import Quiet, handles_errors, stdout_console, warn

if TYPE_CHECKING:
    from judgekit.ci.diff import RunDiff


@handles_errors
def diff_command(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help="The earlier run (before).", show_default=False)],
    run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="The later run (after).", show_default=False)],
    max_regression: Annotated[
        Optional[float],
        typer.Option(
            metavar="DROP",
            help="Exit 1 if the mean per-item value dropped by more than DROP from RUN_A to RUN_B: a fraction "
            "of win rate for pairwise runs (0.05 = 5 points), score points for pointwise runs.",
            rich_help_panel=gating.GATES_PANEL,
            show_default=False,
        ),
    ] = None,
    on_ci_bound: gating.OnCiBound = gating.CiBoundChoice.NONE,
    min_items: gating.MinItems = None,
    rescale: Annotated[
        bool,
        typer.Option(
            "--rescale",
            help="Compare pointwise runs scored on different scales (e.g. 1-10 and 1-5) by mapping each run's "
            "scores onto 0-1 with its own template's scale; --max-regression is then a fraction of the scale. "
            "Without it, runs on different scales are refused.",
        ),
    ] = False,
    markdown: gating.Markdown = None,
    show: Annotated[int, typer.Option(min=0, help="Items that got worse to list in the table.")] = 50,
    output_format: Annotated[
        FormatChoice, typer.Option("--format", help="table, or json (the whole comparison on stdout).")
    ] = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Compare two runs over the same items: which items got worse, and is the change significant?

    Runs of different kinds, or pointwise runs on different score scales, are refused; --rescale
    compares the latter on 0-1.

    Scores are tested with the Wilcoxon signed-rank test, pairwise outcomes with the sign test,
    both two-sided and paired by item. Exit codes: 0 ok, 1 --max-regression failed, 2 usage or
    input error (e.g. the runs are not over the same items).
    """
    from judgekit.ci.diff import compare
    from judgekit.ci.gates import DEFAULT_MIN_ITEMS
    from judgekit.errors import ExitCode
    from judgekit.pipeline.finished import load_finished
    from judgekit.reporting import github
    from judgekit.reporting.markdown import diff_report

    diff = compare(
        load_finished(run_a),
        load_finished(run_b),
        max_regression=max_regression,
        on_ci_bound=on_ci_bound.value,
        min_items=DEFAULT_MIN_ITEMS if min_items is None else min_items,
        rescale=rescale,
    )
    for warning in diff.warnings:
        warn(f"warning: {warning}")
    if output_format is FormatChoice.json:
        sys.stdout.write(diff.model_dump_json(indent=2) + "\n")
    else:
        _print(diff, show)
    gates = [diff.gate] if diff.gate is not None else []
    gating.print_gate_lines(gates)
    github.annotate(gates)
    for path in github.publish_markdown(diff_report(diff), markdown) if gating.wants_reports(None, markdown) else []:
        warn(f"Markdown summary: {path}")
    if diff.gate is not None and not diff.gate.passed:
        raise typer.Exit(ExitCode.GATE_FAILED)


def _print(diff: RunDiff, show: int) -> None:
    from rich.table import Table
    from rich.text import Text

    percent = diff.kind == "pairwise" or diff.rescaled
    test = diff.test
    console = stdout_console()
    head = Table(title=f"judgekit diff · {diff.kind} · {diff.metric}", show_header=False, title_justify="left")
    head.add_column("what", style="bold")
    head.add_column("value")
    for label, estimate in (
        (f"{diff.metric}, RUN_A ({diff.before})", diff.before_metric),
        (f"{diff.metric}, RUN_B ({diff.after})", diff.after_metric),
        ("Mean change per item, paired", test.change),
    ):
        head.add_row(Text(label), "–" if estimate is None else f"{estimate.format(percent=percent)}  (n={estimate.n})")
    head.add_row("Items better / worse / unchanged", f"{test.better} / {test.worse} / {test.unchanged} of {test.n}")
    name = "Sign test" if test.test == "sign" else "Wilcoxon signed-rank test"
    if test.p_value is None:
        head.add_row(name, "no item changed")
    else:
        head.add_row(f"{name} (two-sided)", f"statistic {test.statistic:g}, p = {test.p_value:.4g}")
    head.add_row("Items without a verdict in a run", str(len(diff.not_compared)))
    console.print(head)
    if diff.worse and show:
        worse = Table(title=f"Items that got worse ({len(diff.worse)})", title_justify="left")
        for column in ("item", "before", "after", "change", "question"):
            worse.add_column(column, overflow="fold")
        for change in diff.worse[:show]:
            question = " ".join(change.question.split())
            shown = question[:70] + ("…" if len(question) > 70 else "")
            # Ids and questions are data: Text() keeps rich from reading "[...]" in them as markup.
            step = f"{change.change:+.3g}"
            worse.add_row(Text(change.id), Text(change.before), Text(change.after), step, Text(shown))
        console.print(worse)
        if len(diff.worse) > show:
            console.print(f"… and {len(diff.worse) - show} more (--show N, or --format json for all)")
