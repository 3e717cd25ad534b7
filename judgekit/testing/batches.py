"""Batch endpoints for the fake provider: OpenAI files and batches, Anthropic message batches.

Routes (what the official SDKs call), each family in its own module:

    OpenAI     POST /v1/files (multipart)     GET /v1/files/{id}    GET /v1/files/{id}/content
               (batch_files.py)
               POST /v1/batches               GET /v1/batches       GET /v1/batches/{id}
               POST /v1/batches/{id}/cancel   (openai_batches.py)
    Anthropic  POST /v1/messages/batches      GET /v1/messages/batches
               GET /v1/messages/batches/{id}  POST /v1/messages/batches/{id}/cancel
               GET /v1/messages/batches/{id}/results   (the batch's results_url; JSONL)
               (anthropic_batches.py)

A batch is worked off lazily (`batch_lifecycle.py`): when a client looks at it after
`processing_seconds` have passed (and it is not held), every request it holds is answered at once
through the server's responder and recorded like an interactive call (`batch_results.py`), so
`FakeProvider.served()` counts batch and interactive answers together. Until then OpenAI batches
show `completed` growing with time, and Anthropic batches show `processing = N`, as the real
services do.

`BatchBehaviour` (`batch_model.py`) injects what can go wrong with batches: batches that expire
part-way, OpenAI batches that fail validation, per-request errors inside a batch (scripted or at a
seeded rate), held batches that only end when released or cancelled, and per-batch size limits
small enough for tests (too many requests: OpenAI fails the batch with `too_many_tasks`, Anthropic
answers 400; too many bytes: OpenAI refuses the upload, Anthropic answers 413).

Submissions can be slowed (`submit_seconds`, half before the batch exists and half after) or
held (`hold_submissions`: "before" the batch is created, or "after" it is created and before
the client hears of it) until `release_submissions()`, so a test can kill a client at either
side of the moment the provider accepts a batch. A held submission whose client has gone by
the time it is released creates nothing ("before"), as a request that never arrived.
"""

from __future__ import annotations

import re
import threading
import time

from judgekit.testing.anthropic_batches import serve_anthropic
from judgekit.testing.batch_model import BatchBehaviour, BatchLedger, FakeProvider, Handler, Refusal
from judgekit.testing.openai_batches import serve_openai

__all__ = ["BatchBehaviour", "BatchService"]


class BatchService(BatchLedger):
    """The batch side of one `FakeProvider`; thread-safe, as the server is threaded."""

    def __init__(self, provider: FakeProvider, behaviour: BatchBehaviour | None = None) -> None:
        super().__init__(provider, behaviour)
        self._creations = 0
        self._submissions_open = threading.Event()
        self.submissions_waiting = 0
        """Batch creations held right now (see `BatchBehaviour.hold_submissions`)."""

    # -- test controls --------------------------------------------------------------------
    def release(self) -> None:
        """Let held batches finish (at the next look)."""
        with self.lock:
            self.released = True

    def release_submissions(self) -> None:
        """Let held batch creations go on (and every later one through)."""
        self._submissions_open.set()

    def batch_sizes(self, api: str | None = None) -> list[int]:
        return [len(batch.requests) for batch in self.created(api)]

    # -- routing --------------------------------------------------------------------------
    def handle(self, handler: Handler, method: str, raw: bytes) -> bool:
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
        with self.lock:
            try:
                if anthropic:
                    created = serve_anthropic(self, handler, method, parts[3:], raw)
                else:
                    created = serve_openai(self, handler, method, parts[1:], raw)
            except Refusal as refusal:
                handler.error_reply(api, refusal.status, refusal.kind, refusal.message)
                return True
        if created is not None:  # answered outside the lock: a held answer must not stop the rest
            self._wait_submission("after", held)
            handler.json_reply(200, created)
        return True

    def _before_creating(self, handler: Handler) -> bool | None:
        """Delay or hold a batch creation before the batch exists; whether to hold it "after" too,
        or None when its client left while it was held (nothing is created)."""
        with self.lock:
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
        with self.lock:
            self.submissions_waiting += 1
        self._submissions_open.wait()
        with self.lock:
            self.submissions_waiting -= 1
        return True
