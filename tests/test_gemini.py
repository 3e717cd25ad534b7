"""Gemini judges: the google-genai SDK against the local fake, which answers `generateContent` in the
REST shape (candidates, logprobsResult, usageMetadata) and Google's error bodies."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from judgekit.api import run_eval
from judgekit.backends.base import BackendOptions
from judgekit.backends.registry import create_backend, known_providers
from judgekit.config import EvalConfig
from judgekit.errors import FatalProviderError, MissingCredentialsError, ProviderError
from judgekit.schema import Completion, JudgeRequest, Message, SamplingParams
from judgekit.testing.server import FakeProvider, Faults, Reply
from tests.gate_helpers import cli

DATA = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pointwise.jsonl"
KEY = "gemini-key-0123456789abcdef"
MODEL = "gemini-2.5-flash"
REQUEST = JudgeRequest(
    model=MODEL,
    messages=(Message(role="system", content="Be fair."), Message(role="user", content="Rate this.")),
    params=SamplingParams(temperature=0.0, max_tokens=64),
)


@pytest.fixture
def gemini(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    """A fake Gemini API that knows one model and one key, with GEMINI_API_KEY and the base URL set."""

    def start(*args: object, **kwargs: object) -> FakeProvider:
        server = fake_provider(*args, api_key=KEY, models={MODEL}, **kwargs)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        return server

    return start


def _complete(request: JudgeRequest = REQUEST) -> Completion:
    async def go() -> Completion:
        backend = create_backend("gemini", BackendOptions(timeout=5.0))
        try:
            return await backend.complete(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_an_eval_sends_generate_content_with_the_system_instruction_and_config(
    gemini: Callable[..., FakeProvider],
) -> None:
    server = gemini(lambda request: "Fine.\nRating: [[6]]")
    result = run_eval(EvalConfig(dataset=str(DATA), judge=f"gemini/{MODEL}", limit=3))
    assert result.summary.counts.scored == 3 and result.summary.pointwise is not None
    assert result.summary.pointwise.mean is not None and result.summary.pointwise.mean.value == 6
    assert {(entry.request.api, entry.request.model, entry.status) for entry in server.recorded} == {
        ("gemini", MODEL, 200)
    }
    body = server.recorded[0].request.body
    config = body["generationConfig"]
    assert config["temperature"] == 0.0 and config["maxOutputTokens"] > 0 and "candidateCount" not in config
    assert body["systemInstruction"]["parts"][0]["text"] and body["contents"][0]["role"] == "user"
    assert "gemini" in known_providers()


def test_samples_are_candidates_and_usage_is_read(gemini: Callable[..., FakeProvider]) -> None:
    server = gemini(lambda request: "Good.\nRating: [[9]]")
    completion = _complete(REQUEST.model_copy(update={"params": SamplingParams(max_tokens=32, n=3, seed=5)}))
    assert completion.texts == ["Good.\nRating: [[9]]"] * 3
    config = server.recorded[0].request.body["generationConfig"]
    assert config["candidateCount"] == 3 and config["seed"] == 5
    # The fake counts a token per four characters: 19 characters -> 4 tokens per candidate.
    assert (
        completion.completion_tokens == 3 * (len("Good.\nRating: [[9]]") // 4) == 12
        and completion.prompt_tokens == len("Be fair.\nRate this.") // 4
    )
    assert completion.model == MODEL and completion.finish_reason == "stop"


def test_logprobs_come_back_as_token_probabilities(gemini: Callable[..., FakeProvider]) -> None:
    server = gemini(lambda request: Reply("Rating: [[8]]", at="8", distribution={"8": 0.6, "9": 0.3, "7": 0.1}))
    params = SamplingParams(temperature=0.0, max_tokens=16, logprobs=True, top_logprobs=50)
    completion = _complete(REQUEST.model_copy(update={"params": params}))
    config = server.recorded[0].request.body["generationConfig"]
    assert config["responseLogprobs"] is True and config["logprobs"] == 20  # Gemini's most
    assert completion.logprobs is not None
    eight = next(entry for entry in completion.logprobs if entry.token == "8")
    assert eight.logprob == pytest.approx(math.log(0.6))
    assert eight.top is not None and {token: round(math.exp(lp), 6) for token, lp in eight.top.items()} == {
        "8": 0.6,
        "9": 0.3,
        "7": 0.1,
    }


def test_logprobs_give_a_probability_weighted_score(gemini: Callable[..., FakeProvider]) -> None:
    gemini(lambda request: Reply("Good.\nRating: [[8]]", at="8", distribution={"8": 0.7, "9": 0.3}))
    config = EvalConfig(dataset=str(DATA), judge=f"gemini/{MODEL}", limit=3, score_method="logprobs")
    summary = run_eval(config).summary
    assert summary.pointwise is not None and summary.pointwise.mean is not None
    assert summary.pointwise.mean.value == pytest.approx(8 * 0.7 + 9 * 0.3)  # by hand: 8.3 for every item
    assert summary.scoring is not None and summary.scoring.method == "logprobs"


def test_rate_limits_and_server_errors_are_retried(gemini: Callable[..., FakeProvider]) -> None:
    server = gemini(lambda request: "Fine.\nRating: [[6]]", faults=Faults(script=["rate_limit", "server_error"]))
    config = EvalConfig(dataset=str(DATA), judge=f"gemini/{MODEL}", limit=2, concurrency=1)
    summary = run_eval(config).summary
    assert summary.counts.scored == 2 and summary.counts.errors == 0
    assert summary.counts.retries == {"rate_limit": 1, "server_error": 1}
    assert [entry.status for entry in server.recorded] == [429, 500, 200, 200]


@pytest.mark.parametrize(("retry_after", "header"), [(7.0, True), (None, False)])
def test_a_429_names_its_wait_in_the_header_or_the_retry_info(
    gemini: Callable[..., FakeProvider], retry_after: float | None, header: bool
) -> None:
    gemini(faults=Faults(script=["rate_limit"], retry_after=retry_after))
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.kind == "rate_limit" and caught.value.retryable
    assert caught.value.retry_after == retry_after


def test_the_retry_info_alone_gives_the_wait() -> None:
    from judgekit.backends.gemini import _retry_delay

    detail = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "35s"}
    assert _retry_delay({"details": [{"@type": "other"}, detail]}) == 35.0
    assert _retry_delay({"details": [{**detail, "retryDelay": "soon"}]}) is None
    assert _retry_delay({}) is None


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed", "html", "empty"])
def test_faults_become_retryable_provider_errors(gemini: Callable[..., FakeProvider], fault: str) -> None:
    gemini(faults=Faults(script=[fault]))
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.retryable
    assert caught.value.kind == ("malformed" if fault in ("html", "empty") else fault)


def test_a_refused_key_names_the_variable_and_is_never_echoed(
    gemini: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = gemini(faults=Faults(echo_key=True))
    secret = "gemini-wrong-secret-0123456789"
    monkeypatch.setenv("GEMINI_API_KEY", secret)
    with pytest.raises(FatalProviderError) as caught:
        _complete()
    assert caught.value.kind == "auth" and "check GEMINI_API_KEY" in str(caught.value)
    assert secret not in str(caught.value)
    assert server.recorded[0].status == 401  # sent as the 400 API_KEY_INVALID the service answers


def test_google_api_key_wins_as_in_the_sdk(
    gemini: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    gemini()
    monkeypatch.setenv("GEMINI_API_KEY", "a-wrong-key")
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    assert "[[A]]" in _complete().text


def test_an_unknown_model_is_fatal_and_named(gemini: Callable[..., FakeProvider]) -> None:
    gemini()
    with pytest.raises(FatalProviderError, match="model 'gemini-0' was not found"):
        _complete(REQUEST.model_copy(update={"model": "gemini-0"}))


def test_a_closed_port_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.kind == "connection" and caught.value.retryable


def test_a_missing_key_names_both_variables_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingCredentialsError, match=r"GEMINI_API_KEY.*GOOGLE_API_KEY"):
        create_backend("gemini")
    result = cli("eval", str(DATA), "--judge", f"gemini/{MODEL}")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "judgekit: error: gemini/ judges need a Gemini API key: export GEMINI_API_KEY=<your key> (or GOOGLE_API_KEY)"
    ]


def test_batch_is_refused_before_any_call(gemini: Callable[..., FakeProvider]) -> None:
    server = gemini()
    result = cli("eval", str(DATA), "--judge", f"gemini/{MODEL}", "--batch", "-q")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "no batch adapter for gemini/ judges" in result.output
    assert server.recorded == []


def test_base_url_option_reaches_the_fake_through_the_cli(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider(lambda request: "Fine.\nRating: [[6]]")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    result = cli("eval", str(DATA), "--judge", f"gemini/{MODEL}", "--base-url", server.url, "-q", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert len(server.recorded) == 5 and server.recorded[0].request.api == "gemini"


def test_a_priced_model_reports_cost_from_the_usage_it_returned(gemini: Callable[..., FakeProvider]) -> None:
    server = gemini(lambda request: "Fine.\nRating: [[6]]")
    summary = run_eval(EvalConfig(dataset=str(DATA), judge=f"gemini/{MODEL}", limit=3)).summary
    assert summary.cost is not None and (summary.cost.price_in, summary.cost.price_out) == (0.30, 2.50)
    assert "2026-03" in summary.cost.source
    # By hand from the fake's token counts (a token per four characters of prompt and answer).
    prompt_tokens = sum(len(entry.request.prompt) // 4 for entry in server.recorded)
    answer_tokens = 3 * (len("Fine.\nRating: [[6]]") // 4)
    expected = (prompt_tokens * 0.30 + answer_tokens * 2.50) / 1e6
    assert summary.cost.usd == pytest.approx(expected, abs=1e-6)  # the summary keeps six decimals


def test_the_vertex_switch_of_the_sdk_does_not_redirect_a_gemini_judge(
    gemini: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = gemini()
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    assert "[[A]]" in _complete().text
    assert server.recorded[0].request.api == "gemini"
