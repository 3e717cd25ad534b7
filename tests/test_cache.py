"""The completion cache: what its key holds, what it stores, sharing it between processes, and
`judgekit cache stats | clear | prune`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.schema import Completion, JudgeRequest, Message, SamplingParams
from judgekit.store.cache import CACHE_FILE, CompletionCache, request_key
from judgekit.testing.server import FakeProvider, Faults
from tests.helpers import marker_responder, pairwise_rows, rows_of, write_jsonl
from tests.processes import environment, start_judgekit

runner = CliRunner()

BASE = JudgeRequest(
    model="judge-1",
    messages=(Message(role="system", content="Be fair."), Message(role="user", content="Which is better?")),
    params=SamplingParams(temperature=0.0, max_tokens=256),
)


def run(*args: str, **kwargs: Any) -> Any:
    return runner.invoke(app, list(args), **kwargs)


def cache_dir() -> Path:
    return Path(os.environ["JUDGEKIT_CACHE_DIR"])


# -- the key --------------------------------------------------------------------------------
def _with(**changes: Any) -> JudgeRequest:
    params = changes.pop("params", {})
    return BASE.model_copy(update={**changes, "params": BASE.params.model_copy(update=params)})


VARIANTS: dict[str, tuple[str, str, JudgeRequest]] = {
    "provider": ("anthropic", "http://h/v1", BASE),
    "endpoint": ("openai", "http://other/v1", BASE),
    "model": ("openai", "http://h/v1", _with(model="judge-2")),
    "system text": (
        "openai",
        "http://h/v1",
        _with(messages=(Message(role="system", content="Be strict."), BASE.messages[1])),
    ),
    "user text": (
        "openai",
        "http://h/v1",
        _with(messages=(BASE.messages[0], Message(role="user", content="Which is worse?"))),
    ),
    "role": (
        "openai",
        "http://h/v1",
        _with(messages=(Message(role="user", content="Be fair."), BASE.messages[1])),
    ),
    "temperature": ("openai", "http://h/v1", _with(params={"temperature": 0.7})),
    "max_tokens": ("openai", "http://h/v1", _with(params={"max_tokens": 512})),
    "n": ("openai", "http://h/v1", _with(params={"n": 5})),
    "seed": ("openai", "http://h/v1", _with(params={"seed": 1})),
    "logprobs": ("openai", "http://h/v1", _with(params={"logprobs": True})),
    "top_logprobs": ("openai", "http://h/v1", _with(params={"top_logprobs": 5})),
}


def test_the_key_changes_with_every_field_that_changes_the_answer() -> None:
    base = request_key("openai", "http://h/v1", BASE)
    keys = {name: request_key(*variant) for name, variant in VARIANTS.items()}
    for name, key in keys.items():
        assert key != base, f"changing the {name} must change the cache key"
    assert len(set(keys.values())) == len(keys), "two different requests share a key"
    # The verdict format the caller will parse is never sent to the model: not part of the key.
    from judgekit.inputs.template_files import load

    expecting = BASE.model_copy(update={"expect": load("pairwise/verdict").meta.verdict})
    assert request_key("openai", "http://h/v1", expecting) == base


def test_speed_and_retry_settings_keep_the_cache_warm(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    first = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "one")
    assert first.exit_code == 0, first.output
    assert server.count() == 4
    second = run(
        "eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "two",
        "--timeout", "7", "--concurrency", "2", "--max-retries", "1", "--retry-base-delay", "0.5", "--adaptive",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert server.count() == 4, "timeout, concurrency and retry settings must not change the cache key"
    assert json.loads(second.stdout)["counts"]["cached"] == 4
    # A different temperature is a different request.
    third = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "three", "--temperature", "1")
    assert third.exit_code == 0 and server.count() == 8


# -- what is stored ------------------------------------------------------------------------
def test_failed_calls_are_never_cached(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(faults=Faults(script=["server_error"] * 3))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    result = run("eval", str(data), "-j", "openai/x", "-q", "-c", "1", "--max-retries", "2", "--format", "json")
    assert result.exit_code == 3
    rows = rows_of(json.loads(result.stdout)["run_dir"])
    cache = CompletionCache(cache_dir())
    try:
        assert cache.stats().entries == 3
        for row in rows:
            cached = cache.get(row["request_hash"])
            if row["status"] == "error":
                assert cached is None
            else:
                assert cached is not None and cached.text == row["completion"]["texts"][0]
    finally:
        cache.close()


STRICT = """---
kind: pairwise
description: Pick the better answer.
verdict:
  type: choice
  pattern: '{pattern}'
  format: '[[{{choice}}]]'
  choices: {{A: first, B: second, C: tie}}
