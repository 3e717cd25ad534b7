"""A panel's combined verdicts: their confidence (the share of the votes behind them) and their
grades, by hand-worked items, and on every path that summarises a panel's combined run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from judgekit.compare.panel import combine
from judgekit.metrics.confidence import Confidence, confidence_info, evidence_kind, item_confidence
from judgekit.metrics.graded import graded_metrics, panel_grade
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.metrics.outcomes import JudgedSet
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import gate_lines
from tests.helpers import rows_of, run, write_jsonl


def _facts(n: int, kind: str) -> list[ItemFacts]:
    return [ItemFacts(str(i), kind, None, None, None, None, None, None, 1, 1) for i in range(n)]


def _panel(columns: Sequence[Sequence[ItemOutcome]], kind: str = "pairwise", **options: Any) -> JudgedSet:
    sets = [
        JudgedSet(name=f"j{k}", kind=kind, facts=_facts(len(column), kind), outcomes=list(column), judge=f"j{k}")
        for k, column in enumerate(columns)
    ]
    return combine(sets, **options)


def _v(item: int, label: str | None, grades: tuple[str, ...] | None = None) -> ItemOutcome:
    if label is None:
        return ItemOutcome(str(item), "unscored", reason="no verdict")
    return ItemOutcome(str(item), "ok", verdict=label, grades=grades)  # type: ignore[arg-type]


def _confidences(panel: JudgedSet) -> list[float | None]:
    return [None if (found := item_confidence(o)) is None else found.value for o in panel.outcomes]


# -- confidence: hand-worked items ------------------------------------------------------------------
# Columns are judges; rows are items:
#   0: A A B        2-1           -> A,   2 of 3 votes behind it
#   1: A A A        3-0           -> A,   3 of 3
#   2: A A -        one unscored  -> A,   2 of 2 (the unscored judge is no vote)
#   3: - - -        all unscored  -> no panel verdict, no confidence
#   4: A B tie      no majority   -> tie, 1 of 3 (the judge that said tie)
#   5: A B -        1-1 split     -> tie, 0 of 2 (nobody said tie)
_ITEMS = [("A", "A", "B"), ("A", "A", "A"), ("A", "A", None), (None, None, None), ("A", "B", "tie"), ("A", "B", None)]


def _columns() -> list[list[ItemOutcome]]:
    return [[_v(i, item[judge]) for i, item in enumerate(_ITEMS)] for judge in range(3)]


def test_majority_confidence_is_the_share_of_votes_behind_the_verdict() -> None:
    panel = _panel(_columns(), rule="majority")
    assert [o.verdict for o in panel.outcomes] == ["A", "A", "A", None, "tie", "tie"]
    assert _confidences(panel) == [2 / 3, 1.0, 1.0, None, 1 / 3, 0.0]
    assert item_confidence(panel.outcomes[0]) == Confidence(2 / 3, "panel votes")
    # Mean (2/3 + 1 + 1 + 1/3 + 0) / 5 = 3/5; below 0.8: 2/3, 1/3 and 0.
    info = confidence_info(panel.outcomes, 0.8)
    assert info is not None
    assert (info.n, info.mean, info.below, info.below_share) == (5, 0.6, 3, 0.6)
    assert info.sources == {"panel votes": 5}


def test_unanimous_confidence_is_one_for_every_decisive_verdict() -> None:
    panel = _panel(_columns(), rule="unanimous")
    # 0: A A B is not unanimous -> tie, and no judge said tie.
    assert [o.verdict for o in panel.outcomes] == ["tie", "A", "A", None, "tie", "tie"]
    assert _confidences(panel) == [0.0, 1.0, 1.0, None, 1 / 3, 0.0]


def test_all_unscored_has_no_confidence_never_zero() -> None:
    panel = _panel([[_v(0, None), _v(1, None)] for _ in range(3)])
    assert _confidences(panel) == [None, None]
    assert confidence_info(panel.outcomes, 0.8) is None
    assert evidence_kind(panel.outcomes) is None


def test_one_judge_panel_and_quorum_edges() -> None:
    single = _panel([[_v(0, "B")]], rule="majority")
    assert _confidences(single) == [1.0]
    short = _panel([[_v(0, "A")], [_v(0, None)], [_v(0, None)]], rule="majority")  # 1 vote, quorum 2
    assert short.outcomes[0].status == "unscored" and _confidences(short) == [None]


def test_pointwise_and_listwise_majorities() -> None:
    def score(item: int, value: float | None) -> ItemOutcome:
        if value is None:
            return ItemOutcome(str(item), "unscored", reason="no score")
        return ItemOutcome(str(item), "ok", score=value)

    scores = [(4.0, 4.0, 2.0), (4.0, 2.0, None), (5.0, 5.0, 5.0)]
    columns = [[score(i, row[judge]) for i, row in enumerate(scores)] for judge in range(3)]
    majority = _panel(columns, "pointwise", rule="majority")
    assert [o.score for o in majority.outcomes] == [4.0, None, 5.0]
    assert _confidences(majority) == [2 / 3, None, 1.0]
    # The mean of scores is no one judge's verdict: no confidence is claimed for it.
    assert _confidences(_panel(columns, "pointwise", rule="mean")) == [None, None, None]
    picks = [[ItemOutcome("0", "ok", pick=pick)] for pick in (0, 0, 1)]
    listwise = _panel(picks, "listwise", rule="majority")
    assert listwise.outcomes[0].pick == 0 and _confidences(listwise) == [2 / 3]
    assert item_confidence(listwise.outcomes[0], "order agreement") is None
    # One judge's rotations (N orders) are no two-order agreement: its pick claims no confidence.
    assert item_confidence(ItemOutcome("0", "ok", pick=1, flipped=True)) is None


def test_mean_rule_keeps_its_probability_and_a_table_uses_one_kind() -> None:
    columns = [
        [ItemOutcome("0", "ok", verdict="A", probabilities={"A": p, "B": 1 - p, "tie": 0.0})] for p in (0.9, 0.6)
    ]
    mean = _panel(columns, rule="mean")
    assert item_confidence(mean.outcomes[0]) == Confidence(pytest.approx(0.75), "probability")  # type: ignore[arg-type]
    voted = ItemOutcome("1", "ok", verdict="A", backing=2, votes=3, flipped=True)
    assert evidence_kind([voted]) == "panel votes"
    assert item_confidence(voted, "order agreement") == Confidence(0.5, "order agreement")
    assert evidence_kind([mean.outcomes[0], voted]) == "probability"
    assert item_confidence(voted, "probability") is None


# -- grades ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("verdict", "members", "expected"),
    [
        ("A", [("A", ("A>>B",)), ("A", ("A>>B",)), ("A", ("A>B",))], "A>>B"),  # 2 of 3 said strong
        ("A", [("A", ("A>>B",)), ("A", ("A>B",)), ("B", ("B>>A",))], "A>B"),  # 1 of the 2 behind A: not more
        ("B", [("B", ("B>>A",)), ("B", ("B>>A",))], "B>>A"),
        ("tie", [("A", ("A>>B",)), ("B", ("B>>A",)), ("tie", ("A=B",))], "A=B"),
        ("B", [("A", ("A>B",)), ("tie", ("A=B",))], "B>A"),  # a mean-rule verdict nobody gave: plain
        # Under swap a judge says strong when both of its games do.
        ("A", [("A", ("A>>B", "A>B")), ("A", ("A>>B", "A>>B")), ("A", ("A>>B", "A>>B"))], "A>>B"),
        ("A", [("A", ("A>>B", "A>B")), ("A", ("A>B", "A>>B")), ("A", ("A>>B", "A>>B"))], "A>B"),
        ("A", [("A", ("A>>B",)), ("A", None)], None),  # a vote without grades: the panel claims none
        ("A", [], None),
    ],
)
def test_panel_grade_by_hand(verdict: str, members: list[tuple[str, tuple[str, ...] | None]], expected: str) -> None:
    assert panel_grade(verdict, members) == expected  # type: ignore[arg-type]


def test_combined_grades_give_the_weighted_win_rate_by_hand() -> None:
    rows = [
        (("A>>B", "A"), ("A>>B", "A"), ("A>B", "A")),  # A 3-0, 2 strong -> A>>B
        (("A>>B", "A"), ("A>B", "A"), ("B>>A", "B")),  # A 2-1, 1 of 2 strong -> A>B
        (("B>>A", "B"), ("B>>A", "B"), (None, None)),  # B 2-0 -> B>>A
        (("A>B", "A"), ("B>A", "B"), ("A=B", "tie")),  # no majority -> tie, A=B
    ]
    columns = [
        [_v(i, row[judge][1], None if row[judge][0] is None else (row[judge][0],)) for i, row in enumerate(rows)]
        for judge in range(3)
    ]
    sets = [
        JudgedSet(f"j{k}", "pairwise", _facts(4, "pairwise"), col, strong_weight=3.0) for k, col in enumerate(columns)
    ]
    panel = combine(sets, rule="majority")
    assert panel.strong_weight == 3.0
    assert [o.grades for o in panel.outcomes] == [("A>>B",), ("A>B",), ("B>>A",), ("A=B",)]
    metrics = graded_metrics([o.grades for o in panel.outcomes], 3.0, resamples=200, seed=0)
    # Votes: 3 (A) + 1 (A) + 3 (B) + 1 (tie, half to A) = 8; A's: 3 + 1 + 0 + 0.5 = 4.5.
    assert metrics.win_rate is not None and metrics.win_rate.value == pytest.approx(4.5 / 8)
    assert metrics.counts == {"A>>B": 1, "A>B": 1, "A=B": 1, "B>A": 0, "B>>A": 1}
    # Under mean (verdicts without probabilities count as certain) the same labels win: same grades.
    assert [o.grades for o in combine(sets, rule="mean").outcomes] == [o.grades for o in panel.outcomes]
    sets[0].strong_weight = 2.0  # judges that count strong differently: no common weight
    assert combine(sets, rule="majority").strong_weight is None


# -- every path: eval with a panel, report, gate, compare ----------------------------------------------
# Per item, each judge's grade (fixed order, so the grade is about answer_a); "none" gives no verdict.
_GRADES = [
    {"one": "A>>B", "two": "A>>B", "three": "A>B", "solo": "A>>B"},
    {"one": "A>>B", "two": "A>B", "three": "B>>A", "solo": "A>B"},
    {"one": "B>>A", "two": "B>>A", "three": "none", "solo": "B>>A"},
    {"one": "A>B", "two": "B>A", "three": "A=B", "solo": "A=B"},
    {"one": "none", "two": "none", "three": "A>B", "solo": "none"},
    {"one": "none", "two": "none", "three": "none", "solo": "none"},
]
_LABELS = ["A", "B", "B", "tie", "A", "A"]
_SYSTEMS = [("x", "y"), ("y", "z"), ("x", "z"), ("z", "x"), ("y", "z"), ("x", "y")]


def _by_model(request: Any) -> str:
    wanted = re.search(rf"\b{re.escape(request.model)}=(\S+)", request.prompt)
    if wanted is None or wanted.group(1) == "none":
        return "I cannot tell."
    return f"Compared.\n[[{wanted.group(1)}]]"


def _data(tmp_path: Path) -> Path:
    rows = []
    for index, grades in enumerate(_GRADES):
        asked = " ".join(f"{model}={grade}" for model, grade in grades.items())
        model_a, model_b = _SYSTEMS[index]
        rows.append(
            {
                "id": f"g{index}",
                "question": f"Item {index}: {asked} .",
                "answer_a": f"first {index}",
                "answer_b": f"second {index}",
                "label": _LABELS[index],
                "model_a": model_a,
                "model_b": model_b,
            }
        )
    return write_jsonl(tmp_path / "graded.jsonl", rows)


_PANEL = ["-j", "openai/one", "-j", "openai/two", "-j", "openai/three", "-p", "pairwise/graded", "--positions", "fixed"]


def test_panel_run_carries_confidence_and_grades_on_every_path(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(_by_model)
    data = _data(tmp_path)
    result = run("eval", data, *_PANEL, "-q", "--out", "pan")
    assert result.exit_code == 0, result.output
    outcomes = rows_of("pan/panel", "outcomes.jsonl")
    assert [line.get("confidence") for line in outcomes] == [1.0, 0.666667, 1.0, 0.333333, None, None]
    assert {line.get("confidence_source") for line in outcomes[:4]} == {"panel votes"}
    summary = json.loads(Path("pan/panel/summary.json").read_text())
    _check_panel_summary(summary)
    # `report` rebuilds the same figures from the stored rows, offline.
    rebuilt = run("report", "pan/panel", "--format", "json")
    assert rebuilt.exit_code == 0, rebuilt.output
    _check_panel_summary(json.loads(rebuilt.stdout))
    # The HTML report of the panel's run shows each verdict's confidence and the calibration.
    page = run("report", "pan/panel", "--html", "panel.html", "-q")
    assert page.exit_code == 0, page.output
    html = Path("panel.html").read_text()
    assert "confidence from panel votes" in html and ">0.67<" in html and ">0.33<" in html
    # The weighted win rate and Bradley-Terry of the panel's run are those of one judge giving
    # the panel's grades (the "solo" column: the hand-worked combined grades).
    solo = run("eval", data, "-j", "openai/solo", "-p", "pairwise/graded", "--positions", "fixed", "-q", "--out", "s")
    assert solo.exit_code == 0, solo.output
    alone = json.loads(Path("s/summary.json").read_text())
    assert alone["pairwise"]["graded"] == summary["pairwise"]["graded"]
    assert alone["leaderboard"] is not None and alone["leaderboard"] == summary["leaderboard"]
    # --min-win-rate gates the headline win rate by verdicts (2.5 / 4) and says so on a graded run.
    passed = run("gate", "pan/panel", "--min-win-rate", "0.6", "--min-items", "1")
    assert passed.exit_code == 0, passed.output
    failed = run("gate", "pan/panel", "--min-win-rate", "0.63", "--min-items", "1")
    assert failed.exit_code == 1, failed.output
    (line,) = gate_lines(failed.stderr)
    head = "judgekit: gate FAILED: --min-win-rate 63.0%: win rate of A by verdicts (by votes, not gated: 56.2%) 62.5%"
    assert line.startswith(head) and line.endswith("is below the threshold"), line
    # compare --panel shows the panel's weighted win rate beside its judges'.
    compared = run("compare", data, *_PANEL, "--panel", "-q", "--out", "cmp", "--format", "json")
    assert compared.exit_code == 0, compared.output
    panel_row = next(row for row in json.loads(compared.stdout)["rows"] if row["name"].startswith("panel"))
    assert panel_row["graded_win_rate"]["value"] == pytest.approx(4.5 / 8)
    # ... and its calibration (the same items, labels and vote shares as the panel's run); the
    # judges alone (parsed verdicts in one order) carry no confidence, so none is claimed for them.
    assert panel_row["calibration"]["source"] == "panel votes"
    assert panel_row["calibration"]["ece"] == pytest.approx(1 / 3)
    others = [row for row in json.loads(compared.stdout)["rows"] if row["name"] != panel_row["name"]]
    assert len(others) == 3 and all(row["calibration"] is None for row in others)
    table = run("report", "cmp")
    assert table.exit_code == 0, table.output
    assert "calibration error (ECE) 0.333 over 4 labelled items, confidence from panel votes" in table.output


def _check_panel_summary(summary: dict[str, Any]) -> None:
    confidence = summary["confidence"]
    # (1 + 2/3 + 1 + 1/3) / 4 = 0.75; below 0.8: the 2/3 and the 1/3.
    assert (confidence["n"], confidence["mean"], confidence["below"]) == (4, 0.75, 2)
    assert confidence["sources"] == {"panel votes": 4}
    calibration = summary["human"]["calibration"]
    assert calibration["source"] == "panel votes" and calibration["n"] == 4
    # Bins: 1.0 (items 0, 2: both right), 2/3 (item 1: wrong), 1/3 (item 3: right).
    # ECE = 2/4 * 0 + 1/4 * |0 - 2/3| + 1/4 * |1 - 1/3| = 1/3.
    assert calibration["ece"] == pytest.approx(1 / 3)
    graded = summary["pairwise"]["graded"]
    assert graded["counts"] == {"A>>B": 1, "A>B": 1, "A=B": 1, "B>A": 0, "B>>A": 1}
    assert graded["win_rate"]["value"] == pytest.approx(4.5 / 8)
    assert summary["pairwise"]["win_rate"]["value"] == pytest.approx(2.5 / 4)


def test_the_gate_names_the_win_rate_it_checked() -> None:
    from judgekit.ci.gates import win_rate_metric
    from judgekit.stats.intervals import Estimate
    from judgekit.summary import GradedMetrics

    assert win_rate_metric(None) == "win rate of A"
    counts = {"A>>B": 1, "A>B": 0, "A=B": 0, "B>A": 0, "B>>A": 0}
    graded = GradedMetrics(strong_weight=3.0, counts=counts, win_rate=Estimate(value=0.5625, n=4))
    assert win_rate_metric(graded) == "win rate of A by verdicts (by votes, not gated: 56.2%)"
    unmeasured = GradedMetrics(strong_weight=3.0, counts=counts, win_rate=None)
    assert win_rate_metric(unmeasured) == "win rate of A by verdicts (by votes, not gated: not measured)"
