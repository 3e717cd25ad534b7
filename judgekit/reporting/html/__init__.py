"""Self-contained HTML reports: one file with every plot, style and script inline.

    write_run_report(run_dir, "report.html")          a run: numbers, plots, items, manifest
    write_comparison_report(report, "cmp.html")       several (prompt, judge) rows side by side
    write_compare_dir_report(compare_dir, "cmp.html") the same from `judgekit compare`'s compare.json

matplotlib and Jinja are imported only when a report is rendered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from judgekit.reporting.html.comparison import ComparisonReport
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


def render_comparison_report(comparison: ComparisonReport) -> str:
    from judgekit.reporting.html.comparison import build_comparison_page
    from judgekit.reporting.html.render import render_page

    return render_page(build_comparison_page(comparison))


def write_comparison_report(comparison: ComparisonReport, path: str | Path) -> Path:
    from judgekit.reporting.html.render import write_html

    return write_html(render_comparison_report(comparison), path)


def is_compare_dir(path: str | Path) -> bool:
    """A directory written by `judgekit compare` (it holds compare.json and no run.json)."""
    folder = Path(path)
    return (folder / "compare.json").is_file() and not (folder / "run.json").is_file()


def write_compare_dir_report(compare_dir: str | Path, path: str | Path) -> Path:
    """The comparison page of a `judgekit compare` output directory."""
    import json

    from judgekit.errors import RunDirError
    from judgekit.reporting.html.compare_json import from_compare_json

    source = Path(compare_dir) / "compare.json"
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{source}: cannot read the comparison ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise RunDirError(f"{source}: not a comparison saved by `judgekit compare` (no rows)")
    return write_comparison_report(from_compare_json(data), path)
