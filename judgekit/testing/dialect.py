"""What a provider's wire format must say to be served by the fake server beside OpenAI's and Anthropic's.

A dialect names the routes it answers, reads a request body into a `FakeRequest`, finds the
credential the client sent, and writes answers and errors the way that provider's SDK expects
them. The fake server (`handler.py`) keeps everything else: faults, recording, capacity, pauses.
Each provider's dialect lives in its own module (`gemini.py`, `bedrock.py`, `vertex.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from judgekit.testing.wire import FakeRequest, Reply


class Dialect(Protocol):
    api: str
    """The name recorded as `FakeRequest.api` ("gemini", "bedrock", "vertex")."""

    def route(self, path: str) -> dict[str, str] | None:
        """The path's parameters (model, project, ...) when the path is this dialect's, else None."""
        ...

    def parse(self, body: dict[str, Any], params: dict[str, str]) -> FakeRequest: ...

    def sent_key(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        """The credential the client sent (a key, a token, an access key id)."""
        ...

    def answer(self, request: FakeRequest, reply: Reply) -> dict[str, Any]: ...

    def error(self, status: int, message: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The status, body and headers this provider sends for a failure of `status` (the fake
        server's own headers, such as Retry-After, come in `headers`)."""
        ...
