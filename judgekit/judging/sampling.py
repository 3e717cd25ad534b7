"""Several samples of one judge call sent as separate requests (for backends without `n`).

Each sample is its own request with its own cache key and its own `judgments.jsonl` row (role
aux, call `<call>:sample<k>`), so a run stopped halfway through an item's samples resumes with
the samples it already has and asks only for the rest. When every sample is in, one judge row
(the call's own name) combines them: the mean score, or the share of each pairwise outcome.
"""

from __future__ import annotations

import asyncio
import hashlib

from judgekit.inputs.parsing import cut_off, read_samples, read_verdict
from judgekit.judging import calls
from judgekit.judging.runner import CallResult, Executor
from judgekit.redact import redact
from judgekit.schema import Completion, JudgeRequest, Judgment


def derived_key(base: str, label: str) -> str:
    """A cache key for one part of a sampled call (distinct from the plain request's key)."""
    return hashlib.sha256(f"{base}\x00{label}".encode()).hexdigest()


def sample_call(call: str, index: int) -> str:
    """The `call` of the k-th sample row (1-based in the file, for people reading it)."""
    return f"{call}:sample{index + 1}"


async def judge_by_samples(
    executor: Executor, planned: calls.PlannedCall, setup: calls.JudgeSetup, count: int, vary_seed: bool
) -> Judgment:
    """Make `count` sample requests for one planned call and record the combined judgment."""
    base = executor.key(planned.request)
    combined_key = derived_key(base, f"samples:{count}")
    previous = executor.reuse(planned.item.id, planned.call, combined_key)
    if previous is not None:
        return previous
    outcomes = await asyncio.gather(
        *(_one_sample(executor, planned, setup, base, index, vary_seed) for index in range(count)),
        return_exceptions=True,
    )
    # Every sample that was in flight has finished and been written; now a budget stop or a
    # fatal provider error may end the run.
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    rows = [outcome for outcome in outcomes if isinstance(outcome, Judgment)]
    failed = [row for row in rows if row.status == "error"]
    if failed:
        row = _base_row(planned, setup, combined_key).model_copy(
            update={
                "status": "error",
                "reason": f"{len(failed)} of {count} samples failed: {failed[0].reason}",
                "error_kind": failed[0].error_kind,
            }
        )
    else:
        texts = [row.completion.text for row in rows if row.completion is not None]
        sources = [message.content for message in planned.request.messages]
        reading = read_samples(texts, setup.template.meta.verdict, sources)
        row = calls.to_judgment(planned, setup, combined_key, Completion(texts=texts), reading)
        # The texts live in the sample rows; a completion here would count them twice.
        row.completion = None
    executor.record(row)
    return row


async def _one_sample(
    executor: Executor,
    planned: calls.PlannedCall,
    setup: calls.JudgeSetup,
    base: str,
    index: int,
    vary_seed: bool,
) -> Judgment:
    key = derived_key(base, f"sample:{index}")
    call = sample_call(planned.call, index)
    previous = executor.reuse(planned.item.id, call, key)
    if previous is not None:
        return previous
    request = _sample_request(planned.request, index, vary_seed)
    result = await executor.complete(request, key)
    row = _sample_row(planned, setup, key, call, result)
    executor.record(row)
    return row


def _sample_request(request: JudgeRequest, index: int, vary_seed: bool) -> JudgeRequest:
    if not vary_seed or request.params.seed is None:
        return request
    params = request.params.model_copy(update={"seed": request.params.seed + index})
    return request.model_copy(update={"params": params})


def _base_row(planned: calls.PlannedCall, setup: calls.JudgeSetup, key: str) -> Judgment:
    return calls.base_row(planned, setup, key, status="ok", method="samples")


def _sample_row(
    planned: calls.PlannedCall, setup: calls.JudgeSetup, key: str, call: str, result: CallResult
) -> Judgment:
    row = _base_row(planned, setup, key).model_copy(update={"call": call, "role": "aux", "method": None})
    if result.completion is None:
        assert result.error is not None
        row.status = "error"
        row.reason = redact(str(result.error))
        row.error_kind = result.error.kind
    else:
        sources = [message.content for message in planned.request.messages]
        reading = read_verdict(result.completion.text, setup.template.meta.verdict, sources)
        reading = cut_off(reading, result.completion.finish_reason, planned.request.params.max_tokens)
        row.status = "ok" if reading.status == "ok" else "unscored"
        row.reason = reading.reason
        row.completion = result.completion
        if isinstance(reading.value, float):
            row.score = reading.value
        elif reading.value is not None:
            row.shown = str(reading.value)  # type: ignore[assignment]
    row.latency_s = round(result.latency_s, 4)
    row.attempts = result.attempts
    row.cached = result.cached
    row.retries = result.retries
    row.retry_reasons = result.retry_reasons or None
    row.cost_usd = result.cost_usd
    return row
