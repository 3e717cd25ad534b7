"""Batch endpoints for the fake provider: OpenAI files and batches, Anthropic message batches.

Routes (what the official SDKs call):

    OpenAI     POST /v1/files (multipart)     GET /v1/files/{id}    GET /v1/files/{id}/content
               POST /v1/batches               GET /v1/batches       GET /v1/batches/{id}
               POST /v1/batches/{id}/cancel
    Anthropic  POST /v1/messages/batches      GET /v1/messages/batches
               GET /v1/messages/batches/{id}  POST /v1/messages/batches/{id}/cancel
               GET /v1/messages/batches/{id}/results   (the batch's results_url; JSONL)

A batch is worked off lazily: when a client looks at it after `processing_seconds` have
passed (and it is not held), every request it holds is answered at once through the server's
responder and recorded like an interactive call, so `FakeProvider.served()` counts batch and
interactive answers together. Until then OpenAI batches show `completed` growing with time,
and Anthropic batches show `processing = N`, as the real services do.

`BatchBehaviour` injects what can go wrong with batches: batches that expire part-way,
OpenAI batches that fail validation, per-request errors inside a batch (scripted or at a seeded
rate), held batches that only end when released or cancelled, and per-batch size limits small
enough for tests (too many requests: OpenAI fails the batch with `too_many_tasks`, Anthropic
answers 400; too many bytes: OpenAI refuses the upload, Anthropic answers 413).

Submissions can be slowed (`submit_seconds`, half before the batch exists and half after) or
held (`hold_submissions`: "before" the batch is created, or "after" it is created and before
the client hears of it) until `release_submissions()`, so a test can kill a client at either
side of the moment the provider accepts a batch. A held submission whose client has gone by
the time it is released creates nothing ("before"), as a request that never arrived.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from judgekit.testing.wire import FakeRequest, anthropic_body, openai_body, parse_request


class FakeProvider(Protocol):
    """What the batch endpoints need of the server they belong to (`server.FakeProvider`)."""

    api_key: str | None
    responder: Any

    @property
    def url(self) -> str: ...

    def record(self, request: FakeRequest, fault: str | None, status: int, batch_id: str | None = None) -> None: ...


class _Handler(Protocol):
    """What the batch endpoints need of one HTTP request being handled (`server._Handler`)."""

    path: str
    headers: Any
    close_connection: bool

    def authorised(self, api: str, key: str) -> bool: ...

    def client_gone(self) -> bool: ...

    def error_reply(self, api: str, status: int, kind: str, message: str) -> None: ...

    def json_reply(self, status: int, body: dict[str, Any]) -> None: ...

    def raw_reply(self, status: int, data: bytes, content_type: str) -> None: ...


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


class BatchService:
    """The batch side of one `FakeProvider`; thread-safe, as the server is threaded."""

    def __init__(self, provider: FakeProvider, behaviour: BatchBehaviour | None = None) -> None:
        self.provider = provider
        self.behaviour = behaviour or BatchBehaviour()
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.cancelled: list[str] = []
        """Ids of batches a client asked to cancel, in order."""
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._requests_answered = 0
        self._rng = random.Random(self.behaviour.seed)
        self._released = False
        self._creations = 0
        self._submissions_open = threading.Event()
        self.submissions_waiting = 0
        """Batch creations held right now (see `BatchBehaviour.hold_submissions`)."""

    # -- test controls --------------------------------------------------------------------
    def release(self) -> None:
        """Let held batches finish (at the next look)."""
        with self._lock:
            self._released = True

    def release_submissions(self) -> None:
        """Let held batch creations go on (and every later one through)."""
        self._submissions_open.set()

    def created(self, api: str | None = None) -> list[FakeBatch]:
        """Batches created so far (optionally of one API), in creation order."""
        with self._lock:
            return [batch for batch in self.batches.values() if api is None or batch.api == api]

    def batch_sizes(self, api: str | None = None) -> list[int]:
        return [len(batch.requests) for batch in self.created(api)]

    # -- routing --------------------------------------------------------------------------
    def handle(self, handler: _Handler, method: str, raw: bytes) -> bool:
        """Serve a batch or file route; False when the path is not one of them."""
        path = handler.path.split("?")[0].rstrip("/")
        anthropic = path.startswith("/v1/messages/batches")
        openai = re.match(r"^/v1/(files|batches)(/|$)", path) is not None
        if not (anthropic or openai):
            return False
        api = "anthropic" if anthropic else "openai"
        provider = self.provider
        if provider.api_key is not None and not handler.authorised(api, provider.api_key):
            handler.error_reply(api, 401, "authentication_error", "Incorrect API key provided")
            return True
        parts = path.strip("/").split("/")
        creating = method == "POST" and (parts[3:] == [] if anthropic else parts[1:] == ["batches"])
        held = creating and self._before_creating(handler)
        if held is None:
            handler.close_connection = True  # the client left while its submission was held
            return True
        with self._lock:
            try:
                if anthropic:
                    created = self._anthropic(handler, method, parts[3:], raw)
                else:
                    created = self._openai(handler, method, parts[1:], raw)
            except _Refusal as refusal:
                handler.error_reply(api, refusal.status, refusal.kind, refusal.message)
                return True
        if created is not None:  # answered outside the lock: a held answer must not stop the rest
            self._wait_submission("after", held)
            handler.json_reply(200, created)
        return True

    def _before_creating(self, handler: _Handler) -> bool | None:
        """Delay or hold a batch creation before the batch exists; whether to hold it "after" too,
        or None when its client left while it was held (nothing is created)."""
        with self._lock:
            index = self._creations
            self._creations += 1
        held = index >= self.behaviour.hold_submissions_from
        if self.behaviour.submit_seconds:
            time.sleep(self.behaviour.submit_seconds / 2)
        if self._wait_submission("before", held) and handler.client_gone():
            return None
        return held

    def _wait_submission(self, moment: str, held: bool) -> bool:
        """Hold here if the behaviour holds creations at this moment; True if it did."""
        if moment == "after" and self.behaviour.submit_seconds:
            time.sleep(self.behaviour.submit_seconds / 2)
        if not held or self.behaviour.hold_submissions != moment or self._submissions_open.is_set():
            return False
        with self._lock:
            self.submissions_waiting += 1
        self._submissions_open.wait()
        with self._lock:
            self.submissions_waiting -= 1
        return True

    def _openai(self, handler: _Handler, method: str, parts: list[str], raw: bytes) -> dict[str, Any] | None:
        """Serve an OpenAI route; a created batch is returned for `handle` to answer with."""
        resource, rest = parts[0], parts[1:]
        if resource == "files":
            if method == "POST" and not rest:
                handler.json_reply(200, self._upload(handler, raw).describe())
            elif method == "GET" and len(rest) == 1:
                handler.json_reply(200, self._file(rest[0]).describe())
            elif method == "GET" and len(rest) == 2 and rest[1] == "content":
                handler.raw_reply(200, self._file(rest[0]).data, "application/octet-stream")
            else:
                raise _Refusal(404, "invalid_request_error", f"no route {handler.path}")
            return None
        if method == "POST" and not rest:
            return self._openai_view(self._openai_create(_json_body(raw)))
        if method == "GET" and not rest:
            views = [self._openai_view(self._advance(batch)) for batch in reversed(self.created("openai"))]
            handler.json_reply(200, {"object": "list", "data": views, "has_more": False})
        elif method == "GET" and len(rest) == 1:
            handler.json_reply(200, self._openai_view(self._advance(self._batch(rest[0], "openai"))))
        elif method == "POST" and len(rest) == 2 and rest[1] == "cancel":
            handler.json_reply(200, self._openai_view(self._cancel(self._batch(rest[0], "openai"))))
        else:
            raise _Refusal(404, "invalid_request_error", f"no route {handler.path}")
        return None

    def _anthropic(self, handler: _Handler, method: str, rest: list[str], raw: bytes) -> dict[str, Any] | None:
        """Serve an Anthropic route; a created batch is returned for `handle` to answer with."""
        if method == "POST" and not rest:
            return self._anthropic_view(self._anthropic_create(raw))
        if method == "GET" and not rest:
            views = [self._anthropic_view(self._advance(batch)) for batch in reversed(self.created("anthropic"))]
            handler.json_reply(200, {"data": views, "has_more": False, "first_id": None, "last_id": None})
        elif method == "GET" and len(rest) == 1:
            handler.json_reply(200, self._anthropic_view(self._advance(self._batch(rest[0], "anthropic"))))
        elif method == "POST" and len(rest) == 2 and rest[1] == "cancel":
            handler.json_reply(200, self._anthropic_view(self._cancel(self._batch(rest[0], "anthropic"))))
        elif method == "GET" and len(rest) == 2 and rest[1] == "results":
            batch = self._advance(self._batch(rest[0], "anthropic"))
            if not batch.final:
                raise _Refusal(400, "invalid_request_error", "the batch is still processing; results are not ready")
            handler.raw_reply(200, self._anthropic_results(batch), "application/binary")
        else:
            raise _Refusal(404, "not_found_error", f"no route {handler.path}")
        return None

    # -- OpenAI ---------------------------------------------------------------------------
    def _upload(self, handler: _Handler, raw: bytes) -> StoredFile:
        fields = _multipart(handler.headers.get("content-type", ""), raw)
        purpose = fields.get("purpose", (None, b""))[1].decode()
        filename, data = fields.get("file", (None, b""))
        if not filename or not data:
            raise _Refusal(400, "invalid_request_error", "a file and a purpose are required")
        if purpose == "batch" and not filename.endswith(".jsonl"):
            raise _Refusal(400, "invalid_request_error", "Invalid file format for Batch API. Must be .jsonl")
        limit = self.behaviour.max_bytes or OPENAI_MAX_BYTES
        if purpose == "batch" and len(data) > limit:
            raise _Refusal(400, "invalid_request_error", "File is too large.")
        stored = StoredFile(f"file-{next(self._ids):06d}", filename, purpose, data, int(time.time()))
        self.files[stored.id] = stored
        return stored

    def _file(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise _Refusal(404, "invalid_request_error", f"No such File object: {file_id}")
        return stored

    def _openai_create(self, body: dict[str, Any]) -> FakeBatch:
        endpoint = body.get("endpoint")
        if endpoint != "/v1/chat/completions":
            raise _Refusal(400, "invalid_request_error", f"unsupported endpoint {endpoint!r}")
        if body.get("completion_window") != "24h":
            raise _Refusal(400, "invalid_request_error", "completion_window must be '24h'")
        stored = self._file(str(body.get("input_file_id")))
        batch = FakeBatch(
            id=f"batch_{next(self._ids):06d}",
            api="openai",
            requests=[],
            created=time.time(),
            outcome=self._next_outcome(),
            input_file_id=stored.id,
            metadata=body.get("metadata"),
        )
        self.batches[batch.id] = batch
        # Like the real service, a bad input file is reported by failing the batch, not the call.
        problem = self._openai_lines(stored.data, batch)
        if problem is None and batch.outcome == "fail":
            problem = ("invalid_json_line", "This line is not parseable as valid JSON.", 1)
        if problem is not None:
            code, message, line = problem
            batch.state = "failed"
            batch.ended_at = time.time()
            batch.errors = [{"code": code, "message": message, "line": line, "param": None}]
        return batch

    def _openai_lines(self, data: bytes, batch: FakeBatch) -> tuple[str, str, int | None] | None:
        lines = [line for line in data.splitlines() if line.strip()]
        if not lines:
            return ("empty_file", "The input file is empty.", None)
        limit = self.behaviour.max_requests or OPENAI_MAX_REQUESTS
        if len(lines) > limit:
            return ("too_many_tasks", f"The batch holds {len(lines)} requests; at most {limit} are allowed.", None)
        seen: set[str] = set()
        models: set[str] = set()
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return ("invalid_json_line", "This line is not parseable as valid JSON.", number)
            custom_id = entry.get("custom_id")
            if not isinstance(custom_id, str) or not custom_id:
                return ("missing_required_parameter", "custom_id is required", number)
            if custom_id in seen:
                return ("duplicate_custom_id", f"The custom_id {custom_id!r} is not unique.", number)
            if entry.get("method") != "POST" or entry.get("url") != "/v1/chat/completions":
                return ("url_mismatch", "The url must match the batch's endpoint.", number)
            body = entry.get("body")
            if not isinstance(body, dict) or not body.get("model"):
                return ("missing_required_parameter", "body.model is required", number)
            models.add(str(body["model"]))
            if len(models) > 1:
                return ("model_mismatch", "Every request of a batch must use the same model.", number)
            seen.add(custom_id)
            batch.requests.append((custom_id, body))
        return None

    def _openai_view(self, batch: FakeBatch) -> dict[str, Any]:
        total = len(batch.requests)
        succeeded = sum(1 for result in batch.results.values() if result["kind"] == "succeeded")
        if batch.final:
            completed, failed = succeeded, len(batch.results) - succeeded
        else:
            completed, failed = self._progress(batch), 0
        states = {"completed": "completed_at", "expired": "expired_at", "cancelled": "cancelled_at"}
        view: dict[str, Any] = {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": batch.state,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": int(batch.created),
            "in_progress_at": int(batch.created) if batch.state != "failed" else None,
            "expires_at": int(batch.created) + 86400,
            "cancelling_at": int(batch.cancel_requested_at) if batch.cancel_requested_at else None,
            "failed_at": int(batch.ended_at) if batch.state == "failed" and batch.ended_at else None,
            "request_counts": {"total": total, "completed": completed, "failed": failed},
            "metadata": batch.metadata,
            "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
        }
        for state, key in states.items():
            view[key] = int(batch.ended_at) if batch.state == state and batch.ended_at else None
        if batch.final and batch.state != "failed":
            prompt, completion = batch.usage
            view["usage"] = {
                "input_tokens": prompt,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": completion,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": prompt + completion,
            }
        return view

    def _openai_files(self, batch: FakeBatch) -> None:
        """Write the output file (successes) and the error file (everything else)."""
        output, errors = [], []
        for custom_id, result in self._ordered(batch):
            line: dict[str, Any] = {"id": f"batch_req_{custom_id}", "custom_id": custom_id}
            if result["kind"] == "succeeded":
                line["response"] = {"status_code": 200, "request_id": f"req_{custom_id}", "body": result["body"]}
                line["error"] = None
                output.append(line)
            elif result["kind"] == "errored":
                status, kind, _ = REQUEST_FAULTS[result["fault"]]
                line["response"] = {
                    "status_code": status,
                    "request_id": f"req_{custom_id}",
                    "body": {"error": {"message": result["message"], "type": kind, "param": None, "code": None}},
                }
                line["error"] = None
                errors.append(line)
            else:
                code = "batch_expired" if result["kind"] == "expired" else "batch_cancelled"
                line["response"] = None
                line["error"] = {"code": code, "message": f"This request was not run: the batch was {batch.state}."}
                errors.append(line)
        for lines, attribute in ((output, "output_file_id"), (errors, "error_file_id")):
            if lines:
                data = "".join(json.dumps(line) + "\n" for line in lines).encode()
                stored = StoredFile(
                    f"file-{next(self._ids):06d}",
                    f"{batch.id}_{attribute}.jsonl",
                    "batch_output",
                    data,
                    int(time.time()),
                )
                self.files[stored.id] = stored
                setattr(batch, attribute, stored.id)

    # -- Anthropic ------------------------------------------------------------------------
    def _anthropic_create(self, raw: bytes) -> FakeBatch:
        limit_bytes = self.behaviour.max_bytes or ANTHROPIC_MAX_BYTES
        if len(raw) > limit_bytes:
            raise _Refusal(413, "request_too_large", f"Request exceeds the maximum size of {limit_bytes} bytes")
        body = _json_body(raw)
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise _Refusal(400, "invalid_request_error", "requests: a non-empty list is required")
        limit = self.behaviour.max_requests or ANTHROPIC_MAX_REQUESTS
        if len(requests) > limit:
            raise _Refusal(400, "invalid_request_error", f"requests: at most {limit} requests are allowed per batch")
        seen: set[str] = set()
        accepted = []
        for index, request in enumerate(requests):
            custom_id = request.get("custom_id") if isinstance(request, dict) else None
            if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
                raise _Refusal(
                    400, "invalid_request_error", f"requests.{index}.custom_id: must match {CUSTOM_ID.pattern}"
                )
            if custom_id in seen:
                raise _Refusal(400, "invalid_request_error", f"requests.{index}.custom_id: {custom_id!r} is not unique")
            params = request.get("params")
            if not isinstance(params, dict) or not params.get("model") or not params.get("max_tokens"):
                raise _Refusal(
                    400, "invalid_request_error", f"requests.{index}.params: model and max_tokens are required"
                )
            seen.add(custom_id)
            accepted.append((custom_id, params))
        batch = FakeBatch(
            id=f"msgbatch_{next(self._ids):06d}",
            api="anthropic",
            requests=accepted,
            created=time.time(),
            outcome=self._next_outcome(),
        )
        self.batches[batch.id] = batch
        return batch

    def _anthropic_view(self, batch: FakeBatch) -> dict[str, Any]:
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.final:
            for result in batch.results.values():
                counts[result["kind"]] += 1
        else:
            counts["processing"] = len(batch.requests)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended"
            if batch.final
            else ("canceling" if batch.cancel_requested_at else "in_progress"),
            "request_counts": counts,
            "created_at": _rfc3339(batch.created),
            "expires_at": _rfc3339(batch.created + 86400),
            "ended_at": _rfc3339(batch.ended_at) if batch.ended_at else None,
            "cancel_initiated_at": _rfc3339(batch.cancel_requested_at) if batch.cancel_requested_at else None,
            "archived_at": None,
            "results_url": f"{self.provider.url}/v1/messages/batches/{batch.id}/results" if batch.final else None,
        }

    def _anthropic_results(self, batch: FakeBatch) -> bytes:
        lines = []
        for custom_id, result in self._ordered(batch):
            if result["kind"] == "succeeded":
                outcome: dict[str, Any] = {"type": "succeeded", "message": result["body"]}
            elif result["kind"] == "errored":
                _, _, kind = REQUEST_FAULTS[result["fault"]]
                outcome = {
                    "type": "errored",
                    "error": {"type": "error", "error": {"type": kind, "message": result["message"]}},
                }
            else:
                outcome = {"type": result["kind"]}
            lines.append(json.dumps({"custom_id": custom_id, "result": outcome}) + "\n")
        return "".join(lines).encode()

    # -- shared lifecycle -----------------------------------------------------------------
    def _batch(self, batch_id: str, api: str) -> FakeBatch:
        batch = self.batches.get(batch_id)
        if batch is None or batch.api != api:
            kind = "not_found_error" if api == "anthropic" else "invalid_request_error"
            raise _Refusal(404, kind, f"No batch found with id '{batch_id}'")
        return batch

    def _next_outcome(self) -> str | None:
        index = len(self.batches)
        return self.behaviour.outcomes[index] if index < len(self.behaviour.outcomes) else None

    def _progress(self, batch: FakeBatch) -> int:
        """Requests shown as done while a batch runs (OpenAI shows progress; nothing is answered yet)."""
        if self.behaviour.hold and not self._released:
            return 0
        if self.behaviour.processing_seconds <= 0:
            return len(batch.requests)
        share = min(1.0, (time.time() - batch.created) / self.behaviour.processing_seconds)
        return int(share * len(batch.requests))

    def _cancel(self, batch: FakeBatch) -> FakeBatch:
        if batch.final:
            raise _Refusal(409, "invalid_request_error", f"batch {batch.id} has already ended ({batch.state})")
        if batch.cancel_requested_at is None:
            batch.cancel_requested_at = time.time()
            batch.state = "cancelling"
            self.cancelled.append(batch.id)
        return batch

    def _advance(self, batch: FakeBatch) -> FakeBatch:
        """Bring a batch up to date: finish it once its time is up, or wind up a cancel."""
        if batch.final:
            return batch
        if batch.cancel_requested_at is not None:
            done = self._progress(batch) if self.behaviour.processing_seconds > 0 else 0
            self._finish(batch, answered=done, rest="canceled", state="cancelled")
            return batch
        held = self.behaviour.hold and not self._released
        if held or time.time() - batch.created < self.behaviour.processing_seconds:
            return batch
        if batch.outcome == "expire":
            answered = round(self.behaviour.expire_after * len(batch.requests))
            self._finish(batch, answered=answered, rest="expired", state="expired")
        else:
            self._finish(batch, answered=len(batch.requests), rest="expired", state="completed")
        return batch

    def _finish(self, batch: FakeBatch, *, answered: int, rest: str, state: str) -> None:
        from judgekit.testing.server import Reply

        prompt_total = completion_total = 0
        for index, (custom_id, body) in enumerate(batch.requests):
            if index >= answered:
                batch.results[custom_id] = {"kind": rest}
                continue
            request = parse_request(batch.api, body)
            fault = self._request_fault()
            if fault is not None:
                self.provider.record(request, fault, REQUEST_FAULTS[fault][0], batch.id)
                batch.results[custom_id] = {"kind": "errored", "fault": fault, "message": f"injected {fault}"}
                continue
            answer = self.provider.responder(request)
            reply = answer if isinstance(answer, Reply) else Reply(text=str(answer))
            response = openai_body(request, reply) if batch.api == "openai" else anthropic_body(request, reply)
            usage = response["usage"]
            prompt_total += usage.get("prompt_tokens", usage.get("input_tokens", 0))
            completion_total += usage.get("completion_tokens", usage.get("output_tokens", 0))
            self.provider.record(request, None, 200, batch.id)
            batch.results[custom_id] = {"kind": "succeeded", "body": response}
        batch.usage = (prompt_total, completion_total)
        batch.state = state
        batch.ended_at = time.time()
        if batch.api == "openai":
            self._openai_files(batch)

    def _request_fault(self) -> str | None:
        index = self._requests_answered
        self._requests_answered += 1
        if index < len(self.behaviour.request_script):
            return self.behaviour.request_script[index]
        if self.behaviour.request_error_rate and self._rng.random() < self.behaviour.request_error_rate:
            return "server_error"
        return None

    def _ordered(self, batch: FakeBatch) -> list[tuple[str, dict[str, Any]]]:
        items = list(batch.results.items())
        if self.behaviour.shuffle_results:
            random.Random(f"{self.behaviour.seed}:{batch.id}").shuffle(items)
        return items


class _Refusal(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError:
        raise _Refusal(400, "invalid_request_error", "invalid JSON body") from None
    if not isinstance(body, dict):
        raise _Refusal(400, "invalid_request_error", "the body must be a JSON object")
    return body


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name -> (file name or None, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        raise _Refusal(400, "invalid_request_error", "expected a multipart/form-data upload")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            fields[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


def _rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat().replace("+00:00", "Z")
