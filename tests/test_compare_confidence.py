"""`judgekit compare` gives each row its verdicts' mean confidence and where it came from, in every
format it writes (the table, --format json, compare.json, the HTML page); a row without one shows "–"."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.reporting.confidence import mean_confidence
from judgekit.reporting.html.compare_json import from_compare_json
from judgekit.summary import ConfidenceInfo
from judgekit.testing.server import FakeProvider
from judgekit.testing.wire import Reply
from tests.helpers import FEW_RESAMPLES, pairwise_rows, run, write_jsonl

ANSWER = re.compile(r"\[Start of Answer ([AB])\]\n(.*?)\n\[End of Answer \1\]", re.S)


def _responder(request: Any) -> Reply:
    """sharp picks the GOOD answer, at P = 0.9 when it is shown first and 0.7 when second; vague
    always says A at P = 0.5."""
    first = next(text for label, text in ANSWER.findall(request.prompt) if label == "A")
    if request.model == "vague":
        return Reply("A, I suppose.\n[[A]]", at="A", distribution={"A": 0.5, "B": 0.4, "C": 0.1})
    if "GOOD" in first:
        return Reply("The first.\n[[A]]", at="A", distribution={"A": 0.9, "B": 0.1})
    return Reply("The second.\n[[B]]", at="B", distribution={"B": 0.7, "A": 0.3})


@pytest.fixture
def data(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    server = fake_provider(_responder)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))  # GOOD first in items 0 and 2


COMMON = ["-j", "openai/sharp", "-j", "openai/vague", "--positions", "fixed", "--panel", *FEW_RESAMPLES, "-q"]
# Four items, GOOD first in 0 and 2. sharp: 0.9, 0.7, 0.9, 0.7 -> mean 0.8, none below 0.6.
# vague: 0.5 on every item -> 0.5, all four below 0.6. The panel (majority of two): items 0 and 2
# both A, 2 of 2 votes -> 1; items 1 and 3 B against A -> a tie no judge gave, 0 of 2 -> mean 0.5, two below.
EXPECTED = {
    "sharp": (0.8, {"logprobs": 4}, 0),
    "vague": (0.5, {"logprobs": 4}, 4),
    "panel": (0.5, {"panel votes": 4}, 2),
}


def _lines(table: str) -> str:
    """The console's output with its line breaks (made at the console's width) undone."""
    return " ".join(table.split())


def _last_cell(html: str, row: str) -> str:
    """The last cell of the row named `row` in the page's first table (its last column: the confidence)."""
    found = re.search(rf"<th scope=\"row\">[^<]*{re.escape(row)}[^<]*</th>(.*?)</tr>", html, re.S)
    assert found is not None
    return re.findall(r"<td[^>]*>([^<]*)</td>", found.group(1))[-1]


def _by_judge(comparison: dict[str, Any]) -> dict[str, Any]:
    return {("panel" if row["judge"] is None else row["judge"].split("/")[1]): row for row in comparison["rows"]}


def test_each_row_has_its_mean_confidence_and_source(data: Path) -> None:
    args = ["compare", data, *COMMON, "--score-method", "logprobs", "--swap-below", "0.6", "--out", "cmp"]
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads(Path("cmp/compare.json").read_text()) | {"output_dir": printed["output_dir"]}
    rows = _by_judge(printed)
    for name, (mean, sources, below) in EXPECTED.items():
        confidence = rows[name]["confidence"]
        assert confidence["mean"] == pytest.approx(mean) and confidence["sources"] == sources, name
        assert (confidence["n"], confidence["threshold"], confidence["below"]) == (4, 0.6, below), name
    table = run(*args)  # the same rows from the cache, as a table
    assert table.exit_code == 0, table.output
    lines = _lines(table.stdout)
    assert "pairwise/verdict · openai/sharp: mean confidence 0.800 (logprobs); calibration error" in lines
    assert "pairwise/verdict · openai/vague: mean confidence 0.500 (logprobs); calibration error" in lines
    assert "panel (majority of 2 judges, quorum 2): mean confidence 0.500 (panel votes); calibration" in lines
    page = run("report", "cmp", "--html", "cmp.html")  # the comparison page, from compare.json
    assert page.exit_code == 0, page.output
    html = Path("cmp.html").read_text()
    assert "mean confidence (source)" in html
    # With each row's calibration error against the labels, by hand: sharp is right on all four at
    # 0.9 and 0.7 (gaps 0.1 and 0.3, two items each); vague's 0.5 is right on half; the panel is right
    # at 1 (items 0, 2) and wrong at 0 (its ties on 1, 3): no gap.
    assert [_last_cell(html, name) for name in ("openai/sharp", "openai/vague", "panel (majority")] == [
        "0.800 (logprobs); ECE 0.200 (n = 4)",
        "0.500 (logprobs); ECE 0.000 (n = 4)",
        "0.500 (panel votes); ECE 0.000 (n = 4)",
    ]


