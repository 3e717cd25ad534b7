"""Poll the running batches and collect those that ended: one judgment row per call.

Results are matched to their calls by custom id; a request with no result counts as failed
(retryable). A batch refused as a whole ran nothing: its requests are resubmitted in smaller
batches when the refusal was about size or the provider's queue, and recorded as errors otherwise.
"""

from __future__ import annotations

from judgekit.batch.base import Outcome
from judgekit.batch.outcomes import Match, Tally, write_errors, write_outcomes
from judgekit.batch.recovery import is_foreign
from judgekit.batch.session import BatchSession, Call
from judgekit.errors import FatalProviderError, ProviderError
from judgekit.store.batch_state import BatchRecord, now

REQUEUE_LIMIT = 8
"""Times the requests of a batch refused as a whole are resubmitted (in smaller batches)."""
SPLIT_CODES = ("too_many_tasks",)
"""OpenAI failure codes that mean: the batch held too many requests; split it."""
WAIT_CODES = ("token_limit_exceeded",)
"""OpenAI failure codes that mean: too much is queued now; resubmit once other batches end."""

Ended = list[tuple[BatchRecord, list[Outcome]]]
"""Batches that ended, each with the outcomes it returned."""


async def refresh(session: BatchSession) -> None:
    """Look at every running batch; write the results of those that ended in one pass."""
    ended: Ended = []
    for record in list(session.running()):
        assert record.provider_id is not None
        try:
            status = await session.api.status(record.provider_id)
            if status.state == "ended":
                outcomes = await session.api.results(record.provider_id, session.setup.params.logprobs)
        except FatalProviderError:
            raise
        except ProviderError as exc:
            if not exc.retryable:
                raise
            session.view.message(f"could not read batch {record.local_id} ({exc}); trying again at the next look")
            continue
        record.provider_status = status.provider_status
        record.progress = status.done
        if status.state == "failed":
            _failed_batch(session, record, status.failure_code, status.failure or "the provider rejected the batch")
            record.ended = now()
            session.save()
        elif status.state == "ended" and is_foreign(session.store.read_mapping(record.local_id), outcomes):
            # Followed after an interrupted submission, it held none of this run's custom ids.
            for call in session.recovery().foreign(record):
                session.requeue[call] = False
            session.save()
        elif status.state == "ended":
            ended.append((record, outcomes))
    if ended:
        _collect(session, ended)
        for record, _ in ended:
            record.ended = now()
            session.view.collected(record)
        session.save()


def _collect(session: BatchSession, ended: Ended) -> None:
    """Match results to their calls by custom id and write them; a request with no result failed."""
    matched: dict[Call, Match] = {}
    for record, outcomes in ended:
        refs = session.store.read_mapping(record.local_id)
        for outcome in outcomes:
            ref = refs.get(outcome.custom_id)
            if ref is None:
                session.view.message(f"batch {record.local_id} returned an unknown custom id {outcome.custom_id!r}")
                continue
            matched[(ref.item_id, ref.call)] = (ref, outcome, record.provider_id)
        for ref in refs.values():
            if (ref.item_id, ref.call) not in matched:
                missing = ProviderError("the batch returned no result for this request", kind="missing", retryable=True)
                matched[(ref.item_id, ref.call)] = (ref, Outcome(ref.custom_id, error=missing), record.provider_id)
    tallies = write_outcomes(session, matched)
    for record, _ in ended:
        tally = tallies.get(record.provider_id, Tally())
        record.succeeded, record.failed = tally.succeeded, tally.failed
        record.prompt_tokens, record.completion_tokens = tally.prompt_tokens, tally.completion_tokens
        record.state = "collected"


def _failed_batch(session: BatchSession, record: BatchRecord, code: str | None, message: str) -> None:
    """A batch refused as a whole ran nothing: resubmit its requests smaller, or record why."""
    refs = session.store.read_mapping(record.local_id).values()
    record.note = f"{code}: {message}" if code else message
    record.state = "collected"
    if code in SPLIT_CODES or code in WAIT_CODES:
        call_ids = [(ref.item_id, ref.call) for ref in refs]
        if all(session.requeued[call] < REQUEUE_LIMIT for call in call_ids):
            session.limits = session.limits.narrowed(max(1, record.requests // 2), None)
            for call in call_ids:
                session.requeue[call] = code in WAIT_CODES
                session.requeued[call] += 1
            session.view.message(
                f"batch {record.local_id} was refused ({record.note}); resubmitting its requests in smaller batches"
            )
            return
    error = ProviderError(f"the provider rejected the whole batch: {record.note}", kind="batch_failed", retryable=False)
    write_errors(session, {(ref.item_id, ref.call): ref.request_hash for ref in refs}, error, record.provider_id)
    record.failed = record.requests
    session.view.message(f"batch {record.local_id} failed: {record.note}")
