"""Checklist grading on every run path: --batch (and batch collect), --resume, a panel, compare,
and report / --reparse on the run directory; each gives the item scores worked by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.checklist_helpers import FRUIT, ROWS, SCORES, checklist_responder
from tests.helpers import rows_of, run, summary_of, write_jsonl
from tests.test_checklist import TEMPLATES, item_scores

FAST = ["--poll-interval", "0.02"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "data.jsonl", ROWS)


@pytest.fixture
def batch_server(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    server = fake_provider(checklist_responder, batches=BatchBehaviour())
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-checklist-0123456789")
    return server


def _criteria(summary: dict[str, Any]) -> dict[str, Any]:
    return {criterion["name"]: criterion for criterion in summary["checklist"]["criteria"]}


@pytest.mark.parametrize("template", TEMPLATES)
def test_batch_gives_the_interactive_checklist(batch_server: FakeProvider, data: Path, template: str) -> None:
    common = ["eval", data, "-j", "openai/judge", "--prompt", template, "--format", "json", "-q", "--no-cache"]
    batched = summary_of(run(*common, "--out", "batched", "--batch", *FAST))
    assert item_scores("batched") == pytest.approx(SCORES)
    assert all(row["batch_id"] for row in rows_of("batched"))
    interactive = summary_of(run(*common, "--out", "interactive"))
    assert batched["checklist"] == interactive["checklist"]


def test_batch_collect_applies_a_criterion_gate(batch_server: FakeProvider, data: Path) -> None:
    detached = run("eval", data, "-j", "openai/judge", "-q", "--out", "run", "--batch", "--detach", *FAST)
    assert detached.exit_code == 0, detached.output
    collected = run("batch", "collect", "run", "-q", *FAST, "--min-criterion-pass", "dates=0.5", "--min-items", "1")
    assert collected.exit_code == 1, collected.output
    assert "gate FAILED: --min-criterion-pass dates" in collected.stderr
    assert item_scores("run") == pytest.approx(SCORES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_resume_finishes_the_criteria_left(judge: Callable[..., FakeProvider], data: Path, template: str) -> None:
    server = judge(checklist_responder)
    first = run("eval", data, "-j", "openai/judge", "--prompt", template, "-q", "--out", "run", "--max-calls", "2")
    assert first.exit_code == 3, first.output
    assert rows_of("run") and any(score is None for score in item_scores("run").values())
    before = server.count(None)
    resumed = run("eval", "--resume", "run", "-q", "--max-calls", "1000", "--format", "json")
    summary = summary_of(resumed)
    assert item_scores("run") == pytest.approx(SCORES)
    assert summary["counts"]["scored"] == 4
    calls = 4 if template.endswith("_all") else 12
    assert server.count(None) - before == calls - 2  # nothing asked twice


def test_a_panel_averages_the_judges_checklist_scores_by_default(data: Path) -> None:
    result = run("eval", data, "-j", "mock/first", "-j", "mock/second", "-q", "--out", "pan", "--format", "json")
    assert result.exit_code == 0, result.output
    panel = json.loads((Path("pan") / "panel" / "summary.json").read_text())
    # mock/first meets every criterion, mock/second none; the panel's rule for scores is the mean.
    firsts = {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.75}  # (5 + 3 - 8) / 8 = 0; (2 + 2 - 1) / 4
    expected = sum((firsts[key] + 0.0) / 2 for key in firsts) / 4
    assert panel["pointwise"]["mean"]["value"] == pytest.approx(expected)
    assert panel["checklist"] is None  # per-criterion verdicts stay in each judge's own run
    members = [
        json.loads(path.read_text()) for path in Path("pan").glob("*/summary.json") if path.parent.name != "panel"
    ]
    assert sorted(member["checklist"]["criteria"][0]["met"] for member in members) == [0, 2 + 1]
    refused = run("gate", "pan/panel", "--min-criterion-pass", "0.5")
    assert refused.exit_code == 2 and "--panel-rule majority" in refused.stderr


def test_a_majority_panel_votes_per_criterion(judge: Callable[..., FakeProvider], data: Path) -> None:
    judge(checklist_responder)
    judges = ["-j", "mock/first", "-j", "mock/second", "-j", "openai/judge"]
    common = ["eval", data, *judges, "-q", "--format", "json", "--panel-rule", "majority"]
    # mock/first says met and mock/second not met to everything: the fake judge's verdict decides.
    result = run(*common, "--out", "pan", "--min-criterion-pass", "apples=0.6", "--min-items", "1")
    assert result.exit_code == 0, result.output
    assert item_scores("pan/panel") == pytest.approx(SCORES)
    panel = json.loads((Path("pan") / "panel" / "summary.json").read_text())
    assert _criteria(panel)["apples"]["met"] == 2 and _criteria(panel)["dates"]["met"] == 0
    assert run("gate", "pan/panel", "--min-criterion-pass", "apples=0.7", "--min-items", "1").exit_code == 1
    # Two judges who disagree on every criterion have no majority anywhere: every item is unscored.
    tied = run("eval", data, "-j", "mock/first", "-j", "mock/second", "-q", "--out", "tied", "--panel-rule", "majority")
    assert tied.exit_code == 0, tied.output
    tied_summary = json.loads((Path("tied") / "panel" / "summary.json").read_text())
    assert tied_summary["counts"]["unscored"] == 4
    assert all(criterion["graded"] == 0 for criterion in tied_summary["checklist"]["criteria"])
    unanimous = run("eval", data, *judges[:4], "-q", "--out", "una", "--panel-rule", "unanimous", "--quorum", "1")
    assert unanimous.exit_code == 0, unanimous.output
    assert json.loads((Path("una") / "panel" / "summary.json").read_text())["counts"]["unscored"] == 4


def test_a_criterion_short_of_its_quorum() -> None:
    from judgekit.compare.checklist_panel import vote_checklist
    from judgekit.metrics.items import ItemFacts
    from judgekit.schema import Item, Judgment, Message, RubricItem

    rubric = tuple(RubricItem(**criterion) for criterion in FRUIT)
    item = Item(id="a", line=1, turns=(Message(role="user", content="Q"),), answer="A", rubric_items=rubric)
    fact = ItemFacts.of(item)

    def rows(*verdicts: float | None, status: str = "ok") -> dict[str, Judgment]:
        made = {}
        for number, verdict in enumerate(verdicts, start=1):
            state = status if verdict is not None or status != "ok" else "unscored"
            made[f"criterion-{number}"] = Judgment(
                item_id="a", call=f"criterion-{number}", judge="j", request_hash="h", status=state, score=verdict
            )
        return made

    met = rows(1.0, 1.0, 0.0)
    outcome = vote_checklist(fact, [met, rows(1.0, None, 0.0), rows(0.0, 1.0, 0.0)], "majority", 2)
    assert outcome.status == "ok" and outcome.criteria == [1.0, 1.0, 0.0]  # criterion 2: two votes, both met
    assert outcome.score == 1.0 and outcome.votes == 2
    split = vote_checklist(fact, [met, rows(0.0, 0.0, 0.0)], "majority", 2)
    assert split.status == "unscored" and split.criteria == [None, None, 0.0]  # 1 against 1: no majority
    failed = rows(None, None, None, status="error")
    short = vote_checklist(fact, [met, failed, {}], "majority", 2)
    assert short.status == "error" and "quorum 2" in str(short.reason)  # a re-run may reach the quorum


def test_compare_ranks_the_two_checklist_templates(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(checklist_responder)
    humans = {"a": 1.0, "b": 0.0, "c": 0.4, "d": 0.2}
    rows = [{**row, "human_score": humans[row["id"]]} for row in ROWS]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    result = run(
        "compare", data, "-j", "openai/judge", "-p", TEMPLATES[0], "-p", TEMPLATES[1], "--out", "cmp", "-q",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = sorted(path.parent for path in Path("cmp").glob("*/summary.json"))
    assert len(runs) == 2
    for run_dir in runs:
        assert item_scores(str(run_dir)) == pytest.approx(SCORES)


def test_report_and_reparse_rebuild_the_checklist(judge: Callable[..., FakeProvider], data: Path) -> None:
    judge(checklist_responder)
    first = summary_of(
        run("eval", data, "-j", "openai/judge", "-q", "--out", "run", "--format", "json", "-p", TEMPLATES[1])
    )
    reported = summary_of(run("report", "run", "--format", "json"))
    assert reported["checklist"] == first["checklist"]
    reparsed = run("report", "run", "--reparse", "--format", "json")
    assert summary_of(reparsed)["checklist"] == first["checklist"]
    assert "0 changed" in reparsed.stderr
    gated = run("gate", "run", "--min-criterion-pass", "apples=0.6", "--min-items", "1")
    assert gated.exit_code == 0, gated.output


def test_reports_and_score_gates_of_a_checklist_run(judge: Callable[..., FakeProvider], data: Path) -> None:
    judge(checklist_responder)
    assert run("eval", data, "-j", "openai/judge", "-q", "--out", "run").exit_code == 0
    gated = run("gate", "run", "--min-score", "0.3", "--min-items", "1", "--markdown", "summary.md", "--junit", "r.xml")
    assert gated.exit_code == 0, gated.output  # the run's score 0.3125 (the clipped mean) clears 0.3
    markdown = Path("summary.md").read_text()
    assert "Checklist criteria (one call per criterion)" in markdown
    assert "| apples | 5 | 2 / 3 | 66.7% \\[9.4, 99.2\\] | 0 |" in markdown
    assert run("gate", "run", "--min-score", "0.32", "--min-items", "1").exit_code == 1
    # An item's score is a share of points, not a pass/fail verdict: --min-pass-rate needs --pass-score.
    refused = run("gate", "run", "--min-pass-rate", "0.5")
    assert refused.exit_code == 2 and "--pass-score" in refused.stderr
    passing = run("gate", "run", "--min-pass-rate", "0.5", "--pass-score", "0.3", "--min-items", "1")
    assert passing.exit_code == 0, passing.output  # a (1.0) and c (0.375) of four items: 50%
    html = run("report", "run", "--html", "report.html")
    assert html.exit_code == 0, html.output
    page = Path("report.html").read_text()
    assert "Checklist criteria (one call per criterion)" in page and "66.7% [9.4, 99.2]" in page


def test_a_failed_criterion_call_fails_its_item_and_a_rerun_retries_only_it(
    judge: Callable[..., FakeProvider], data: Path
) -> None:
    from judgekit.testing.server import Faults

    server = judge(checklist_responder, faults=Faults(script=["bad_request"]))
    common = ["eval", data, "-j", "openai/judge", "-q", "--out", "run", "--concurrency", "1", "--format", "json"]
    first = run(*common)
    assert first.exit_code == 3, first.output  # one item failed, beyond --max-errors 0
    summary = json.loads(first.stdout)
    assert summary["counts"]["errors"] == 1 and summary["counts"]["scored"] == 3
    failed = summary["failed_items"][0]
    assert summary["checklist"]["mean_item_score"]["n"] == 3
    before = server.count(None)
    again = summary_of(run(*common))
    assert server.count(None) - before == 1  # only the failed criterion's call is made again
    assert again["counts"]["scored"] == 4 and failed in SCORES
    assert item_scores("run") == pytest.approx(SCORES)
