"""The ways a run can go, each ending in `ending.end_run`.

    eval_run()     `judgekit eval`: one judge, a panel of judges (-j repeated), --batch (batch_path.py)
                   or --cascade (cascade_path.py)
    compare_run()  `judgekit compare`: prompts x judges against human labels
    report_run()   `judgekit report` on a run directory or a comparison's output directory
    gate_run()     `judgekit gate` on a run directory

Each path first refuses, before any call, every option that cannot apply to it (exit 2, one
line naming the options): no option is ever silently dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from judgekit import api
from judgekit.api import EvalResult, Prepared, finish, prepare, report
from judgekit.ci.gates import check_options
from judgekit.ci.passrule import RunFacts
from judgekit.errors import Interrupted, UsageError
from judgekit.judging.pricing import format_usd
from judgekit.pipeline.confirm import agree_to_multiplied_calls
from judgekit.pipeline.ending import PostRun, RunEnd, end_run
from judgekit.pipeline.request import (
    EvalRequest,
    progress_factory,
    refuse,
    refuse_selected_labels,
    say_start_notes,
)
from judgekit.pipeline.single_end import run_end_of, run_page
from judgekit.reporting.messages import say

if TYPE_CHECKING:
    from judgekit.compare.runs import CompareOptions, CompareResult


def eval_run(request: EvalRequest) -> int:
    """`judgekit eval`: check everything, judge, then the one ending; returns the exit code."""
    if request.cascade is not None:
        from judgekit.pipeline.cascade_path import cascade_run

        return cascade_run(request, request.cascade)
    if request.is_panel:
        refuse(["--batch"] if request.batch else [], "with a panel of judges (-j given more than once)")
        averaged = request.panel_rule in (None, "mean")  # scores averaged: no per-criterion panel verdicts
        refuse(
            ["--min-criterion-pass"] if request.post.gates.min_criterion_pass and averaged else [],
            "with a panel that averages its judges' item scores: pass --panel-rule majority (or unanimous) "
            "to vote per criterion",
        )
        return _panel(request)  # compare_run checks the report targets
    adaptive_batch = request.batch is not None and request.config.positions == "adaptive"
    refuse(["--batch"] if adaptive_batch else [], "with --positions adaptive (its second order waits for the first)")
    request.post.check_targets()
    panel_options = [
        name
        for name, value in (("--panel-rule", request.panel_rule), ("--quorum", request.quorum))
        if value is not None
    ]
    refuse(panel_options, "without a panel of judges (repeat --judge)")
    prepared = prepare(request.config)
    check_options(request.post.gates, RunFacts.of(prepared.manifest))
    refuse_selected_labels(prepared)
    say_start_notes([prepared])
    agree_to_multiplied_calls([prepared], request.yes)
    if request.batch is not None:
        from judgekit.pipeline.batch_path import batch_run

        return batch_run(prepared, request)
    return _single(prepared, request)


def _single(prepared: Prepared, request: EvalRequest) -> int:
    progress = progress_factory(request.quiet)()
    try:
        result = asyncio.run(api.execute(prepared, progress))
    except KeyboardInterrupt:
        progress.stop()
        raise _interrupted(prepared) from None
    return end_run(_run_end(result, prepared), request.post)


def _interrupted(prepared: Prepared) -> Interrupted:
    if not prepared.run_dir.exists():  # stopped before the run directory was complete
        return Interrupted("interrupted before the run started; nothing was judged")
    summary = finish(prepared.run_dir, status="interrupted")
    judged = summary.counts.scored + summary.counts.unscored
    return Interrupted(
        f"interrupted: {judged} of {summary.counts.items} items are judged and kept in {prepared.run_dir.path}; "
        "run the same command again to finish"
    )


def _run_end(result: EvalResult, prepared: Prepared) -> RunEnd:
    counters, summary, config = result.counters, result.summary, prepared.config
    spent = ""
    if summary.cost is not None:
        spent = f", {format_usd(counters.cost_usd)} spent now, {format_usd(summary.cost.usd)} in all"
    from judgekit.reporting.console import calls_phrase

    notes = [f"run directory: {result.run_dir}; judge calls: {calls_phrase(summary)}{spent}"]  # as the table says
    backend_report = prepared.backend_report()
    if backend_report:
        notes.append(backend_report)
    if result.lowest_concurrency is not None and result.lowest_concurrency < config.concurrency:
        notes.append(
            f"rate limits lowered the requests in flight from {config.concurrency} to as few as "
            f"{result.lowest_concurrency} (--adaptive)"
        )
    return run_end_of(result, notes)


# -- panel --------------------------------------------------------------------------------------
def _panel(request: EvalRequest) -> int:
    from judgekit.compare.runs import CompareOptions

    config = request.config
    options = CompareOptions(
        base=config.model_copy(update={"out": None}),
        prompts=[config.prompt],
        judges=request.judges,
        panel=True,
        panel_rule=request.panel_rule,
        quorum=request.quorum,
        level=config.level,
        group_by=config.group_by,
        out=config.out,
    )
    return compare_run(options, request.post, quiet=request.quiet, yes=request.yes, gate_panel=True)


def compare_run(
    options: CompareOptions, post: PostRun, *, quiet: bool, yes: bool = False, gate_panel: bool = False
) -> int:
    """Judge with every prompt x judge, print the comparison, and end; a panel gates on its verdict."""
    from judgekit.compare.runs import run_compare

    if not gate_panel:
        refuse(post.given_gates_and_ci(), "with `judgekit compare` (gate one run with `judgekit gate RUN_DIR`)")
    post.check_targets()

    def before_judging(prepared: list[Prepared]) -> None:
        say_start_notes(prepared, by_judge=True)  # each judge's own, as one run says them
        agree_to_multiplied_calls(prepared, yes)

    result = run_compare(options, progress=progress_factory(quiet), before_judging=before_judging)
    end = _compare_end(result)
    if gate_panel:
        _gate_the_panel(end, result, options)
    return end_run(end, post)


def _compare_end(result: CompareResult) -> RunEnd:
    comparison = result.comparison
    directory = Path(str(comparison.output_dir))
    return RunEnd(
        run_dir=None,
        show="comparison",
        comparison=comparison,
        notes=[f"comparison saved in {directory}/compare.json"],
        stop_reasons=dict(result.stop_reasons),
        failed_items=dict(result.errors),
        html_writer=_compare_page(directory),
    )


def _compare_page(directory: Path) -> Callable[[str], Path]:
    def write(target: str) -> Path:
        from judgekit.reporting.html import write_compare_dir_report

        return write_compare_dir_report(directory, target)

    return write


def _gate_the_panel(end: RunEnd, result: CompareResult, options: CompareOptions) -> None:
    from judgekit.compare.panel import combine, resolve
    from judgekit.compare.panel_run import write_panel_run

    assert result.directory is not None
    rule, quorum = resolve(result.sets[0].kind, len(result.sets), options.panel_rule, options.quorum)
    combined = combine(result.sets, rule=rule, quorum=quorum)
    panel = write_panel_run(result.directory, result.sets, combined, rule=rule, quorum=quorum)
    summary = finish(panel, status="complete")
    end.run_dir, end.summary = panel.path, summary
    end.gate_note = f"gates and CI reports use the panel's verdict ({combined.name}), stored in {panel.path}"


# -- an existing directory ----------------------------------------------------------------------
def report_run(run_dir: str, post: PostRun, *, reparse: bool = False, labels_are_random: bool = False) -> int:
    """`judgekit report`: rebuild a run's summary (or show a comparison's page) and end."""
    from judgekit.reporting.html import is_compare_dir

    post.check_targets()
    if is_compare_dir(run_dir):
        refuse(["--reparse"] if reparse else [], "on a comparison's output directory")
        refuse(["--labels-are-random"] if labels_are_random else [], "on a comparison's output directory")
        refuse(post.given_gates_and_ci(), "on a comparison's output directory; gate its panel/ or one run")
        from judgekit.compare.runs import load_comparison

        page = _compare_page(Path(run_dir))
        if post.html:  # the page is what was asked for: compare.json is read as the page reads it
            return end_run(RunEnd(run_dir=None, show="nothing", html_writer=page), post)
        comparison = load_comparison(Path(run_dir))
        return end_run(RunEnd(run_dir=None, show="comparison", comparison=comparison, html_writer=page), post)
    if reparse:
        _reparse(run_dir)
    summary = report(run_dir, labels_are_random=labels_are_random)
    end = RunEnd(
        run_dir=Path(run_dir),
        summary=summary,
        html_writer=run_page(Path(run_dir), summary),
        pending=summary.counts.pending if post.checks_gates else 0,
        failed_items={"run": summary.counts.errors} if post.checks_gates else {},
    )
    return end_run(end, post)


def _reparse(run_dir: str) -> None:
    from judgekit.api import reparse_answers

    result = reparse_answers(run_dir)
    for note in result.notes:
        say(f"note: {note}")
    say(
        f"re-read {result.read} stored answers: {result.changed} changed "
        f"({result.newly_scored} newly scored, {result.newly_unscored} newly unscored); "
        f"{result.kept} rows kept as they were"
    )


def gate_run(run_dir: str, post: PostRun) -> int:
    """`judgekit gate`: the gates and CI reports on a finished run, without a model call."""
    from judgekit.pipeline.finished import load_finished

    if not post.checks_gates:
        raise UsageError(
            "no gate given: pass at least one of --min-win-rate, --min-score, --min-pass-rate, --max-unscored, "
            "--max-flip-rate, --min-agreement, --max-position-bias, --max-length-bias, --min-criterion-pass "
            "(or a report: --junit, --markdown)"
        )
    post.check_targets()
    view = load_finished(run_dir)
    check_options(post.gates, RunFacts.of(view.manifest))
    counts = view.summary.counts
    end = RunEnd(
        run_dir=view.path,
        summary=view.summary,
        show="gates",
        pending=counts.pending,
        failed_items={"run": counts.errors},
        html_writer=run_page(view.path, view.summary),
    )
    return end_run(end, post)
