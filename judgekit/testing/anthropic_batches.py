"""Anthropic's message batches endpoints for the fake provider.

    POST /v1/messages/batches      GET /v1/messages/batches
    GET /v1/messages/batches/{id}  POST /v1/messages/batches/{id}/cancel
    GET /v1/messages/batches/{id}/results   (the batch's results_url; JSONL)

Too many requests are answered 400, too many bytes 413. While a batch runs it shows
`processing = N`, as the real service does.
"""

from __future__ import annotations

import time
from typing import Any

from judgekit.testing.batch_lifecycle import advance, cancel
from judgekit.testing.batch_model import (
    ANTHROPIC_MAX_BYTES,
    ANTHROPIC_MAX_REQUESTS,
    CUSTOM_ID,
    BatchLedger,
    FakeBatch,
    Handler,
    Refusal,
    json_body,
    rfc3339,
)
from judgekit.testing.batch_results import anthropic_results


def serve_anthropic(
    ledger: BatchLedger, handler: Handler, method: str, rest: list[str], raw: bytes
) -> dict[str, Any] | None:
    """Serve an Anthropic route; a created batch is returned for `BatchService.handle` to answer with."""
    if method == "POST" and not rest:
        return _view(ledger, _create(ledger, raw))
    if method == "GET" and not rest:
        views = [_view(ledger, advance(ledger, batch)) for batch in reversed(ledger.created("anthropic"))]
        handler.json_reply(200, {"data": views, "has_more": False, "first_id": None, "last_id": None})
    elif method == "GET" and len(rest) == 1:
        handler.json_reply(200, _view(ledger, advance(ledger, ledger.batch(rest[0], "anthropic"))))
    elif method == "POST" and len(rest) == 2 and rest[1] == "cancel":
        handler.json_reply(200, _view(ledger, cancel(ledger, ledger.batch(rest[0], "anthropic"))))
    elif method == "GET" and len(rest) == 2 and rest[1] == "results":
        batch = advance(ledger, ledger.batch(rest[0], "anthropic"))
        if not batch.final:
            raise Refusal(400, "invalid_request_error", "the batch is still processing; results are not ready")
        handler.raw_reply(200, anthropic_results(ledger, batch), "application/binary")
    else:
        raise Refusal(404, "not_found_error", f"no route {handler.path}")
    return None


def _create(ledger: BatchLedger, raw: bytes) -> FakeBatch:
    limit_bytes = ledger.behaviour.max_bytes or ANTHROPIC_MAX_BYTES
    if len(raw) > limit_bytes:
        raise Refusal(413, "request_too_large", f"Request exceeds the maximum size of {limit_bytes} bytes")
    requests = json_body(raw).get("requests")
    if not isinstance(requests, list) or not requests:
        raise Refusal(400, "invalid_request_error", "requests: a non-empty list is required")
    limit = ledger.behaviour.max_requests or ANTHROPIC_MAX_REQUESTS
    if len(requests) > limit:
        raise Refusal(400, "invalid_request_error", f"requests: at most {limit} requests are allowed per batch")
    accepted = _accepted(requests)
    batch = FakeBatch(
        id=f"msgbatch_{next(ledger.ids):06d}",
        api="anthropic",
        requests=accepted,
        created=time.time(),
        outcome=ledger.next_outcome(),
    )
    ledger.batches[batch.id] = batch
    return batch


def _accepted(requests: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(custom_id, params) of each request; a Refusal names the first malformed one."""
    seen: set[str] = set()
    accepted = []
    for index, request in enumerate(requests):
        custom_id = request.get("custom_id") if isinstance(request, dict) else None
        if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
            raise Refusal(400, "invalid_request_error", f"requests.{index}.custom_id: must match {CUSTOM_ID.pattern}")
        if custom_id in seen:
            raise Refusal(400, "invalid_request_error", f"requests.{index}.custom_id: {custom_id!r} is not unique")
        params = request.get("params")
        if not isinstance(params, dict) or not params.get("model") or not params.get("max_tokens"):
            raise Refusal(400, "invalid_request_error", f"requests.{index}.params: model and max_tokens are required")
        seen.add(custom_id)
        accepted.append((custom_id, params))
    return accepted


def _view(ledger: BatchLedger, batch: FakeBatch) -> dict[str, Any]:
    """The message batch object as Anthropic returns it."""
    counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    if batch.final:
        for result in batch.results.values():
            counts[result["kind"]] += 1
    else:
        counts["processing"] = len(batch.requests)
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": "ended" if batch.final else ("canceling" if batch.cancel_requested_at else "in_progress"),
        "request_counts": counts,
        "created_at": rfc3339(batch.created),
        "expires_at": rfc3339(batch.created + 86400),
        "ended_at": rfc3339(batch.ended_at) if batch.ended_at else None,
        "cancel_initiated_at": rfc3339(batch.cancel_requested_at) if batch.cancel_requested_at else None,
        "archived_at": None,
        "results_url": f"{ledger.provider.url}/v1/messages/batches/{batch.id}/results" if batch.final else None,
    }
