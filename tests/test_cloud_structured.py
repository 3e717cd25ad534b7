"""Structured verdicts and thinking budgets on gemini/, bedrock/ and vertex/, through the real SDKs
(google-genai, boto3, anthropic's Vertex client) against the local fake, which answers a schema
the way each service does (Gemini's JSON text, a Converse `toolUse` block, a `tool_use` block),
refuses what the services refuse, and ignores the request when the responder writes prose.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.rules import refusal
from judgekit.testing.server import FakeProvider, FakeRequest, Reply
from tests.cloud_helpers import point_clouds_at
from tests.helpers import marker_responder, pairwise_rows, rows_of, run, summary_of, write_jsonl
from tests.test_structured_verdicts import json_judge

JUDGES = {
    "gemini": "gemini/gemini-2.5-flash",
    "bedrock": "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
    "vertex": "vertex/claude-sonnet-4-5@20250929",
}
NOVA = "bedrock/us.amazon.nova-lite-v1:0"
LLAMA = "bedrock/us.meta.llama3-3-70b-instruct-v1:0"
THINKING = ["--thinking-budget", "2048", "--max-tokens", "4096"]


@pytest.fixture
def cloud(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    """One fake serving Gemini, Bedrock and Vertex AI, with each SDK's settings pointed at it."""

    def start(responder: Any = json_judge) -> FakeProvider:
        return point_clouds_at(fake_provider(responder), monkeypatch)

    return start


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))


def _eval(data: Path, judge: str, *extra: str, prompt: str = "pairwise/structured") -> Any:
    return run("eval", data, "-j", judge, "-p", prompt, "--format", "json", "-q", "--out", "run", *extra)


def labels() -> dict[str, str]:
    return {row["id"]: row["label"] for row in pairwise_rows(6)}


def asked_schema(provider: str, body: dict[str, Any]) -> dict[str, Any]:
    """The verdict schema as each service's request carries it, checking how the answer is forced."""
    if provider == "gemini":
        config = body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        return dict(config["responseJsonSchema"])
    if provider == "bedrock":
        tools = body["toolConfig"]
        assert tools["toolChoice"] == {"tool": {"name": "record_verdict"}}
        return dict(tools["tools"][0]["toolSpec"]["inputSchema"]["json"])
    assert body["tool_choice"] == {"type": "tool", "name": "record_verdict"}
    return dict(body["tools"][0]["input_schema"])


# -- structured verdicts ----------------------------------------------------------------------
@pytest.mark.parametrize("provider", sorted(JUDGES))
def test_a_structured_verdict_is_asked_for_and_read(pairs: Path, cloud: Any, provider: str) -> None:
    server = cloud()
    summary = summary_of(_eval(pairs, JUDGES[provider]))
    assert summary["counts"]["scored"] == 6 and summary["warnings"] == []
    schema = asked_schema(provider, server.recorded[0].request.body)
    assert schema["properties"]["verdict"] == {"type": "string", "enum": ["A", "B", "C"]}
    assert schema["additionalProperties"] is False
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()
    # The answer kept is the JSON object itself (a tool call's input, or Gemini's JSON text).
    assert all(json.loads(row["completion"]["texts"][0])["explanation"] == "checked" for row in rows_of("run"))


@pytest.mark.parametrize("provider", sorted(JUDGES))
def test_a_service_that_ignores_the_schema_is_read_by_the_pattern_or_left_unscored(
    pairs: Path, cloud: Any, provider: str
) -> None:
    def prose(request: FakeRequest) -> str:
        return "The first is better.\n[[A]]" if "Question 0" in request.prompt else "Hmm."

    server = cloud(prose)
    summary = summary_of(_eval(pairs, JUDGES[provider]))
    assert (summary["counts"]["scored"], summary["counts"]["unscored"]) == (1, 5)
    assert summary["counts"]["unscored_reasons"] == {"no verdict found": 5}
    assert server.recorded[0].request.schema is not None  # it was asked for, and ignored