---
Question: {{{{ question }}}}
First: {{{{ answer_a }}}}
Second: {{{{ answer_b }}}}
Say which is better.
"""


def test_unscored_answers_are_cached_raw_and_a_new_pattern_reads_them_for_free(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def terse(request: Any) -> str:
        # Odd items get an answer the strict pattern cannot read.
        verdict = marker_responder(request).splitlines()[-1]
        return f"Verdict: {verdict[2]}" if any(f"Question {i}?" in request.prompt for i in (1, 3)) else verdict

    server = judge(terse)
    strict = tmp_path / "strict.jinja"
    strict.write_text(STRICT.format(pattern=r"\[\[([ABC])\]\]"))
    lenient = tmp_path / "lenient.jinja"
    lenient.write_text(STRICT.format(pattern=r"(?:\[\[|Verdict: )([ABC])"))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    first = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "-p", str(strict))
    summary = json.loads(first.stdout)
    assert summary["counts"]["unscored"] == 2 and server.count() == 4
    unscored = [row for row in rows_of(summary["run_dir"]) if row["status"] == "unscored"]
    cache = CompletionCache(cache_dir())
    try:
        for row in unscored:
            cached = cache.get(row["request_hash"])
            assert cached is not None and cached.text.startswith("Verdict: ")
    finally:
        cache.close()
    # Same messages, new pattern: the cached raw answers are read again, with no call.
    second = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json", "-p", str(lenient))
    again = json.loads(second.stdout)
    assert server.count() == 4
    assert again["counts"]["cached"] == 4 and again["counts"]["scored"] == 4 and again["counts"]["unscored"] == 0
    assert again["human"]["agreement"]["value"] == 1.0


# -- several processes ----------------------------------------------------------------------
WRITER = """
import sys, time
from pathlib import Path
from judgekit.store.cache import CompletionCache
from judgekit.schema import Completion
name, directory, count, start_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
time.sleep(max(0.0, start_at - time.time()))
cache = CompletionCache(directory, batch_size=1)
for index in range(count):
    cache.put(f"{name}-{index}", "openai", "m", Completion(texts=[f"{name} answer {index}"], prompt_tokens=index))
    cache.put(f"shared-{index}", "openai", "m", Completion(texts=[f"shared answer {index}"]))
    assert cache.get(f"{name}-{index}") is not None
