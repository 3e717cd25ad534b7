"""The ending of one finished run, whichever path ran it (interactive, batch, a pytest session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from judgekit.pipeline.ending import RunEnd

if TYPE_CHECKING:
    from judgekit.api import EvalResult
    from judgekit.summary import Summary


def run_end_of(result: EvalResult, notes: list[str]) -> RunEnd:
    """The ending of one finished run (interactive or batch, or a pytest session's calls): gated on
    its own directory."""
    return RunEnd(
        run_dir=result.run_dir,
        summary=result.summary,
        notes=notes,
        stop_reasons={"run": result.stop_reason} if result.stop_reason else {},
        failed_items={"run": result.summary.counts.errors},
        html_writer=run_page(result.run_dir, result.summary),
    )


def run_page(run_dir: Path, summary: Summary | None = None) -> Callable[[str], Path]:
    def write(target: str) -> Path:
        from judgekit.reporting.html import write_run_report

        return write_run_report(run_dir, target, summary)

    return write
