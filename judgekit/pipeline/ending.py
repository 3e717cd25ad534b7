"""The one ending of every run: print, write the reports, check the gates, pick the exit code.

Every way a run can finish — one judge, a panel, `--batch` and `batch collect`, `--resume`,
`compare`, and `report` / `gate` on an existing directory — hands a `RunEnd` to `end_run`
with the `PostRun` options the user gave. Nothing after the judging lives anywhere else, so
no path can skip a gate or drop a report.

The order matters: results are printed and every report file is written before the exit code
is decided, so a failed gate or a stopped run still leaves its JUnit / Markdown / HTML behind
for the CI system to publish.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from judgekit.ci.gates import GateOptions, GateResult, evaluate
from judgekit.ci.health import no_verdicts, why_failed
from judgekit.ci.passrule import PassRule, RunFacts
from judgekit.ci.provenance import run_warnings
from judgekit.ci.runview import RunView
from judgekit.errors import ErrorBudgetExceeded, ExitCode, InputError, NoVerdicts, RunIncomplete, RunStopped
from judgekit.reporting.messages import say

if TYPE_CHECKING:
    from judgekit.compare.records import Comparison
    from judgekit.summary import Summary

Show = Literal["summary", "gates", "comparison", "nothing"]


@dataclass(frozen=True)
class PostRun:
    """Every option that acts once the verdicts are in (the same on every path)."""

    gates: GateOptions = field(default_factory=GateOptions)
    junit: str | None = None
    markdown: str | None = None
    html: str | None = None
    as_json: bool = False
    max_errors: int = 0

    @property
    def github_summary(self) -> str | None:
        """GitHub's step-summary file, read when the run ends (never frozen at import)."""
        return os.environ.get("GITHUB_STEP_SUMMARY") or None

    @property
    def checks_gates(self) -> bool:
        """Whether the gates are evaluated: a gate, or a CI report that lists them, was asked for."""
        return self.gates.any or bool(self.junit or self.markdown or self.github_summary)

    def given(self) -> list[str]:
        """The post-run options the user gave, as they are spelled on the command line."""
        names = [f"--{name.replace('_', '-')}" for name in self.gates.given()]
        names += [flag for flag, value in (("--junit", self.junit), ("--markdown", self.markdown)) if value]
        return names + (["--html"] if self.html else [])

    def given_gates_and_ci(self) -> list[str]:
        """The given options that gate or write CI reports (everything but --html)."""
        return [name for name in self.given() if name != "--html"]

    def to_json(self) -> dict[str, object]:
        """The options as stored in a run directory (applied later by `judgekit batch collect`)."""
        from dataclasses import asdict

        return {
            "gates": asdict(self.gates),
            "junit": self.junit,
            "markdown": self.markdown,
            "html": self.html,
            "max_errors": self.max_errors,
        }

    @classmethod
    def from_json(cls, data: dict[str, object], *, as_json: bool) -> PostRun:
        gates = data.get("gates")
        return cls(
            gates=GateOptions(**gates) if isinstance(gates, dict) else GateOptions(),
            junit=_text(data.get("junit")),
            markdown=_text(data.get("markdown")),
            html=_text(data.get("html")),
            as_json=as_json,
            max_errors=int(str(data.get("max_errors", 0))),
        )

    def check_targets(self) -> None:
        """Fail before any call when a report could not be written (a typo should not cost a run)."""
        from judgekit.reporting.html.render import check_target

        if self.html:
            check_target(self.html)
        for flag, target in (("--junit", self.junit), ("--markdown", self.markdown)):
            if target and Path(target).is_dir():
                raise InputError(f"{flag} {target}: is a folder; give a file name")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class RunEnd:
    """How one run path finished: what the ending prints, gates and reports on."""

    run_dir: Path | None
    """The run the gates and reports are about (a panel's combined run for a panel); None: none."""
    summary: Summary | None = None
    show: Show = "summary"
    comparison: Comparison | None = None
    notes: list[str] = field(default_factory=list)
    """stderr lines after the results (where the run is, what the session did)."""
    gate_note: str | None = None
    """Said before the gate lines when what is gated is not obvious (e.g. a panel's verdict)."""
    stop_reasons: dict[str, str] = field(default_factory=dict)
    """Runs that stopped before the end, with why (budget, fatal provider error)."""
    failed_items: dict[str, int] = field(default_factory=dict)
    """Failed items per run (checked against --max-errors)."""
    pending: int = 0
    """Items never judged (a run directory gated before its run finished)."""
    html_writer: Callable[[str], Path] | None = None
    """Writes the HTML view of what ended (a run page or a comparison page)."""


