"""What the fake batch service holds, and how a test tells it to behave.

`BatchBehaviour` is the test's knob; `BatchLedger` holds the stored files and batches that every
batch endpoint reads and changes (`batch_files.py`, `openai_batches.py`, `anthropic_batches.py`,
`batch_lifecycle.py`, `batch_results.py`), behind one lock the service takes per request.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from judgekit.testing.wire import FakeRequest

OPENAI_MAX_REQUESTS = 50_000
OPENAI_MAX_BYTES = 200 * 1024 * 1024
ANTHROPIC_MAX_REQUESTS = 100_000
ANTHROPIC_MAX_BYTES = 256 * 1024 * 1024
CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

REQUEST_FAULTS = {
    # fault -> (HTTP status, OpenAI error type, Anthropic error type)
    "server_error": (500, "server_error", "api_error"),
    "rate_limit": (429, "rate_limit_exceeded", "rate_limit_error"),
    "overloaded": (529, "server_error", "overloaded_error"),
    "bad_request": (400, "invalid_request_error", "invalid_request_error"),
}


class FakeProvider(Protocol):
    """What the batch endpoints need of the server they belong to (`server.FakeProvider`)."""

    api_key: str | None
    responder: Any

    @property
    def url(self) -> str: ...

    def record(self, request: FakeRequest, fault: str | None, status: int, batch_id: str | None = None) -> None: ...


class Handler(Protocol):
    """What the batch endpoints need of one HTTP request being handled (`judgekit.testing.handler.Handler`)."""

    path: str
    headers: Any
    close_connection: bool

    def authorised(self, api: str, key: str) -> bool: ...

    def client_gone(self) -> bool: ...

    def error_reply(self, api: str, status: int, kind: str, message: str) -> None: ...

    def json_reply(self, status: int, body: dict[str, Any]) -> None: ...

    def raw_reply(self, status: int, data: bytes, content_type: str) -> None: ...


@dataclass
class BatchBehaviour:
    """How the fake batch service behaves; every field has a harmless default."""

    processing_seconds: float = 0.0
    """How long a batch stays in progress after it is created."""
    hold: bool = False
    """Keep every batch in progress until `FakeProvider.batch.release()` or a cancel."""
    outcomes: list[str | None] = field(default_factory=list)
    """Per batch in creation order: None (normal), "expire" (ends with part of its requests
    answered and the rest expired), "fail" (OpenAI only: validation fails, nothing answered)."""
    expire_after: float = 0.5
    """Share of an expiring batch's requests answered before it expires."""
    request_script: list[str | None] = field(default_factory=list)
    """Faults for the first requests answered inside batches, in order (None: answer normally);
    one of "server_error", "rate_limit", "overloaded", "bad_request"."""
    request_error_rate: float = 0.0
    """After the script, the share of requests that error with a server error (seeded)."""
    max_requests: int | None = None
    """Requests allowed in one batch (default: the provider's, 50,000 / 100,000)."""
    max_bytes: int | None = None
    """Bytes allowed in one batch input (default: the provider's, 200 MB / 256 MB)."""
    shuffle_results: bool = True
    """Return results out of request order, as neither provider promises any order."""
    seed: int = 0
    submit_seconds: float = 0.0
    """How long creating a batch takes: half before the batch exists, half after."""
    hold_submissions: str | None = None
    """Hold batch creations until `release_submissions()`: "before" creating the batch, or
    "after" creating it and before answering the client."""
    hold_submissions_from: int = 0
    """Hold only the creations from this one on (0-based, in arrival order)."""


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }


@dataclass
class FakeBatch:
    id: str
    api: str
    """"openai" or "anthropic"."""
    requests: list[tuple[str, dict[str, Any]]]
    """(custom_id, request body) in submission order."""
    created: float
    outcome: str | None
    input_file_id: str | None = None
    metadata: dict[str, Any] | None = None
    state: str = "in_progress"
    """in_progress, cancelling, or a final state: completed, expired, cancelled, failed."""
    cancel_requested_at: float | None = None
    ended_at: float | None = None
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    """custom_id -> {"kind": succeeded | errored | expired | canceled, ...}."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    output_file_id: str | None = None
    error_file_id: str | None = None
    usage: tuple[int, int] = (0, 0)

    @property
    def final(self) -> bool:
        return self.state in ("completed", "expired", "cancelled", "failed")


class Refusal(Exception):
    """An error answer to a batch or file request: its HTTP status, error type and message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


class BatchLedger:
    """The files and batches of one fake provider, and what decides how its batches go."""

    def __init__(self, provider: FakeProvider, behaviour: BatchBehaviour | None = None) -> None:
        self.provider = provider
        self.behaviour = behaviour or BatchBehaviour()
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.cancelled: list[str] = []
        """Ids of batches a client asked to cancel, in order."""
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        """Numbers the files and batches alike, in creation order."""
        self.requests_answered = 0
        self.rng = random.Random(self.behaviour.seed)
        self.released = False
        """Held batches may finish (`BatchService.release`)."""

    def created(self, api: str | None = None) -> list[FakeBatch]:
        """Batches created so far (optionally of one API), in creation order."""
        with self.lock:
            return [batch for batch in self.batches.values() if api is None or batch.api == api]

    def add_file(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        stored = StoredFile(f"file-{next(self.ids):06d}", filename, purpose, data, int(time.time()))
        self.files[stored.id] = stored
        return stored

    def batch(self, batch_id: str, api: str) -> FakeBatch:
        batch = self.batches.get(batch_id)
        if batch is None or batch.api != api:
            kind = "not_found_error" if api == "anthropic" else "invalid_request_error"
            raise Refusal(404, kind, f"No batch found with id '{batch_id}'")
        return batch

    def next_outcome(self) -> str | None:
        index = len(self.batches)
        return self.behaviour.outcomes[index] if index < len(self.behaviour.outcomes) else None


def json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        raise Refusal(400, "invalid_request_error", "invalid JSON body") from None
    if not isinstance(body, dict):
        raise Refusal(400, "invalid_request_error", "the body must be a JSON object")
    return body


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat().replace("+00:00", "Z")
