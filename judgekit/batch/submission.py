"""Cut the planned calls into batches within the provider's limits and submit them.

The size and estimated cost are shown first (`--estimate` stops there). Each batch is recorded
before it is sent (a `submitting` record and its mapping of custom ids) and again once the
provider accepts it, so a kill at any moment loses no request and pays for none twice
(`recovery.py`). A batch the provider refuses for its size is sent again as two halves.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from judgekit.batch.base import BatchTooLarge, Submitted
from judgekit.batch.outcomes import write_errors
from judgekit.batch.planning import Pending, plan
from judgekit.batch.session import BatchSession, Call
from judgekit.errors import FatalProviderError, ProviderError
from judgekit.judging.runner import RunnerOptions, backoff_delay
from judgekit.redact import redact
from judgekit.schema import JudgeRequest
from judgekit.store.batch_state import BatchRecord, CallRef, now


async def plan_and_submit(session: BatchSession, only: set[Call] | None) -> None:
    """Plan the calls (all, or `only` these) and submit those that need a batch."""
    journal = session.journal
    journal.options["plans"] = int(journal.options.get("plans", 0)) + 1
    session.save()
    spool = session.store.path / ".pending.jsonl"
    count = plan(session, only, spool)
    try:
        if not count:
            if only is None:
                session.view.message("nothing to submit: every call is judged, cached or in a running batch")
            return
        assert session.estimate is not None
        if only is None:
            session.view.message("batch estimate: " + session.estimate.describe(session.price, session.setup.judge))
        if session.options.estimate_only:
            session.view.message("nothing submitted (--estimate)")
            return
        # Custom ids carry the run's token: results of this run's batches can be told from any other's.
        await _submit_spool(session, spool, f"{journal.options['token']}-p{journal.options['plans']}")
    finally:
        spool.unlink(missing_ok=True)


async def _submit_spool(session: BatchSession, spool: Path, prefix: str) -> None:
    lines: list[str] = []
    refs: list[CallRef] = []
    size = 0
    with spool.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            pending = Pending(**json.loads(raw))
            custom_id = f"{prefix}-{number}"
            line = session.api.encode(custom_id, JudgeRequest.model_validate_json(pending.request))
            line_size = len(line.encode()) + 1
            if refs and (len(refs) >= session.limits.max_requests or size + line_size > session.limits.max_bytes):
                await send(session, lines, refs)
                lines, refs, size = [], [], 0
            if line_size > session.limits.max_bytes:
                _refuse_oversized(session, pending, line_size)
                continue
            lines.append(line)
            refs.append(
                CallRef(
                    custom_id=custom_id,
                    item_id=pending.item_id,
                    call=pending.call,
                    request_hash=pending.request_hash,
                )
            )
            size += line_size
    if refs:
        await send(session, lines, refs)


def _refuse_oversized(session: BatchSession, pending: Pending, line_size: int) -> None:
    """A request larger than a whole batch may be can never be sent: it is recorded as an error."""
    error = ProviderError(
        f"the request is {line_size:,} bytes, more than one batch may hold ({session.limits.max_bytes:,})",
        kind="bad_request",
        retryable=False,
    )
    write_errors(session, {(pending.item_id, pending.call): pending.request_hash}, error)


async def send(session: BatchSession, lines: list[str], refs: list[CallRef]) -> None:
    """Submit one batch, recording it before and after; split it if refused for its size."""
    journal = session.journal
    record = BatchRecord(
        local_id=journal.next_local_id(),
        provider=session.api.provider,
        state="submitting",
        requests=len(lines),
        bytes=sum(len(line.encode()) + 1 for line in lines),
        created=now(),
        max_usd=sum(session.worst.get(ref.request_hash, 0.0) for ref in refs) if session.config.max_cost else None,
    )
    session.store.write_mapping(record.local_id, refs)
    journal.batches.append(record)
    session.save()
    submitted = await _submit(session, record, lines, refs)
    if submitted is None:
        return
    session.sent += len(lines)
    record.provider_id = submitted.provider_id
    record.input_file_id = submitted.input_file_id
    record.state = "running"
    record.provider_status = "submitted"
    session.save()
    session.submitted.append(record)
    session.view.message(f"submitted batch {record.local_id}: {submitted.provider_id} ({record.requests} requests)")


async def _submit(
    session: BatchSession, record: BatchRecord, lines: list[str], refs: list[CallRef]
) -> Submitted | None:
    """Submit the recorded batch, retrying what may pass later; None when it was split instead."""
    labels = session.labels(record)
    attempt = 0
    while True:
        attempt += 1
        try:
            return await session.api.submit(lines, labels)
        except BatchTooLarge as exc:
            await _split(session, record, lines, refs, exc)
            return None
        except FatalProviderError:
            record.state = "abandoned"
            session.save()
            raise
        except ProviderError as exc:
            if not exc.retryable:
                record.state = "abandoned"
                record.note = redact(str(exc))
                session.save()
                raise
            if attempt > session.config.max_retries:
                raise  # left `submitting`: the next run looks for it before submitting again
            options = RunnerOptions(retry_base_delay=session.config.retry_base_delay)
            await asyncio.sleep(backoff_delay(attempt, exc.retry_after, options, session.rng))
            # The failed attempt may have arrived.
            found = await session.recovery().find(session.journal, record, labels)
            if found is not None:
                return Submitted(found)


async def _split(
    session: BatchSession, record: BatchRecord, lines: list[str], refs: list[CallRef], exc: BatchTooLarge
) -> None:
    """The provider refused the batch for its size: send its requests as two smaller batches."""
    record.state = "abandoned"
    record.note = redact(str(exc))
    session.save()
    if len(lines) == 1:
        write_errors(session, {(refs[0].item_id, refs[0].call): refs[0].request_hash}, exc)
        return
    half = len(lines) // 2
    session.limits = session.limits.narrowed(half, None)
    session.view.message(f"the provider refused {len(lines)} requests in one batch; splitting into batches of {half}")
    await send(session, lines[:half], refs[:half])
    await send(session, lines[half:], refs[half:])
