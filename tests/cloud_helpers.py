"""Pointing the cloud SDKs (google-genai, boto3, anthropic's Vertex client) at one fake server."""

from __future__ import annotations

import pytest

from judgekit.testing.server import FakeProvider

CLOUD_SETTINGS = {
    "GEMINI_API_KEY": "gemini-key-0123456789abcdef",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIAFAKEJUDGEKIT0001",
    "AWS_SECRET_ACCESS_KEY": "fake-secret-key-0123456789abcdefghijklmnop",
    "CLOUD_ML_REGION": "us-east5",
    "ANTHROPIC_VERTEX_PROJECT_ID": "judge-project",
    "GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.fake-access-token-0123456789",
}
"""Made-up credentials, region and project; the fake serves every dialect on one port."""


def point_clouds_at(server: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """Set the variables that send gemini/, bedrock/ and vertex/ judges to `server`."""
    for name, value in CLOUD_SETTINGS.items():
        monkeypatch.setenv(name, value)
    for name in ("GOOGLE_GEMINI_BASE_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "ANTHROPIC_VERTEX_BASE_URL"):
        monkeypatch.setenv(name, server.url)
    return server
