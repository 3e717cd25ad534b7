"""Errors that say why: the server's own words per failure kind (and the URL that could not be
reached, without credentials); the same client error stops the run after a few requests
instead of one per item; a run whose first answers carry no verdict stops early and shows one;
a run where no item got a verdict never exits 0."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.errors import ProviderError
from judgekit.judging.watch import FIRST_ANSWERS, IDENTICAL_CLIENT_ERRORS, NoVerdicts, RunWatch
from judgekit.schema import Completion, Judgment
from judgekit.testing.server import FakeProvider, Faults
from tests.helpers import pairwise_rows, write_jsonl

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})  # table rows on one line each


def error_line(result: Any) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("judgekit: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_the_same_400_stops_the_run_after_a_few_requests(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(faults=Faults(bad_request=1.0))
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(20))
    result = run("eval", str(data), "-j", "openai/x", "-c", "2", "-o", "r")
    assert result.exit_code == 3
    assert server.count() <= IDENTICAL_CLIENT_ERRORS + 2, "not one request per item"
    line = error_line(result)
    assert "max_tokens is too large: 100000" in line and "(400)" in line and "no more were sent" in line
    summary = json.loads(Path("r/summary.json").read_text())
    assert summary["counts"]["failure_reasons"]["bad_request"] == [
        "request rejected (400): max_tokens is too large: 100000. This model supports at most 4096 completion tokens"
    ]


def test_a_client_error_now_and_then_does_not_stop_the_run(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    """A 400 that depends on the item (one too long for the context) is that item's failure only."""
    server = judge(faults=Faults(script=["bad_request", None, None, "bad_request", None, None]))
    server.faults.bad_request_message = "this item is too long for the context"
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(6))
    result = run("eval", str(data), "-j", "openai/x", "-c", "1", "-o", "r", "--max-errors", "2")
    assert result.exit_code == 0, result.output
    assert server.count() == 6
    assert "Why: bad_request" in result.stdout and "too long for the context" in result.stdout


def test_a_wrong_base_url_names_the_url_and_the_cause_and_stops(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://someone:hunter2-secret@127.0.0.1:{port}/v1"
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(8))
    result = run("eval", str(data), "-j", "openai/x", "--base-url", url, "--max-retries", "1", "-c", "1", "-o", "r")
    assert result.exit_code == 3
    line = error_line(result)
    assert f"cannot connect to http://***@127.0.0.1:{port}/v1 (" in line and "check the base URL" in line
    assert "hunter2-secret" not in result.output
    rows = [json.loads(row) for row in Path("r/judgments.jsonl").read_text().splitlines()]
    assert len(rows) <= 1, "the other items were not tried one by one"
    assert "Why: connection" in result.stdout and f"127.0.0.1:{port}" in result.stdout


def test_html_pages_and_empty_answers_are_shown_in_the_servers_words(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(faults=Faults(script=["html", None, "empty"]))
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(4))
    result = run("eval", str(data), "-j", "openai/x", "-c", "1", "-o", "r")
    assert result.exit_code == 0, result.output  # retried, then answered
    why = [line for line in result.stdout.splitlines() if "Why: malformed" in line or "the server returned" in line]
    text = "\n".join(why)
    assert "Why: malformed" in text
    assert "(an HTML page): '<!DOCTYPE html> <html><head><title>Sign in</title>" in text
    assert "the server returned an empty completion" in text
    summary = json.loads(Path("r/summary.json").read_text())
    assert len(summary["counts"]["failure_reasons"]["malformed"]) == 2  # distinct messages only


def test_failed_items_name_the_first_message_of_each_kind(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(faults=Faults(html=1.0))
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))
    result = run("eval", str(data), "-j", "openai/x", "--max-retries", "0", "-o", "r")
    assert result.exit_code == 3
    line = error_line(result)
    assert line.startswith("judgekit: error: 3 items failed after retries (allowed: --max-errors 0): malformed: ")
    assert "(an HTML page)" in line


def test_a_run_whose_first_answers_have_no_verdict_stops_early(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(lambda request: "Both answers have merits and I would not choose.")
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(40))
    result = run("eval", str(data), "-j", "openai/x", "-c", "1", "-o", "r")
    assert result.exit_code == 3
    assert server.count() == FIRST_ANSWERS, "no call after the tenth answer without a verdict"
    line = error_line(result)
    assert f"the first {FIRST_ANSWERS} judge answers held no valid verdict (no verdict found ({FIRST_ANSWERS}))" in line
    assert "an answer: 'Both answers have merits and I would not choose.'" in line


