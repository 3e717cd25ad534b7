"""A pooled bedrock/ judge (--base-url given more than once) can do what one bedrock/ judge of the
same model can: a forced verdict tool, a thinking budget, and no log-probabilities, through boto3
against two local fakes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider
from tests.cloud_helpers import point_clouds_at
from tests.helpers import marker_responder, pairwise_rows, rows_of, run, summary_of, write_jsonl
from tests.test_structured_verdicts import json_judge

CLAUDE = "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0"
THINKING = ["--thinking-budget", "2048", "--max-tokens", "4096"]


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))


@pytest.fixture
def replicas(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., list[FakeProvider]]:
    """Two fakes speaking Converse, with made-up AWS credentials (signed requests go over http)."""

    def start(responder: Any = json_judge) -> list[FakeProvider]:
        servers = [fake_provider(responder), fake_provider(responder)]
        point_clouds_at(servers[0], monkeypatch)
        monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME")
        return servers

    return start


def _eval(data: Path, servers: list[FakeProvider], *extra: str, out: str, prompt: str = "pairwise/structured") -> Any:
    urls = [arg for server in servers for arg in ("--base-url", server.url)]
    return run("eval", data, "-j", CLAUDE, "-p", prompt, *urls, "--format", "json", "-q", "--out", out, *extra)


def _bodies(servers: list[FakeProvider]) -> list[dict[str, Any]]:
    return [entry.request.body for server in servers for entry in server.recorded]


@pytest.mark.parametrize("pooled", [False, True], ids=["one endpoint", "pool"])
def test_a_pooled_claude_judge_forces_the_verdict_tool_as_one_judge_does(
    pairs: Path, replicas: Callable[..., list[FakeProvider]], pooled: bool
) -> None:
    servers = replicas()
    used = servers if pooled else servers[:1]
    summary = summary_of(_eval(pairs, used, out="run"))
    assert summary["counts"]["scored"] == 6 and summary["warnings"] == []
    bodies = _bodies(used)
    assert len(bodies) == 6
    assert all(body["toolConfig"]["toolChoice"] == {"tool": {"name": "record_verdict"}} for body in bodies)
    if pooled:
        assert all(server.count() > 0 for server in servers)  # both replicas answered
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == {
        row["id"]: row["label"] for row in pairwise_rows(6)
    }


def test_a_pooled_claude_judge_takes_a_thinking_budget(
    pairs: Path, replicas: Callable[..., list[FakeProvider]]
) -> None:
    servers = replicas(marker_responder)
    summary = summary_of(_eval(pairs, servers, *THINKING, out="run", prompt="pairwise/verdict"))
    assert summary["counts"]["scored"] == 6
    thinking = {"type": "enabled", "budget_tokens": 2048}
    assert all(body["additionalModelRequestFields"]["thinking"] == thinking for body in _bodies(servers))


def test_a_pooled_bedrock_judge_still_has_no_logprobs(pairs: Path, replicas: Callable[..., list[FakeProvider]]) -> None:
    servers = replicas(marker_responder)
    summary = summary_of(
        _eval(pairs, servers, "--score-method", "logprobs", "--samples", "2", out="run", prompt="pairwise/verdict")
    )
    assert summary["scoring"]["method"] == "samples"
    assert any("returns no token log-probabilities" in warning for warning in summary["warnings"])


def test_a_pooled_judge_of_a_family_without_thinking_is_refused_a_budget(
    pairs: Path, replicas: Callable[..., list[FakeProvider]]
) -> None:
    servers = replicas()
    urls = [arg for server in servers for arg in ("--base-url", server.url)]
    result = run("eval", pairs, "-j", "bedrock/meta.llama3-1-70b-instruct-v1:0", *urls, *THINKING, "-q", "--out", "r")
    assert result.exit_code == 2 and "cannot take it" in result.stderr
    assert sum(server.count() for server in servers) == 0


def _forced(servers: list[FakeProvider]) -> bool:
    bodies = _bodies(servers)
    return bool(bodies) and all(
        body["toolConfig"]["toolChoice"] == {"tool": {"name": "record_verdict"}} for body in bodies
    )


def test_a_pooled_claude_panel_and_compare_force_the_tool(
    pairs: Path, replicas: Callable[..., list[FakeProvider]]
) -> None:
    servers = replicas()
    urls = [arg for server in servers for arg in ("--base-url", server.url)]
    panel = run(
        "eval", pairs, "-j", CLAUDE, "-j", "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", *urls,
        "-p", "pairwise/structured", "--format", "json", "-q", "--out", "pan",
    )  # fmt: skip
    assert panel.exit_code == 0, panel.output
    assert "cannot ask for a structured verdict" not in panel.output
    assert _forced(servers)
    before = len(_bodies(servers))
    compared = run(
        "compare", pairs, "-j", CLAUDE, *urls, "-p", "pairwise/structured", "-p", "pairwise/verdict",
        "--format", "json", "-q", "--out", "cmp",
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output
    assert "cannot ask for a structured verdict" not in compared.output
    tools = [body.get("toolConfig") for body in _bodies(servers)[before:]]
    # pairwise/structured's calls force the tool; pairwise/verdict's carry none.
    assert [tool["toolChoice"] for tool in tools if tool] == [{"tool": {"name": "record_verdict"}}] * tools.count(None)
    assert tools.count(None) > 0


def test_a_resumed_pooled_claude_run_keeps_forcing_the_tool(
    pairs: Path, replicas: Callable[..., list[FakeProvider]]
) -> None:
    servers = replicas()
    first = _eval(pairs, servers, "--max-calls", "2", out="run")
    assert first.exit_code == 3, first.output
    resumed = run("eval", "--resume", "run", "--format", "json", "-q", "--max-calls", "100")
    summary = summary_of(resumed)
    assert summary["counts"]["scored"] == 6 and summary["warnings"] == []
    assert sum(server.count() for server in servers) == 6 and _forced(servers)
