"""A checklist panel's confidence: per criterion the share of the voting judges behind the panel's
verdict, per item their mean; checked by hand-worked items and on every path of a panel's run."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from judgekit.compare.checklist_panel import vote_checklist
from judgekit.metrics.checklist_confidence import SOURCE, checklist_calibration
from judgekit.metrics.confidence import (
    Confidence,
    checklist_vote_share,
    confidence_info,
    evidence_kind,
    item_confidence,
)
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.schema import Item, Judgment, Message, RubricItem
from judgekit.testing.server import FakeProvider
from tests.checklist_helpers import ROWS, lazy_responder
from tests.helpers import rows_of, run, write_jsonl

M, N = 1.0, 0.0  # met, not met


def _fact() -> ItemFacts:
    rubric = tuple(RubricItem(name=f"c{k}", criterion=f"Mentions c{k}.", points=1) for k in range(3))
    item = Item(id="i", line=1, turns=(Message(role="user", content="Q"),), answer="A", rubric_items=rubric)
    return ItemFacts.of(item)


def _judge(*verdicts: float | None) -> dict[str, Judgment]:
    """One judge's rows for the item: one call grading every criterion (None: no verdict read)."""
    status = "ok" if all(verdict is not None for verdict in verdicts) else "unscored"
    row = Judgment(item_id="i", call="checklist", judge="j", request_hash="h", status=status, criteria=tuple(verdicts))
    return {"checklist": row}


