"""The results of an ended fake batch: each request answered (or failed) and written as the API returns it.

Requests are answered through the server's responder and recorded like interactive calls, so
`FakeProvider.served()` counts batch and interactive answers together. OpenAI results go into an
output file (successes) and an error file (the rest); Anthropic results are one JSONL document.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from judgekit.testing.batch_model import REQUEST_FAULTS, BatchLedger, FakeBatch
from judgekit.testing.rules import refusal
from judgekit.testing.wire import Reply, anthropic_body, openai_body, parse_request


def answer(ledger: BatchLedger, batch: FakeBatch, *, answered: int, rest: str, state: str) -> None:
    """End `batch` in `state`: its first `answered` requests answered, the others marked `rest`."""
    provider = ledger.provider
    prompt_total = completion_total = 0
    for index, (custom_id, body) in enumerate(batch.requests):
        if index >= answered:
            batch.results[custom_id] = {"kind": rest}
            continue
        request = parse_request(batch.api, body)
        refused = refusal(request)
        if refused is not None:  # what the service refuses interactively it refuses in a batch too
            provider.record(request, "bad_request", 400, batch.id)
            batch.results[custom_id] = {"kind": "errored", "fault": "bad_request", "message": refused}
            continue
        fault = _request_fault(ledger)
        if fault is not None:
            provider.record(request, fault, REQUEST_FAULTS[fault][0], batch.id)
            batch.results[custom_id] = {"kind": "errored", "fault": fault, "message": f"injected {fault}"}
            continue
        said = provider.responder(request)
        reply = said if isinstance(said, Reply) else Reply(text=str(said))
        response = openai_body(request, reply) if batch.api == "openai" else anthropic_body(request, reply)
        usage = response["usage"]
        prompt_total += usage.get("prompt_tokens", usage.get("input_tokens", 0))
        completion_total += usage.get("completion_tokens", usage.get("output_tokens", 0))
        provider.record(request, None, 200, batch.id)
        batch.results[custom_id] = {"kind": "succeeded", "body": response}
    batch.usage = (prompt_total, completion_total)
    batch.state = state
    batch.ended_at = time.time()
    if batch.api == "openai":
        _openai_files(ledger, batch)


def _request_fault(ledger: BatchLedger) -> str | None:
    behaviour = ledger.behaviour
    index = ledger.requests_answered
    ledger.requests_answered += 1
    if index < len(behaviour.request_script):
        return behaviour.request_script[index]
    if behaviour.request_error_rate and ledger.rng.random() < behaviour.request_error_rate:
        return "server_error"
    return None


def _ordered(ledger: BatchLedger, batch: FakeBatch) -> list[tuple[str, dict[str, Any]]]:
    items = list(batch.results.items())
    if ledger.behaviour.shuffle_results:
        random.Random(f"{ledger.behaviour.seed}:{batch.id}").shuffle(items)
    return items


def _openai_files(ledger: BatchLedger, batch: FakeBatch) -> None:
    """Write the output file (successes) and the error file (everything else)."""
    output, errors = [], []
    for custom_id, result in _ordered(ledger, batch):
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
            stored = ledger.add_file(f"{batch.id}_{attribute}.jsonl", "batch_output", data)
            setattr(batch, attribute, stored.id)


def anthropic_results(ledger: BatchLedger, batch: FakeBatch) -> bytes:
    """The JSONL document at an ended message batch's results_url."""
    lines = []
    for custom_id, result in _ordered(ledger, batch):
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
