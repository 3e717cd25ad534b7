"""Batches paid once and priced as charged: an interrupted Anthropic submission is found again at
the provider instead of being submitted twice, and batch answers cost the batch price."""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.judging.pricing import BUILTIN_PRICES
from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, run, write_jsonl
from tests.processes import start_judgekit, wait_until

FAST = ["--poll-interval", "0.02", "-q"]
ITEMS, PER_BATCH = 30, 20
"""60 calls (each item in both orders), in three batches."""
CALLS = 2 * ITEMS


def journal_states() -> list[str]:
    path = Path("run/batches/state.json")
    return [batch["state"] for batch in json.loads(path.read_text())["batches"]] if path.exists() else []


def plain_pairs(n: int) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in ("category", "label")} for row in pairwise_rows(n)]


@pytest.fixture
def provider(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FakeProvider]:
    def start(**behaviour: Any) -> FakeProvider:
        server = fake_provider(marker_responder, batches=BatchBehaviour(**behaviour))
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-money-0123456789")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-money-0123456789")
        return server

    return start


def batch_command(data: Path, *extra: str) -> list[str]:
    """Every item in both orders, through the Anthropic batch API."""
    return ["eval", str(data), "-j", "anthropic/x", "--positions", "swap", "--batch", "--out", "run", *extra, *FAST]


def kill_during_the_second_submission(server: FakeProvider, data: Path) -> None:
    """Start the run and kill it while the provider holds its second batch creation."""
    process = start_judgekit(*batch_command(data, "--batch-max-requests", str(PER_BATCH)))
    try:
        wait_until(lambda: server.batch.submissions_waiting == 1 or process.poll() is not None, "a held submission")
        assert process.poll() is None, process.communicate()
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    server.batch.release_submissions()
    assert journal_states() == ["running", "submitting"]


def test_a_batch_the_provider_accepted_before_the_kill_is_followed_not_resubmitted(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(hold_submissions="after", hold_submissions_from=1)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(ITEMS))
    kill_during_the_second_submission(server, data)
    assert server.batch.batch_sizes() == [PER_BATCH] * 2

    again = run(*batch_command(data, "--batch-max-requests", str(PER_BATCH), "--format", "json"))
    assert again.exit_code == 0, again.output
    second = server.batch.created()[1].id
    assert f"batch b0002 ({second}) was submitted before judgekit stopped; following it" in again.stderr
    assert server.batch.batch_sizes() == [PER_BATCH] * 3, "nothing may be submitted twice"
    assert max(server.served().values()) == 1 and len(server.served()) == CALLS
    assert json.loads(again.stdout)["counts"]["scored"] == ITEMS


def test_a_submission_that_never_reached_the_provider_is_sent_again(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(hold_submissions="before", hold_submissions_from=1)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(ITEMS))
    kill_during_the_second_submission(server, data)
    wait_until(lambda: server.batch.submissions_waiting == 0, "the held submission to be dropped")
    assert server.batch.batch_sizes() == [PER_BATCH]

    again = run(*batch_command(data, "--batch-max-requests", str(PER_BATCH), "--format", "json"))
    assert again.exit_code == 0, again.output
    assert "batch b0002 never reached the provider; submitting its requests again" in again.stderr
    assert sum(server.batch.batch_sizes()) == CALLS and max(server.served().values()) == 1


def _another_batch_of(server: FakeProvider, size: int) -> str:
    """A batch of the same size that some other client creates at the same moment."""
    import anthropic

    client = anthropic.Anthropic(base_url=server.anthropic_url, api_key="sk-ant-test-money-0123456789")
    requests: Any = [
        {
            "custom_id": f"other-{index}",
            "params": {"model": "other", "max_tokens": 5, "messages": [{"role": "user", "content": f"Other {index}"}]},
        }
        for index in range(size)
    ]
    return str(client.messages.batches.create(requests=requests).id)


@pytest.mark.parametrize("ending", ["wait", "resubmit"])
def test_candidates_that_cannot_be_told_apart_stop_the_run_with_their_ids(
    provider: Callable[..., FakeProvider], tmp_path: Path, ending: str
) -> None:
    server = provider(hold=True, hold_submissions="after", hold_submissions_from=1)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(ITEMS))
    kill_during_the_second_submission(server, data)
    ours = server.batch.created()[1].id
    other = _another_batch_of(server, PER_BATCH)

    stopped = run(*batch_command(data, "--batch-max-requests", str(PER_BATCH)))
    assert stopped.exit_code == 2, stopped.output
    errors = [line for line in stopped.stderr.splitlines() if line.startswith("judgekit: error:")]
    assert len(errors) == 1 and ours in errors[0] and other in errors[0] and "--resubmit" in errors[0]
    assert len(server.batch.created()) == 3 and journal_states() == ["running", "submitting"]

    if ending == "wait":
        server.batch.release()  # both end; their custom ids tell which one is this run's
        again = run(*batch_command(data, "--batch-max-requests", str(PER_BATCH), "--format", "json"))
        assert again.exit_code == 0, again.output
        assert f"batch b0002 ({ours}) was submitted before judgekit stopped" in again.stderr
        ours_sizes = [len(batch.requests) for batch in server.batch.created() if batch.id != other]
        assert ours_sizes == [PER_BATCH] * 3 and max(server.served().values()) == 1
    else:
        forced = run(*batch_command(data, "--batch-max-requests", str(PER_BATCH), "--detach", "--resubmit"))
        assert forced.exit_code == 0, forced.output
        assert "batch b0002 submitted again (--resubmit)" in forced.stderr
        assert len(server.batch.created()) == 5  # b0002's requests sent again, then the last batch


