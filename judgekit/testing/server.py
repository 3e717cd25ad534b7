"""A local stand-in for the OpenAI and Anthropic HTTP APIs, for tests and benchmarks.

It speaks the wire formats the official SDKs expect (`POST /v1/chat/completions`,
`POST /v1/messages`, and Azure OpenAI's `POST /openai/deployments/<deployment>/chat/completions
?api-version=...` with an `api-key` header or an Entra ID bearer token), so the real `openai`
(also its Azure client) and `anthropic` clients can be pointed at it with a base URL. The same
server speaks the dialects in `judgekit.testing.dialect`: Gemini's `generateContent`
(google-genai), Bedrock's Converse (boto3) and Claude's `rawPredict` on Vertex AI (anthropic's
Vertex client), each in its own module. A
`responder` function decides what the "judge" says; `Faults` injects latency, 429s with or
without Retry-After, 500s, stalls past the client's timeout, connection resets,
malformed JSON, empty answers, HTML pages and 400s, and can rate-limit whatever exceeds a capacity of requests
in flight. Every request is recorded, so a test can count what was asked and prove that no
successful call was paid for twice; an answer whose client has already hung up is recorded as
"abandoned", not served. `pause()` holds every answer until `resume()`, so a test can stop a
client at a moment when nothing it was sent is unaccounted for.

It also serves the OpenAI files and batches endpoints and Anthropic message batches
(`judgekit.testing.batches`; pass `batches=BatchBehaviour(...)` to shape them). How one HTTP
request is answered lives in `judgekit.testing.handler`.

It listens on 127.0.0.1 only, on a free port chosen by the OS.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

from judgekit.testing.batches import BatchBehaviour, BatchService
from judgekit.testing.handler import Handler, Server
from judgekit.testing.wire import FakeRequest, Reply, Responder

__all__ = ["FakeProvider", "FakeRequest", "Faults", "Recorded", "Reply", "Responder", "default_responder"]


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
        handler = type("Handler", (Handler,), {"provider": self})
        self._server = Server(("127.0.0.1", 0), handler)
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
