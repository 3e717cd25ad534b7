"""How a fake batch moves: in progress, then ended (completed, expired) or cancelled, worked off lazily.

A batch is brought up to date whenever a client looks at it: once `processing_seconds` have
passed (and it is not held) it ends, every request it holds answered at once (`batch_results.py`).
"""

from __future__ import annotations

import time

from judgekit.testing.batch_model import BatchLedger, FakeBatch, Refusal
from judgekit.testing.batch_results import answer


def progress(ledger: BatchLedger, batch: FakeBatch) -> int:
    """Requests shown as done while a batch runs (OpenAI shows progress; nothing is answered yet)."""
    behaviour = ledger.behaviour
    if behaviour.hold and not ledger.released:
        return 0
    if behaviour.processing_seconds <= 0:
        return len(batch.requests)
    share = min(1.0, (time.time() - batch.created) / behaviour.processing_seconds)
    return int(share * len(batch.requests))


def cancel(ledger: BatchLedger, batch: FakeBatch) -> FakeBatch:
    if batch.final:
        raise Refusal(409, "invalid_request_error", f"batch {batch.id} has already ended ({batch.state})")
    if batch.cancel_requested_at is None:
        batch.cancel_requested_at = time.time()
        batch.state = "cancelling"
        ledger.cancelled.append(batch.id)
    return batch


def advance(ledger: BatchLedger, batch: FakeBatch) -> FakeBatch:
    """Bring a batch up to date: finish it once its time is up, or wind up a cancel."""
    behaviour = ledger.behaviour
    if batch.final:
        return batch
    if batch.cancel_requested_at is not None:
        done = progress(ledger, batch) if behaviour.processing_seconds > 0 else 0
        answer(ledger, batch, answered=done, rest="canceled", state="cancelled")
        return batch
    held = behaviour.hold and not ledger.released
    if held or time.time() - batch.created < behaviour.processing_seconds:
        return batch
    if batch.outcome == "expire":
        answered = round(behaviour.expire_after * len(batch.requests))
        answer(ledger, batch, answered=answered, rest="expired", state="expired")
    else:
        answer(ledger, batch, answered=len(batch.requests), rest="expired", state="completed")
    return batch