def end_run(end: RunEnd, post: PostRun) -> int:
    """Print the results, write every report, check the gates; the exit code (0 or 1).

    Raises `RunStopped` / `ErrorBudgetExceeded` / `RunIncomplete` (exit 3) after the reports
    are written when the run itself did not finish well, and a UsageError (exit 2) before
    anything is shown when the summary's human labels look selected rather than random.
    """
    if end.show == "summary" and end.summary is not None:
        from judgekit.metrics.human_anchored import refuse_if_selected

        refuse_if_selected(end.summary.human_anchored)  # exit 2: the labels do not look random
    # Reading the run back (every item and row) is only needed for the gates and CI reports.
    view = _view(end) if post.checks_gates else None
    results = _check_gates(end, view, post) if view is not None and end.show == "gates" else []
    _print(end, post, results)
    if post.html:
        if end.html_writer is None:
            raise InputError("--html: this command has no page to write")
        say(f"HTML report: {end.html_writer(post.html)}")
    for note in end.notes:
        say(note)
    if view is not None and end.show != "gates":
        results = _check_gates(end, view, post)
    _raise_if_unfinished(end, post)
    return ExitCode.GATE_FAILED if any(not result.passed for result in results) else ExitCode.OK


def _view(end: RunEnd) -> RunView | None:
    if end.run_dir is None:
        return None
    from judgekit.pipeline.finished import load_finished

    return load_finished(end.run_dir, end.summary)


def _check_gates(end: RunEnd, view: RunView, post: PostRun) -> list[GateResult]:
    from judgekit.reporting import github
    from judgekit.reporting import markdown as markdown_report

    if end.gate_note:
        say(end.gate_note)
    for warning in run_warnings(view):
        say(f"warning: {warning}")
    results = evaluate(post.gates, view)
    for result in results:
        say(f"gate {'passed' if result.passed else 'FAILED'}: {result.line()}")
    github.annotate(results)
    rule = PassRule.of(RunFacts.of(view.manifest), post.gates.pass_score)
    if post.junit:
        _write_junit(post.junit, view, rule, results, post.max_errors)
    if post.markdown or post.github_summary:
        for path in github.publish_markdown(markdown_report.run_report(view, rule, results), post.markdown):
            say(f"Markdown summary: {path}")
    return results


def _write_junit(target: str, view: RunView, rule: PassRule, results: list[GateResult], max_errors: int) -> None:
    from judgekit.reporting import junit

    try:
        counts = junit.write(target, view, rule, results, max_errors)
    except OSError as exc:
        raise InputError(f"--junit {target}: cannot write ({exc.strerror or exc})") from None
    say(
        f"JUnit report: {target} ({counts.tests} items: {counts.failures} failing, "
        f"{counts.errors} without a verdict, {counts.skipped} not judged)"
    )
    if not rule.decides:
        say(f"JUnit report: {rule.describe()}")


def _print(end: RunEnd, post: PostRun, results: list[GateResult]) -> None:
    from judgekit.reporting import results as shown

    if end.show == "summary" and end.summary is not None:
        shown.print_summary_out(end.summary, as_json=post.as_json)
    elif end.show == "comparison" and end.comparison is not None:
        shown.print_comparison_out(end.comparison, as_json=post.as_json)
    elif end.show == "gates" and end.run_dir is not None:
        shown.print_gates_out(end.run_dir, results, as_json=post.as_json)


def _raise_if_unfinished(end: RunEnd, post: PostRun) -> None:
    if end.stop_reasons:
        name, reason = next(iter(end.stop_reasons.items()))
        where = f"{name} " if len(end.stop_reasons) > 1 or name != "run" else "the run "
        raise RunStopped(f"{where}stopped early: {reason}; run the same command again to continue")
    if end.pending:
        of = f" of {end.summary.counts.items}" if end.summary is not None else ""
        raise RunIncomplete(
            f"the run is incomplete: {end.pending}{of} items were not judged; finish it with "
            f"`judgekit eval --resume {end.run_dir}` before gating on it"
        )
    over = {name: count for name, count in end.failed_items.items() if count > post.max_errors}
    if over:
        name, count = next(iter(over.items()))
        who = "" if name == "run" else f"{name}: "
        why = why_failed(end.summary) if name == "run" and end.summary is not None else ""
        raise ErrorBudgetExceeded(
            f"{who}{count} items failed after retries (allowed: --max-errors {post.max_errors}){why}; "
            "run the same command again to retry only them"
        )
    if end.failed_items and end.summary is not None and end.run_dir is not None:  # a run that is checked
        problem = no_verdicts(end.summary, end.run_dir)
        if problem:
            raise NoVerdicts(problem)
