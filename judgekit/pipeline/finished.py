"""A finished run directory, read back for gates, reports and diffs."""

from __future__ import annotations

from pathlib import Path

from judgekit.api import finish
from judgekit.ci.runview import RunView, load_run
from judgekit.store.rundir import RunDir
from judgekit.summary import Summary


def load_finished(path: str | Path, summary: Summary | None = None) -> RunView:
    """The run in `path`; a run that never wrote summary.json gets it rebuilt first (no model calls)."""
    if summary is None:
        run_dir = RunDir(Path(path))
        if not run_dir.summary_path.exists():
            summary = finish(run_dir, status="complete")
    return load_run(path, summary)
