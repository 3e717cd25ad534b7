"""Nothing paid twice across run directories: an answer that reached a run directory is in the
completion cache, whatever moment the process was killed at, and resuming or collecting a run
puts what its directory holds back into the cache."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from judgekit.store.cache import CACHE_FILE, remove_files
from judgekit.store.rundir import JudgmentWriter
from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, run, write_jsonl
from tests.processes import hold_when_caught_up, line_count, start_judgekit, wait_until

FAST_BATCH = ["--batch", "--poll-interval", "0.02", "-q"]


def rows_of(run_dir: str) -> list[dict[str, Any]]:
    path = Path(run_dir) / "judgments.jsonl"
    return [json.loads(line) for line in path.read_bytes().decode().splitlines(keepends=True) if line.endswith("\n")]


def paid_rows(run_dir: str) -> set[tuple[str, str]]:
    """(item, call) of every row in the directory holding an answer."""
    return {(row["item_id"], row["call"]) for row in rows_of(run_dir) if row.get("completion")}


def cached_keys(directory: Path) -> set[str]:
    """The keys committed to a cache file, read through a connection of our own."""
    path = directory / CACHE_FILE
    if not path.exists():
        return set()
    with sqlite3.connect(path) as connection:
        return {key for (key,) in connection.execute("SELECT key FROM completions")}


@pytest.fixture
def provider(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def start(**options: Any) -> FakeProvider:
        behaviour = options.pop("batches", None)
        server = fake_provider(marker_responder, batches=behaviour, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-durable-0123456789")
        return server

    yield start


@pytest.fixture
def checked_writes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every judgment row written records whether its answer was already committed to the cache."""
    seen: list[bool] = []
    write = JudgmentWriter.write

    def checking(self: JudgmentWriter, row: Any) -> None:
        if row.completion is not None and not row.cached:
            seen.append(row.request_hash in cached_keys(Path(os.environ["JUDGEKIT_CACHE_DIR"])))
        write(self, row)

    monkeypatch.setattr(JudgmentWriter, "write", checking)
    return seen


@pytest.mark.parametrize("batch", [False, True], ids=["interactive", "batch"])
def test_every_row_reaches_the_run_directory_after_its_cache_entry(
    provider: Callable[..., FakeProvider], tmp_path: Path, checked_writes: list[bool], batch: bool
) -> None:
    # Checked at the moment each row is written: a kill at any moment finds it in the cache.
    provider(batches=BatchBehaviour())
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(12))
    extra = FAST_BATCH if batch else ["-q"]
    result = run("eval", str(data), "-j", "openai/x", "--positions", "swap", "--out", "a", *extra)
    assert result.exit_code == 0, result.output
    assert len(checked_writes) == 24 and all(checked_writes)


def _kill_then_judge_elsewhere(server: FakeProvider, data: Path, kill: Callable[[Any, Path], None]) -> None:
    """Kill a run at a moment `kill` chooses, then judge the same items in a new directory at once."""
    args = ["eval", str(data), "-j", "openai/x", "--positions", "swap", "-c", "4", "-q", "--format", "json"]
    process = start_judgekit(*args, "--out", "killed")
    try:
        kill(process, Path("killed/judgments.jsonl"))
    finally:
        process.kill()  # SIGKILL: no cleanup of any kind runs
        process.communicate(timeout=30)
        server.resume()
    assert process.returncode == -signal.SIGKILL
    reached = paid_rows("killed")
    served_before = sum(server.served().values())

    other = run(*args, "--out", "elsewhere")  # a new run directory, before any resume
    assert other.exit_code == 0, other.output
    from_cache = {(row["item_id"], row["call"]) for row in rows_of("elsewhere") if row.get("cached")}
    assert reached <= from_cache, f"paid again: {sorted(reached - from_cache)}"
    asked = sum(server.served().values()) - served_before
    assert asked == 40 - len(from_cache)


def test_a_run_killed_when_caught_up_costs_a_new_directory_nothing_it_had(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(latency=0.03)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(20))

    def when_caught_up(process: Any, judgments: Path) -> None:
        kept = hold_when_caught_up(server, judgments, at_least=10)
        assert kept >= 10

    _kill_then_judge_elsewhere(server, data, when_caught_up)
    assert line_count(Path("killed/judgments.jsonl")) >= 10
    assert max(server.served().values()) == 1  # every answer served before the kill was on disk


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_run_killed_at_a_random_moment_costs_a_new_directory_nothing_it_had(
    provider: Callable[..., FakeProvider], tmp_path: Path, seed: int
) -> None:
    server = provider(latency=0.01)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(20))

    def at_random(process: Any, judgments: Path) -> None:
        wait_until(lambda: line_count(judgments) >= 1 or process.poll() is not None, "the first row")
        time.sleep(random.Random(seed).uniform(0.0, 0.4))

    _kill_then_judge_elsewhere(server, data, at_random)


def _lose_the_cache() -> None:
    """As if the cache was cleared, or lost the entries it buffered when a process was killed."""
    directory = Path(os.environ["JUDGEKIT_CACHE_DIR"])
    assert remove_files(directory)
    assert cached_keys(directory) == set()


def test_resume_puts_the_directorys_answers_back_into_the_cache(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    args = ["eval", str(data), "-j", "openai/x", "-q", "--format", "json"]
    assert run(*args, "--out", "a").exit_code == 0
    assert server.count() == 6
    _lose_the_cache()
    again = run(*args, "--out", "a")  # every call resumed: nothing asked
    assert again.exit_code == 0 and server.count() == 6
    assert len(cached_keys(Path(os.environ["JUDGEKIT_CACHE_DIR"]))) == 6
    other = run(*args, "--out", "b")
    assert other.exit_code == 0, other.output
    assert server.count() == 6 and json.loads(other.stdout)["counts"]["cached"] == 6


def test_batch_collect_puts_the_directorys_answers_back_into_the_cache(
    provider: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = provider(batches=BatchBehaviour())
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    assert run("eval", str(data), "-j", "openai/x", "--out", "a", *FAST_BATCH).exit_code == 0
    assert server.count() == 6
    _lose_the_cache()
    assert run("batch", "collect", "a", "-q").exit_code == 0
    other = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "b")
    assert other.exit_code == 0, other.output
    assert server.count() == 6 and json.loads(other.stdout)["counts"]["cached"] == 6
