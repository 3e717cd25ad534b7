"""OpenAI's batches endpoints for the fake provider: a batch over an uploaded JSONL file.

    POST /v1/batches     GET /v1/batches     GET /v1/batches/{id}     POST /v1/batches/{id}/cancel

As the real service does, a bad input file fails the batch (validation), not the call; a batch
with too many requests fails with `too_many_tasks`. While a batch runs, `completed` grows with time.
"""

from __future__ import annotations

import json
import time
from typing import Any

from judgekit.testing.batch_files import find_file, serve_files
from judgekit.testing.batch_lifecycle import advance, cancel, progress
from judgekit.testing.batch_model import OPENAI_MAX_REQUESTS, BatchLedger, FakeBatch, Handler, Refusal, json_body


def serve_openai(
    ledger: BatchLedger, handler: Handler, method: str, parts: list[str], raw: bytes
) -> dict[str, Any] | None:
    """Serve an OpenAI route; a created batch is returned for `BatchService.handle` to answer with."""
    resource, rest = parts[0], parts[1:]
    if resource == "files":
        serve_files(ledger, handler, method, rest, raw)
        return None
    if method == "POST" and not rest:
        return _view(ledger, _create(ledger, json_body(raw)))
    if method == "GET" and not rest:
        views = [_view(ledger, advance(ledger, batch)) for batch in reversed(ledger.created("openai"))]
        handler.json_reply(200, {"object": "list", "data": views, "has_more": False})
    elif method == "GET" and len(rest) == 1:
        handler.json_reply(200, _view(ledger, advance(ledger, ledger.batch(rest[0], "openai"))))
    elif method == "POST" and len(rest) == 2 and rest[1] == "cancel":
        handler.json_reply(200, _view(ledger, cancel(ledger, ledger.batch(rest[0], "openai"))))
    else:
        raise Refusal(404, "invalid_request_error", f"no route {handler.path}")
    return None


def _create(ledger: BatchLedger, body: dict[str, Any]) -> FakeBatch:
    endpoint = body.get("endpoint")
    if endpoint != "/v1/chat/completions":
        raise Refusal(400, "invalid_request_error", f"unsupported endpoint {endpoint!r}")
    if body.get("completion_window") != "24h":
        raise Refusal(400, "invalid_request_error", "completion_window must be '24h'")
    stored = find_file(ledger, str(body.get("input_file_id")))
    batch = FakeBatch(
        id=f"batch_{next(ledger.ids):06d}",
        api="openai",
        requests=[],
        created=time.time(),
        outcome=ledger.next_outcome(),
        input_file_id=stored.id,
        metadata=body.get("metadata"),
    )
    ledger.batches[batch.id] = batch
    # Like the real service, a bad input file is reported by failing the batch, not the call.
    problem = _read_lines(ledger, stored.data, batch)
    if problem is None and batch.outcome == "fail":
        problem = ("invalid_json_line", "This line is not parseable as valid JSON.", 1)
    if problem is not None:
        code, message, line = problem
        batch.state = "failed"
        batch.ended_at = time.time()
        batch.errors = [{"code": code, "message": message, "line": line, "param": None}]
    return batch


def _read_lines(ledger: BatchLedger, data: bytes, batch: FakeBatch) -> tuple[str, str, int | None] | None:
    """Add the input file's requests to `batch`; the first problem (code, message, line) if any."""
    lines = [line for line in data.splitlines() if line.strip()]
    if not lines:
        return ("empty_file", "The input file is empty.", None)
    limit = ledger.behaviour.max_requests or OPENAI_MAX_REQUESTS
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


def _view(ledger: BatchLedger, batch: FakeBatch) -> dict[str, Any]:
    """The batch object as OpenAI returns it."""
    total = len(batch.requests)
    succeeded = sum(1 for result in batch.results.values() if result["kind"] == "succeeded")
    if batch.final:
        completed, failed = succeeded, len(batch.results) - succeeded
    else:
        completed, failed = progress(ledger, batch), 0
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
