"""A local stand-in for the OpenAI and Anthropic HTTP APIs, for tests and benchmarks.

It speaks the wire formats the official SDKs expect (`POST /v1/chat/completions`,
`POST /v1/messages`, and Azure OpenAI's `POST /openai/deployments/<deployment>/chat/completions
?api-version=...` with an `api-key` header or an Entra ID bearer token), so the real `openai`
(also its Azure client) and `anthropic` clients can be pointed at it with a base URL. A
`responder` function decides what the "judge" says; `Faults` injects latency, 429s with or
without Retry-After, 500s, stalls past the client's timeout, connection resets,
malformed JSON, empty answers, HTML pages and 400s, and can rate-limit whatever exceeds a capacity of requests
in flight. Every request is recorded, so a test can count what was asked and prove that no
successful call was paid for twice; an answer whose client has already hung up is recorded as
"abandoned", not served. `pause()` holds every answer until `resume()`, so a test can stop a
client at a moment when nothing it was sent is unaccounted for.

It also serves the OpenAI files and batches endpoints and Anthropic message batches
(`judgekit.testing.batches`; pass `batches=BatchBehaviour(...)` to shape them).

It listens on 127.0.0.1 only, on a free port chosen by the OS.
"""

from __future__ import annotations

import json
import random
import re
import select
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from judgekit.testing.batches import BatchBehaviour, BatchService
from judgekit.testing.wire import (
    FakeRequest,
    Reply,
    Responder,
    anthropic_body,
    openai_body,
    parse_request,
)

_AZURE_PATH = re.compile(r"/openai/deployments/([^/]+)/chat/completions")
__all__ = ["FakeProvider", "FakeRequest", "Faults", "Recorded", "Reply", "default_responder"]


@dataclass
class Faults:
    """Failures to inject. Rates are per request, drawn from a seeded generator; `script` lists
    exact faults for the first requests (None for a normal answer)."""

    rate_limit: float = 0.0
    retry_after: float | None = 0.05
    """Seconds sent in Retry-After with a 429 (None sends no header)."""
    server_error: float = 0.0
    stall: float = 0.0
    stall_seconds: float = 3.0
    reset: float = 0.0
    malformed: float = 0.0
    empty: float = 0.0
    html: float = 0.0
    """An HTML page with status 200 (a proxy's login or error page) instead of JSON."""
    bad_request: float = 0.0
    """A 400 with `bad_request_message`, as a server answers a request it will never accept."""
    bad_request_message: str = "max_tokens is too large: 100000. This model supports at most 4096 completion tokens"
    script: list[str | None] = field(default_factory=list)
    seed: int = 0
    capacity: int | None = None
    """Requests served at once; one arriving while `capacity` are in flight gets a 429."""
    echo_key: bool = False
    """Error messages repeat the key the client sent, as some proxies and providers do."""

    KINDS = ("rate_limit", "server_error", "stall", "reset", "malformed", "empty", "html", "bad_request")


@dataclass
class Recorded:
    request: FakeRequest
    fault: str | None
    status: int
    batch_id: str | None = None
    """The batch that carried the request (None for an interactive call)."""


def default_responder(request: FakeRequest) -> Reply | str:
    """Answers in judgekit's built-in formats: first answer wins, or a rating of 7."""
    if "Rating: [[" in request.prompt:
        return "The answer is reasonable.\nRating: [[7]]"
    if "[[score of A, score of B]]" in request.prompt:
        return "Both are fine; the first is better.\n[[8, 6]]"
    return "Answer A is better.\n[[A]]"


