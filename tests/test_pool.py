"""Several OpenAI-compatible servers for one judge: balancing, per-endpoint caps, cache identity."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.backends.pool import parse_endpoint
from judgekit.errors import UsageError
from judgekit.testing.server import FakeProvider, FakeRequest
from tests.helpers import marker_responder, pairwise_rows, run, summary_of, write_jsonl


def plain_pairs(n: int) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in ("category", "label")} for row in pairwise_rows(n)]


class InFlight:
    """A responder that holds each answer briefly and records the most requests it held at once."""

    def __init__(self, hold: float = 0.02) -> None:
        self.hold = hold
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, request: FakeRequest) -> str:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.hold)
        with self._lock:
            self.now -= 1
        return marker_responder(request)


@pytest.fixture
def servers(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-pool-0123456789")
    return fake_provider


def test_calls_are_spread_over_endpoints_within_each_cap(servers: Callable[..., FakeProvider], tmp_path: Path) -> None:
    slow, fast = InFlight(), InFlight()
    first, second = servers(slow), servers(fast)
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(24))
    result = run(
        "eval", str(data), "-j", "openai/judge", "-c", "6", "--format", "json", "-q",
        "--base-url", f"{first.openai_url}@1",
        "--base-url", second.openai_url,
        "--endpoint-concurrency", "3",
    )  # fmt: skip
    summary = summary_of(result)
    assert summary["counts"]["scored"] == 24
    assert first.count() + second.count() == 24 and first.count() > 0 and second.count() > 0
    assert slow.most <= 1 and fast.most <= 3
    assert f"{first.openai_url}: {first.count()} answered" in result.stderr
    assert f"{second.openai_url}: {second.count()} answered" in result.stderr
    assert max(first.served().values()) == 1 and max(second.served().values()) == 1
    manifest = json.loads((Path(summary["run_dir"]) / "run.json").read_text())
    assert manifest["endpoint"] == first.openai_url  # the first URL names the deployment


def test_the_cache_does_not_depend_on_which_replica_answered(
    servers: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    a, b, c = servers(), servers(), servers()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(8))
    base = ["eval", str(data), "-j", "openai/judge", "--format", "json", "-q"]
    first = summary_of(run(*base, "--out", "one", "--base-url", a.openai_url, "--base-url", b.openai_url))
    assert first["counts"]["calls"] == 8 and b.count() > 0
    # Other replicas behind the same first URL, in new run directories: every answer comes from the cache.
    for index, urls in enumerate(
        ([a.openai_url, c.openai_url], [a.openai_url], [a.openai_url, c.openai_url, b.openai_url])
    ):
        options = [option for url in urls for option in ("--base-url", url)]
        again = summary_of(run(*base, "--out", f"again-{index}", *options))
        assert again["counts"]["cached"] == 8 and again["counts"]["calls"] == 0
    assert a.count() + b.count() == 8 and c.count() == 0
    hashes = [
        sorted(json.loads(line)["request_hash"] for line in (Path(name) / "judgments.jsonl").read_text().splitlines())
        for name in ("one", "again-0", "again-1")
    ]
    assert hashes[0] == hashes[1] == hashes[2]


def test_a_dead_replica_sits_out_while_the_others_answer(servers: Callable[..., FakeProvider], tmp_path: Path) -> None:
    live, dead = servers(), servers()
    dead_url = dead.openai_url
    dead.stop()  # connections to it are refused
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(10))
    result = run("eval", str(data), "-j", "openai/judge", "--format", "json", "-q", "-c", "2",
                 "--base-url", live.openai_url, "--base-url", dead_url)  # fmt: skip
    summary = summary_of(result)
    assert summary["counts"]["scored"] == 10 and live.count() == 10
    assert summary["counts"]["retries"].get("connection", 0) >= 1
    assert f"{dead_url}: 0 answered" in result.stderr


def test_a_replica_without_the_model_is_taken_out(servers: Callable[..., FakeProvider], tmp_path: Path) -> None:
    good, wrong = servers(models={"judge"}), servers(models={"another-model"})
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(6))
    result = run("eval", str(data), "-j", "openai/judge", "--format", "json", "-q", "-c", "1",
                 "--base-url", wrong.openai_url, "--base-url", good.openai_url)  # fmt: skip
    assert summary_of(result)["counts"]["scored"] == 6
    assert f"{wrong.openai_url} taken out of the pool" in result.stderr
    assert wrong.count() == 1 and good.count() == 6
    # With no replica left, the run stops with the provider's reason.
    also_wrong = servers(models={"another-model"})
    stopped = run("eval", str(data), "-j", "openai/judge", "-q", "--out", "stopped", "--no-cache",
                  "--base-url", wrong.openai_url, "--base-url", also_wrong.openai_url)  # fmt: skip
    assert stopped.exit_code == 3 and "model 'judge' was not found" in stopped.stderr
    twice = run("eval", str(data), "-j", "openai/judge", "-q", "--base-url", good.openai_url,
                "--base-url", f"{good.url}/v1/")  # fmt: skip
    assert twice.exit_code == 2 and "given twice" in twice.stderr


def test_endpoints_from_the_settings_file(servers: Callable[..., FakeProvider], tmp_path: Path) -> None:
    a, b = servers(), servers()
    data = write_jsonl(tmp_path / "pairs.jsonl", plain_pairs(6))
    Path("judgekit.toml").write_text(f'[eval]\nbase_url = ["{a.openai_url}", "{b.openai_url}@2"]\nconcurrency = 4\n')
    summary = summary_of(run("eval", str(data), "-j", "openai/judge", "--format", "json", "-q"))
    assert a.count() + b.count() == 6 and a.count() > 0 and b.count() > 0
    assert summary["config"]["endpoints"] == [a.openai_url, f"{b.openai_url}@2"]


def test_parse_endpoint() -> None:
    assert parse_endpoint("http://gpu1:8000/v1@8") == ("http://gpu1:8000/v1", 8)
    assert parse_endpoint("http://gpu1:8000/v1") == ("http://gpu1:8000/v1", None)
    assert parse_endpoint("http://user:secret@gpu1:8000/v1") == ("http://user:secret@gpu1:8000/v1", None)
    with pytest.raises(UsageError):
        parse_endpoint("http://gpu1:8000/v1@0")