cache.close()
"""


def test_two_processes_write_one_cache_at_once() -> None:
    directory = cache_dir()
    start_at = time.time() + 1.0  # both processes open the new database together
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(directory), "150", str(start_at)],
            env=environment(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("left", "right")
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=60)
        assert writer.returncode == 0, stderr
    db = sqlite3.connect(directory / CACHE_FILE)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT COUNT(*) FROM completions").fetchone() == (150 * 2 + 150,)
    finally:
        db.close()
    cache = CompletionCache(directory)
    try:
        hit = cache.get("right-149")
        assert hit == Completion(texts=["right answer 149"], prompt_tokens=149)
    finally:
        cache.close()


def test_two_judgekit_runs_share_a_cache_without_damage(tmp_path: Path) -> None:
    # The offline mock judge keeps the child processes light; its answers are cached like any other.
    datasets = []
    for name in ("left", "right"):
        rows = [dict(row, question=f"{name} {row['question']}") for row in pairwise_rows(60)]
        datasets.append(write_jsonl(tmp_path / f"{name}.jsonl", rows))
    processes = [start_judgekit("eval", str(data), "-j", "mock/random", "-q") for data in datasets]
    for process in processes:
        _, stderr = process.communicate(timeout=90)
        assert process.returncode == 0, stderr
    db = sqlite3.connect(cache_dir() / CACHE_FILE)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM completions").fetchone() == (120,)
    finally:
        db.close()
    for data in datasets:  # both runs' answers are there for anyone to reuse
        again = run("eval", str(data), "-j", "mock/random", "-q", "--format", "json", "--out", f"again-{data.stem}")
        assert json.loads(again.stdout)["counts"]["cached"] == 60


def test_a_damaged_cache_does_not_stop_a_run(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(3))
    result = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "cannot use the completion cache" in result.stderr and "running without it" in result.stderr
    assert json.loads(result.stdout)["counts"]["scored"] == 3
    stats = run("cache", "stats")
    assert stats.exit_code == 3 and "the cache is damaged" in stats.stderr and "cache clear --yes" in stats.stderr
    cleared = run("cache", "clear", "--yes")
    assert cleared.exit_code == 0 and "removed the damaged cache file" in cleared.stdout
    assert "entries: 0" in run("cache", "stats").stdout


# -- judgekit cache -------------------------------------------------------------------------
def test_cache_stats_prune_and_clear(
    judge: Callable[..., FakeProvider], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge()
    empty = run("cache", "stats")
    assert empty.exit_code == 0 and "entries: 0" in empty.stdout
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(5))
    assert run("eval", str(data), "-j", "openai/judge-9", "-q").exit_code == 0
    stats = run("cache", "stats")
    assert stats.exit_code == 0, stats.output
    assert "entries: 5" in stats.stdout and "openai/judge-9: 5" in stats.stdout
    assert str(cache_dir() / CACHE_FILE) in stats.stdout
    # Age two entries by 40 days, then prune what is older than 30 days.
    db = sqlite3.connect(cache_dir() / CACHE_FILE)
    with db:
        db.execute(
            "UPDATE completions SET created = created - 40 * 86400 "
            "WHERE key IN (SELECT key FROM completions ORDER BY key LIMIT 2)"
        )
    db.close()
    assert "oldest entry: 40.0 days ago" in run("cache", "stats").stdout
    pruned = run("cache", "prune", "--older-than", "30d")
    assert pruned.exit_code == 0 and "removed 2 cached completions older than 30d" in pruned.stdout
    assert "entries: 3" in run("cache", "stats").stdout
    assert "removed 0" in run("cache", "prune", "--older-than", "12h").stdout
    bad = run("cache", "prune", "--older-than", "soon")
    assert bad.exit_code == 2 and "cannot read the age 'soon'" in bad.stderr
    no_terminal = run("cache", "clear", input="y\n")  # input, but no terminal: confirmations need --yes
    assert no_terminal.exit_code == 2 and "pass --yes" in no_terminal.stderr
    assert "entries: 3" in run("cache", "stats").stdout
    monkeypatch.setattr("judgekit.cli.common.stdin_is_terminal", lambda: True)
    declined = run("cache", "clear", input="n\n")
    assert declined.exit_code == 1 and "entries: 3" in run("cache", "stats").stdout
    cleared = run("cache", "clear", "--yes")
    assert cleared.exit_code == 0 and "removed 3 cached completions" in cleared.stdout
    assert "entries: 0" in run("cache", "stats").stdout


def test_cache_dir_option_and_no_cache(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    elsewhere = tmp_path / "elsewhere"
    assert run("eval", str(data), "-j", "openai/x", "-q", "--cache-dir", str(elsewhere)).exit_code == 0
    assert "entries: 2" in run("cache", "stats", "--cache-dir", str(elsewhere)).stdout
    assert "entries: 0" in run("cache", "stats").stdout
    assert run("eval", str(data), "-j", "openai/x", "-q", "--no-cache", "--out", "nocache").exit_code == 0
    assert server.count() == 4 and "entries: 0" in run("cache", "stats").stdout


@pytest.mark.parametrize("cache", [True, False])
def test_identical_requests_in_flight_together_are_paid_once(
    judge: Callable[..., FakeProvider], tmp_path: Path, cache: bool
) -> None:
    """Items with the same texts send the same request; with the cache on, the later one waits
    for the earlier answer instead of paying again (as a cache hit a moment later would)."""
    server = judge(latency=0.2)
    same = {"question": "Same?", "answer_a": "GOOD answer", "answer_b": "BAD answer"}
    rows = [{"id": f"copy-{index}", **same} for index in range(4)] + pairwise_rows(2)
    data = write_jsonl(tmp_path / "copies.jsonl", rows)
    args = ["eval", str(data), "-j", "openai/x", "--positions", "fixed", "-c", "8", "-o", "run", "-q"]
    result = run(*args, *([] if cache else ["--no-cache"]))
    assert result.exit_code == 0, result.output
    assert server.count() == (3 if cache else 6)
    verdicts = {row["item_id"]: row["verdict"] for row in rows_of("run")}
    assert [verdicts[f"copy-{index}"] for index in range(4)] == ["A"] * 4
