"""`judgekit compare`, `judgekit agreement` and a panel (`eval -j A -j B -j C`) on checklist data with
human verdicts per criterion: every output (the table, --format json, compare.json, the HTML page,
the panel's Markdown) gives each row's agreement with the humans, its n and, for a voting panel, its
calibration, all worked by hand here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider
from tests.checklist_helpers import ROWS, lazy_responder
from tests.clustered_reference import korn_graubard
from tests.helpers import FEW_RESAMPLES, run, write_jsonl

PROMPT = ["--prompt", "pointwise/checklist_all"]
SHARP, LAZY = "pointwise/checklist_all · openai/judge", "pointwise/checklist_all · openai/lazy"


# Item b has no human verdicts; a's human left poison blank. By hand (judge, then lazy; M met, N not):
#   a "apples and pears": apples M/M vs T right, right; pears M/M vs F wrong, wrong; poison blank
#   c "only pears": apples N/N vs F right, right; pears M/M vs T right, right; poison N/- vs F right, no verdict
#   d "figs and some mold": figs M/N vs T right, wrong; dates N/N vs T wrong, wrong; mold M/M vs F wrong, wrong
# judge: 5 right of 8; lazy: 3 right of 7. Shared pairs: 7 (not c poison); only judge right: d figs.
HUMANS = {"a": [True, False, None], "c": [False, True, False], "d": [True, True, False]}
# Each item's pairs, right 1 or wrong 0 (a, c, d), for the agreement's interval clustered by item.
EXPECTED = {SHARP: [[1, 0], [1, 1, 1], [1, 0, 0]], LAZY: [[1, 0], [1, 1], [0, 0, 0]]}
KAPPA = {SHARP: 0.25, LAZY: -1 / 6}
# judge: judge met 5 of 8, human met 4 of 8: chance 5/8 * 4/8 + 3/8 * 4/8 = 1/2, kappa (5/8 - 1/2) / (1/2).
# lazy: judge met 4 of 7, human met 4 of 7: chance 25/49, kappa (21/49 - 25/49) / (24/49) = -1/6.


@pytest.fixture
def data(judge: Callable[..., FakeProvider], tmp_path: Path) -> Path:
    judge(lazy_responder)
    rows = [{**row, **({"human_rubric": HUMANS[row["id"]]} if row["id"] in HUMANS else {})} for row in ROWS]
    return write_jsonl(tmp_path / "data.jsonl", rows)


def _check_rows(rows: list[dict[str, Any]]) -> None:
    assert [(row["name"], row["rank"]) for row in rows] == [(SHARP, 1), (LAZY, 2)]
    for row in rows:
        items = EXPECTED[row["name"]]
        right, n = sum(map(sum, items)), sum(map(len, items))
        assert (right, n) == {SHARP: (5, 8), LAZY: (3, 7)}[row["name"]]
        agreement = row["criterion_agreement"]
        assert row["human_n"] == n == agreement["n"] and agreement["value"] == pytest.approx(right / n)
        assert (agreement["low"], agreement["high"]) == pytest.approx(korn_graubard(items))
        assert agreement["interval"] == "korn-graubard (clustered by item)"
        assert row["criterion_kappa"]["value"] == pytest.approx(KAPPA[row["name"]])


def test_compare_two_judges_in_every_output(data: Path) -> None:
    common = ["compare", data, "-j", "openai/judge", "-j", "openai/lazy", *PROMPT, "--out", "cmp", *FEW_RESAMPLES]
    result = run(*common, "--format", "json", "--html", "page.html")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    _check_rows(printed["rows"])
    saved = json.loads(Path("cmp/compare.json").read_text())
    assert saved["rows"] == printed["rows"] and saved["ranked_by"] == "criterion_agreement"
    test = saved["best_vs_runner_up"]
    # 7 shared pairs on items a, c, d; only d's figs tells the two apart (4 of 7 right against 3 of 7).
    # Three items are too few to resample: the difference, and no interval, p or claim.
    assert (test["units"], test["unit"], test["only_best_right"]) == (3, "items", None)
    assert test["difference"]["value"] == pytest.approx(1 / 7) and test["difference"]["low"] is None
    assert test["p_value"] is None and not test["significant"]
    assert "n=3 is too few for a bootstrap interval" in test["statement"]
    assert not any("human label" in warning for warning in saved["warnings"])
    page = Path("page.html").read_text()
    assert "agreement with humans per criterion" in page and "62.5%" in page and "42.9%" in page
    table = run(*common)
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert "Agree per criterion %" in text and "ranked by criterion_agreement" in text
    low, high = korn_graubard(EXPECTED[SHARP])  # the cell's interval is on its second line
    assert "62.50" in text and f"[{low * 100:.2f}, {high * 100:.2f}]" in text
    assert "n: the (item, criterion) pairs both the row and the human decided" in text
    assert "no item has a human label" not in table.output


def test_agreement_on_the_run_directories_gives_the_same_rows(data: Path) -> None:
    made = run("compare", data, "-j", "openai/judge", "-j", "openai/lazy", *PROMPT, "--out", "cmp", "-q")
    assert made.exit_code == 0, made.output
    runs = sorted(str(path) for path in Path("cmp").iterdir() if path.is_dir())
    result = run("agreement", *runs, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    _check_rows(rows)
    saved = {row["name"]: row for row in json.loads(Path("cmp/compare.json").read_text())["rows"]}
    for row in rows:  # the same statistic with the same interval (the bootstrap seed is the same)
        assert row["criterion_agreement"] == saved[row["name"]]["criterion_agreement"]
        assert row["criterion_kappa"] == saved[row["name"]]["criterion_kappa"]


# The panel (judge, lazy, mock/second; majority, quorum 2) on the hand-worked data of
# tests/test_checklist_panel_confidence.py: 10 criteria both decided, 6 of them right; the vote shares
# 2/3 on six (3 right) and 1 on four (3 right): ECE = 6/10 |1/2 - 2/3| + 4/10 |3/4 - 1| = 0.2.
PANEL_HUMANS = {"a": [True, False, False], "b": [True, None, True], "c": [False, False, False], "d": [True] * 3}
PANEL_CONFIDENCE = (7 / 9 + 8 / 9 + 7 / 9) / 3
PANEL_RIGHT = [[1, 0, 1], [1], [1, 0, 1], [0, 0, 1]]
# Right or wrong per item: a apples, pears, poison; b apples; c apples, pears, poison; d figs, dates, mold.


def test_a_voting_panel_shows_it_on_its_combined_row(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(lazy_responder)
    data = write_jsonl(tmp_path / "d.jsonl", [{**row, "human_rubric": PANEL_HUMANS[row["id"]]} for row in ROWS])
    judges = ["-j", "openai/judge", "-j", "openai/lazy", "-j", "mock/second", "--panel-rule", "majority"]
    reports = ["--html", "page.html", "--markdown", "panel.md", "--min-items", "1"]
    result = run("eval", data, *judges, *PROMPT, "--out", "pan", *reports, "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    panel = next(row for row in printed["rows"] if row["judge"] is None)
    assert panel["human_n"] == 10 and panel["criterion_agreement"]["value"] == pytest.approx(6 / 10)
    assert panel["calibration"]["n"] == 10 and panel["calibration"]["ece"] == pytest.approx(0.2)
    assert panel["confidence"]["mean"] == pytest.approx(PANEL_CONFIDENCE, abs=1e-6)
    summary = json.loads(Path("pan/panel/summary.json").read_text())["checklist"]
    # The same statistic as the panel's own run reports, interval included.
    assert panel["criterion_agreement"] == summary["human"]["agreement"]
    assert panel["criterion_kappa"] == summary["human"]["kappa"]
    assert panel["calibration"] == summary["calibration"]
    assert json.loads(Path("pan/compare.json").read_text())["rows"] == printed["rows"]
    page = Path("page.html").read_text()
    assert "agreement with humans per criterion" in page and "60.0%" in page and "ECE 0.200 (n = 10)" in page
    low, high = korn_graubard(PANEL_RIGHT)  # the panel run's Markdown: its pooled row
    assert (
        f"| all criteria |  |  |  | 1 | 60.0% \\[{low * 100:.1f}, {high * 100:.1f}\\] (n=10, interval clustered by item) |"
        in Path("panel.md").read_text()
    )
    table = run("eval", data, *judges, *PROMPT, "--out", "pan", "-q")
    text = " ".join(table.stdout.split())
    assert "calibration error (ECE) 0.200 over 10 labelled criterion verdicts" in text


def test_an_averaging_panel_says_why_it_has_no_figures(data: Path) -> None:
    judges = ["-j", "openai/judge", "-j", "openai/lazy"]
    result = run("eval", data, *judges, *PROMPT, "--out", "pan", "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    panel = next(row for row in printed["rows"] if row["judge"] is None)
    assert panel["criterion_agreement"] is None
    assert [row["human_n"] for row in printed["rows"] if row["judge"] is not None] == [8, 7]
    assert any("averages its judges' item scores" in warning for warning in printed["warnings"])
    # `agreement` on the panel's own run directory knows it for a panel and says the same.
    again = run("agreement", "pan/panel", "--format", "json", "-q")
    assert again.exit_code == 0, again.output
    reread = json.loads(again.stdout)
    assert reread["rows"][0]["criterion_agreement"] is None
    assert any("averages its judges' item scores" in warning for warning in reread["warnings"])
    assert not any("no criterion has both" in warning for warning in reread["warnings"])


def test_agreement_on_a_voting_panels_directory_matches_its_summary(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(lazy_responder)
    data = write_jsonl(tmp_path / "d.jsonl", [{**row, "human_rubric": PANEL_HUMANS[row["id"]]} for row in ROWS])
    judges = ["-j", "openai/judge", "-j", "openai/lazy", "-j", "mock/second", "--panel-rule", "majority"]
    assert run("eval", data, *judges, *PROMPT, "--out", "pan", "-q", "--min-items", "1").exit_code == 0
    again = run("agreement", "pan/panel", "--format", "json", "-q")
    assert again.exit_code == 0, again.output
    row = json.loads(again.stdout)["rows"][0]
    summary = json.loads(Path("pan/panel/summary.json").read_text())["checklist"]
    assert row["human_n"] == 10 and row["criterion_agreement"] == summary["human"]["agreement"]
    assert row["calibration"] == summary["calibration"]


def test_checklist_data_without_human_verdicts_says_so_once(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(lazy_responder)
    data = write_jsonl(tmp_path / "plain.jsonl", ROWS)
    result = run("compare", data, "-j", "openai/judge", *PROMPT, "-q")
    assert result.exit_code == 0, result.output
    messages = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert messages == [
        "warning: no checklist item has human verdicts per criterion (human_rubric) or a human score: agreement "
        "with the humans cannot be computed"
    ]
