"""How the fake provider answers one HTTP request: a chat call, with its injected fault, or a batch route.

A chat request is read (OpenAI, Azure OpenAI or Anthropic by its path, or one of the dialects
in `DIALECTS`: Gemini, Bedrock's Converse, Claude on Vertex AI), checked as the real
service checks it (Azure's api-version, the key, the model), then given the fault `Faults`
draws for it (or a 429 over capacity) or the responder's answer. Batch and file routes go to
`BatchService.handle`.
"""

from __future__ import annotations

import json
import re
import select
import socket
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from judgekit.testing.bedrock import BEDROCK
from judgekit.testing.dialect import Dialect
from judgekit.testing.gemini import GEMINI
from judgekit.testing.vertex import VERTEX
from judgekit.testing.wire import FakeRequest, Reply, anthropic_body, openai_body, parse_request

if TYPE_CHECKING:
    from judgekit.testing.server import FakeProvider

_AZURE_PATH = re.compile(r"/openai/deployments/([^/]+)/chat/completions")
DIALECTS: dict[str, Dialect] = {dialect.api: dialect for dialect in (GEMINI, BEDROCK, VERTEX)}
"""The providers served beside OpenAI's and Anthropic's formats, by their `api` name."""
_LINGER_AT_ONCE = b"\x01\x00\x00\x00\x00\x00\x00\x00"
"""SO_LINGER on with a zero timeout: closing sends a reset instead of a clean end."""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a stalled handler must not hold up shutdown
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a client that hung up or was killed: expected in fault tests, not news
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
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

    def do_GET(self) -> None:
        if not self.provider.batch.handle(self, "GET", b""):
            self.json_reply(404, {"error": {"message": f"no route {self.path}"}})

    # -- a chat request -------------------------------------------------------------------
    def _post(self, within_capacity: bool) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.provider.batch.handle(self, "POST", raw):
            return
        request = self._chat_request(raw)
        if request is None or self._refused(request):
            return
        provider = self.provider
        # Over capacity: a quick 429, as a real server rejects work it cannot take.
        fault = provider._next_fault() if within_capacity else "rate_limit"
        if provider.latency and within_capacity:
            time.sleep(provider.latency)
        provider._wait_open()
        if fault not in ("stall", "reset") and self.client_gone():
            provider.record(request, "abandoned", 0)
            self.close_connection = True
            return
        if not self._inject(request, fault):
            self._answer(request, fault)

    def _chat_request(self, raw: bytes) -> FakeRequest | None:
        """The request a chat route carries; None once an error (bad JSON, unknown route) is answered."""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self.json_reply(400, {"error": {"message": "invalid JSON body"}})
            return None
        path, _, query = self.path.partition("?")
        path = path.rstrip("/")
        for dialect in DIALECTS.values():
            params = dialect.route(path)
            if params is not None:
                request = dialect.parse(body, params)
                request.query = dict(urllib.parse.parse_qsl(query))
                return request
        deployment = _AZURE_PATH.fullmatch(path)
        if deployment:
            api = "azure"
        elif path.endswith("/chat/completions"):
            api = "openai"
        elif path.endswith("/messages"):
            api = "anthropic"
        else:
            self.json_reply(404, {"error": {"message": f"no route {self.path}"}})
            return None
        request = parse_request(api, body)
        request.query = dict(urllib.parse.parse_qsl(query))
        if deployment:
            request.model = urllib.parse.unquote(deployment.group(1))
        return request

    def _refused(self, request: FakeRequest) -> bool:
        """Answer what the real service refuses (no api-version, a wrong key, an unknown model)."""
        provider, api = self.provider, request.api
        if api == "azure" and not request.query.get("api-version"):
            provider.record(request, "bad_request", 400)
            self.error_reply(api, 400, "BadRequest", "Missing required query parameter: api-version")
            return True
        if provider.api_key is not None and not self.authorised(api, provider.api_key):
            provider.record(request, "auth", 401)
            self.error_reply(api, 401, "authentication_error", f"Incorrect API key provided: {self._sent_key(api)}")
            return True
        if provider.models is not None and request.model not in provider.models:
            provider.record(request, "not_found", 404)
            self.error_reply(api, 404, "not_found_error", f"The model `{request.model}` does not exist")
            return True
        return False

    def _inject(self, request: FakeRequest, fault: str | None) -> bool:
        """Act out a fault that replaces the answer; False when the request is to be answered."""
        provider, api = self.provider, request.api
        if fault == "rate_limit":
            provider.record(request, fault, 429)
            headers = {} if provider.faults.retry_after is None else {"retry-after": f"{provider.faults.retry_after:g}"}
            self.error_reply(api, 429, "rate_limit_error", "Rate limit reached, slow down", headers)
        elif fault == "server_error":
            provider.record(request, fault, 500)
            self.error_reply(api, 500, "api_error", "The server had an error")
        elif fault == "stall":
            provider.record(request, fault, 0)
            time.sleep(provider.faults.stall_seconds)
            self.close_connection = True
        elif fault == "reset":
            provider.record(request, fault, 0)
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_AT_ONCE)
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif fault == "bad_request":
            provider.record(request, fault, 400)
            self.error_reply(api, 400, "invalid_request_error", provider.faults.bad_request_message)
        elif fault == "html":
            provider.record(request, fault, 200)
            page = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in.</body></html>"
            self.raw_reply(200, page, "text/html; charset=utf-8")
        elif fault == "malformed":
            provider.record(request, fault, 200)
            self.raw_reply(200, b'{"id": "broken", "choices": [', "application/json")
        else:
            return False
        return True

    def _answer(self, request: FakeRequest, fault: str | None) -> None:
        """The responder's answer (emptied for the "empty" fault), in the request's wire format."""
        api = request.api
        said = self.provider.responder(request)
        reply = said if isinstance(said, Reply) else Reply(text=str(said))
        if fault == "empty":
            reply = Reply(text="")
        self.provider.record(request, fault, 200)
        if api in DIALECTS:
            self.json_reply(200, DIALECTS[api].answer(request, reply))
        elif api in ("openai", "azure"):
            self.json_reply(200, openai_body(request, reply))
        else:
            self.json_reply(200, anthropic_body(request, reply))

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
        if api in DIALECTS:
            query = dict(urllib.parse.parse_qsl(self.path.partition("?")[2]))
            return DIALECTS[api].sent_key({name.lower(): value for name, value in self.headers.items()}, query)
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
        if api in DIALECTS:
            status, body, headers = DIALECTS[api].error(status, message, dict(headers or {}))
        elif api == "anthropic":
            body = {"type": "error", "error": {"type": kind, "message": message}}
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
