"""Azure OpenAI judges: the openai SDK's Azure client against the local fake, which answers at
Azure's URL shape (/openai/deployments/<deployment>/chat/completions?api-version=...) and checks
the api-key header or the Entra ID bearer token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from judgekit.api import run_eval
from judgekit.backends.base import BackendOptions
from judgekit.backends.registry import create_backend, known_providers
from judgekit.config import EvalConfig
from judgekit.errors import FatalProviderError, MissingCredentialsError, ProviderError
from judgekit.schema import JudgeRequest, Message, SamplingParams
from judgekit.testing.server import FakeProvider, Faults, Reply
from tests.gate_helpers import cli

DATA = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pointwise.jsonl"
VERSION = "2024-10-21"
KEY = "azure-key-0123456789abcdef"
REQUEST = JudgeRequest(
    model="judge-deployment",
    messages=(Message(role="system", content="Be fair."), Message(role="user", content="Rate this.")),
    params=SamplingParams(temperature=0.0, max_tokens=64),
)


@pytest.fixture
def azure(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    """A fake Azure resource holding the deployment `judge-deployment`, reached with a key."""

    def start(*args: object, token: str | None = None, **kwargs: object) -> FakeProvider:
        server = fake_provider(*args, api_key=token or KEY, models={"judge-deployment"}, **kwargs)
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.azure_endpoint)
        monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
        if token is None:
            monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
        else:
            monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", token)
        return server

    return start


def _complete(request: JudgeRequest = REQUEST, timeout: float = 5.0) -> object:
    async def go() -> object:
        backend = create_backend("azure", BackendOptions(timeout=timeout))
        try:
            return await backend.complete(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_an_eval_reaches_the_deployment_url_with_the_api_version_and_key(azure: Callable[..., FakeProvider]) -> None:
    server = azure(lambda request: "Fine.\nRating: [[6]]")
    result = run_eval(EvalConfig(dataset=str(DATA), judge="azure/judge-deployment", limit=4))
    assert result.summary.counts.scored == 4 and result.summary.pointwise is not None
    assert result.summary.pointwise.mean is not None and result.summary.pointwise.mean.value == 6
    assert {(entry.request.api, entry.request.model, entry.status) for entry in server.recorded} == {
        ("azure", "judge-deployment", 200)
    }
    assert all(entry.request.query == {"api-version": VERSION} for entry in server.recorded)
    body = server.recorded[0].request.body
    assert body["max_completion_tokens"] > 0 and body["temperature"] == 0.0
    assert "azure" in known_providers()


def test_an_entra_id_token_is_sent_as_a_bearer_token(azure: Callable[..., FakeProvider]) -> None:
    server = azure(token="entra-token-abcdef0123456789")
    assert "[[A]]" in _complete().text  # type: ignore[attr-defined]
    assert server.recorded[0].status == 200


def test_logprobs_give_a_probability_weighted_score(azure: Callable[..., FakeProvider]) -> None:
    server = azure(lambda request: Reply("Good.\nRating: [[8]]", at="8", distribution={"8": 0.7, "9": 0.3}))
    config = EvalConfig(dataset=str(DATA), judge="azure/judge-deployment", limit=3, score_method="logprobs")
    summary = run_eval(config).summary
    assert summary.pointwise is not None and summary.pointwise.mean is not None
    assert summary.pointwise.mean.value == pytest.approx(8 * 0.7 + 9 * 0.3)  # by hand: 8.3 for every item
    assert summary.scoring is not None and summary.scoring.method == "logprobs"
    body = server.recorded[0].request.body
    assert body["logprobs"] is True and body["top_logprobs"] == 20


def test_rate_limits_and_server_errors_are_retried(azure: Callable[..., FakeProvider]) -> None:
    server = azure(lambda request: "Fine.\nRating: [[6]]", faults=Faults(script=["rate_limit", "server_error"]))
    config = EvalConfig(dataset=str(DATA), judge="azure/judge-deployment", limit=2, concurrency=1)
    summary = run_eval(config).summary
    assert summary.counts.scored == 2 and summary.counts.errors == 0
    assert summary.counts.retries == {"rate_limit": 1, "server_error": 1}
    assert [entry.status for entry in server.recorded] == [429, 500, 200, 200]


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed"])
def test_faults_become_retryable_provider_errors(azure: Callable[..., FakeProvider], fault: str) -> None:
    azure(faults=Faults(script=[fault]))
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.retryable and caught.value.kind == fault


def test_a_refused_key_names_azures_variable_and_is_never_echoed(
    azure: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    azure(faults=Faults(echo_key=True))
    secret = "azure-wrong-secret-0123456789"
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", secret)
    with pytest.raises(FatalProviderError) as caught:
        _complete()
    assert caught.value.kind == "auth" and "check AZURE_OPENAI_API_KEY" in str(caught.value)
    assert secret not in str(caught.value)


def test_an_unknown_deployment_is_fatal_and_named(azure: Callable[..., FakeProvider]) -> None:
    azure()
    with pytest.raises(FatalProviderError, match="model 'other-deployment' was not found"):
        _complete(REQUEST.model_copy(update={"model": "other-deployment"}))


def test_the_fake_refuses_a_request_without_api_version(azure: Callable[..., FakeProvider]) -> None:
    import urllib.error
    import urllib.request

    server = azure()
    url = f"{server.azure_endpoint}/openai/deployments/judge-deployment/chat/completions"
    request = urllib.request.Request(url, data=b'{"messages": []}', headers={"api-key": KEY}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400 and "api-version" in caught.value.read().decode()


def test_missing_settings_name_every_variable_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        create_backend("azure")
    message = str(caught.value)
    for variable in ("AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"):
        assert variable in message
    monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "token")
    result = cli("eval", str(DATA), "--judge", "azure/judge-deployment")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "judgekit: error: azure/ judges need: export AZURE_OPENAI_ENDPOINT=https://<resource>.openai.azure.com "
        "(or pass --base-url)"
    ]


def test_base_url_stands_for_the_endpoint(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider(lambda request: "Fine.\nRating: [[6]]")
    monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    result = cli("eval", str(DATA), "--judge", "azure/judge-deployment", "--base-url", server.azure_endpoint, "-q")
    assert result.exit_code == 0, result.output
    assert len(server.recorded) == 40 and server.recorded[0].request.api == "azure"
