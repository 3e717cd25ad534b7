"""`judgekit eval --batch` and `judgekit batch` against the fake provider's batch endpoints.

Every test drives the real openai / anthropic SDKs against `FakeProvider` on 127.0.0.1, and
checks the batch run against what an interactive run of the same items writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, rows_of, run, summary_of, write_jsonl

REPO = Path(__file__).resolve().parents[1]
FAST = ["--poll-interval", "0.02", "-q"]
METRICS = ("pairwise", "pointwise", "bias", "human")


def final_rows(run_dir: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The last row of each call, as `judgekit report` reads them."""
    return {(row["item_id"], row["call"]): row for row in rows_of(run_dir)}


def comparable(run_dir: str | Path) -> list[tuple[Any, ...]]:
    """What must not differ between a batch run and an interactive run of the same items."""
    return sorted(
        (
            key,
            row["swapped"],
            row["status"],
            row.get("verdict"),
            row.get("shown"),
            row.get("score"),
            row["request_hash"],
            tuple(row["completion"]["texts"]),
            row["completion"]["prompt_tokens"],
        )
        for key, row in final_rows(run_dir).items()
    )


def journal_of(run_dir: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(run_dir) / "batches" / "state.json").read_text())
    return data


def plain_pairs(n: int) -> list[dict[str, Any]]:
    """Pairs without categories or human labels: fewer statistics to compute per run."""
    return [{key: value for key, value in row.items() if key not in ("category", "label")} for row in pairwise_rows(n)]


def pointwise_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"p{i}", "question": f"Q{i}?", "answer": ("GOOD" if i % 2 else "BAD") + f" answer {i}"} for i in range(n)
    ]


@pytest.fixture
def provider(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FakeProvider]:
    """A fake server with batch behaviour, and both SDKs' variables pointing at it."""

    def start(responder: Any = marker_responder, **behaviour: Any) -> FakeProvider:
        server = fake_provider(responder, batches=BatchBehaviour(**behaviour))
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-batch-0123456789")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-batch-0123456789")
        return server

    return start


def test_openai_job_split_into_batches_gives_the_interactive_results(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(10))
    common = ["eval", str(data), "-j", "openai/gpt-4o-mini", "--positions", "swap", "--format", "json", "--no-cache"]
    batch = run(*common, "--out", "batched", "--batch", "--batch-max-requests", "6", *FAST)
    summary = summary_of(batch)
    assert server.batch.batch_sizes("openai") == [6, 6, 6, 2]
    assert "batch estimate: 20 requests" in batch.stderr
    journal = journal_of("batched")
    assert [record["state"] for record in journal["batches"]] == ["collected"] * 4
    assert all(record["provider_id"].startswith("batch_") for record in journal["batches"])
    mapping = (Path("batched") / "batches" / "b0001.jsonl").read_text().splitlines()
    assert {"custom_id", "item_id", "call", "request_hash"} <= set(json.loads(mapping[0]))

    batch_bodies = {entry.request.key: entry.request.body for entry in server.recorded}
    server.reset_records()
    interactive = summary_of(run(*common, "--out", "interactive", "-q"))
    for key in METRICS:
        assert summary[key] == interactive[key], key
    assert summary["counts"]["scored"] == 10 and summary["counts"]["calls"] == 20
    assert comparable("batched") == comparable("interactive")
    # Each batch line carried exactly the body the interactive backend sent.
    assert {entry.request.key: entry.request.body for entry in server.recorded} == batch_bodies
    assert all(row["batch_id"].startswith("batch_") for row in rows_of("batched"))


def test_anthropic_message_batches_give_the_interactive_results(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "points.jsonl", pointwise_rows(7))
    common = ["eval", str(data), "-j", "anthropic/claude-haiku-4-5", "--format", "json", "--no-cache"]
    batch = run(*common, "--out", "batched", "--batch", "--batch-max-requests", "3", *FAST)
    summary = summary_of(batch)
    assert server.batch.batch_sizes("anthropic") == [3, 3, 1]
    assert all(entry.request.body["temperature"] == 0 for entry in server.recorded)
    interactive = summary_of(run(*common, "--out", "interactive", "-q"))
    for key in METRICS:
        assert summary[key] == interactive[key], key
    assert summary["pointwise"]["mean"]["value"] == pytest.approx((3 * 9 + 4 * 2) / 7)
    assert comparable("batched") == comparable("interactive")


