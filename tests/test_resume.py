"""A run stopped at any point (SIGKILL, Ctrl-C, a torn line) finishes later without paying twice."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.errors import RunDirError
from judgekit.store.rundir import RunDir
from judgekit.testing.server import FakeProvider
from tests.helpers import pairwise_rows, run, write_jsonl
from tests.processes import hold_when_caught_up, line_count, start_judgekit

METRICS = ("status", "kind", "counts", "pairwise", "bias", "human", "failed_items", "unscored_items", "warnings")


def _uninterrupted(judge: Callable[..., FakeProvider], data: Path) -> dict[str, Any]:
    """The summary of the same evaluation run in one go, against a server of its own."""
    judge()
    result = run("eval", str(data), "-j", "openai/x", "--positions", "swap", "-q", "--format", "json", "--out", "ref")
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_sigkill_then_the_same_command_finishes_without_repeating_a_call(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(16))
    server = judge(latency=0.03)
    args = ["eval", str(data), "-j", "openai/x", "--positions", "swap", "-c", "3", "-q", "--format", "json"]
    args += ["--out", "killed"]
    judgments = Path("killed/judgments.jsonl")
    process = start_judgekit(*args)
    try:
        kept = hold_when_caught_up(server, judgments, at_least=8)
    finally:
        process.kill()  # SIGKILL: no cleanup of any kind runs
        process.communicate(timeout=30)
    server.resume()
    assert process.returncode == -signal.SIGKILL
    assert 8 <= kept < 32 and line_count(judgments) == kept
    assert not Path("killed/summary.json").exists()

    again = start_judgekit(*args)  # the very same command
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert f"{kept} resumed" in stderr
    served = server.served()
    assert len(served) == 32, "every call of the 16 items, in both orders, was answered"
    assert max(served.values()) == 1, "a call answered before the kill was asked again"
    assert server.count("abandoned") >= 1  # the requests held at the kill never reached anyone
    resumed = json.loads(stdout)

    reference = _uninterrupted(judge, data)
    assert resumed["counts"].pop("resumed") == kept and reference["counts"].pop("resumed") == 0
    for key in METRICS:
        assert resumed[key] == reference[key], key
    assert resumed["status"] == "complete" and resumed["counts"]["scored"] == 16


def test_ctrl_c_keeps_what_is_done_exits_130_and_the_rerun_finishes(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(16))
    server = judge(latency=0.03)
    args = ["eval", str(data), "-j", "openai/x", "--positions", "swap", "-c", "3", "--format", "json", "--out", "ctrlc"]
    judgments = Path("ctrlc/judgments.jsonl")
    process = start_judgekit(*args)  # with the plain progress lines on stderr
    try:
        kept = hold_when_caught_up(server, judgments, at_least=8)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    server.resume()
    assert process.returncode == 130, stderr
    for noise in ("Traceback", "Task was destroyed", "Exception ignored", "Error", "never awaited"):
        assert noise not in stderr, stderr
    assert "interrupted:" in stderr and "run the same command again to finish" in stderr
    assert stdout == ""
    assert line_count(judgments) == kept
    summary = json.loads(Path("ctrlc/summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert summary["counts"]["pending"] > 0
    assert summary["counts"]["scored"] + summary["counts"]["pending"] == 16

    again = run(*args, "-q")
    assert again.exit_code == 0, again.output
    assert f"{kept} resumed" in again.stderr
    assert json.loads(again.stdout)["status"] == "complete"
    assert len(server.served()) == 32 and max(server.served().values()) == 1


def test_a_torn_last_line_is_cut_off_and_its_call_made_again(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    first = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "torn", "--no-cache")
    assert first.exit_code == 0
    path = Path("torn/judgments.jsonl")
    lines = path.read_text().splitlines(keepends=True)
    # As if the process died while writing the last row.
    path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    again = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "torn", "--no-cache")
    assert again.exit_code == 0, again.output
    assert "3 resumed" in again.stderr and server.count() == 5
    assert all(line.endswith("}") for line in path.read_text().splitlines())
    assert json.loads(again.stdout)["counts"]["scored"] == 4


def test_a_damaged_middle_line_is_reported_not_guessed(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(3))
    assert run("eval", str(data), "-j", "mock/random", "-q", "--out", "hurt").exit_code == 0
    path = Path("hurt/judgments.jsonl")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "{not json\n" + "".join(lines[1:]))
    result = run("eval", str(data), "-j", "mock/random", "-q", "--out", "hurt")
    assert result.exit_code == 2
    assert "hurt/judgments.jsonl:2: damaged judgment row" in result.stderr
    assert "Traceback" not in result.output


def test_resume_option_finishes_a_run_with_its_stored_options(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    first = run("eval", str(data), "-j", "openai/x", "-q", "--positions", "fixed", "--max-calls", "2", "--out", "part")
    assert first.exit_code == 3 and "--max-calls" in first.stderr
    assert json.loads(Path("part/summary.json").read_text())["status"] == "incomplete"
    spent = run("eval", "--resume", "part", "-q", "--format", "json")
    assert spent.exit_code == 3 and len(server.served()) == 2  # --max-calls 2 counts the directory's calls: none left
    again = run("eval", "--resume", "part", "-q", "--format", "json", "--max-calls", "4")
    assert again.exit_code == 3 and len(server.served()) == 4  # raised to 4 in all: 2 more calls
    final = run("eval", "--resume", "part", "-q", "--format", "json", "--max-calls", "100")
    assert final.exit_code == 0, final.output
    summary = json.loads(final.stdout)
    assert summary["status"] == "complete" and summary["config"]["positions"] == "fixed"
    assert len(server.served()) == 6 and max(server.served().values()) == 1


def test_a_second_process_cannot_write_a_run_directory_in_use(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    holder = RunDir(Path("busy"))
    with holder.locked():
        result = run("eval", str(data), "-j", "mock/random", "-q", "--out", "busy")
        assert result.exit_code == 2
        assert "busy is in use by another judgekit process" in result.stderr
        with pytest.raises(RunDirError), RunDir(Path("busy")).locked():
            pass
    assert run("eval", str(data), "-j", "mock/random", "-q", "--out", "busy").exit_code == 0