def test_a_pointwise_rating_is_held_to_the_scale_on_gemini(tmp_path: Path, cloud: Any) -> None:
    server = cloud()
    rows = [{"id": f"p{i}", "question": f"Q{i}?", "answer": ("GOOD" if i % 2 else "BAD") + f" {i}"} for i in range(4)]
    data = write_jsonl(tmp_path / "points.jsonl", rows)
    summary = summary_of(_eval(data, JUDGES["gemini"], prompt="pointwise/structured"))
    assert summary["counts"]["scored"] == 4
    assert sorted(row["score"] for row in rows_of("run")) == [2.0, 2.0, 9.0, 9.0]
    schema = server.recorded[0].request.body["generationConfig"]["responseJsonSchema"]
    assert schema["properties"]["rating"] == {"type": "integer", "minimum": 1, "maximum": 10}


def test_a_bedrock_model_that_cannot_be_forced_is_read_by_the_pattern_with_a_warning(pairs: Path, cloud: Any) -> None:
    server = cloud(marker_responder)
    summary = summary_of(_eval(pairs, LLAMA, "--positions", "fixed"))
    assert summary["counts"]["scored"] == 6
    assert any("cannot ask for a structured verdict" in warning for warning in summary["warnings"])
    assert all("toolConfig" not in entry.request.body for entry in server.recorded)


