"""Claude on Vertex AI: anthropic's AsyncAnthropicVertex client against the local fake, which answers
`:rawPredict` at the project/region/model path with a Messages API reply and checks the bearer token."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from judgekit.api import run_eval
from judgekit.backends.base import BackendOptions
from judgekit.backends.registry import create_backend, known_providers
from judgekit.config import EvalConfig
from judgekit.errors import FatalProviderError, MissingCredentialsError, ProviderError
from judgekit.schema import Completion, JudgeRequest, Message, SamplingParams
from judgekit.testing.server import FakeProvider, Faults
from tests.gate_helpers import cli

DATA = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pointwise.jsonl"
TOKEN = "ya29.fake-access-token-0123456789"
MODEL = "claude-sonnet-4-5@20250929"
REQUEST = JudgeRequest(
    model=MODEL,
    messages=(Message(role="system", content="Be fair."), Message(role="user", content="Rate this.")),
    params=SamplingParams(temperature=0.0, max_tokens=64),
)


@pytest.fixture
def vertex(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    """A fake Vertex AI endpoint for one Claude model, with region, project and an access token set."""

    def start(*args: object, **kwargs: object) -> FakeProvider:
        server = fake_provider(*args, api_key=TOKEN, models={MODEL}, **kwargs)
        monkeypatch.setenv("ANTHROPIC_VERTEX_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
        monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "judge-project")
        monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
        return server

    return start


def _complete(request: JudgeRequest = REQUEST) -> Completion:
    async def go() -> Completion:
        backend = create_backend("vertex", BackendOptions(timeout=5.0))
        try:
            return await backend.complete(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_an_eval_posts_raw_predict_at_the_project_region_and_model(vertex: Callable[..., FakeProvider]) -> None:
    server = vertex(lambda request: "Fine.\nRating: [[6]]")
    result = run_eval(EvalConfig(dataset=str(DATA), judge=f"vertex/{MODEL}", limit=3))
    assert result.summary.counts.scored == 3 and result.summary.pointwise is not None
    assert result.summary.pointwise.mean is not None and result.summary.pointwise.mean.value == 6
    assert {(entry.request.api, entry.request.model, entry.status) for entry in server.recorded} == {
        ("vertex", MODEL, 200)
    }
    request = server.recorded[0].request
    assert request.params["project"] == "judge-project" and request.params["region"] == "us-east5"
    # The Vertex client names the model in the path and an anthropic_version in the body instead.
    assert request.body["anthropic_version"] and "model" not in request.body
    assert request.body["temperature"] == 0.0 and request.body["max_tokens"] > 0
    assert "vertex" in known_providers()


def test_usage_and_stop_reason_are_read(vertex: Callable[..., FakeProvider]) -> None:
    vertex(lambda request: "Good.\nRating: [[9]]")
    completion = _complete()
    assert completion.texts == ["Good.\nRating: [[9]]"] and completion.finish_reason == "end_turn"
    assert completion.completion_tokens == len("Good.\nRating: [[9]]") // 4  # the fake's count
    assert completion.prompt_tokens == len("Be fair.\nRate this.") // 4


def test_rate_limits_and_server_errors_are_retried(vertex: Callable[..., FakeProvider]) -> None:
    server = vertex(lambda request: "Fine.\nRating: [[6]]", faults=Faults(script=["rate_limit", "server_error"]))
    config = EvalConfig(dataset=str(DATA), judge=f"vertex/{MODEL}", limit=2, concurrency=1)
    summary = run_eval(config).summary
    assert summary.counts.scored == 2 and summary.counts.errors == 0
    assert summary.counts.retries == {"rate_limit": 1, "server_error": 1}
    assert [entry.status for entry in server.recorded] == [429, 500, 200, 200]


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed", "empty"])
def test_faults_become_retryable_provider_errors(vertex: Callable[..., FakeProvider], fault: str) -> None:
    vertex(faults=Faults(script=[fault], retry_after=3))
    with pytest.raises(ProviderError) as caught:
        _complete()
    assert caught.value.retryable
    assert caught.value.kind == ("malformed" if fault == "empty" else fault)
    if fault == "rate_limit":
        assert caught.value.retry_after == 3


def test_a_refused_token_names_the_variable_and_is_never_echoed(
    vertex: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    vertex(faults=Faults(echo_key=True))
    secret = "ya29.wrong-token-0123456789"
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", secret)
    with pytest.raises(FatalProviderError) as caught:
        _complete()
    assert caught.value.kind == "auth" and "check GOOGLE_OAUTH_ACCESS_TOKEN" in str(caught.value)
    assert secret not in str(caught.value)


def test_an_unknown_model_is_fatal_and_named(vertex: Callable[..., FakeProvider]) -> None:
    vertex()
    with pytest.raises(FatalProviderError, match=r"model 'claude-0' was not found"):
        _complete(REQUEST.model_copy(update={"model": "claude-0"}))


def test_missing_region_project_and_credentials_are_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A credentials file that is not there: google-auth gives up at once, without looking further.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(MissingCredentialsError) as caught:
        create_backend("vertex")
    message = str(caught.value)
    for variable in (
        "CLOUD_ML_REGION",
        "ANTHROPIC_VERTEX_PROJECT_ID",
        "GOOGLE_OAUTH_ACCESS_TOKEN",
        "GOOGLE_APPLICATION",
    ):
        assert variable in message
    assert "missing.json" in message  # google-auth's reason is kept
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
    result = cli("eval", str(DATA), "--judge", f"vertex/{MODEL}")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "judgekit: error: vertex/ judges need: export ANTHROPIC_VERTEX_PROJECT_ID=<your Google Cloud project id>"
    ]


def test_batch_is_refused_before_any_call(vertex: Callable[..., FakeProvider]) -> None:
    server = vertex()
    result = cli("eval", str(DATA), "--judge", f"vertex/{MODEL}", "--batch", "-q")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "no batch adapter for vertex/ judges" in result.output
    assert server.recorded == []


def test_base_url_option_reaches_the_fake_through_the_cli(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider(lambda request: "Fine.\nRating: [[6]]")
    monkeypatch.setenv("CLOUD_ML_REGION", "global")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "other-project")
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
    result = cli("eval", str(DATA), "--judge", f"vertex/{MODEL}", "--base-url", server.url, "-q", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert len(server.recorded) == 5
    assert server.recorded[0].request.params == {"project": "other-project", "region": "global", "model": MODEL}


class _TokenEndpoint(BaseHTTPRequestHandler):
    """Google's OAuth token endpoint, as google-auth trades a service account's signed JWT for a token."""

    granted: ClassVar[list[dict[str, str]]] = []
    refuse = False

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_POST(self) -> None:
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["content-length"])).decode()))
        self.granted.append(form)
        status, body = (
            (400, {"error": "invalid_grant"}) if self.refuse else (200, {"access_token": TOKEN, "expires_in": 3600})
        )
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.parametrize("refuse", [False, True])
def test_application_default_credentials_are_traded_for_a_token(
    vertex: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, refuse: bool
) -> None:
    server = vertex(lambda request: "Fine.\nRating: [[6]]")
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN")
    monkeypatch.delenv("ANTHROPIC_VERTEX_PROJECT_ID")  # the key file names the project
    handler = type("Endpoint", (_TokenEndpoint,), {"granted": [], "refuse": refuse})
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as oauth:
        threading.Thread(target=oauth.serve_forever, daemon=True).start()
        account = {
            "type": "service_account",
            "project_id": "adc-project",
            "private_key_id": "key-1",
            "private_key": _private_key(),
            "client_email": "judge@adc-project.iam.gserviceaccount.com",
            "token_uri": f"http://127.0.0.1:{oauth.server_address[1]}/token",
        }
        (tmp_path / "adc.json").write_text(json.dumps(account))
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "adc.json"))
        try:
            if refuse:
                with pytest.raises(FatalProviderError) as caught:
                    _complete()
                assert caught.value.kind == "auth" and "invalid_grant" in str(caught.value)
                assert server.recorded == []
            else:
                assert "[[6]]" in _complete().text
                assert server.recorded[0].status == 200  # the fake accepted the token from the endpoint
                assert server.recorded[0].request.params["project"] == "adc-project"
        finally:
            oauth.shutdown()
    assert handler.granted and handler.granted[0]["grant_type"].endswith("jwt-bearer")


def _private_key() -> str:
    """A throwaway RSA key, as a service account key file holds one (google-auth signs a JWT with it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_an_access_token_needs_no_google_auth(
    vertex: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    server = vertex()
    for name in [name for name in sys.modules if name == "google.auth" or name.startswith("google.auth.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "google.auth", None)  # as where the vertex extra is not installed
    assert "[[A]]" in _complete().text
    assert server.recorded[0].status == 200