class FakeProvider:
    """Run with `with FakeProvider(...) as server:`; use `server.openai_url` / `server.anthropic_url`."""

    def __init__(
        self,
        responder: Responder = default_responder,
        *,
        latency: float = 0.0,
        faults: Faults | None = None,
        api_key: str | None = None,
        models: set[str] | None = None,
        batches: BatchBehaviour | None = None,
    ) -> None:
        self.responder = responder
        self.latency = latency
        self.faults = faults or Faults()
        self.api_key = api_key
        self.models = models
        self.recorded: list[Recorded] = []
        self._sequence = 0
        """Requests decided so far; `Faults.script` applies to the first ones (never reset)."""
        self._held = 0
        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.batch = BatchService(self, batches)
        """The files / batches / message-batches endpoints (see judgekit.testing.batches)."""
        self._open = threading.Event()
        self._open.set()
        self.in_flight = 0
        """Requests being handled right now."""
        self.max_in_flight = 0
        """The most requests handled at once so far."""

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeProvider:
        handler = type("Handler", (_Handler,), {"provider": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._open.set()  # let held handlers finish
        self.batch.release_submissions()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not running"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_url(self) -> str:
        return self.url

    @property
    def azure_endpoint(self) -> str:
        """What AZURE_OPENAI_ENDPOINT holds for a resource: the SDK adds /openai/deployments/..."""
        return self.url

    # -- inspection -----------------------------------------------------------------------
    def served(self) -> Counter[str]:
        """Successful answers per request content: any value above 1 is a call paid twice."""
        with self._lock:
            return Counter(entry.request.key for entry in self.recorded if entry.status == 200 and entry.fault is None)

    def count(self, fault: str | None = "any") -> int:
        with self._lock:
            if fault == "any":
                return len(self.recorded)
            return sum(1 for entry in self.recorded if entry.fault == fault)

    def reset_records(self) -> None:
        with self._lock:
            self.recorded.clear()

    def pause(self) -> None:
        """Hold every answer (after its latency) until `resume()`; requests still arrive."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def held(self) -> int:
        """Requests waiting for `resume()`."""
        with self._lock:
            return self._held

    # -- decisions ------------------------------------------------------------------------
    def _next_fault(self) -> str | None:
        with self._lock:
            index = self._sequence
            self._sequence += 1
            if index < len(self.faults.script):
                return self.faults.script[index]
            draw = self._rng.random()
        threshold = 0.0
        for kind in Faults.KINDS:
            threshold += getattr(self.faults, kind)
            if draw < threshold:
                return kind
        return None

    def record(self, request: FakeRequest, fault: str | None, status: int, batch_id: str | None = None) -> None:
        with self._lock:
            self.recorded.append(Recorded(request, fault, status, batch_id))

    def _enter(self) -> bool:
        """Count a request in flight; False when that exceeds the capacity (answer 429)."""
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            capacity = self.faults.capacity
            return capacity is None or self.in_flight <= capacity

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _wait_open(self) -> None:
        if self._open.is_set():
            return
        with self._lock:
            self._held += 1
        self._open.wait()
        with self._lock:
            self._held -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a stalled handler must not hold up shutdown
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client that hung up or was killed: expected in fault tests, not news
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    provider: FakeProvider
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return None

    def do_POST(self) -> None:
        within_capacity = self.provider._enter()
        try:
            self._post(within_capacity)
        finally:
            self.provider._leave()

    def _post(self, within_capacity: bool) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.provider.batch.handle(self, "POST", raw):
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self.json_reply(400, {"error": {"message": "invalid JSON body"}})
            return
        path, _, query = self.path.partition("?")
        path = path.rstrip("/")
        deployment = _AZURE_PATH.fullmatch(path)
        if deployment:
            api = "azure"
        elif path.endswith("/chat/completions"):
            api = "openai"
        elif path.endswith("/messages"):
            api = "anthropic"
        else:
            self.json_reply(404, {"error": {"message": f"no route {self.path}"}})
            return
        request = parse_request(api, body)
        request.query = dict(urllib.parse.parse_qsl(query))
        provider = self.provider
        if deployment:
            request.model = urllib.parse.unquote(deployment.group(1))
            if not request.query.get("api-version"):
                provider.record(request, "bad_request", 400)
                self.error_reply(api, 400, "BadRequest", "Missing required query parameter: api-version")
                return
        if provider.api_key is not None and not self.authorised(api, provider.api_key):
            provider.record(request, "auth", 401)
            self.error_reply(api, 401, "authentication_error", f"Incorrect API key provided: {self._sent_key(api)}")
            return
        if provider.models is not None and request.model not in provider.models:
            provider.record(request, "not_found", 404)
            self.error_reply(api, 404, "not_found_error", f"The model `{request.model}` does not exist")
            return
        # Over capacity: a quick 429, as a real server rejects work it cannot take.
        fault = provider._next_fault() if within_capacity else "rate_limit"
        if provider.latency and within_capacity:
            time.sleep(provider.latency)
        provider._wait_open()
        if fault not in ("stall", "reset") and self.client_gone():
            provider.record(request, "abandoned", 0)
            self.close_connection = True
            return
        if fault == "rate_limit":
            provider.record(request, fault, 429)
            headers = {} if provider.faults.retry_after is None else {"retry-after": f"{provider.faults.retry_after:g}"}
            self.error_reply(api, 429, "rate_limit_error", "Rate limit reached, slow down", headers)
            return
        if fault == "server_error":
            provider.record(request, fault, 500)
            self.error_reply(api, 500, "api_error", "The server had an error")
            return
        if fault == "stall":
            provider.record(request, fault, 0)
            time.sleep(provider.faults.stall_seconds)
            self.close_connection = True
            return
        if fault == "reset":
            provider.record(request, fault, 0)
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault == "bad_request":
            provider.record(request, fault, 400)
            self.error_reply(api, 400, "invalid_request_error", provider.faults.bad_request_message)
            return
        if fault == "html":
            provider.record(request, fault, 200)
            page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in.</body></html>"
            self.raw_reply(200, page, "text/html; charset=utf-8")
            return
        if fault == "malformed":
            provider.record(request, fault, 200)
            self.raw_reply(200, b'{"id": "broken", "choices": [', "application/json")
            return
        answer = provider.responder(request)
        reply = answer if isinstance(answer, Reply) else Reply(text=str(answer))
        if fault == "empty":
            reply = Reply(text="")
        provider.record(request, fault, 200)
        if api in ("openai", "azure"):
            self.json_reply(200, openai_body(request, reply))
        else:
            self.json_reply(200, anthropic_body(request, reply))

    def do_GET(self) -> None:
        if not self.provider.batch.handle(self, "GET", b""):
            self.json_reply(404, {"error": {"message": f"no route {self.path}"}})

    # -- helpers --------------------------------------------------------------------------
    def client_gone(self) -> bool:
        """True when the client closed the connection (it timed out, was cancelled or killed)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except (OSError, ValueError):
            return True

    def _sent_key(self, api: str) -> str:
        if api == "azure" and self.headers.get("api-key"):
            return self.headers.get("api-key") or ""
        if api in ("openai", "azure"):
            return (self.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        return self.headers.get("x-api-key") or ""

    def authorised(self, api: str, key: str) -> bool:
        return self._sent_key(api) == key

    def error_reply(
        self, api: str, status: int, kind: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        if self.provider.faults.echo_key:
            message = f"{message} (request made with key {self._sent_key(api)})"
        if api == "anthropic":
            body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            body = {"error": {"message": message, "type": kind, "code": None}}
        self.json_reply(status, body, headers)

    def json_reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.raw_reply(status, json.dumps(body).encode(), "application/json", headers)

    def raw_reply(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
