"""Structured verdicts on Bedrock model families other than Claude, through boto3 against the local
fake, which refuses a `toolChoice` a family does not take (a named tool from Claude and Nova, `any`
from those and Mistral Large) as the service does. Nova is forced by name, Mistral Large by `any`
with the one verdict tool; the rest keep the pattern, with a warning. A service that answers in
prose anyway leaves the item unscored, never a loss.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.backends.base import BackendOptions, BuildsRequestBodies, CapabilitiesPerModel
from judgekit.backends.registry import create_backend
from judgekit.schema import JudgeRequest, Message, SamplingParams
from judgekit.testing.rules import refusal
from judgekit.testing.server import FakeProvider, FakeRequest
from tests.cloud_helpers import CLOUD_SETTINGS, point_clouds_at
from tests.helpers import marker_responder, pairwise_rows, rows_of, run, summary_of, write_jsonl
from tests.test_structured_verdicts import json_judge

NOVA = "bedrock/us.amazon.nova-lite-v1:0"
MISTRAL = "bedrock/mistral.mistral-large-2407-v1:0"
LLAMA = "bedrock/us.meta.llama3-3-70b-instruct-v1:0"
FORCED = {NOVA: {"tool": {"name": "record_verdict"}}, MISTRAL: {"any": {}}}
NOT_FORCED = "cannot ask for a structured verdict"


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))


@pytest.fixture
def bedrock(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(responder: Any = json_judge) -> FakeProvider:
        return point_clouds_at(fake_provider(responder), monkeypatch)

    return start


def labels() -> dict[str, str]:
    return {row["id"]: row["label"] for row in pairwise_rows(6)}


def _eval(data: Path, *judges: str, extra: tuple[str, ...] = (), out: str = "run") -> Any:
    chosen = [arg for judge in judges for arg in ("-j", judge)]
    return run("eval", data, *chosen, "-p", "pairwise/structured", "--format", "json", "-q", "--out", out, *extra)


# -- the table -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "choice", "thinking"),
    [
        ("anthropic.claude-3-5-haiku-20241022-v1:0", {"tool": {"name": "record_verdict"}}, True),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", {"tool": {"name": "record_verdict"}}, True),
        ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
         {"tool": {"name": "record_verdict"}}, True),
        ("anthropic.claude-v2:1", None, False),
        ("anthropic.claude-instant-v1", None, False),
        ("amazon.nova-pro-v1:0", {"tool": {"name": "record_verdict"}}, False),
        ("apac.amazon.nova-micro-v1:0", {"tool": {"name": "record_verdict"}}, False),
        ("mistral.mistral-large-2402-v1:0", {"any": {}}, False),
        ("mistral.mistral-small-2402-v1:0", None, False),
        ("us.meta.llama3-1-405b-instruct-v1:0", None, False),
        ("cohere.command-r-plus-v1:0", None, False),
        ("ai21.jamba-1-5-large-v1:0", None, False),
        ("amazon.titan-text-premier-v1:0", None, False),
        ("us.deepseek.r1-v1:0", None, False),
    ],
)  # fmt: skip
def test_each_family_is_asked_the_way_it_can_be_forced(
    model: str, choice: dict[str, Any] | None, thinking: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CLOUD_SETTINGS.items():
        monkeypatch.setenv(name, value)
    backend = create_backend("bedrock", BackendOptions())
    assert isinstance(backend, CapabilitiesPerModel)
    capabilities = backend.capabilities_for(model)
    assert (capabilities.structured, capabilities.thinking, capabilities.logprobs) == (
        choice is not None,
        thinking,
        False,
    )
    schema = {"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"]}
    request = JudgeRequest(
        model=model, messages=(Message(role="user", content="Judge."),), params=SamplingParams(), structured=schema
    )
    assert isinstance(backend, BuildsRequestBodies)
    body = backend.request_body(request)
    assert (body.get("toolConfig") or {}).get("toolChoice") == choice
    asyncio.run(backend.aclose())


# -- structured verdicts, every path ------------------------------------------------------------------
@pytest.mark.parametrize("judge", [NOVA, MISTRAL])
def test_nova_and_mistral_large_are_held_to_the_verdict_tool(pairs: Path, bedrock: Any, judge: str) -> None:
    server = bedrock()
    summary = summary_of(_eval(pairs, judge))
    assert summary["counts"]["scored"] == 6 and summary["warnings"] == []
    tools = [entry.request.body["toolConfig"] for entry in server.recorded]
    assert len(tools) == 6 and all(tool["toolChoice"] == FORCED[judge] for tool in tools)
    assert all(tool["tools"][0]["toolSpec"]["name"] == "record_verdict" for tool in tools)
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()


def some_in_prose(request: FakeRequest) -> str:
    """The verdict tool's JSON for items 0 and 1; prose that ignores the tool (a verdict the
    pattern cannot read either) for the rest."""
    if "Question 0" in request.prompt or "Question 1" in request.prompt:
        return json_judge(request)
    return "I would rather explain in my own words: the second answer reads better."


@pytest.mark.parametrize("judge", [NOVA, MISTRAL])
def test_an_answer_in_prose_without_the_tool_is_unscored_not_a_loss(pairs: Path, bedrock: Any, judge: str) -> None:
    server = bedrock(some_in_prose)
    summary = summary_of(_eval(pairs, judge))
    assert (summary["counts"]["scored"], summary["counts"]["unscored"]) == (2, 4)
    assert summary["counts"]["unscored_reasons"] == {"no verdict found": 4}
    rows = {row["item_id"]: row for row in rows_of("run")}
    assert {item: row["verdict"] for item, row in rows.items() if row["status"] == "ok"} == {
        "item-0": "A",
        "item-1": "B",
    }
    others = [row for item, row in rows.items() if item not in ("item-0", "item-1")]
    assert all(row["status"] == "unscored" and row.get("verdict") is None for row in others)
    assert all("toolConfig" in entry.request.body for entry in server.recorded)  # asked for, and ignored


@pytest.mark.parametrize("judge", [NOVA, MISTRAL])
def test_a_run_of_prose_only_stops_as_unscored(pairs: Path, bedrock: Any, judge: str) -> None:
    bedrock(lambda request: "I would rather explain in my own words: the second answer reads better.")
    result = _eval(pairs, judge)
    assert result.exit_code == 3
    assert json.loads(result.stdout)["counts"]["unscored_reasons"] == {"no verdict found": 6}
    assert "no item got a valid verdict" in result.stderr


def test_a_panel_forces_the_families_that_can_be_and_warns_for_the_rest(pairs: Path, bedrock: Any) -> None:
    server = bedrock(lambda request: json_judge(request) if "toolConfig" in request.body else marker_responder(request))
    result = _eval(pairs, NOVA, MISTRAL, LLAMA, extra=("--positions", "fixed"), out="pan")
    assert result.exit_code == 0, result.output
    by_model: dict[str, list[Any]] = {}
    for entry in server.recorded:
        by_model.setdefault(entry.request.model, []).append(entry.request.body.get("toolConfig"))
    assert len(by_model) == 3 and all(len(tools) == 6 for tools in by_model.values())
    for judge, choice in FORCED.items():
        assert all(tool["toolChoice"] == choice for tool in by_model[judge.removeprefix("bedrock/")])
    assert by_model[LLAMA.removeprefix("bedrock/")] == [None] * 6
    warnings = {
        path.parent.name: json.loads(path.read_text())["warnings"]
        for path in Path("pan").glob("*--bedrock_*/summary.json")
    }
    assert len(warnings) == 3
    assert {name for name, found in warnings.items() if any(NOT_FORCED in w for w in found)} == {
        "pairwise_structured--bedrock_us.meta.llama3-3-70b-instruct-v1_0"
    }
    # ... and said on stderr before the first call, naming the judge, as a run of one judge says it.
    said = [line for line in result.stderr.splitlines() if NOT_FORCED in line]
    assert len(said) == 1 and said[0].startswith(f"judgekit: {LLAMA}: warning: ")


def test_compare_and_resume_force_the_tool_for_nova(pairs: Path, bedrock: Any) -> None:
    server = bedrock()
    compared = run(
        "compare", pairs, "-j", NOVA, "-p", "pairwise/structured", "-p", "pairwise/verdict",
        "--format", "json", "-q", "--out", "cmp",
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output
    assert NOT_FORCED not in compared.output
    tools = [entry.request.body.get("toolConfig") for entry in server.recorded]
    # pairwise/structured's calls force the tool; pairwise/verdict's, as many, carry none.
    assert [tool["toolChoice"] for tool in tools if tool] == [FORCED[NOVA]] * tools.count(None)
    assert tools.count(None) >= 6
    first = _eval(pairs, MISTRAL, extra=("--max-calls", "2"))
    assert first.exit_code == 3, first.output
    resumed = summary_of(run("eval", "--resume", "run", "--format", "json", "-q", "--max-calls", "100"))
    assert resumed["counts"]["scored"] == 6 and resumed["warnings"] == []
    mistral = [e.request.body["toolConfig"]["toolChoice"] for e in server.recorded if e.request.model.startswith("mis")]
    assert mistral == [FORCED[MISTRAL]] * 6


def test_thinking_stays_claude_only(pairs: Path, bedrock: Any) -> None:
    server = bedrock()
    result = _eval(pairs, NOVA, extra=("--thinking-budget", "2048", "--max-tokens", "4096"))
    assert result.exit_code == 2 and f"{NOVA} cannot take it" in result.stderr
    assert server.count() == 0


# -- the fake's own rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "choice", "refused"),
    [
        ("mistral.mistral-large-2407-v1:0", {"tool": {"name": "t"}}, "toolChoice.tool"),
        ("mistral.mistral-large-2407-v1:0", {"any": {}}, None),
        ("us.meta.llama3-3-70b-instruct-v1:0", {"any": {}}, "toolChoice.any"),
        ("us.meta.llama3-3-70b-instruct-v1:0", {"auto": {}}, None),
        ("anthropic.claude-v2:1", {"tool": {"name": "t"}}, "toolChoice.tool"),
        ("us.amazon.nova-lite-v1:0", {"tool": {"name": "t"}}, None),
    ],
)
def test_the_fake_refuses_a_tool_choice_the_family_does_not_take(
    model: str, choice: dict[str, Any], refused: str | None
) -> None:
    body = {"inferenceConfig": {"maxTokens": 256}, "toolConfig": {"tools": [], "toolChoice": choice}}
    found = refusal(FakeRequest("bedrock", model, [], "", body))
    assert (found is None) if refused is None else (refused in str(found))