def _vote(members: Sequence[dict[str, Judgment]], rule: str = "majority", quorum: int | None = None) -> ItemOutcome:
    return vote_checklist(_fact(), members, rule, len(members) // 2 + 1 if quorum is None else quorum)


def _value(outcome: ItemOutcome) -> float | None:
    found = item_confidence(outcome)
    return None if found is None else found.value


# -- the mean over criteria, by hand -----------------------------------------------------------------
def test_checklist_vote_share_is_the_mean_share_over_criteria() -> None:
    assert checklist_vote_share([(2, 3), (3, 3), (1, 2)]) == pytest.approx((2 / 3 + 1 + 1 / 2) / 3)
    assert checklist_vote_share([(1, 1)]) == 1.0
    assert checklist_vote_share([(2, 3), None]) is None  # a criterion without a panel verdict: none
    assert checklist_vote_share([None]) is None
    assert checklist_vote_share([]) is None


# Columns are judges; each judge grades three criteria:
#   c0: M M N   2-1        -> met,     2 of 3
#   c1: N N N   3-0        -> not met, 3 of 3
#   c2: M - N   unscored   -> 1 against 1 of 2 votes: no majority
def test_majority_per_criterion_with_a_tie_leaves_the_item_without_confidence() -> None:
    outcome = _vote([_judge(M, N, M), _judge(M, N, None), _judge(N, N, N)])
    assert outcome.status == "unscored" and outcome.criteria == [M, N, None]
    assert outcome.criterion_votes == [(2, 3), (3, 3), None]
    assert item_confidence(outcome) is None  # unscored: no confidence, never a low one


def test_an_unscored_judge_does_not_vote_on_that_criterion() -> None:
    #   c0: M M N -> 2 of 3;  c1: N - N -> 2 of 2 (the middle judge read nothing);  c2: M M M -> 3 of 3
    outcome = _vote([_judge(M, N, M), _judge(M, None, M), _judge(N, N, M)])
    assert outcome.status == "ok" and outcome.criterion_votes == [(2, 3), (2, 2), (3, 3)]
    assert item_confidence(outcome) == Confidence(pytest.approx((2 / 3 + 1 + 1) / 3), "panel votes")  # type: ignore[arg-type]


def test_one_judge_voting_backs_every_verdict_fully() -> None:
    alone = _vote([_judge(M, N, M)])  # a panel of one
    assert alone.criterion_votes == [(1, 1)] * 3 and _value(alone) == 1.0
    # Three judges, quorum 1, two of them unscored everywhere: the one vote is the panel's.
    quorum_one = _vote([_judge(None, None, None), _judge(M, N, N), _judge(None, None, None)], quorum=1)
    assert quorum_one.status == "ok" and quorum_one.criterion_votes == [(1, 1)] * 3 and _value(quorum_one) == 1.0


def test_two_judges_split_and_unanimous() -> None:
    split = _vote([_judge(M, N, M), _judge(M, M, M)])  # c1 1-1: no majority of two
    assert split.criterion_votes == [(2, 2), None, (2, 2)] and _value(split) is None
    agreed = _vote([_judge(M, N, M), _judge(M, N, M)])
    assert _value(agreed) == 1.0
    # Unanimous: every decisive verdict is backed by all its votes; 2-1 gives no verdict.
    unanimous = _vote([_judge(M, N, M), _judge(M, N, None), _judge(M, N, M)], rule="unanimous")
    assert unanimous.criterion_votes == [(3, 3), (3, 3), (2, 2)] and _value(unanimous) == 1.0
    short = _vote([_judge(M, N, M), _judge(N, N, M), _judge(M, N, M)], rule="unanimous")
    assert short.criterion_votes == [None, (3, 3), (3, 3)] and _value(short) is None


def test_all_unscored_has_no_confidence() -> None:
    outcome = _vote([_judge(None, None, None)] * 3)
    assert outcome.status == "unscored" and outcome.criterion_votes == [None, None, None]
    assert _value(outcome) is None
    assert evidence_kind([outcome]) is None and confidence_info([outcome], 0.75) is None


def test_summary_figures_for_zero_one_and_two_items() -> None:
    assert confidence_info([], 0.75) is None
    sure = _vote([_judge(M, N, M)] * 3)  # 1
    doubtful = _vote([_judge(M, N, M), _judge(M, N, N), _judge(N, N, M)])  # (2/3 + 1 + 2/3) / 3 = 7/9
    one = confidence_info([doubtful], 0.8)
    assert one is not None and (one.n, one.mean, one.below, one.sources) == (1, round(7 / 9, 6), 1, {"panel votes": 1})
    two = confidence_info([sure, doubtful], 0.8)
    assert two is not None and (two.n, two.mean, two.below_share) == (2, round((1 + 7 / 9) / 2, 6), 0.5)
    assert evidence_kind([sure]) == "panel votes"
    # One judge's own checklist outcome (no votes) claims nothing.
    assert item_confidence(ItemOutcome("i", "ok", score=0.5)) is None


def test_calibration_per_criterion_by_hand() -> None:
    fact = _fact()
    fact.human_rubric = (True, False, None)
    row = Judgment(
        item_id="i",
        call="checklist",
        judge="panel",
        request_hash="h",
        status="ok",
        criteria=(M, M, N),
        criterion_votes=((2, 3), (3, 3), (2, 2)),
    )
    # c0 met, 2/3, human met: right; c1 met, 1, human not met: wrong; c2 has no human verdict.
    table = checklist_calibration([fact], {"i": {"checklist": row}})
    assert table is not None and table.source == SOURCE and table.n == 2
    assert [(b.n, b.confidence, b.accuracy) for b in table.bins] == [(1, pytest.approx(2 / 3), 1.0), (1, 1.0, 0.0)]
    assert table.ece == pytest.approx(0.5 * (1 - 2 / 3) + 0.5 * 1.0)
    # A failed item decides nothing: its criteria count neither in the agreement nor here.
    failed = row.model_copy(update={"status": "error"})
    assert checklist_calibration([fact], {"i": {"checklist": failed}}) is None
    fact.human_rubric = None
    assert checklist_calibration([fact], {"i": {"checklist": row}}) is None
    assert checklist_calibration([], {}) is None


# -- a panel's run, on every path ---------------------------------------------------------------------
HUMANS = {
    "a": [True, False, False],
    "b": [True, None, True],
    "c": [False, False, False],
    "d": [True, True, True],
}
JUDGES = ["-j", "openai/judge", "-j", "openai/lazy", "-j", "mock/second"]
# By hand (judge / lazy / mock/second; M met, N not met, - no verdict):
#   a "apples and pears": apples M M N 2/3 met; pears M M N 2/3 met; poison N - N 2/2 not met -> 7/9
#   b "apples and poison": apples M M N 2/3; pears N N N 1; poison M - N: 1-1, no verdict -> unscored
#   c "only pears": apples N N N 1; pears M M N 2/3; poison N - N 1 -> 8/9
#   d "figs and mold": figs M N N 2/3 not met; dates N N N 1; mold M M N 2/3 met -> 7/9
CONFIDENCE = {"a": 7 / 9, "c": 8 / 9, "d": 7 / 9}
# Against HUMANS, one entry per criterion both decided: confidence 2/3 on a-apples (right), a-pears
# (wrong), b-apples (right), c-pears (wrong), d-figs (wrong), d-mold (right): accuracy 1/2; confidence 1
# on a-poison, c-apples, c-poison (right) and d-dates (wrong): accuracy 3/4.
ECE = 6 / 10 * abs(1 / 2 - 2 / 3) + 4 / 10 * abs(3 / 4 - 1)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = [{**row, "human_rubric": HUMANS[row["id"]]} for row in ROWS]
    return write_jsonl(tmp_path / "data.jsonl", rows)


def _check_panel_dir(directory: Path) -> dict[str, Any]:
    outcomes = {line["item_id"]: line for line in rows_of(directory, "outcomes.jsonl")}
    assert {key: line.get("confidence") for key, line in outcomes.items()} == {
        "a": pytest.approx(CONFIDENCE["a"], abs=1e-6),
        "b": None,
        "c": pytest.approx(CONFIDENCE["c"], abs=1e-6),
        "d": pytest.approx(CONFIDENCE["d"], abs=1e-6),
    }
    assert outcomes["a"]["confidence_source"] == "panel votes"
    assert outcomes["b"]["criterion_confidence"] == [pytest.approx(2 / 3, abs=1e-6), 1.0, None]
    summary: dict[str, Any] = json.loads((directory / "summary.json").read_text())
    confidence = summary["confidence"]
    assert confidence["n"] == 3 and confidence["sources"] == {"panel votes": 3}
    assert confidence["mean"] == pytest.approx(sum(CONFIDENCE.values()) / 3, abs=1e-6)
    calibration = summary["checklist"]["calibration"]
    assert calibration["n"] == 10 == summary["checklist"]["human"]["n"]
    assert calibration["ece"] == pytest.approx(ECE)
    return summary


def test_a_majority_panel_reports_its_checklist_confidence_everywhere(
    judge: Callable[..., FakeProvider], data: Path
) -> None:
    judge(lazy_responder)
    reports = ["--markdown", "report.md", "--html", "page.html", "--min-items", "1"]
    result = run("eval", data, *JUDGES, "--panel-rule", "majority", "--prompt", "pointwise/checklist_all", "--out",
                 "pan", *reports)  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = _check_panel_dir(Path("pan") / "panel")
    markdown = Path("report.md").read_text()
    assert "Confidence: mean / below threshold" in markdown and f"{summary['confidence']['mean']:.3f}" in markdown
    assert f"ECE, {SOURCE}" in markdown and f"ECE {ECE:.3f}" in markdown
    # A panel's --html and --format json are its comparison's, whose panel row carries the same mean.
    assert "0.815 (panel votes)" in Path("page.html").read_text()
    compared = json.loads(Path("pan/compare.json").read_text())
    panel_row = next(row for row in compared["rows"] if row["judge"] is None)
    assert panel_row["confidence"]["mean"] == pytest.approx(sum(CONFIDENCE.values()) / 3, abs=1e-6)
    # `report` on the panel's run directory rebuilds the same figures from its rows alone.
    Path("pan/panel/summary.json").unlink()
    reported = run("report", "pan/panel", "--html", "run.html")
    assert reported.exit_code == 0, reported.output
    page = Path("run.html").read_text()
    assert "Calibration error (ECE)" in page and f"{ECE:.3f}" in page and f"confidence from {SOURCE}" in page
    assert f"{CONFIDENCE['c']:.2f}" in page  # the item table's confidence column
    assert "Confidence: mean / below threshold" in reported.stdout and "0.815 / 0.0% below 0.75" in reported.stdout
    assert "Calibration error (ECE, panel votes" in reported.stdout and "0.200  (n=10)" in reported.stdout
    assert "Judge calibration (panel votes per criterion" in reported.stdout
    assert _check_panel_dir(Path("pan") / "panel")["confidence"] == summary["confidence"]
    rebuilt = run("report", "pan/panel", "--format", "json")
    assert json.loads(rebuilt.stdout)["checklist"]["calibration"] == summary["checklist"]["calibration"]


def test_a_panel_run_again_after_a_budget_stop_gives_the_same_confidence(
    judge: Callable[..., FakeProvider], data: Path
) -> None:
    judge(lazy_responder)
    common = ["eval", data, *JUDGES, "--panel-rule", "majority", "--prompt", "pointwise/checklist_all", "-q"]
    stopped = run(*common, "--out", "pan", "--max-calls", "2")
    assert stopped.exit_code == 3, stopped.output
    finished = run(*common, "--out", "pan", "--max-calls", "1000")
    assert finished.exit_code == 0, finished.output
    _check_panel_dir(Path("pan") / "panel")