def test_a_panel_and_compare_ask_each_cloud_judge_its_own_way(pairs: Path, cloud: Any) -> None:
    server = cloud()
    panel = run(
        "eval", pairs, *[arg for judge in JUDGES.values() for arg in ("-j", judge)], "-p", "pairwise/structured",
        "--format", "json", "-q", "--out", "pan",
    )  # fmt: skip
    assert panel.exit_code == 0, panel.output
    assert {entry.request.api for entry in server.recorded} == set(JUDGES)
    assert all(entry.request.schema is not None for entry in server.recorded)
    compared = run(
        "compare", pairs, "-j", JUDGES["bedrock"], "-p", "pairwise/structured", "-p", "pairwise/verdict",
        "--format", "json", "-q", "--out", "cmp",
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output


# -- thinking budgets ---------------------------------------------------------------------------
def thinker(request: FakeRequest) -> Reply:
    """The verdict in the answer; the opposite marker in the thinking, which must never be read."""
    verdict = marker_responder(request)
    opposite = "[[B]]" if verdict.endswith("[[A]]") else "[[A]]"
    return Reply(text=verdict, thinking=f"At first I thought {opposite}.")


def test_gemini_thinking_goes_in_thinking_config_beside_the_temperature(pairs: Path, cloud: Any) -> None:
    server = cloud(thinker)
    summary = summary_of(
        _eval(pairs, JUDGES["gemini"], "--thinking-budget", "512", "--temperature", "0", prompt="pairwise/verdict")
    )
    assert summary["counts"]["scored"] == 6
    request = server.recorded[0].request
    assert request.thinking_budget == 512 and request.body["generationConfig"]["temperature"] == 0
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()
    # Thought tokens are billed as output: the fake counts a token per 4 characters, so the 25 of
    # "At first I thought [[A]]." are 6 tokens beside the answer's own.
    row = rows_of("run")[0]
    assert row["completion"]["completion_tokens"] == len(row["completion"]["texts"][0]) // 4 + 6


@pytest.mark.parametrize("provider", ["bedrock", "vertex"])
def test_claude_thinking_is_sent_as_anthropic_does_and_read_from_the_answer(
    pairs: Path, cloud: Any, provider: str
) -> None:
    server = cloud(thinker)
    summary = summary_of(_eval(pairs, JUDGES[provider], *THINKING, prompt="pairwise/verdict"))
    assert summary["counts"]["scored"] == 6
    body = server.recorded[0].request.body
    thinking = body["additionalModelRequestFields"]["thinking"] if provider == "bedrock" else body["thinking"]
    assert thinking == {"type": "enabled", "budget_tokens": 2048}
    assert "temperature" not in (body.get("inferenceConfig") or body)
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()


@pytest.mark.parametrize("provider", ["bedrock", "vertex"])
def test_thinking_with_a_structured_template_offers_the_tool_instead_of_forcing_it(
    pairs: Path, cloud: Any, provider: str
) -> None:
    server = cloud()
    summary = summary_of(_eval(pairs, JUDGES[provider], *THINKING))
    assert summary["counts"]["scored"] == 6
    body = server.recorded[0].request.body
    choice = body["toolConfig"]["toolChoice"] if provider == "bedrock" else body["tool_choice"]
    assert choice == ({"auto": {}} if provider == "bedrock" else {"type": "auto"})
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()


@pytest.mark.parametrize("provider", sorted(JUDGES))
def test_thinking_that_uses_the_whole_limit_is_truncated_not_read_from_the_thinking(
    pairs: Path, cloud: Any, provider: str
) -> None:
    server = cloud(lambda request: Reply(text="", thinking="Surely [[A]] is better", finish="length"))
    result = _eval(pairs, JUDGES[provider], *THINKING, prompt="pairwise/verdict")
    summary = json.loads(result.stdout)
    assert summary["counts"]["unscored_reasons"] == {"truncated": 6}
    assert {row["completion"]["texts"][0] for row in rows_of("run")} == {""}
    assert server.count() == 6  # not retried: the same limit would cut it off again


@pytest.mark.parametrize(
    ("judge", "extra", "message"),
    [
        (JUDGES["gemini"], ["--reasoning-effort", "low"], "--reasoning-effort needs an OpenAI-compatible judge"),
        (JUDGES["bedrock"], ["--reasoning-effort", "low"], "--reasoning-effort needs an OpenAI-compatible judge"),
        (JUDGES["vertex"], ["--reasoning-effort", "low"], "--reasoning-effort needs an OpenAI-compatible judge"),
        (NOVA, THINKING, f"--thinking-budget needs a judge that can think (anthropic/, vertex/, gemini/, bedrock/ "
                         f"Claude); {NOVA} cannot take it"),
        (JUDGES["bedrock"], ["--thinking-budget", "512", "--max-tokens", "4096"], "at least 1024 tokens for bedrock/"),
        (JUDGES["vertex"], [*THINKING, "--temperature", "0"], "drop --temperature"),
        (JUDGES["gemini"], ["--thinking-budget", "2048", "--max-tokens", "1024"], "pass --max-tokens 3072 or more"),
    ],
)  # fmt: skip
def test_options_a_cloud_judge_cannot_take_are_refused_before_any_call(
    pairs: Path, cloud: Any, judge: str, extra: list[str], message: str
) -> None:
    server = cloud()
    result = _eval(pairs, judge, *extra, prompt="pairwise/verdict")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert server.count() == 0


# -- the fake's own rules -------------------------------------------------------------------------
VERDICT_SCHEMA = {"type": "object", "properties": {"verdict": {"type": "string"}}, "additionalProperties": False}


@pytest.mark.parametrize(
    ("api", "body", "refused"),
    [
        ("gemini", {"generationConfig": {"responseJsonSchema": VERDICT_SCHEMA}}, "responseMimeType"),
        ("gemini", {"generationConfig": {"responseMimeType": "application/json", "responseSchema": VERDICT_SCHEMA}},
         "additionalProperties"),
        ("gemini", {"generationConfig": {"responseMimeType": "application/json",
                                         "responseJsonSchema": {**VERDICT_SCHEMA, "patternProperties": {}}}},
         "patternProperties"),
        ("gemini", {"generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": VERDICT_SCHEMA,
                                         "responseSchema": {"type": "object"}}}, "both"),
        ("gemini", {"generationConfig": {"thinkingConfig": {"thinkingBudget": 40000}}}, "thinking budget"),
        ("gemini", {"generationConfig": {"thinkingConfig": {"thinking_budget": -2}}}, "thinking budget"),
        ("gemini", {"generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": VERDICT_SCHEMA,
                                         "thinkingConfig": {"thinkingBudget": 0}}}, None),
        ("bedrock", {"inferenceConfig": {"maxTokens": 4096},
                     "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}},
                     "toolConfig": {"tools": [], "toolChoice": {"tool": {"name": "t"}}}}, "tool_choice"),
        ("bedrock", {"inferenceConfig": {"maxTokens": 2048},
                     "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}}},
         "max_tokens"),
        ("bedrock", {"inferenceConfig": {"maxTokens": 4096},
                     "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}},
                     "toolConfig": {"tools": [], "toolChoice": {"auto": {}}}}, None),
    ],
)  # fmt: skip
def test_the_fake_refuses_what_the_services_refuse(api: str, body: dict[str, Any], refused: str | None) -> None:
    found = refusal(FakeRequest(api, "m", [], "", body))
    assert (found is None) if refused is None else (refused in str(found))
