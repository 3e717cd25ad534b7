"""Claude on Vertex AI, as the fake server speaks it (what anthropic's AnthropicVertex client sends).

    POST [/v1]/projects/<project>/locations/<region>/publishers/anthropic/models/<model>:rawPredict
    Authorization: Bearer <Google access token>
    {"anthropic_version": "vertex-2023-10-16", "messages": [...], "system": ..., "max_tokens": ...}

The body is the Messages API's without `model` (the path names it) and the answer is a Messages
API reply. Failures have Google's error shape, as Vertex AI sends them for quota (429),
credentials (401) and unknown models (404).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from judgekit.testing.gemini import google_error
from judgekit.testing.wire import FakeRequest, Reply, anthropic_body, parse_request

_PATH = re.compile(
    r"(?:/v1)?/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)"
    r"/publishers/anthropic/models/(?P<model>[^/:]+):rawPredict"
)


class VertexDialect:
    api = "vertex"

    def route(self, path: str) -> dict[str, str] | None:
        found = _PATH.fullmatch(path)
        return found.groupdict() if found else None

    def parse(self, body: dict[str, Any], params: dict[str, str]) -> FakeRequest:
        request = parse_request("anthropic", body)
        request.api = self.api
        request.model = urllib.parse.unquote(params["model"])
        request.params = params
        return request

    def sent_key(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        return (headers.get("authorization") or "").removeprefix("Bearer ").strip()

    def answer(self, request: FakeRequest, reply: Reply) -> dict[str, Any]:
        return anthropic_body(request, reply)

    def error(self, status: int, message: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        return status, google_error(status, message), headers


VERTEX = VertexDialect()
