"""Bedrock judges: boto3's bedrock-runtime client (Converse) against the local fake. botocore signs
every request with made-up credentials; the fake checks the access key id in the signature's scope
(or a Bedrock API key sent as a bearer token) and answers in the rest-json shape, errors included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from judgekit.api import run_eval
from judgekit.backends.base import BackendOptions
from judgekit.backends.registry import create_backend, known_providers
from judgekit.config import EvalConfig
from judgekit.errors import FatalProviderError, MissingCredentialsError, ProviderError, UsageError
from judgekit.schema import Completion, JudgeRequest, Message, SamplingParams
from judgekit.testing.server import FakeProvider, Faults
from tests.gate_helpers import cli

DATA = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pointwise.jsonl"
ACCESS_KEY = "AKIAFAKEJUDGEKIT0001"
SECRET = "fake-secret-key-0123456789abcdefghijklmnop"
MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
REQUEST = JudgeRequest(
    model=MODEL,
    messages=(Message(role="system", content="Be fair."), Message(role="user", content="Rate this.")),
    params=SamplingParams(temperature=0.0, max_tokens=64),
)


@pytest.fixture
def bedrock(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    """A fake bedrock-runtime endpoint for one model, with AWS credentials, region and endpoint set."""

    def start(*args: object, key: str = ACCESS_KEY, **kwargs: object) -> FakeProvider:
        server = fake_provider(*args, api_key=key, models={MODEL}, **kwargs)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        return server

    return start


def _complete(request: JudgeRequest = REQUEST) -> Completion:
    async def go() -> Completion:
        backend = create_backend("bedrock", BackendOptions(timeout=5.0))
        try:
            return await backend.complete(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_an_eval_sends_converse_requests_signed_for_the_region(bedrock: Callable[..., FakeProvider]) -> None:
    server = bedrock(lambda request: "Fine.\nRating: [[6]]")
    result = run_eval(EvalConfig(dataset=str(DATA), judge=f"bedrock/{MODEL}", limit=3))
    assert result.summary.counts.scored == 3 and result.summary.pointwise is not None
    assert result.summary.pointwise.mean is not None and result.summary.pointwise.mean.value == 6
    assert {(entry.request.api, entry.request.model, entry.status) for entry in server.recorded} == {
        ("bedrock", MODEL, 200)
    }
    body = server.recorded[0].request.body
    assert body["inferenceConfig"]["temperature"] == 0.0 and body["inferenceConfig"]["maxTokens"] > 0
    assert body["system"][0]["text"] and body["messages"][0]["content"][0]["text"]
    assert "bedrock" in known_providers()


def test_usage_and_stop_reason_are_read(bedrock: Callable[..., FakeProvider]) -> None:
    bedrock(lambda request: "Good.\nRating: [[9]]")
    completion = _complete()
    assert completion.texts == ["Good.\nRating: [[9]]"] and completion.finish_reason == "end_turn"
    # The fake counts a token per four characters of the answer and of the prompt.
    assert completion.completion_tokens == len("Good.\nRating: [[9]]") // 4
    assert completion.prompt_tokens == len("Be fair.\nRate this.") // 4


def test_a_bedrock_api_key_stands_for_aws_credentials_but_only_over_https(
    bedrock: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = bedrock()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-0123456789")
    # botocore sends the key only over TLS; the plain-HTTP fake is refused before any call.
    with pytest.raises(UsageError, match="only over HTTPS"):
        create_backend("bedrock")
    result = cli("eval", str(DATA), "--judge", f"bedrock/{MODEL}", "-q")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert server.recorded == []
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://127.0.0.1:9")
    backend = create_backend("bedrock")  # no AWS credentials needed beside the key
    assert backend.endpoint == "https://127.0.0.1:9"


def test_throttling_and_server_errors_are_retried(bedrock: Callable[..., FakeProvider]) -> None:
    server = bedrock(lambda request: "Fine.\nRating: [[6]]", faults=Faults(script=["rate_limit", "server_error"]))
    config = EvalConfig(dataset=str(DATA), judge=f"bedrock/{MODEL}", limit=2, concurrency=1)
    summary = run_eval(config).summary
    assert summary.counts.scored == 2 and summary.counts.errors == 0
    assert summary.counts.retries == {"rate_limit": 1, "server_error": 1}
    assert [entry.status for entry in server.recorded] == [429, 500, 200, 200]


def test_a_throttling_exception_carries_retry_after(bedrock: Callable[..., FakeProvider]) -> None:
    bedrock(faults=Faults(script=["rate_limit"], retry_after=4))
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.kind == "rate_limit" and caught.value.retry_after == 4
    assert "ThrottlingException" in str(caught.value)


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed", "empty"])
def test_faults_become_retryable_provider_errors(bedrock: Callable[..., FakeProvider], fault: str) -> None:
    bedrock(faults=Faults(script=[fault]))
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.retryable
    assert caught.value.kind == ("malformed" if fault == "empty" else fault)


def test_refused_credentials_are_fatal_and_never_echoed(
    bedrock: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    bedrock(faults=Faults(echo_key=True))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGKEY00000000")
    with pytest.raises(FatalProviderError) as caught:
        _complete()
    assert caught.value.kind == "auth" and "UnrecognizedClientException" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_an_unknown_model_is_fatal_and_named(bedrock: Callable[..., FakeProvider]) -> None:
    bedrock()
    with pytest.raises(FatalProviderError, match=r"model 'amazon\.nova-0' was not found"):
        _complete(REQUEST.model_copy(update={"model": "amazon.nova-0"}))


def test_a_closed_port_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.kind == "connection" and caught.value.retryable


def test_missing_region_and_credentials_are_named_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        create_backend("bedrock")
    for variable in ("AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_BEARER_TOKEN"):
        assert variable in str(caught.value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    result = cli("eval", str(DATA), "--judge", f"bedrock/{MODEL}")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "judgekit: error: bedrock/ judges need: export AWS_REGION=<a Bedrock region, e.g. us-east-1> (or AWS_DEFAULT_REGION)"
    ]


def test_batch_is_refused_before_any_call(bedrock: Callable[..., FakeProvider]) -> None:
    server = bedrock()
    result = cli("eval", str(DATA), "--judge", f"bedrock/{MODEL}", "--batch", "-q")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "no batch adapter for bedrock/ judges" in result.output
    assert server.recorded == []


def test_base_url_option_reaches_the_fake_through_the_cli(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider(lambda request: "Fine.\nRating: [[6]]")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    result = cli("eval", str(DATA), "--judge", f"bedrock/{MODEL}", "--base-url", server.url, "-q", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert len(server.recorded) == 5 and server.recorded[0].request.api == "bedrock"
