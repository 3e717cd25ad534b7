"""Self-contained HTML reports: one file with every plot, style and script inline.

    write_run_report(run_dir, "report.html")          a run: numbers, plots, items, manifest
    write_comparison_report(comparison, "cmp.html")   several (prompt, judge) rows side by side

matplotlib and Jinja are imported only when a report is rendered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from judgekit.reporting.html.comparison import Comparison
    from judgekit.summary import Summary


def render_run_report(run_dir: str | Path, summary: Summary | None = None) -> str:
    """The HTML report of a run directory (`summary` defaults to its summary.json)."""
    from judgekit.reporting.html.render import render_page
    from judgekit.reporting.html.run_data import load_run
    from judgekit.reporting.html.run_page import build_run_page

    return render_page(build_run_page(load_run(run_dir, summary)))


def write_run_report(run_dir: str | Path, path: str | Path, summary: Summary | None = None) -> Path:
    from judgekit.reporting.html.render import write_html

    return write_html(render_run_report(run_dir, summary), path)


def render_comparison_report(comparison: Comparison) -> str:
    from judgekit.reporting.html.comparison import build_comparison_page
    from judgekit.reporting.html.render import render_page

    return render_page(build_comparison_page(comparison))


def write_comparison_report(comparison: Comparison, path: str | Path) -> Path:
    from judgekit.reporting.html.render import write_html

    return write_html(render_comparison_report(comparison), path)
