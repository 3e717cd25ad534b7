"""Flaky providers: injected faults at high rates, adaptive concurrency, and budgets."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from judgekit.errors import UsageError
from judgekit.judging.limiter import InFlightLimit
from judgekit.judging.pricing import BUILTIN_PRICES, PRICES_CHECKED, builtin_prices, resolve_prices
from judgekit.testing.server import FakeProvider, Faults
from tests.helpers import pairwise_rows, rows_of, run, write_jsonl

SERVER_FAULT_TO_KIND = {
    "rate_limit": "rate_limit",
    "server_error": "server_error",
    "stall": "timeout",
    "reset": "connection",
    "malformed": "malformed",
    "empty": "malformed",
}


def _server_faults(server: FakeProvider, since: int = 0) -> Counter[str]:
    return Counter(
        SERVER_FAULT_TO_KIND[entry.fault] for entry in server.recorded[since:] if entry.fault in SERVER_FAULT_TO_KIND
    )


# -- a fault-injection run ------------------------------------------------------------------
def test_every_item_is_judged_or_reported_and_nothing_is_paid_twice(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    faults = Faults(
        rate_limit=0.10,
        server_error=0.05,
        stall=0.05,
        malformed=0.05,
        reset=0.05,
        empty=0.03,
        retry_after=0.01,
        # Far past --timeout 0.3: a stalled server closes its connection when the stall ends, and on a
        # loaded machine a client that has not yet noticed its timeout would read that as a reset.
        stall_seconds=3.0,
        seed=7,
    )
    server = judge(faults=faults)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(40))
    command = ["eval", str(data), "-j", "openai/x", "-q", "--format", "json", "-c", "4", "--timeout", "0.3"]
    command += ["--max-retries", "1", "--max-errors", "40"]

    result = run(*command)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    counts = summary["counts"]
    assert counts["items"] == 40 and counts["pending"] == 0
    assert counts["scored"] + counts["unscored"] + counts["errors"] == 40, "an item was lost"
    assert counts["requests"] == server.count(), "a request was sent but not accounted for"
    # Every fault the server injected is either a retry or a final failure, of the right kind.
    assert Counter(counts["retries"]) + Counter(counts["failures"]) == _server_faults(server)
    assert sum(counts["failures"].values()) == counts["errors"] == len(summary["failed_items"])
    assert set(_server_faults(server)) >= {"rate_limit", "server_error", "timeout", "connection", "malformed"}
    failed_rows = [row for row in rows_of(summary["run_dir"]) if row["status"] == "error"]
    assert {row["item_id"] for row in failed_rows} == set(summary["failed_items"])
    assert all(row["error_kind"] and row["reason"] for row in failed_rows)

    # Running the same command again asks only for what failed, until nothing has.
    for _ in range(6):
        if counts["errors"] == 0:
            break
        before, served_before = len(server.recorded), sum(server.served().values())
        failed = counts["errors"]
        result = run(*command)
        assert result.exit_code == 0, result.output
        counts = json.loads(result.stdout)["counts"]
        new_served = sum(server.served().values()) - served_before
        new_failures = sum(1 for entry in server.recorded[before:] if entry.fault is None) - new_served
        assert new_failures == 0
        assert new_served + counts["errors"] == failed, "the re-run asked for something that had not failed"
    assert counts["errors"] == 0 and counts["scored"] == 40
    served = server.served()
    assert len(served) == 40 and max(served.values()) == 1, "a call was paid for twice"


def test_rate_limits_without_retry_after_back_off_and_succeed(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(faults=Faults(script=["rate_limit"] * 3, retry_after=None))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    summary = json.loads(run("eval", str(data), "-j", "openai/x", "-q", "-c", "1", "--format", "json").stdout)
    assert summary["counts"]["retries"] == {"rate_limit": 3} and summary["counts"]["scored"] == 2
    assert server.count() == 5


# -- adaptive concurrency -------------------------------------------------------------------
def test_aimd_halves_once_per_burst_and_grows_back_slowly() -> None:
    limit = InFlightLimit(16, adaptive=True)
    assert limit.current == 16
    limit.on_rate_limit(ticket=0)
    assert limit.current == 8 and limit.decreases == 1
    limit.on_rate_limit(ticket=0)  # another 429 from the same burst: no second cut
    assert limit.current == 8
    for ticket in (1, 2, 3, 4, 5):
        limit.on_rate_limit(ticket)
    assert limit.current == 1 and limit.lowest == 1  # never below the floor
    successes = 0
    while limit.current < 4:
        limit.on_success()
        successes += 1
    # +1/limit per success: about limit successes per step (1 + 2 + 3 = 6 to go from 1 to 4).
    assert 5 <= successes <= 7
    for _ in range(1000):
        limit.on_success()
    assert limit.current == 16  # capped at the ceiling
    fixed = InFlightLimit(16)
    fixed.on_rate_limit(ticket=0)
    assert fixed.current == 16


def test_the_limit_is_enforced_while_it_changes() -> None:
    async def scenario() -> tuple[int, int]:
        limit = InFlightLimit(6, adaptive=True)
        peak = {"before": 0, "after": 0}
        phase = "before"

        async def hold() -> None:
            async with limit:
                peak[phase] = max(peak[phase], limit.in_flight)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(hold() for _ in range(30)))
        limit.on_rate_limit(ticket=0)
        limit.on_rate_limit(ticket=1)
        phase = "after"
        await asyncio.gather(*(hold() for _ in range(30)))
        return peak["before"], peak["after"]

    before, after = asyncio.run(scenario())
    assert before == 6 and after == 1


def test_adaptive_concurrency_meets_far_fewer_rate_limits(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(40))
    rejected = {}
    for adaptive in (False, True):
        server = judge(latency=0.02, faults=Faults(capacity=2, retry_after=None))
        options = ["--adaptive"] if adaptive else []
        result = run("eval", str(data), "-j", "openai/x", "-q", "-c", "12", "--max-retries", "20", *options)
        assert result.exit_code == 0, result.output
        assert len(server.served()) == 40
        rejected[adaptive] = server.count("rate_limit")
        if adaptive:
            assert "rate limits lowered the requests in flight from 12 to as few as" in result.stderr
    assert rejected[True] * 2 < rejected[False], rejected


# -- budgets --------------------------------------------------------------------------------
def test_max_calls_keeps_the_calls_already_in_flight(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(latency=0.05)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(12))
    result = run("eval", str(data), "-j", "openai/x", "-q", "-c", "4", "--max-calls", "6", "--format", "json")
    assert result.exit_code == 3 and "--max-calls" in result.stderr
    summary = json.loads(result.stdout)
    assert server.count() == 6 and summary["counts"]["requests"] == 6
    assert len(rows_of(summary["run_dir"])) == 6, "a request sent before the stop was thrown away"
    assert summary["status"] == "incomplete" and summary["counts"]["pending"] == 6


def test_builtin_prices_are_dated_and_cover_snapshots() -> None:
    assert PRICES_CHECKED
    mini = builtin_prices("openai/gpt-4o-mini")
    assert mini is not None and (mini.input, mini.output) == BUILTIN_PRICES["openai/gpt-4o-mini"]
    assert PRICES_CHECKED in mini.source
    snapshot = builtin_prices("anthropic/claude-3-5-haiku-20241022")
    assert snapshot == builtin_prices("anthropic/claude-3-5-haiku")
    assert builtin_prices("openai/gpt-4o-2024-08-06") == builtin_prices("openai/gpt-4o")
    assert builtin_prices("openai/gpt-4o-mini-audio") is None
    assert builtin_prices("openai/my-local-llama") is None
    assert mini.cost(1_000_000, 0) == pytest.approx(mini.input)
    custom = resolve_prices("openai/gpt-4o-mini", 1.0, 2.0)
    assert custom is not None and custom.cost(500_000, 250_000) == pytest.approx(1.0)
    with pytest.raises(UsageError, match="both --price-in and --price-out"):
        resolve_prices("openai/x", 1.0, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-j", "openai/my-local-model", "--max-cost", "1"], "--max-cost needs token prices"),
        (["-j", "openai/my-local-model", "--max-cost", "1", "--price-in", "1"], "both --price-in and --price-out"),
        (["-j", "openai/x", "--max-cost", "-1"], "greater than or equal to 0"),
    ],
)
def test_cost_options_without_prices_are_usage_errors(
    judge: Callable[..., FakeProvider], tmp_path: Path, args: list[str], message: str
) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    result = run("eval", str(data), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert server.count() == 0 and not Path("runs").exists()


def test_cost_is_reported_from_the_builtin_table(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(3))
    result = run("eval", str(data), "-j", "openai/gpt-4o-mini-2024-07-18", "-q", "--format", "json")
    summary = json.loads(result.stdout)
    price_in, price_out = BUILTIN_PRICES["openai/gpt-4o-mini"]
    counts = summary["counts"]
    expected = (counts["prompt_tokens"] * price_in + counts["completion_tokens"] * price_out) / 1e6
    assert summary["cost"]["usd"] == pytest.approx(expected, abs=1e-6)
    assert summary["cost"]["price_in"] == price_in and "checked" in summary["cost"]["source"]
    assert "spent" in result.stderr
    unknown = json.loads(run("eval", str(data), "-j", "openai/x", "-q", "--format", "json").stdout)
    assert unknown["cost"] is None


def test_max_cost_stops_cleanly_under_the_budget_and_resumes(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(latency=0.02)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(12))
    prices = ["--price-in", "1000", "--price-out", "0"]
    probe = run(
        "eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "probe", "--limit", "1", *prices
    )
    per_call = json.loads(probe.stdout)["cost"]["usd"]
    assert per_call > 0
    budget = per_call * 4.5
    command = ["eval", str(data), "-j", "openai/x", "-q", "-c", "3", "--format", "json", *prices]
    stopped = run(*command, "--max-cost", f"{budget:.6f}")
    assert stopped.exit_code == 3, stopped.output
    assert "over --max-cost" in stopped.stderr and "run the same command again" in stopped.stderr
    summary = json.loads(stopped.stdout)
    assert summary["status"] == "incomplete" and summary["counts"]["pending"] > 0
    assert 1 <= summary["counts"]["calls"] < 12
    assert summary["cost"]["usd"] <= budget
    assert summary["cost"]["source"] == "--price-in/--price-out"
    finished = run(*command, "--max-cost", "100")
    assert finished.exit_code == 0, finished.output
    final = json.loads(finished.stdout)
    assert final["status"] == "complete"
    assert final["counts"]["calls"] + final["counts"]["cached"] == 12  # the probe's call came from the cache
    assert final["cost"]["usd"] == pytest.approx(final["counts"]["prompt_tokens"] * 1000 / 1e6)
    assert max(server.served().values()) == 1
