"""Write what batches returned as judgment rows: each outcome parsed as an interactive answer would be.

A result is matched to its planned call by custom id; `calls.read` parses its answer exactly as
`judgekit eval` parses an interactive one, and a failed request becomes an error row (retried
later by `retries.py`). Rows written before an interruption are never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from judgekit.batch.base import Outcome
from judgekit.batch.session import BatchSession, Call
from judgekit.errors import ProviderError
from judgekit.judging import calls
from judgekit.judging.pricing import completion_cost
from judgekit.schema import Completion, Judgment
from judgekit.store.batch_state import CallRef


@dataclass
class Tally:
    """What the collected results of one batch held."""

    succeeded: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, completion: Completion) -> None:
        self.succeeded += 1
        self.prompt_tokens += completion.prompt_tokens or 0
        self.completion_tokens += completion.completion_tokens or 0


Match = tuple[CallRef, Outcome, "str | None"]
"""A result matched to its call: the mapping line, the outcome, the batch that returned it."""


def write_errors(
    session: BatchSession, failed: dict[Call, str], error: ProviderError, batch_id: str | None = None
) -> None:
    """Record `error` as the outcome of each call (call -> its request hash)."""
    matched = {
        call: (
            CallRef(custom_id="", item_id=call[0], call=call[1], request_hash=key),
            Outcome("", error=error),
            batch_id,
        )
        for call, key in failed.items()
    }
    write_outcomes(session, matched)


def write_outcomes(session: BatchSession, matched: dict[Call, Match]) -> dict[str | None, Tally]:
    """Parse and record each outcome as the judgment row of its planned call (one pass over the items)."""
    executor = session.executor
    tallies: dict[str | None, Tally] = {}
    rows: list[Judgment] = []
    for item in session.items({item_id for item_id, _ in matched}):
        setup, planned_calls = session.prepared.grading.batch_calls(item)
        for planned in planned_calls:
            entry = matched.get((item.id, planned.call))
            if entry is None:
                continue
            ref, outcome, batch_id = entry
            tally = tallies.setdefault(batch_id, Tally())
            key = executor.key(planned.request)
            if key != ref.request_hash:
                session.view.message(f"item {item.id} ({planned.call}) no longer renders the batched request; skipped")
                continue
            if outcome.completion is not None:
                tally.add(outcome.completion)
                if (item.id, planned.call, key) in session.done:
                    continue  # collected before an interruption; never written twice
                if session.cache is not None:
                    session.cache.put(key, session.api.provider, planned.request.model, outcome.completion)
                reading = calls.read(planned, outcome.completion, setup)
                row = calls.to_judgment(planned, setup, key, outcome.completion, reading)
                if session.price is not None:
                    row.cost_usd = completion_cost(session.price, planned.request, outcome.completion, batch=True)
                session.failed.pop((item.id, planned.call), None)
            else:
                tally.failed += 1
                assert outcome.error is not None
                if (item.id, planned.call, key) in session.done:
                    continue
                row = calls.error_row(planned, setup, key, outcome.error)
                session.failed[(item.id, planned.call)] = outcome.error
            row.attempts = 1
            row.batch_id = batch_id
            rows.append(row)
    # The answers go into the cache in one transaction before any of their rows is written
    # (`Executor.record` commits the cache first): a kill in between loses neither.
    for row in rows:
        session.record(row)
    for tally in tallies.values():
        session.usage[0] += tally.succeeded
        session.usage[1] += tally.prompt_tokens
        session.usage[2] += tally.completion_tokens
    return tallies
