"""`judgekit report RUN_DIR --reparse`: stored answers read again, with no model call."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.inputs import parsing
from judgekit.judging import calls
from judgekit.testing.server import FakeProvider, Faults
from tests.helpers import marker_responder, pairwise_rows, run, write_jsonl

TEMPLATE = """---
kind: pairwise
description: Pick the better answer.
verdict:
  type: choice
  pattern: '{pattern}'
  format: '[[{{choice}}]]'
  choices: {{A: first, B: second, C: tie}}
delimiters: ["<first>", "</first>", "<second>", "</second>"]
---
Question: {{{{ question }}}}
<first>{{{{ answer_a }}}}</first>
<second>{{{{ answer_b }}}}</second>
Explain, then end with [[A]], [[B]] or [[C]].
"""
STRICT = r"\[\[([ABC])\]\]"
LENIENT = r"(?:\[\[|Verdict: )([ABC])"


def rows_of(run_dir: Path, name: str = "judgments.jsonl") -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / name).read_text().splitlines()]


def terse(request: Any) -> str:
    """Half the items get "Verdict: X", which the strict pattern cannot read; one item gets only
    an echo of the instructions, which no pattern may take for a verdict."""
    if "Question 5?" in request.prompt:
        return "You said: end with [[A]], [[B]] or [[C]]."
    verdict = marker_responder(request).splitlines()[-1]
    odd = any(f"Question {i}?" in request.prompt for i in (1, 3, 7))
    return f"Looked at both.\nVerdict: {verdict[2]}" if odd else f"Looked at both.\n{verdict}"


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(responder: Any = terse, **options: Any) -> FakeProvider:
        server = fake_provider(responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-reparse-0123456789")
        return server

    return start


def _evaluate(tmp_path: Path, pattern: str, out: str, positions: str = "swap") -> dict[str, Any]:
    template = tmp_path / f"{out}.jinja"
    template.write_text(TEMPLATE.format(pattern=pattern))
    data = tmp_path / "pairs.jsonl"
    if not data.exists():
        write_jsonl(data, pairwise_rows(8))
    result = run(
        "eval", str(data), "-j", "openai/x", "-q", "--format", "json", "-p", str(template),
        "--positions", positions, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_an_edited_pattern_rescores_old_answers_like_a_fresh_run(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge()
    old = _evaluate(tmp_path, STRICT, "old")
    assert old["counts"]["unscored"] == 4  # items 1, 3, 7 and the echo of item 5
    run_dir = Path("old")
    before = rows_of(run_dir)
    sent = server.count()
    # Fix the verdict pattern in the run's own copy of the template, then re-read.
    copy = run_dir / "template.jinja"
    copy.write_text(copy.read_text().replace(STRICT, LENIENT))
    result = run("report", "old", "--reparse", "--format", "json")
    assert result.exit_code == 0, result.output
    assert server.count() == sent, "re-parsing must not call the model"
    assert "template.jinja differs from the template the run was made with" in result.stderr
    assert "re-read 16 stored answers: 6 changed (6 newly scored, 0 newly unscored)" in result.stderr
    reparsed = json.loads(result.stdout)
    assert reparsed["counts"]["unscored"] == 1 and reparsed["unscored_items"] == ["item-5"]
    assert reparsed["counts"]["unscored_reasons"] == {"verdict only inside quoted prompt text": 1}

    after = rows_of(run_dir)
    assert len(after) == len(before)
    for old_row, new_row in zip(before, after, strict=True):
        for kept in ("item_id", "call", "swapped", "request_hash", "completion", "latency_s", "attempts", "retries"):
            assert old_row.get(kept) == new_row.get(kept), kept
    assert rows_of(run_dir, "judgments.jsonl.bak") == before  # the old verdicts stay comparable
    # The same numbers as a run made with the lenient pattern from the start.
    fresh = _evaluate(tmp_path, LENIENT, "fresh")
    for key in ("pairwise", "bias", "human", "unscored_items"):
        assert reparsed[key] == fresh[key], key
    for key in ("scored", "unscored", "errors", "unscored_reasons"):
        assert reparsed["counts"][key] == fresh["counts"][key], key


def test_a_new_parser_is_applied_to_an_old_run_and_reparsing_twice_changes_nothing(
    judge: Callable[..., FakeProvider], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge()
    old = _evaluate(tmp_path, STRICT, "old", positions="random")
    assert old["counts"]["unscored"] == 4

    def newer_parser(text: str, spec: Any, sources: Any = ()) -> parsing.Reading:
        # A parser that also understands "Verdict: X" (what a fixed judgekit might do).
        return parsing.read_verdict(
            text.replace("Verdict: ", "[[") + ("]]" if "Verdict: " in text else ""), spec, sources
        )

    monkeypatch.setattr(calls, "read_verdict", newer_parser)
    first = run("report", "old", "--reparse", "--format", "json")
    assert first.exit_code == 0, first.output
    assert "3 newly scored" in first.stderr and "differs" not in first.stderr
    assert json.loads(first.stdout)["counts"]["unscored"] == 1
    text = Path("old/judgments.jsonl").read_text()
    second = run("report", "old", "--reparse", "--format", "json")
    assert "0 changed" in second.stderr
    assert Path("old/judgments.jsonl").read_text() == text
    # Without --reparse, report re-aggregates and leaves the rows alone.
    assert run("report", "old").exit_code == 0 and Path("old/judgments.jsonl").read_text() == text


def test_failed_calls_are_kept_and_a_resume_after_reparse_reuses_every_row(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(faults=Faults(script=["server_error"] * 2))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    args = ["eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--max-retries", "1", "-c", "1"]
    first = run(*args, "--out", "r")
    assert first.exit_code == 3
    result = run("report", "r", "--reparse", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "1 rows kept as they were" in result.stderr
    assert json.loads(result.stdout)["counts"]["errors"] == 1
    sent = server.count()
    again = run(*args, "--out", "r")
    assert again.exit_code == 0, again.output
    assert server.count() == sent + 1  # only the failed call; every re-parsed row was reused
    assert "3 resumed" in again.stderr


def test_reparse_of_something_that_is_not_a_run(tmp_path: Path) -> None:
    result = run("report", "nowhere", "--reparse")
    assert result.exit_code == 2 and "not a judgekit run directory" in result.stderr
    assert not Path("nowhere").exists()
