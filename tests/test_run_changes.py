"""Say what changed: a run directory that refuses a different configuration names the settings
that differ (old -> new); a run grows from `--limit N` to every item in place; `--resume` with a
different judge or template is refused; and the call counts of the table, summary.json and the
closing line agree about what was resumed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.config import changed_settings
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, run, write_jsonl

runner = CliRunner()


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    server = fake_provider(marker_responder)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-changes-0123456789")
    return server


def _error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return str(lines[0])


def test_a_different_judge_names_only_what_changed(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(4))
    assert run("eval", str(data), "-j", "mock/random", "-o", "r", "-q").exit_code == 0
    line = _error_line(run("eval", str(data), "-j", "mock/first", "-o", "r", "-q"))
    assert "(judge mock/random -> mock/first)" in line
    assert "template" not in line  # the template did not change, so it is not listed


def test_a_different_template_and_order_are_listed_old_to_new(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(4))
    assert run("eval", str(data), "-j", "mock/random", "-o", "r", "-q").exit_code == 0
    line = _error_line(
        run("eval", str(data), "-j", "mock/random", "-p", "pairwise/direct", "--positions", "swap", "-o", "r")
    )
    assert "template pairwise/verdict -> pairwise/direct" in line
    assert "positions random -> swap" in line
    assert "judge" not in line.split("(", 1)[1]


def test_changed_settings_compares_only_what_decides_the_judgments() -> None:
    old = {
        "config": {"positions": "random", "seed": 0, "max_chars": 10, "truncate": False, "concurrency": 4},
        "resolved": {"judge": "openai/a", "params": {"temperature": 0.0, "max_tokens": 10}},
        "template": {"name": "t"},
    }
    new = {
        "config": {"positions": "random", "seed": 1, "max_chars": 10, "truncate": False, "concurrency": 64},
        "resolved": {"judge": "openai/a", "params": {"temperature": 0.7, "max_tokens": 10}},
        "template": {"name": "t"},
    }
    assert changed_settings(old, new) == ["params.temperature 0.0 -> 0.7", "seed 0 -> 1"]
    assert changed_settings(old, old) == []


def test_a_run_grows_from_a_limit_to_every_item_in_the_same_directory(judge: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(12))
    small = run("eval", str(data), "-j", "openai/x", "--limit", "5", "--no-cache", "--format", "json", "-q")
    assert small.exit_code == 0, small.output
    first = json.loads(small.stdout)
    assert first["counts"]["items"] == 5 and judge.count() == 5
    grown = run("eval", str(data), "-j", "openai/x", "--no-cache", "--format", "json", "-q")
    assert grown.exit_code == 0, grown.output
    second = json.loads(grown.stdout)
    assert second["run_dir"] == first["run_dir"], "the default directory is the same run"
    assert second["counts"]["items"] == 12 and second["counts"]["scored"] == 12
    assert judge.count() == 12 and max(judge.served().values()) == 1, "only the 7 new items were asked"
    assert second["counts"]["resumed"] == 5
    manifest = json.loads((Path(second["run_dir"]) / "run.json").read_text())
    assert manifest["config"]["limit"] is None
    # ... and an explicit directory grows the same way, then shrinks back to a view of 5 items.
    assert run("eval", str(data), "-j", "openai/x", "-n", "3", "-o", "mine", "-q").exit_code == 0
    assert run("eval", str(data), "-j", "openai/x", "-o", "mine", "-q").exit_code == 0
    again = run("eval", str(data), "-j", "openai/x", "-n", "5", "-o", "mine", "-q", "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout)["counts"]["items"] == 5


def test_resume_with_a_different_judge_or_template_is_refused_with_the_difference(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(4))
    assert run("eval", str(data), "-j", "mock/random", "-o", "r", "-q").exit_code == 0
    before = Path("r/judgments.jsonl").read_bytes()
    line = _error_line(run("eval", "--resume", "r", "-j", "mock/first"))
    assert "judge 'mock/random' -> 'mock/first'" in line
    line = _error_line(run("eval", "--resume", "r", "-p", "pairwise/direct"))
    assert "prompt" in line and "-> 'pairwise/direct'" in line
    assert Path("r/judgments.jsonl").read_bytes() == before
    same = run("eval", "--resume", "r", "-j", "mock/random", "-c", "2", "-q")
    assert same.exit_code == 0, same.output


def test_resume_with_a_larger_limit_grows_the_run(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(6))
    assert run("eval", str(data), "-j", "mock/random", "-n", "2", "-o", "r", "-q").exit_code == 0
    grown = run("eval", "--resume", "r", "-n", "6", "-q", "--format", "json")
    assert grown.exit_code == 0, grown.output
    assert json.loads(grown.stdout)["counts"]["items"] == 6


def test_the_table_the_summary_and_the_closing_line_agree_on_resumed_calls(judge: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(4))
    args = ["eval", str(data), "-j", "openai/x", "--no-cache", "-o", "r"]
    first = run(*args)
    assert first.exit_code == 0 and judge.count() == 4
    assert "4 made, 0 from cache" in first.stdout and "judge calls: 4 made, 0 from cache" in first.stderr
    again = runner.invoke(app, args, env={"COLUMNS": "200"})  # a table wide enough not to wrap the row
    assert again.exit_code == 0 and judge.count() == 4
    summary = json.loads(Path("r/summary.json").read_text())
    assert summary["counts"]["resumed"] == 4 and summary["counts"]["calls"] == 4
    phrase = "4 made, 0 from cache (4 resumed from an earlier session)"
    assert phrase in again.stdout and phrase in again.stderr
    # `judgekit report` rebuilds the summary and keeps what the last session resumed.
    assert run("report", "r", "--format", "json").exit_code == 0
    assert json.loads(Path("r/summary.json").read_text())["counts"]["resumed"] == 4
