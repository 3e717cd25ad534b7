"""The real openai and anthropic SDKs against the local wire-compatible server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from judgekit.backends.base import BackendOptions
from judgekit.backends.registry import create_backend, known_providers, parse_spec
from judgekit.errors import FatalProviderError, MissingCredentialsError, ProviderError, UnknownProviderError, UsageError
from judgekit.schema import JudgeRequest, Message, SamplingParams
from judgekit.testing.server import FakeProvider, Faults, Reply

REQUEST = JudgeRequest(
    model="judge-1",
    messages=(Message(role="system", content="Be fair."), Message(role="user", content="Rate this.")),
    params=SamplingParams(temperature=0.0, max_tokens=64),
)


def _complete(provider: str, request: JudgeRequest = REQUEST, timeout: float = 5.0) -> object:
    async def go() -> object:
        backend = create_backend(provider, BackendOptions(timeout=timeout))
        try:
            return await backend.complete(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


@pytest.fixture
def both(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(*args: object, **kwargs: object) -> FakeProvider:
        server = fake_provider(*args, **kwargs)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test-key-123456")
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-123456")
        return server

    return start


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_success_sends_system_messages_and_parameters(both: Callable[..., FakeProvider], provider: str) -> None:
    server = both(lambda request: "Fine.\nRating: [[6]]")
    completion = _complete(provider)
    assert completion.text == "Fine.\nRating: [[6]]"  # type: ignore[attr-defined]
    assert completion.prompt_tokens and completion.completion_tokens  # type: ignore[attr-defined]
    (entry,) = server.recorded
    assert entry.request.system == "Be fair."
    assert entry.request.body["temperature"] == 0.0
    assert entry.request.body.get("max_tokens") == 64 or entry.request.body.get("max_completion_tokens") == 64


def test_openai_logprobs_are_returned(both: Callable[..., FakeProvider]) -> None:
    both(lambda request: Reply("Good.\nRating: [[8]]", at="8", distribution={"8": 0.7, "9": 0.3}))
    request = REQUEST.model_copy(update={"params": SamplingParams(logprobs=True, top_logprobs=5)})
    completion = _complete("openai", request)
    tokens = completion.logprobs  # type: ignore[attr-defined]
    assert "".join(token.token for token in tokens) == "Good.\nRating: [[8]]"
    eight = next(token for token in tokens if token.token == "8")
    assert eight.top == pytest.approx({"8": -0.35667494, "9": -1.2039728}, rel=1e-5)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize(
    ("fault", "kind", "retry_after"),
    [
        ("rate_limit", "rate_limit", 0.05),
        ("server_error", "server_error", None),
        ("malformed", "malformed", None),
        ("empty", "malformed", None),
        ("reset", "connection", None),
        ("stall", "timeout", None),
    ],
)
def test_faults_become_retryable_provider_errors(
    both: Callable[..., FakeProvider], provider: str, fault: str, kind: str, retry_after: float | None
) -> None:
    both(faults=Faults(script=[fault], stall_seconds=2.0))
    with pytest.raises(ProviderError) as caught:
        _complete(provider, timeout=0.5)
    assert caught.value.kind == kind and caught.value.retryable
    assert caught.value.retry_after == retry_after


def test_rate_limit_without_retry_after(both: Callable[..., FakeProvider]) -> None:
    both(faults=Faults(script=["rate_limit"], retry_after=None))
    with pytest.raises(ProviderError) as caught:
        _complete("openai")
    assert caught.value.kind == "rate_limit" and caught.value.retry_after is None


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_rejected_key_is_fatal_and_never_echoed(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, provider: str
) -> None:
    server = fake_provider(api_key="the-right-key")
    secret = "sk-wrong-secret-0123456789"
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    with pytest.raises(FatalProviderError) as caught:
        _complete(provider)
    assert caught.value.kind == "auth"
    assert secret not in str(caught.value)


def test_unknown_model_is_fatal(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> None:
    server = fake_provider(models={"real-model"})
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    with pytest.raises(FatalProviderError, match="model 'judge-1' was not found"):
        _complete("openai")


def test_missing_keys_name_the_variable() -> None:
    with pytest.raises(MissingCredentialsError, match="OPENAI_API_KEY is not set"):
        create_backend("openai")
    with pytest.raises(MissingCredentialsError, match="ANTHROPIC_API_KEY is not set"):
        create_backend("anthropic")


def test_base_url_without_key_uses_a_placeholder(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider()
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    assert "[[A]]" in _complete("openai").text  # type: ignore[attr-defined]


def test_model_specs() -> None:
    assert parse_spec("openai/gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_spec("openai/meta-llama/Llama-3-8B") == ("openai", "meta-llama/Llama-3-8B")
    assert parse_spec("openai/llama3:8b") == ("openai", "llama3:8b")
    assert parse_spec("anthropic:claude-x") == ("anthropic", "claude-x")
    assert {"openai", "anthropic", "mock", "local"} <= set(known_providers())
    with pytest.raises(
        UnknownProviderError, match=r"unknown provider 'opnai'.*known providers: .*did you mean 'openai'"
    ):
        parse_spec("opnai/gpt-4o")
    with pytest.raises(UsageError, match="must look like provider/model"):
        parse_spec("gpt-4o")