def test_a_row_without_confidence_shows_a_dash(data: Path) -> None:
    # Parsed verdicts in one order carry no confidence; the panel's majority still has its vote shares.
    result = run("compare", data, *COMMON, "--out", "cmp", "--format", "json", "--html", "cmp.html")
    assert result.exit_code == 0, result.output
    rows = _by_judge(json.loads(result.stdout))
    assert rows["sharp"]["confidence"] is None and rows["vague"]["confidence"] is None
    assert rows["panel"]["confidence"]["mean"] == pytest.approx(0.5)
    html = Path("cmp.html").read_text()
    assert [_last_cell(html, name) for name in ("openai/sharp", "openai/vague", "panel (majority")] == [
        "–",
        "–",
        "0.500 (panel votes); ECE 0.000 (n = 4)",
    ]
    table = run("compare", data, *COMMON, "--out", "cmp")
    assert table.exit_code == 0, table.output
    lines = _lines(table.stdout)
    assert "pairwise/verdict · openai/sharp: mean confidence – " in lines  # no ECE either: nothing to bin
    assert "pairwise/verdict · openai/vague: mean confidence – " in lines
    assert "panel (majority of 2 judges, quorum 2): mean confidence 0.500 (panel votes)" in lines


def test_no_row_with_confidence_leaves_the_column_out(data: Path) -> None:
    table = run("compare", data, "-j", "openai/sharp", "--positions", "fixed", *FEW_RESAMPLES, "-q", "--out", "one")
    assert table.exit_code == 0, table.output
    assert "mean confidence" not in table.stdout
    assert json.loads(Path("one/compare.json").read_text())["rows"][0]["confidence"] is None


def test_the_page_reads_confidence_defensively() -> None:
    info = ConfidenceInfo(n=2, mean=0.75, threshold=0.75, below=1, below_share=0.5, sources={"logprobs": 2})
    assert mean_confidence(info) == "0.750 (logprobs)" and mean_confidence(None) == "–"
    both = ConfidenceInfo(n=3, mean=0.5, threshold=0.75, below=3, below_share=1.0, sources={"a": 1, "b": 2})
    assert mean_confidence(both) == "0.500 (a, b)"
    rows = [{"name": "x", "confidence": info.model_dump()}, {"name": "y", "confidence": {"mean": "?"}}, {"name": "z"}]
    report = from_compare_json({"rows": rows})
    assert [row.confidence for row in report.rows] == ["0.750 (logprobs)", None, None]


def test_a_calibration_without_a_mean_confidence_shows_alike_on_the_page_and_the_console() -> None:
    """A checklist panel whose items are all unscored can still have decided criteria: no mean
    confidence, but a per-criterion calibration. The page shows its ECE as the console does."""
    from judgekit.compare.records import ComparisonRow
    from judgekit.metrics.checklist_confidence import SOURCE
    from judgekit.reporting.compare_table import _confidence_line
    from judgekit.summary import JudgeCalibration

    calibration = JudgeCalibration(source=SOURCE, n=4, bins=[], ece=0.25)
    report = from_compare_json({"rows": [{"name": "p", "confidence": None, "calibration": calibration.model_dump()}]})
    assert report.rows[0].confidence == "–; ECE 0.250 (n = 4)"
    row = ComparisonRow(name="p", items=2, scored=0, unscored=2, calibration=calibration)
    line = _confidence_line(row)
    assert line.startswith("p: mean confidence –; calibration error (ECE) 0.250 over 4 labelled criterion verdicts")
