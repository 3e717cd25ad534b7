"""Shared fixtures. Every test runs offline: sockets may reach 127.0.0.1 only, provider
variables are cleared, and the cache and run directories live in a temporary folder."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider, Faults, Responder, default_responder

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SECRET_PREFIXES = ("OPENAI_", "ANTHROPIC_", "AZURE_", "JUDGEKIT_", "GEMINI_", "GOOGLE_", "AWS_", "CLOUD_ML_")
CI_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")
"""Cleared too: on a CI runner they would make tests write annotations and step summaries."""


def _guard(host: object) -> None:
    if isinstance(host, str) and host not in LOCAL_HOSTS:
        raise RuntimeError(f"a test tried to reach {host}; tests may only talk to 127.0.0.1")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any connection or name lookup that is not the local machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _guard(address[0])
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _guard(address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _guard(host.decode() if isinstance(host, bytes) else host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No provider keys or judgekit settings leak in; work happens in a temporary folder."""
    for name in list(os.environ):
        if name.startswith(SECRET_PREFIXES) or name in CI_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("JUDGEKIT_CACHE_DIR", str(tmp_path / "cache"))
    # The cloud SDKs look for credentials in files under the home folder and on instance metadata
    # servers (a link-local address): point them at nothing, so no test finds real credentials.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("JUDGEKIT_DISABLE_PLUGINS", "1")
    monkeypatch.setenv("JUDGEKIT_RETRY_BASE_DELAY", "0.01")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


TEST_KEY = "sk-test-judge-0123456789"
"""The key the `judge` fixture sets: tests that look for leaked keys search for it."""


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    """Start a fake OpenAI-compatible judge and point OPENAI_BASE_URL / OPENAI_API_KEY at it:
    `judge(responder, **options)`; a test file may override the fixture to change the responder."""

    def start(responder: Responder | None = None, **options: Any) -> FakeProvider:
        from tests.helpers import marker_responder

        server = fake_provider(responder or marker_responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        return server

    return start


@pytest.fixture
def fake_provider() -> Iterator[Callable[..., FakeProvider]]:
    """Start fake OpenAI/Anthropic servers: `fake_provider(responder, faults=..., latency=...)`."""
    started: list[FakeProvider] = []

    def start(responder: Responder = default_responder, **options: Any) -> FakeProvider:
        server = FakeProvider(responder, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def openai_server(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """A fake server with OPENAI_BASE_URL and a key pointing at it."""
    server = fake_provider()
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
    return server


@pytest.fixture
def faults() -> type[Faults]:
    return Faults