def test_a_lone_unreadable_candidate_is_followed_and_dropped_if_its_custom_ids_are_not_ours(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(hold=True, hold_submissions="before", hold_submissions_from=1)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(ITEMS))
    kill_during_the_second_submission(server, data)
    wait_until(lambda: server.batch.submissions_waiting == 0, "the held submission to be dropped")
    other = _another_batch_of(server, PER_BATCH)  # ours never arrived; this one looks like it could be
    again = start_judgekit(*batch_command(data, "--batch-max-requests", str(PER_BATCH), "--format", "json"))
    try:
        wait_until(lambda: journal_states()[:2] == ["running", "running"], "the candidate to be followed")
        server.batch.release()
        stdout, stderr = again.communicate(timeout=120)
    finally:
        if again.poll() is None:
            again.kill()
            again.communicate()
    assert again.returncode == 0, stderr
    assert f"{other} was not this run's batch (other custom ids); its requests are submitted again" in stderr
    ours = [batch for batch in server.batch.created() if batch.id != other]
    assert sum(len(batch.requests) for batch in ours) == CALLS and max(server.served().values()) == 1
    assert json.loads(stdout)["counts"]["scored"] == ITEMS


@pytest.mark.parametrize("seed", [11, 12])
def test_killed_at_a_random_moment_while_submitting_nothing_is_submitted_twice(
    provider: Callable[..., FakeProvider], tmp_path: Path, seed: int
) -> None:
    server = provider(submit_seconds=0.06)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(ITEMS))
    command = batch_command(data, "--batch-max-requests", "3")  # 20 batches
    process = start_judgekit(*command)
    try:
        wait_until(lambda: bool(journal_states()) or process.poll() is not None, "the first batch record")
        time.sleep(random.Random(seed).uniform(0.0, 1.0))
    finally:
        process.kill()
        process.communicate(timeout=30)
    again = run(*command, "--format", "json")
    assert again.exit_code == 0, again.output
    assert sum(server.batch.batch_sizes()) == CALLS, "a request was submitted twice"
    assert max(server.served().values()) == 1 and json.loads(again.stdout)["counts"]["scored"] == ITEMS


# -- what batches cost -------------------------------------------------------------------------
def list_cost(row: dict[str, Any], model: str) -> float:
    price_in, price_out = BUILTIN_PRICES[model]
    completion = row["completion"]
    return float(completion["prompt_tokens"] * price_in + completion["completion_tokens"] * price_out) / 1e6


def test_batch_answers_are_charged_the_batch_price_with_the_list_price_beside_it(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    provider(request_script=["server_error"])
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(6))
    command = ["eval", str(data), "-j", "openai/gpt-4o-mini", "--batch", "--batch-retry", "interactive"]
    result = run(*command, "--out", "run", *FAST)
    assert result.exit_code == 0, result.output
    summary = json.loads(Path("run/summary.json").read_text())
    rows = [json.loads(line) for line in Path("run/judgments.jsonl").read_text().splitlines()]
    answered = [row for row in rows if row.get("completion")]
    from_batches = [row for row in answered if row.get("batch_id")]
    interactive = [row for row in answered if not row.get("batch_id")]
    assert len(from_batches) == 5 and len(interactive) == 1  # one request failed inside its batch
    batch_list = sum(list_cost(row, "openai/gpt-4o-mini") for row in from_batches)
    interactive_list = sum(list_cost(row, "openai/gpt-4o-mini") for row in interactive)
    cost = summary["cost"]
    assert cost["usd"] == pytest.approx(batch_list / 2 + interactive_list, abs=1e-6)
    assert cost["list_usd"] == pytest.approx(batch_list + interactive_list, abs=1e-6)
    assert cost["batch_answers"] == 5
    table = " ".join(result.stdout.replace("│", " ").split())
    assert "charged (5 answers at the batch price)" in table and "at list price" in table


def test_max_cost_holds_for_batch_runs_across_invocations(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(12))
    prices = ["--price-in", "1000", "--price-out", "1000", "--max-tokens", "20"]
    probe = run("eval", str(data), "-j", "openai/x", "--limit", "1", "--no-cache", "--out", "probe", "-q", *prices)
    assert probe.exit_code == 0, probe.output
    budget = f"{json.loads(Path('probe/summary.json').read_text())['cost']['usd'] * 3:.4f}"
    server.reset_records()
    command = ["eval", str(data), "-j", "openai/x", "--batch", "--out", "run", *prices, "--max-cost", budget, *FAST]
    submitted = []
    for _ in range(4):
        result = run(*command)
        assert result.exit_code == 3, result.output
        assert "over --max-cost" in result.stderr and "stopped submitting at $" in result.stderr
        summary = json.loads(Path("run/summary.json").read_text())
        assert summary["cost"]["usd"] <= float(budget)
        submitted.append(sum(server.batch.batch_sizes()))
    assert 0 < submitted[0] < 12 and submitted[-1] == submitted[-2], submitted  # the budget is spent
    assert max(server.served().values()) == 1