def test_one_verdict_among_the_first_answers_keeps_the_run_going(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    answers = iter(["[[A]]"] + ["no idea"] * 30)
    server = judge(lambda request: next(answers))
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(20))
    result = run("eval", str(data), "-j", "openai/x", "-c", "1", "-o", "r")
    assert result.exit_code == 0, result.output
    assert server.count() == 20


@pytest.mark.parametrize("judge_name", ["mock/unparseable"])
def test_a_run_where_every_item_is_unscored_never_exits_0(judge_name: str, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(4))  # fewer answers than the early stop needs
    result = run("eval", str(data), "-j", judge_name, "-o", "r")
    assert result.exit_code == 3
    line = error_line(result)
    assert "no item got a valid verdict: all 4 judged items are unscored (no verdict found (4))" in line
    assert "an answer: \"Mock judgment from judgekit's mock backend" in line
    for args in (["gate", "r", "--max-unscored", "1.0"], ["eval", str(data), "-j", judge_name, "-o", "r"]):
        again = run(*args)
        assert again.exit_code == 3 and "no item got a valid verdict" in again.stderr, args


def test_the_mock_judges_unparseable_answers_are_a_dry_run_not_stopped_early(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(15))  # more answers than the early stop reads
    result = run("eval", str(data), "-j", "mock/unparseable", "-o", "r", "--format", "json")
    assert result.exit_code == 3 and "no item got a valid verdict: all 15 judged items" in result.stderr
    assert json.loads(result.stdout)["counts"]["unscored"] == 15


# -- the watch on its own -----------------------------------------------------------------------
def _row(status: str, text: str = "x", role: str = "judge") -> Judgment:
    return Judgment(
        item_id="i",
        call="single",
        role=role,  # type: ignore[arg-type]
        judge="j",
        request_hash="h",
        status=status,  # type: ignore[arg-type]
        reason="no verdict found" if status == "unscored" else None,
        completion=Completion(texts=[text]),
    )


def test_the_watch_counts_only_judge_answers_from_the_start() -> None:
    watch = RunWatch(first_answers=3)
    watch.on_row(_row("unscored", role="aux"))
    watch.on_row(_row("error"))
    watch.on_row(_row("unscored"))
    watch.on_row(_row("unscored"))
    with pytest.raises(NoVerdicts, match=r"the first 3 judge answers .*an answer: 'x'"):
        watch.on_row(_row("unscored"))
    late = RunWatch(first_answers=3)
    for status in ("unscored", "ok", "unscored", "unscored", "unscored", "unscored"):
        late.on_row(_row(status))  # a verdict was read: the format works


def test_the_watch_stops_on_identical_client_errors_only() -> None:
    watch = RunWatch(identical_limit=3)
    watch.on_success()
    first = ProviderError("request rejected (400): too large", kind="bad_request", retryable=False, status=400)
    other = ProviderError("request rejected (400): item 7 too long", kind="bad_request", retryable=False, status=400)
    server = ProviderError("server error (500)", kind="server_error", retryable=True, status=500)
    for error in (first, other, first, server, server, server):
        watch.on_failure(error)
    watch.check()
    watch.on_failure(first)
    with pytest.raises(ProviderError, match="3 requests were rejected the same way"):
        watch.check()


def test_a_server_never_reached_gets_few_retries_and_a_reached_one_all(tmp_path: Path) -> None:
    from judgekit.errors import ProviderError
    from judgekit.judging.watch import UNREACHED_RETRIES, RunWatch

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))
    url = f"http://127.0.0.1:{port}/v1"
    result = run(
        "eval", str(data), "-j", "openai/x", "--base-url", url, "--retry-base-delay", "0.01", "-c", "1", "-o", "r"
    )
    assert result.exit_code == 3
    rows = [json.loads(row) for row in Path("r/judgments.jsonl").read_text().splitlines()]
    assert [row["attempts"] for row in rows] == [1 + UNREACHED_RETRIES]  # not the default 1 + 6

    watch = RunWatch()
    refused = ProviderError("cannot connect", kind="connection", retryable=True)
    assert watch.retries_for(refused, 6) == UNREACHED_RETRIES
    watch.on_success()  # the server answered once: later connection failures are passing ones
    assert watch.retries_for(refused, 6) == 6
    assert RunWatch().retries_for(ProviderError("busy", kind="rate_limit", retryable=True), 6) == 6
