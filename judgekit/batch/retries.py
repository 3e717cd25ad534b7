"""Retry the requests that failed inside a batch: in a new batch or interactively, by option.

Requests of batches refused as a whole are resubmitted here too (once no other batch runs, where
the provider's queue was full). `--retry-rounds` bounds how often one request is retried.
"""

from __future__ import annotations

import asyncio

from judgekit.batch.session import BatchSession
from judgekit.batch.submission import plan_and_submit
from judgekit.judging.budget import BudgetReached, Spending
from judgekit.judging.runner import run_items
from judgekit.schema import Item


async def resubmit(session: BatchSession) -> None:
    """Submit, in new batches, the requests refused with their batch and (by option) the failed ones."""
    others_running = bool(session.running())
    calls = {call for call, wait in session.requeue.items() if not (wait and others_running)}
    if session.options.retry == "batch":
        for call, error in list(session.failed.items()):
            if error.retryable and session.retried[call] < session.options.retry_rounds:
                calls.add(call)
    if not calls:
        return
    for call in calls:
        if call in session.requeue:
            del session.requeue[call]
        else:
            session.retried[call] += 1
            del session.failed[call]
    session.view.message(f"resubmitting {len(calls)} requests in a new batch")
    await plan_and_submit(session, calls)


async def retry_interactively(session: BatchSession) -> None:
    """Judge the retryable failed requests with ordinary calls, within --max-cost."""
    calls = {call for call, error in session.failed.items() if error.retryable}
    if not calls:
        return
    executor = session.executor
    session.view.message(f"retrying {len(calls)} failed requests interactively")

    async def judge(item: Item) -> None:
        setup, planned_calls = session.prepared.grading.batch_calls(item)
        wanted = [planned for planned in planned_calls if (item.id, planned.call) in calls]
        await asyncio.gather(*(executor.judge(planned, setup) for planned in wanted))

    # --max-cost counts everything the directory holds now, the collected batches included.
    rows = session.prepared.run_dir.load_judgments(lean=True)
    executor.spending = Spending(session.price, session.config.max_cost, rows)
    items = session.items({item_id for item_id, _ in calls})
    try:
        await run_items(items, judge, workers=session.config.concurrency)
    except BudgetReached as exc:
        session.stop_reason = str(exc)
    for call in calls:
        session.failed.pop(call, None)