def test_batches_are_split_by_bytes(provider: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(9))
    summary = summary_of(
        run("eval", str(data), "-j", "openai/x", "--batch", "--batch-max-bytes", "4000", "--format", "json", *FAST)
    )
    assert summary["counts"]["scored"] == 9
    inputs = [
        server.batch.files[batch.input_file_id].data for batch in server.batch.created("openai") if batch.input_file_id
    ]
    assert len(inputs) > 2 and all(len(data) <= 4000 for data in inputs)
    assert sum(len(data.splitlines()) for data in inputs) == 9


@pytest.mark.parametrize("judge", ["openai/x", "anthropic/x"])
def test_a_provider_limit_below_judgekits_splits_and_resubmits(
    provider: Callable[..., FakeProvider], tmp_path: Path, judge: str
) -> None:
    # OpenAI fails an oversized batch (too_many_tasks) after accepting it; Anthropic refuses it (400).
    server = provider(max_requests=3)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(8))
    result = run("eval", str(data), "-j", judge, "--batch", "--format", "json", *FAST)
    summary = summary_of(result)
    assert summary["counts"]["scored"] == 8 and summary["counts"]["errors"] == 0
    assert max(server.served().values()) == 1
    answered = [len(batch.results) for batch in server.batch.created() if batch.state == "completed"]
    assert sum(answered) == 8 and max(answered) <= 3
    assert "smaller batches" in result.stderr or "splitting" in result.stderr


def test_requests_failing_inside_a_batch_are_retried_in_a_new_batch(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(request_script=[None, "server_error", "rate_limit", None, "bad_request", "overloaded"])
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(8))
    args = ["eval", str(data), "-j", "openai/x", "--batch", "--format", "json", *FAST]
    result = run(*args)
    assert result.exit_code == 3, result.output  # the bad request is not retried: one item failed
    summary = json.loads(result.stdout)
    assert summary["counts"]["errors"] == 1 and summary["counts"]["scored"] == 7
    assert summary["counts"]["failures"] == {"bad_request": 1}
    assert server.batch.batch_sizes() == [8, 3]  # three retryable failures went into a second batch
    assert max(server.served().values()) == 1
    # Running the command again submits only the failed request.
    again = summary_of(run(*args))
    assert server.batch.batch_sizes() == [8, 3, 1]
    assert again["counts"]["errors"] == 0 and again["counts"]["scored"] == 8
    assert max(server.served().values()) == 1


def test_failed_requests_can_be_retried_interactively(provider: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = provider(request_script=["server_error", None, "server_error"])
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(5))
    summary = summary_of(
        run("eval", str(data), "-j", "openai/x", "--batch", "--batch-retry", "interactive", "--format", "json", *FAST)
    )
    assert summary["counts"]["scored"] == 5
    assert server.batch.batch_sizes() == [5]
    interactive_calls = [entry for entry in server.recorded if entry.batch_id is None]
    assert len(interactive_calls) == 2 and all(entry.status == 200 for entry in interactive_calls)
    assert max(server.served().values()) == 1


def test_failed_requests_left_alone_with_retry_none(provider: Callable[..., FakeProvider], tmp_path: Path) -> None:
    provider(request_script=["server_error"])
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(3))
    result = run("eval", str(data), "-j", "openai/x", "--batch", "--batch-retry", "none", "--format", "json", *FAST)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["counts"]["failures"] == {"server_error": 1}


