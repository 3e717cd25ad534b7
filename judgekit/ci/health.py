"""Whether a finished run failed as a run, whatever its gates say: too many calls failed, or not
one item got a verdict. Each check returns the one line to print with exit code 3, naming why
(the server's first messages; the parse reasons and one of the judge's answers). The run's
ending (`judgekit.pipeline.ending`) raises on them; the JUnit report's `run` case shows them."""

from __future__ import annotations

from pathlib import Path

from judgekit.judging.watch import example
from judgekit.metrics.cascade import ABSTAINED
from judgekit.store.rundir import RunDir
from judgekit.summary import Summary


def run_failure(summary: Summary, max_errors: int, run_dir: str | Path | None = None) -> str | None:
    """The reason a run must not exit 0 (errors over --max-errors, or no verdict at all), or None."""
    return errors_over_budget(summary, max_errors) or no_verdicts(summary, run_dir)


def errors_over_budget(summary: Summary, max_errors: int) -> str | None:
    counts = summary.counts
    if counts.errors <= max_errors:
        return None
    return (
        f"{counts.errors} items failed after retries (allowed: --max-errors {max_errors}){why_failed(summary)}; "
        "run the same command again to retry only them"
    )


def why_failed(summary: Summary) -> str:
    """`: kind: first message; ...` for the kinds of the calls that failed for good."""
    reasons = summary.counts.failure_reasons
    parts = [f"{kind}: {reasons[kind][0]}" for kind in summary.counts.failures if reasons.get(kind)]
    return f": {'; '.join(parts)}" if parts else ""


def no_verdicts(summary: Summary, run_dir: str | Path | None = None) -> str | None:
    """When items were judged but none got a valid verdict: the parse reasons and one answer."""
    counts = summary.counts
    # A cascade's abstentions are items left to humans on purpose, not answers that failed to parse.
    abstained = sum(number for reason, number in counts.unscored_reasons.items() if reason.startswith(ABSTAINED))
    if counts.scored or counts.unscored <= abstained:
        return None
    read = summary.listwise.p_first if summary.listwise is not None else None
    if read is not None and read.n:
        return None  # the judge's picks were read; its rotations never agreed (a finding, not a format fault)
    reasons = ", ".join(f"{reason} ({number})" for reason, number in counts.unscored_reasons.items())
    answer = first_unscored_answer(Path(run_dir or summary.run_dir))
    shown = f"; an answer: {example(answer)}" if answer is not None else ""
    return (
        f"no item got a valid verdict: all {counts.unscored} judged items are unscored"
        f"{f' ({reasons})' if reasons else ''}{shown}; the judge does not write what the template's verdict "
        "format reads (compare `judgekit prompts show` with the answer)"
    )


def first_unscored_answer(path: Path) -> str | None:
    """The text of the first unscored judge answer stored in a run directory, if any."""
    for row in RunDir(path).load_judgments():
        if row.role == "judge" and row.status == "unscored" and row.completion and row.completion.texts:
            return row.completion.texts[0]
    return None
