"""Structured verdicts: a template that declares a JSON verdict gets it asked for the way each
backend supports (OpenAI response_format, an Anthropic forced tool, the mock's JSON), read from
its field, and still read by the pattern when a provider ignores the request (fail-closed).

Every provider test drives the real openai / anthropic SDKs against the local fake server, which
records the request bodies and refuses what the real services refuse (a non-strict schema).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from judgekit.api import execute, finish, open_run_dir, prepare
from judgekit.backends.azure import AzureOpenAIBackend
from judgekit.backends.base import BackendOptions
from judgekit.backends.mock import MockBackend
from judgekit.config import EvalConfig
from judgekit.errors import TemplateError
from judgekit.inputs.parsing import read_verdict, weigh_with_logprobs
from judgekit.inputs.template_files import load, load_file
from judgekit.judging.reparse import reparse_run
from judgekit.schema import Completion, JudgeRequest, Message, SamplingParams, TokenLogprob, VerdictSpec
from judgekit.store.cache import request_key
from judgekit.store.rundir import RunDir
from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.rules import refusal
from judgekit.testing.server import FakeProvider, FakeRequest, Reply
from tests.helpers import pairwise_rows, rows_of, run, summary_of, write_jsonl

CHOICE = VerdictSpec(
    type="choice",
    pattern=r"\[\[([ABC])\]\]",
    format="[[{choice}]]",
    choices={"A": "first", "B": "second", "C": "tie"},
    structured={"reasoning": "explanation"},
)
SCORE = VerdictSpec(
    type="score", pattern=r"Rating: \[\[(\d+)\]\]", format="Rating: [[{score}]]", scale=(1, 10), structured=True
)
FAST_BATCH = ["--poll-interval", "0.02"]


# -- reading ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "status", "value"),
    [
        ('{"explanation": "A is right.", "verdict": "A"}', "ok", "first"),
        ('{"explanation": "same", "verdict": "C"}', "ok", "tie"),
        ('```json\n{"explanation": "x", "verdict": "B"}\n```', "ok", "second"),
        ('{"explanation": "x", "verdict": "D"}', "unscored", None),
        ('{"explanation": "no verdict field"}', "unscored", None),
        ('{"explanation": "x", "verdict": true}', "unscored", None),
        # A provider that ignored the request: prose is read by the pattern, or not at all.
        ("I prefer the second.\n[[B]]", "ok", "second"),
        ("I prefer the second one.", "unscored", None),
        ('["A"]', "unscored", None),
    ],
)
def test_a_json_verdict_is_read_from_its_field_and_prose_by_the_pattern(text: str, status: str, value: Any) -> None:
    reading = read_verdict(text, CHOICE)
    assert (reading.status, reading.value) == (status, value)


def test_a_json_verdict_does_not_take_a_marker_inside_its_explanation() -> None:
    # The JSON decides: a [[B]] quoted in the explanation is not the verdict field.
    assert read_verdict('{"explanation": "not [[B]]", "verdict": "A"}', CHOICE).value == "first"
    missing = read_verdict('{"explanation": "it is [[B]]"}', CHOICE)
    assert missing.status == "unscored" and "no 'verdict' field" in str(missing.reason)


@pytest.mark.parametrize(
    ("text", "status", "value"),
    [('{"verdict": 7}', "ok", 7.0), ('{"verdict": "3"}', "ok", 3.0), ('{"verdict": 11}', "unscored", None)],
)
def test_a_json_score_is_checked_against_the_scale(text: str, status: str, value: Any) -> None:
    reading = read_verdict(text, SCORE)
    assert (reading.status, reading.value) == (status, value)


def test_the_verdict_token_of_a_json_answer_carries_its_probabilities() -> None:
    text = '{"verdict": "B"}'
    pieces = ['{"', "verdict", '":', ' "', "B", '"}']
    assert "".join(pieces) == text
    top = {"B": math.log(0.7), "A": math.log(0.2), "C": math.log(0.1)}
    logprobs = [TokenLogprob(token=piece, logprob=0.0, top=top if piece == "B" else None) for piece in pieces]
    spec = CHOICE.model_copy(update={"structured": CHOICE.structured.model_copy(update={"reasoning": None})})  # type: ignore[union-attr]
    reading = weigh_with_logprobs(read_verdict(text, spec), Completion(texts=[text], logprobs=logprobs), spec)
    assert reading.method == "logprobs"
    assert reading.probabilities == pytest.approx({"second": 0.7, "first": 0.2, "tie": 0.1})


# -- the schema and the template -------------------------------------------------------------
def test_the_schema_is_strict_and_follows_the_verdict() -> None:
    assert CHOICE.json_schema() == {
        "type": "object",
        "properties": {"explanation": {"type": "string"}, "verdict": {"type": "string", "enum": ["A", "B", "C"]}},
        "required": ["explanation", "verdict"],
        "additionalProperties": False,
    }
    assert SCORE.json_schema()["properties"] == {"verdict": {"type": "integer", "minimum": 1, "maximum": 10}}  # type: ignore[index]
    half = SCORE.model_copy(update={"scale": (0.5, 4.5)})
    assert half.json_schema()["properties"]["verdict"] == {"type": "number", "minimum": 0.5, "maximum": 4.5}  # type: ignore[index]
    plain = CHOICE.model_copy(update={"structured": None})
    assert plain.json_schema() is None and "structured" not in plain.model_dump()


def test_params_without_reasoning_options_dump_as_before() -> None:
    # Run ids and cache keys hash these dumps: a run made before the options existed still matches.
    assert set(SamplingParams().model_dump()) == {"temperature", "max_tokens", "n", "seed", "logprobs", "top_logprobs"}
    assert SamplingParams(reasoning_effort="low").model_dump()["reasoning_effort"] == "low"


def test_the_schema_is_part_of_the_cache_key() -> None:
    request = JudgeRequest(model="m", messages=(Message(role="user", content="q"),))
    structured = request.model_copy(update={"structured": CHOICE.json_schema()})
    assert request_key("openai", "e", request) != request_key("openai", "e", structured)


@pytest.mark.parametrize(
    ("verdict", "message"),
    [
        (
            "{type: score_pair, pattern: '(\\d+) (\\d+)', format: '{first} {second}', scale: [1, 10], structured: true}",
            "type score_pair cannot be structured",
        ),
        (
            "{type: score, pattern: '(\\d+)', format: '{score}', scale: [1, 10], structured: {reasoning: verdict}}",
            "reasoning and field must name different fields",
        ),
        (
            "{type: score, pattern: '(\\d+)', format: '{score}', scale: [1, 10], structured: {field: 'a b'}}",
            "structured.field",
        ),
    ],
)
def test_a_structured_verdict_that_cannot_work_is_refused_naming_the_field(
    tmp_path: Path, verdict: str, message: str
) -> None:
    path = tmp_path / "t.jinja"
    path.write_text(f"---\nkind: pairwise\ndescription: d\nverdict: {verdict}\n---\n{{{{ question }}}}\n")
    with pytest.raises(TemplateError, match="verdict") as caught:
        load_file(path)
    assert message in str(caught.value)


def test_the_bundled_structured_templates_validate() -> None:
    for name in ("pairwise/structured", "pointwise/structured"):
        result = run("prompts", "validate", name)
        assert result.exit_code == 0, result.output
        assert "structured (JSON field" in result.output
    assert load("pairwise/structured").meta.verdict.structured is not None


# -- through the real SDKs -------------------------------------------------------------------
def json_judge(request: FakeRequest) -> str:
    """Prefers the answer containing GOOD, as JSON of the schema asked for (prose without one)."""
    prompt = request.prompt
    first = "A" if prompt.find("GOOD") < prompt.find("BAD") else "B"
    if request.schema is None:
        return f"Prose.\n[[{first}]]"
    fields = list(request.schema["properties"])
    if "rating" in fields:
        return json.dumps({"explanation": "ok", "rating": 9 if "GOOD" in prompt else 2})
    return json.dumps({"explanation": "checked", "verdict": first})


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))


@pytest.fixture
def both(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(responder: Any = json_judge, **options: Any) -> FakeProvider:
        server = fake_provider(responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-structured-0123456789")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-structured-0123456789")
        return server

    return start


def _eval(data: Path, judge: str, *extra: str) -> Any:
    return run("eval", data, "-j", judge, "-p", "pairwise/structured", "--format", "json", "-q", "--out", "run", *extra)


def test_openai_gets_a_strict_json_schema_and_its_verdicts_are_read(pairs: Path, both: Any) -> None:
    server = both()
    summary = summary_of(_eval(pairs, "openai/gpt-x"))
    assert summary["counts"]["scored"] == 6
    body = server.recorded[0].request.body
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    assert schema["schema"]["properties"]["verdict"]["enum"] == ["A", "B", "C"]
    assert all(json.loads(row["completion"]["texts"][0])["verdict"] for row in rows_of("run"))
    labels = {row["id"]: row["label"] for row in pairwise_rows(6)}
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels


def test_anthropic_gets_a_forced_tool_and_the_verdict_comes_from_the_tool_call(pairs: Path, both: Any) -> None:
    server = both()
    summary = summary_of(_eval(pairs, "anthropic/claude-x"))
    assert summary["counts"]["scored"] == 6
    body = server.recorded[0].request.body
    assert body["tool_choice"] == {"type": "tool", "name": "record_verdict"}
    assert body["tools"][0]["input_schema"]["properties"]["verdict"]["enum"] == ["A", "B", "C"]
    labels = {row["id"]: row["label"] for row in pairwise_rows(6)}
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels


@pytest.mark.parametrize("judge", ["openai/ignores", "anthropic/ignores"])
def test_a_provider_that_ignores_the_schema_is_read_by_the_pattern_or_left_unscored(
    pairs: Path, both: Any, judge: str
) -> None:
    def prose(request: FakeRequest) -> str:
        # Half the answers carry the marker the pattern reads; the others carry no verdict at all.
        return "The first is better.\n[[A]]" if "item-0" in request.prompt or "Question 0" in request.prompt else "Hmm."

    both(prose)
    summary = summary_of(_eval(pairs, judge))
    assert (summary["counts"]["scored"], summary["counts"]["unscored"]) == (1, 5)
    assert summary["counts"]["unscored_reasons"] == {"no verdict found": 5}


def test_mock_answers_a_structured_template_with_json(pairs: Path) -> None:
    summary = summary_of(_eval(pairs, "mock/first", "--positions", "fixed"))
    assert summary["counts"]["scored"] == 6
    texts = [row["completion"]["texts"][0] for row in rows_of("run")]
    assert all(json.loads(text)["verdict"] == "A" for text in texts)
    run("eval", pairs, "-j", "mock/unparseable", "-p", "pairwise/structured", "-q", "--out", "u")
    assert [row["status"] for row in rows_of("u")] == ["unscored"] * 6


def test_pointwise_structured_rating(tmp_path: Path, both: Any) -> None:
    server = both()
    rows = [{"id": f"p{i}", "question": f"Q{i}?", "answer": ("GOOD" if i % 2 else "BAD") + f" {i}"} for i in range(4)]
    data = write_jsonl(tmp_path / "points.jsonl", rows)
    result = run("eval", data, "-j", "openai/x", "-p", "pointwise/structured", "--format", "json", "-q", "--out", "p")
    assert summary_of(result)["counts"]["scored"] == 4
    assert sorted(row["score"] for row in rows_of("p")) == [2.0, 2.0, 9.0, 9.0]
    rating = server.recorded[0].request.body["response_format"]["json_schema"]["schema"]["properties"]["rating"]
    assert rating == {"type": "integer", "minimum": 1, "maximum": 10}


@pytest.mark.parametrize("judge", ["openai/gpt-x", "anthropic/claude-x"])
def test_batch_requests_carry_the_schema(pairs: Path, both: Any, judge: str) -> None:
    server = both(batches=BatchBehaviour())
    summary = summary_of(_eval(pairs, judge, "--batch", *FAST_BATCH))
    assert summary["counts"]["scored"] == 6
    batched = [entry.request.body for entry in server.recorded if entry.batch_id is not None]
    assert len(batched) == 6
    key = "response_format" if judge.startswith("openai") else "tool_choice"
    assert all(key in body for body in batched)


def test_panel_resume_compare_and_reparse_keep_structured_verdicts(pairs: Path, both: Any) -> None:
    server = both()
    panel = run(
        "eval", pairs, "-j", "openai/a", "-j", "anthropic/b", "-j", "mock/first", "-p", "pairwise/structured",
        "--format", "json", "-q", "--out", "pan",
    )  # fmt: skip
    assert panel.exit_code == 0, panel.output
    assert all("response_format" in e.request.body or "tools" in e.request.body for e in server.recorded)
    first = _eval(pairs, "openai/gpt-x", "--max-calls", "2", "--no-cache")
    assert first.exit_code == 3, first.output
    resumed = run("eval", "--resume", "run", "--format", "json", "-q", "--no-cache", "--max-calls", "100")
    assert summary_of(resumed)["counts"]["scored"] == 6
    reparsed = run("report", "run", "--reparse", "--format", "json")
    assert reparsed.exit_code == 0, reparsed.output
    assert [row["verdict"] for row in rows_of("run") if row["role"] == "judge"].count(None) == 0
    compared = run(
        "compare", pairs, "-j", "openai/gpt-x", "-p", "pairwise/structured", "-p", "pairwise/verdict",
        "--format", "json", "-q", "--out", "cmp",
    )  # fmt: skip
    assert compared.exit_code == 0, compared.output
    prompts = {json.dumps(e.request.body.get("response_format") is not None) for e in server.recorded}
    assert prompts == {"true", "false"}  # the plain template was asked for prose


def test_the_fake_refuses_a_schema_strict_mode_would_reject() -> None:
    loose = {"type": "object", "properties": {"verdict": {"type": "string"}}, "required": []}
    body = {"model": "m", "messages": [], "response_format": {"type": "json_schema", "json_schema": {
        "name": "v", "schema": loose, "strict": True}}}  # fmt: skip
    assert "strict mode" in str(refusal(FakeRequest("openai", "m", [], "", body)))
    assert refusal(FakeRequest("openai", "m", [], "", {**body, "response_format": {"type": "text"}})) is None


def test_a_reply_with_a_json_object_to_an_offered_tool_is_a_tool_call() -> None:
    from judgekit.testing.wire import anthropic_body

    request = FakeRequest("anthropic", "m", [], "", {"tools": [{"name": "t", "input_schema": {"type": "object"}}]})
    content = anthropic_body(request, Reply(text='{"verdict": "A"}'))["content"]
    assert content == [{"type": "tool_use", "id": "toolu_fake", "name": "t", "input": {"verdict": "A"}}]


def test_reparse_of_a_structured_run_sees_the_prompts_it_sent(pairs: Path, both: Any) -> None:
    both()
    summary_of(_eval(pairs, "openai/gpt-x"))

    result = reparse_run(RunDir(Path("run")))
    assert (result.read, result.changed, result.prompt_differs) == (6, 0, 0)


def test_a_backend_that_cannot_hold_a_schema_is_read_by_the_pattern_with_a_warning(pairs: Path) -> None:

    backend = MockBackend(BackendOptions())
    backend.capabilities = replace(backend.capabilities, structured=False)
    config = EvalConfig(dataset=str(pairs), judge="mock/first", prompt="pairwise/structured", out="plain")
    prepared = prepare(config, backend=backend)
    open_run_dir(prepared)
    asyncio.run(execute(prepared))
    summary = finish(prepared.run_dir)
    assert summary.counts.scored == 6
    assert any("cannot ask for a structured verdict" in warning for warning in summary.warnings)
    texts = [row["completion"]["texts"][0] for row in rows_of("plain")]
    assert all(text.endswith("[[A]]") or text.endswith("[[B]]") for text in texts)  # prose, read by the pattern


def test_azure_sends_the_same_response_format(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")
    backend = AzureOpenAIBackend(BackendOptions())
    request = JudgeRequest(model="d", messages=(Message(role="user", content="q"),), structured=CHOICE.json_schema())
    body = backend.request_body(request)
    assert body["response_format"]["json_schema"] == {"name": "verdict", "schema": CHOICE.json_schema(), "strict": True}
    assert refusal(FakeRequest("azure", "d", [], "", body)) is None
