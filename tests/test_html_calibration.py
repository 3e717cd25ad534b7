"""The judge's calibration in the HTML report and the Markdown summary: the reliability plot and
table with the ECE, and the edges (every item in one bin, no confidence at all, no labelled item
with a confidence). The numbers themselves are checked against scikit-learn in test_calibration.py;
here each shown figure is checked against summary.json's, formatted independently."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgekit.reporting.html import humans, render_run_report
from judgekit.reporting.html.view import Section
from judgekit.summary import JudgeCalibration, ReliabilityRow
from tests import report_runs
from tests.html_pages import read_page


def _bin_rows(calibration: dict[str, object]) -> list[list[str]]:
    bins = calibration["bins"]
    assert isinstance(bins, list)
    return [
        [
            f"{row['low']:.1f}-{row['high']:.1f}",
            str(row["n"]),
            f"{row['confidence']:.3f}",
            f"{row['accuracy']:.3f}",
            f"{row['accuracy'] - row['confidence']:+.3f}",
        ]
        for row in bins
    ]


def _reliability_table(html: str) -> list[list[str]] | None:
    for table in read_page(html).tables:
        if table and table[0][:2] == ["confidence bin", "items"]:
            return table[1:]
    return None


def test_a_swap_run_shows_the_plot_the_table_and_the_ece(tmp_path: Path) -> None:
    run_dir = report_runs.mock_run(tmp_path, "mock/random", positions="swap")
    html = render_run_report(run_dir)
    import json

    calibration = json.loads((run_dir / "summary.json").read_text())["human"]["calibration"]
    assert calibration["source"] == "order agreement" and len(calibration["bins"]) == 2
    page = read_page(html)
    assert page.cards["humans.ece"]["card-value"] == f"{calibration['ece']:.3f}"
    assert page.cards["humans.ece"]["card-n"] == f"n = {calibration['n']}"
    assert _reliability_table(html) == _bin_rows(calibration)
    assert 'id="reliability' in html and "Judge confidence against human agreement" in html
    assert "Every item falls in one bin" not in html


def test_every_item_in_one_bin_is_one_point_and_said_so(tmp_path_factory: pytest.TempPathFactory) -> None:
    run_dir, summary = report_runs.shared_run("pairwise", tmp_path_factory.getbasetemp())
    calibration = summary["human"]["calibration"]
    assert len(calibration["bins"]) == 1  # the fake judge never changes its mind when the answers swap
    html = render_run_report(run_dir)
    assert _reliability_table(html) == _bin_rows(calibration)
    assert "Every item falls in one bin, so the plot has one point." in html


def test_no_confidence_source_gives_a_note_and_no_plot(tmp_path: Path) -> None:
    run_dir = report_runs.mock_run(tmp_path, "mock/first", positions="fixed")
    html = render_run_report(run_dir)
    assert "No calibration: the verdicts carry no confidence" in html
    assert "humans.ece" not in read_page(html).cards and _reliability_table(html) is None


def test_no_labelled_item_with_a_confidence_gives_a_note() -> None:
    section = Section("humans", "Agreement with human labels")
    humans.add_calibration(section, JudgeCalibration(source="probability", n=0, bins=[], ece=None))
    assert section.figures == [] and section.tables == [] and section.cards == []
    assert section.notes == ["No calibration: no labelled item has a probability confidence."]
    row = ReliabilityRow(low=0.9, high=1.0, n=3, confidence=0.95, accuracy=2 / 3)
    humans.add_calibration(section, JudgeCalibration(source="probability", n=3, bins=[row], ece=0.95 - 2 / 3))
    assert [card.value for card in section.cards] == ["0.283"]
    assert section.tables[0].rows == [["0.9-1.0", "3", "0.950", "0.667", "-0.283"]]


def test_the_markdown_summary_has_the_reliability_table(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from judgekit.cli import app

    run_dir = report_runs.mock_run(tmp_path, "mock/random", positions="swap")
    target = tmp_path / "summary.md"
    result = CliRunner().invoke(app, ["gate", str(run_dir), "--markdown", str(target), "-q"])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    calibration = json.loads((run_dir / "summary.json").read_text())["human"]["calibration"]
    assert f"ECE {calibration['ece']:.3f})" in text
    for row in _bin_rows(calibration):
        assert "| " + " | ".join(row[:4]) + " |" in text
    fixed = report_runs.mock_run(tmp_path / "fixed", "mock/first", positions="fixed")
    result = CliRunner().invoke(app, ["gate", str(fixed), "--markdown", str(target), "-q"])
    assert result.exit_code == 0 and "Judge calibration" not in target.read_text()
