"""Plan the calls a batch run still needs and spool them to disk, ready to be cut into batches.

Every item's calls are planned exactly as `judgekit eval` plans them; skipped are the calls
already judged in this run directory (resume), calls inside batches still running, and calls the
completion cache answers (those rows are written at once: a cached judgment is never
resubmitted). --max-calls and --max-cost stop the plan where they would be passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from judgekit.batch.cost import BatchBudget, Estimate
from judgekit.batch.session import BatchSession, Call
from judgekit.judging import calls
from judgekit.judging.pricing import spent


@dataclass
class Pending:
    """One call waiting for a batch, as written to the spool."""

    item_id: str
    call: str
    swapped: bool
    request_hash: str
    request: str
    """The JudgeRequest as JSON."""


def plan(session: BatchSession, only: set[Call] | None, spool: Path) -> int:
    """Write the calls that need a batch to `spool`; returns how many. Cached calls are recorded."""
    in_flight = session.store.in_flight()
    executor = session.executor
    estimate = Estimate()
    count = 0
    budget = session.config.max_calls
    spending = _budget(session)
    items = session.items({item_id for item_id, _ in only} if only is not None else None)
    with spool.open("w", encoding="utf-8") as handle:
        for item in items:
            if session.stop_reason:
                break
            setup, planned_calls = session.prepared.grading.batch_calls(item)
            for planned in planned_calls:
                call = (item.id, planned.call)
                if only is not None and call not in only:
                    continue
                key = executor.key(planned.request)
                if (item.id, planned.call, key) in session.done or call in in_flight:
                    continue
                if _from_cache(session, planned, key, setup):
                    continue
                if (
                    budget is not None
                    and session.sent_before + session.sent + executor.counters.requests + count >= budget
                ):
                    session.stop_reason = f"stopped at --max-calls {budget} requests for this run directory in all"
                    break
                if spending is not None and (refused := spending.admit(planned.request)) is not None:
                    session.stop_reason = refused
                    break
                session.worst[key] = spending.worst(planned.request) if spending is not None else 0.0
                entry = Pending(item.id, planned.call, planned.swapped, key, planned.request.model_dump_json())
                handle.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")
                estimate.add(planned.request)
                count += 1
    if count:
        session.estimate = estimate
        session.journal.estimate = estimate.as_dict(session.price)
        session.save()
    return count


def _budget(session: BatchSession) -> BatchBudget | None:
    """--max-cost for this plan: the directory's spending and its running batches' worst case."""
    if session.config.max_cost is None or session.price is None:
        return None
    rows = session.prepared.run_dir.load_judgments(lean=True)
    running = sum(record.max_usd or 0.0 for record in session.journal.unfinished())
    return BatchBudget(session.config.max_cost, session.price, spent(rows, session.price).charged, running)


def _from_cache(session: BatchSession, planned: calls.PlannedCall, key: str, setup: calls.JudgeSetup) -> bool:
    if session.cache is None:
        return False
    completion = session.cache.get(key)
    if completion is None:
        return False
    reading = calls.read(planned, completion, setup)
    row = calls.to_judgment(planned, setup, key, completion, reading)
    row.cached = True
    session.record(row)
    return True
