"""`judgekit report`: rebuild a run's summary from its stored judgments (no model calls)."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import fail, handles_errors, stdout_console, warn


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
    labels_are_random: Annotated[
        bool,
        typer.Option(
            "--labels-are-random",
            help="The items carrying human labels are a random sample: skip the check that refuses an "
            "obviously selected set (the human-anchored estimates rest on it).",
        ),
    ] = False,
) -> None:
    """Re-aggregate a run: re-read its judgments and rewrite summary.json without calling a model."""
    from judgekit.api import reparse_answers, report
    from judgekit.reporting.console import print_summary

    if html:
        from judgekit.reporting.html import is_compare_dir, write_compare_dir_report
        from judgekit.reporting.html.render import check_target

        check_target(html)
        if is_compare_dir(run_dir):  # `judgekit compare`'s output: its comparison page
            if labels_are_random:
                raise fail("--labels-are-random applies to a run directory, not to `judgekit compare`'s output", 2)
            warn(f"HTML report: {write_compare_dir_report(run_dir, html)}")
            return
    if reparse:
        result = reparse_answers(run_dir)
        for note in result.notes:
            warn(f"note: {note}")
        warn(
            f"re-read {result.read} stored answers: {result.changed} changed "
            f"({result.newly_scored} newly scored, {result.newly_unscored} newly unscored); "
            f"{result.kept} rows kept as they were"
        )
    summary = report(run_dir, labels_are_random=labels_are_random)
    if html:
        from judgekit.reporting.html import write_run_report

        warn(f"HTML report: {write_run_report(run_dir, html, summary)}")
    if output_format is FormatChoice.json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
    else:
        print_summary(summary, stdout_console())
