"""Run an evaluation through a provider's batch API and leave the rows an interactive run leaves.

One pass of `BatchDriver.run`, each step in its own module:

1. resolve batches an interrupted process left half-submitted: found again at the provider and
   followed, submitted anew when none can match, or a stop when several could (`recovery.py`);
2. plan every item's calls exactly as `judgekit eval` does, skipping calls already judged in
   this run directory (resume), calls inside batches still running, and calls the completion
   cache answers (those rows are written at once: a cached judgment is never resubmitted)
   (`planning.py`);
3. show the size and estimated cost, then split the rest into batches within the provider's
   limits (requests and bytes) and submit them, recording each batch id in `batches/`
   (`submission.py`);
4. poll until every batch has ended (unless detached), downloading each ended batch's results,
   matching them to their calls by custom id and writing one judgment row per call, parsed
   by `calls.read` as an interactive answer would be (`collection.py`, `outcomes.py`);
5. retry the requests that failed inside a batch (rate limits, server errors, expiry) in a new
   batch or interactively, by option, and resubmit the requests of batches refused for size
   (`retries.py`).

Everything the driver learns is written before it acts on it, so killing it at any point loses
nothing: the next run (or `judgekit batch collect`) picks up the stored batch ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.api import EvalResult, Prepared, finish, open_run_dir
from judgekit.batch.base import BatchAPI
from judgekit.batch.collection import refresh
from judgekit.batch.cost import describe_usage
from judgekit.batch.options import BatchOptions
from judgekit.batch.progress import BatchView
from judgekit.batch.retries import resubmit, retry_interactively
from judgekit.batch.session import BatchSession, open_journal
from judgekit.batch.submission import plan_and_submit
from judgekit.judging.pricing import resolve_prices
from judgekit.judging.runner import Executor, RunnerOptions
from judgekit.schema import Judgment
from judgekit.store.batch_state import BatchRecord, BatchStore, refuse_if_in_flight
from judgekit.store.cache import CompletionCache
from judgekit.store.rundir import JudgmentWriter

__all__ = ["BatchDriver", "BatchOptions", "BatchResult", "run_batch", "run_batch_eval"]


@dataclass
class BatchResult:
    """What a batch run did, and the summary of the run directory afterwards."""

    result: EvalResult
    submitted: list[BatchRecord] = field(default_factory=list)
    """Batches this invocation submitted."""
    running: list[BatchRecord] = field(default_factory=list)
    """Batches still with the provider when it returned."""
    estimate: dict[str, Any] | None = None
    """The size and cost estimate shown before the last submission (as in batches/state.json)."""


class BatchDriver:
    def __init__(self, prepared: Prepared, api: BatchAPI, options: BatchOptions, view: BatchView) -> None:
        self.prepared = prepared
        self.api = api
        self.options = options
        self.view = view
        self.config = prepared.config
        self.store = BatchStore(prepared.run_dir.path)
        self.price = options.price or resolve_prices(prepared.setup.judge, self.config.price_in, self.config.price_out)

    async def run(self) -> BatchResult:
        run_dir = self.prepared.run_dir
        if self.config.fresh:
            refuse_if_in_flight(run_dir.path, "start it afresh")
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            # Lock before reading (and repairing) judgments.jsonl when the run exists; a new run
            # directory must be started before anything is put into it.
            locked = run_dir.exists() and not self.config.fresh
            if locked:
                stack.enter_context(self.store.locked())
            earlier = open_run_dir(self.prepared)
            if self.config.fresh:
                self.store.clear()
            if not locked:
                stack.enter_context(self.store.locked())
            journal = open_journal(self.store, self.prepared, self.api, self.options)
            done = {(row.item_id, row.call, row.request_hash) for row in _latest(earlier) if row.status != "error"}
            cache: CompletionCache | None = None
            if self.config.cache:
                directory = Path(self.config.cache_dir).expanduser() if self.config.cache_dir else None
                cache = CompletionCache(directory)
                cache.remember(earlier)  # answers collected before a kill stay free for every run
            writer = run_dir.open_writer()
            executor = self._executor(writer, cache, earlier)
            session = BatchSession(
                self.prepared,
                self.api,
                self.options,
                self.view,
                store=self.store,
                journal=journal,
                executor=executor,
                cache=cache,
                price=self.price,
                done=done,
            )
            try:
                await _drive(session)
            finally:
                self.view.stop()
                writer.close()
                if cache is not None:
                    cache.close()
                await self.prepared.backend.aclose()
        return self._result(session, started)

    def _executor(self, writer: JudgmentWriter, cache: CompletionCache | None, earlier: list[Judgment]) -> Executor:
        return Executor(
            self.prepared.backend,
            writer,
            cache=cache,
            resumed=earlier,
            options=RunnerOptions(
                concurrency=self.config.concurrency,
                max_retries=self.config.max_retries,
                retry_base_delay=self.config.retry_base_delay,
                prices=self.price,
            ),
        )

    def _result(self, session: BatchSession, started: float) -> BatchResult:
        """Finish the run directory (its summary) and say what this invocation did."""
        running = session.journal.unfinished()
        status = "incomplete" if (running or session.stop_reason) else "complete"
        summary = finish(self.prepared.run_dir, status=status, wall_s=time.monotonic() - started)
        usage = session.usage
        if usage[0]:
            self.view.message(
                "batch usage: " + describe_usage(usage[1], usage[2], usage[0], self.price, self.prepared.setup.judge)
            )
        result = EvalResult(summary, self.prepared.run_dir.path, session.executor.counters, session.stop_reason)
        return BatchResult(result, session.submitted, running, session.journal.estimate)


async def _drive(session: BatchSession) -> None:
    options = session.options
    await session.recovery().resolve(session.journal, session.labels, resubmit=options.resubmit)
    if options.submit_new:
        await plan_and_submit(session, None)
        if options.estimate_only:
            return
    if options.detach:
        return
    while True:
        await refresh(session)
        await resubmit(session)
        if not session.running():
            break
        if not options.wait:
            break
        session.view.waiting(session.journal, options.poll_interval)
        await asyncio.sleep(options.poll_interval)
    if options.retry == "interactive" and not session.running():
        await retry_interactively(session)


def _latest(rows: list[Judgment]) -> list[Judgment]:
    from judgekit.store.rundir import latest_rows

    return list(latest_rows(rows).values())


async def run_batch(prepared: Prepared, options: BatchOptions, view: BatchView) -> BatchResult:
    """Judge a prepared run through its provider's batch API (the library form of `eval --batch`)."""
    from judgekit.batch.registry import batch_api_for
    from judgekit.errors import UsageError

    blocker = prepared.grading.batch_blocker()
    if blocker is not None:
        raise UsageError(blocker)
    api = batch_api_for(prepared.backend)
    return await BatchDriver(prepared, api, options, view).run()


def run_batch_eval(config: Any, options: BatchOptions | None = None, *, quiet: bool = True) -> BatchResult:
    """Judge a dataset through its provider's batch API (the library form of `judgekit eval --batch`)."""
    from judgekit.api import prepare

    prepared = prepare(config)
    return asyncio.run(run_batch(prepared, options or BatchOptions(), BatchView(quiet=quiet)))