@pytest.mark.parametrize("judge", ["openai/x", "anthropic/x"])
def test_an_expired_batch_keeps_what_finished_and_resubmits_the_rest(
    provider: Callable[..., FakeProvider], tmp_path: Path, judge: str
) -> None:
    server = provider(outcomes=["expire"], expire_after=0.5)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(6))
    summary = summary_of(run("eval", str(data), "-j", judge, "--batch", "--format", "json", *FAST))
    assert summary["counts"]["scored"] == 6
    first, second = server.batch.created()
    assert first.state == "expired" and len(first.requests) == 6 and len(second.requests) == 3
    assert max(server.served().values()) == 1
    rows = rows_of(summary["run_dir"])
    assert sum(row["status"] == "error" and row["error_kind"] == "expired" for row in rows) == 3
    assert {row["batch_id"] for row in final_rows(summary["run_dir"]).values()} == {first.id, second.id}


@pytest.mark.parametrize("judge", ["openai/x", "anthropic/x"])
def test_detach_status_cancel_and_collect(provider: Callable[..., FakeProvider], tmp_path: Path, judge: str) -> None:
    server = provider(hold=True)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(4))
    args = ["eval", str(data), "-j", judge, "--batch", "--out", "run", *FAST]
    detached = run(*args, "--detach", "--format", "json")
    assert detached.exit_code == 0, detached.output
    submitted = json.loads(detached.stdout)
    assert submitted["run_dir"] == "run" and len(submitted["batches"]) == 1
    assert "judgekit batch collect run" in detached.stderr
    provider_id = submitted["batches"][0]["provider_id"]

    status = run("batch", "status", "run", "--format", "json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["batches"][0]["state"] == "running"
    assert "token" not in json.loads(status.stdout)["options"]
    table = run("batch", "status", "run")
    assert provider_id in table.stdout and "running" in table.stdout

    # While the batch runs, judging interactively would pay twice, and starting afresh would lose it: refused.
    refused = run("eval", str(data), "-j", judge, "--out", "run", "-q")
    assert refused.exit_code == 2 and "still with the provider" in refused.stderr
    fresh = run(*args, "--fresh")
    assert fresh.exit_code == 2 and "before you start it afresh" in fresh.stderr

    pending = run("batch", "collect", "run", "--no-wait", "--format", "json", "-q")
    assert pending.exit_code == 0, pending.output
    assert json.loads(pending.stdout)["counts"]["pending"] == 4 and "still running" in pending.stderr

    cancelled = run("batch", "cancel", "run")
    assert cancelled.exit_code == 0 and server.batch.cancelled == [provider_id]
    collected = run("batch", "collect", "run", "--format", "json", "-q")
    assert collected.exit_code == 3  # cancelled requests are failures, and collect does not resubmit them
    assert json.loads(collected.stdout)["counts"]["failures"] == {"cancelled": 4}
    assert len(server.batch.created()) == 1

    # Running the eval command again submits the cancelled requests anew.
    server.batch.release()
    summary = summary_of(run(*args, "--format", "json"))
    assert summary["counts"]["scored"] == 4 and len(server.batch.created()) == 2


def test_killed_while_waiting_loses_nothing_and_never_resubmits(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(hold=True)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    args = ["eval", str(data), "-j", "openai/x", "--batch", "--batch-max-requests", "4", "--out", "run", *FAST]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "judgekit", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = Path("run/batches/state.json")
            if state.exists() and [b["state"] for b in json.loads(state.read_text())["batches"]] == ["running"] * 2:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        else:
            pytest.fail("the batches were not submitted in time")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert server.batch.batch_sizes() == [4, 2] and not Path("run/summary.json").exists()

    server.batch.release()
    again = run(*args, "--format", "json")  # the same command picks up the stored batch ids
    summary = summary_of(again)
    assert server.batch.batch_sizes() == [4, 2], "nothing may be submitted twice"
    assert summary["counts"]["scored"] == 6 and max(server.served().values()) == 1
    reference = summary_of(
        run("eval", str(data), "-j", "openai/x", "--out", "reference", "--no-cache", "-q", "--format", "json")
    )
    for key in METRICS:
        assert summary[key] == reference[key], key
    assert comparable("run") == comparable("reference")


def test_a_submission_cut_short_is_found_again_by_its_labels(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(hold=True)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(3))
    assert run("eval", str(data), "-j", "openai/x", "--batch", "--detach", "--out", "run", "-q").exit_code == 0
    # As if judgekit was killed after the provider accepted the batch but before its id was saved:
    state_path = Path("run/batches/state.json")
    state = json.loads(state_path.read_text())
    state["batches"][0].update(state="submitting", provider_id=None)
    state_path.write_text(json.dumps(state))
    server.batch.release()
    result = run("batch", "collect", "run", "--format", "json", *FAST)
    assert summary_of(result)["counts"]["scored"] == 3
    assert "was submitted before judgekit stopped" in result.stderr
    assert len(server.batch.created()) == 1


def test_an_anthropic_submission_the_provider_never_got_is_sent_again(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(2))
    args = ["eval", str(data), "-j", "anthropic/x", "--batch", "--out", "run", "--format", "json", *FAST]
    assert run(*args, "--estimate").exit_code == 0  # creates the run directory, submits nothing
    assert server.batch.created() == []
    mapping = [
        {"custom_id": f"p0-{index}", "item_id": f"item-{index}", "call": "single", "request_hash": "x" * 64}
        for index in range(2)
    ]
    Path("run/batches/b0001.jsonl").write_text("".join(json.dumps(line) + "\n" for line in mapping))
    state = json.loads(Path("run/batches/state.json").read_text())
    state["batches"] = [
        {
            "local_id": "b0001",
            "provider": "anthropic",
            "state": "submitting",
            "requests": 2,
            "bytes": 10,
            "created": "x",
        }
    ]
    Path("run/batches/state.json").write_text(json.dumps(state))
    result = run(*args)
    assert summary_of(result)["counts"]["scored"] == 2
    assert "batch b0001 never reached the provider; submitting its requests again" in result.stderr
    assert server.batch.batch_sizes() == [2]


def test_cached_judgments_are_never_resubmitted(provider: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = provider()
    rows = plain_pairs(6)
    summary_of(
        run("eval", str(write_jsonl(tmp_path / "four.jsonl", rows[:4])), "-j", "openai/x", "--format", "json", "-q")
    )
    assert server.count() == 4
    data = write_jsonl(tmp_path / "six.jsonl", rows)
    result = run("eval", str(data), "-j", "openai/x", "--batch", "--format", "json", *FAST)
    summary = summary_of(result)
    assert server.batch.batch_sizes() == [2]
    assert summary["counts"]["cached"] == 4 and summary["counts"]["scored"] == 6
    assert "batch estimate: 2 requests" in result.stderr
    assert max(server.served().values()) == 1


def test_estimate_shows_tokens_and_price_and_submits_nothing(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(4))
    result = run("eval", str(data), "-j", "openai/gpt-4o-mini", "--batch", "--estimate", "--max-tokens", "100", *FAST)
    assert result.exit_code == 0, result.output
    assert server.batch.created() == [] and server.count() == 0
    line = next(line for line in result.stderr.splitlines() if "batch estimate" in line)
    assert "4 requests" in line and "at most 400 output tokens" in line
    # 400 output tokens at the gpt-4o-mini batch price ($0.30 per million) cost $0.00012.
    assert "up to $0.0001 output" in line and "$0.15 / $0.6 per million" in line
    unknown = run("eval", str(data), "-j", "openai/my-model", "--batch", "--estimate", *FAST)
    assert "no price known for openai/my-model" in unknown.stderr
    priced = run(
        "eval",
        str(data),
        "-j",
        "openai/my-model",
        "--batch",
        "--estimate",
        "--price-in",
        "1",
        "--price-out",
        "2",
        *FAST,
    )
    assert "$1 / $2 per million tokens, --price-in/--price-out" in priced.stderr
    bad = run("eval", str(data), "-j", "openai/x", "--batch", "--price-in", "1")
    assert bad.exit_code == 2 and "give both --price-in and --price-out" in bad.stderr


def test_actual_usage_is_reported_after_collection(provider: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(5))
    result = run("eval", str(data), "-j", "openai/gpt-4o-mini", "--batch", "--format", "json", *FAST)
    summary = summary_of(result)
    prompt = sum(max(1, len(entry.request.prompt) // 4) for entry in server.recorded)
    assert summary["counts"]["prompt_tokens"] == prompt
    line = next(line for line in result.stderr.splitlines() if "batch usage" in line)
    assert f"5 answers, {prompt:,} input" in line
    completion = summary["counts"]["completion_tokens"]
    expected = (prompt * 0.15 + completion * 0.60) / 1e6 / 2
    assert f"${expected:,.4f} at batch prices" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-j", "mock/random", "--batch"], "--batch works with openai/ and anthropic/ judges"),
        (["-j", "openai/x", "--detach"], "--detach, --estimate and --resubmit go with --batch"),
        (["-j", "openai/x", "--resubmit"], "--detach, --estimate and --resubmit go with --batch"),
        (
            ["-j", "openai/x", "--batch", "--base-url", "http://127.0.0.1:9/v1", "--base-url", "http://127.0.0.1:7/v1"],
            "give one --base-url, not several",
        ),
    ],
)
def test_batch_usage_errors(
    provider: Callable[..., FakeProvider], tmp_path: Path, args: list[str], message: str
) -> None:
    provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(2))
    result = run("eval", str(data), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_batch_commands_on_a_run_without_batches(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(2))
    assert run("eval", str(data), "-j", "mock/first", "--out", "plain", "-q").exit_code == 0
    for command in ("status", "collect", "cancel"):
        result = run("batch", command, "plain")
        assert result.exit_code == 2 and "has no batches" in result.stderr
    missing = run("batch", "status", "nowhere")
    assert missing.exit_code == 2 and "not a judgekit run directory" in missing.stderr


def test_one_process_at_a_time_submits_or_collects(provider: Callable[..., FakeProvider], tmp_path: Path) -> None:
    from judgekit.store.batch_state import BatchStore

    provider(hold=True)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(2))
    assert run("eval", str(data), "-j", "openai/x", "--batch", "--detach", "--out", "run", "-q").exit_code == 0
    with BatchStore(Path("run")).locked():
        result = run("batch", "collect", "run", "--no-wait", "-q")
    assert result.exit_code == 2 and "another judgekit process (pid" in result.stderr


def test_results_written_before_a_kill_are_not_written_twice(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(4))
    args = ["eval", str(data), "-j", "openai/x", "--batch", "--out", "run", "--format", "json", *FAST]
    first = summary_of(run(*args))
    # As if judgekit was killed after writing the rows but before recording the batch as collected:
    state_path = Path("run/batches/state.json")
    state = json.loads(state_path.read_text())
    state["batches"][0]["state"] = "running"
    state_path.write_text(json.dumps(state))
    again = summary_of(run(*args))
    assert len(rows_of("run")) == 4 and len(server.batch.created()) == 1
    assert journal_of("run")["batches"][0]["state"] == "collected"
    assert again["pairwise"] == first["pairwise"]


def geval_responder(request: Any) -> str:
    return "Looks fine.\nScore: 4"  # steps are given with --steps, so every call is a stage-2 form


def test_geval_in_batches_uses_the_given_steps_and_matches_an_interactive_run(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    provider(geval_responder)
    data = write_jsonl(tmp_path / "points.jsonl", pointwise_rows(4))
    steps = tmp_path / "steps.txt"
    steps.write_text("1. Check the answer is on topic.\n2. Check it is correct.\n")
    common = ["eval", str(data), "-j", "openai/gpt-4o-mini", "--criterion", "helpfulness", "--score-method", "parse"]
    refused = run(*common, "--batch", *FAST)
    assert refused.exit_code == 2 and "--steps FILE" in refused.stderr
    batch = summary_of(
        run(*common, "--steps", str(steps), "--out", "batched", "--batch", "--format", "json", "--no-cache", *FAST)
    )
    interactive = summary_of(
        run(*common, "--steps", str(steps), "--out", "live", "--format", "json", "--no-cache", "-q")
    )
    assert comparable("batched") == comparable("live")
    assert batch["pointwise"] == interactive["pointwise"]
    assert batch["pointwise"]["mean"]["value"] == 4.0 and batch["counts"]["scored"] == 4
