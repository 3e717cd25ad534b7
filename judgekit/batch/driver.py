"""Run an evaluation through a provider's batch API and leave the rows an interactive run leaves.

One pass of `BatchDriver.run`:

1. resolve batches an interrupted process left half-submitted: found again at the provider and
   followed, submitted anew when none can match, or a stop when several could (`recovery.py`);
2. plan every item's calls exactly as `judgekit eval` does, skipping calls already judged in
   this run directory (resume), calls inside batches still running, and calls the completion
   cache answers (those rows are written at once: a cached judgment is never resubmitted);
3. show the size and estimated cost, then split the rest into batches within the provider's
   limits (requests and bytes) and submit them, recording each batch id in `batches/`;
4. poll until every batch has ended (unless detached), downloading each ended batch's results,
   matching them to their calls by custom id and writing one judgment row per call, parsed
   by `calls.read` as an interactive answer would be;
5. retry the requests that failed inside a batch (rate limits, server errors, expiry) in a new
   batch or interactively, by option, and resubmit the requests of batches refused for size.

Everything the driver learns is written before it acts on it, so killing it at any point loses
nothing: the next run (or `judgekit batch collect`) picks up the stored batch ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from judgekit.api import EvalResult, Prepared, finish, open_run_dir
from judgekit.batch.base import BatchAPI, BatchLimits, BatchTooLarge, Outcome, Submitted
from judgekit.batch.cost import BatchBudget, Estimate, describe_usage
from judgekit.batch.progress import BatchView
from judgekit.batch.recovery import Recovery, is_foreign
from judgekit.errors import FatalProviderError, ProviderError
from judgekit.judging import calls
from judgekit.judging.budget import BudgetReached, Spending
from judgekit.judging.pricing import Prices, completion_cost, resolve_prices, spent
from judgekit.judging.runner import Executor, RunnerOptions, backoff_delay, run_items
from judgekit.redact import redact
from judgekit.schema import Completion, Item, JudgeRequest, Judgment
from judgekit.store.batch_state import BatchJournal, BatchRecord, BatchStore, CallRef, now, refuse_if_in_flight
from judgekit.store.cache import CompletionCache

RetryMode = Literal["batch", "interactive", "none"]
Call = tuple[str, str]
"""(item id, call name)."""

REQUEUE_LIMIT = 8
"""Times the requests of a batch refused as a whole are resubmitted (in smaller batches)."""
SPLIT_CODES = ("too_many_tasks",)
"""OpenAI failure codes that mean: the batch held too many requests; split it."""
WAIT_CODES = ("token_limit_exceeded",)
"""OpenAI failure codes that mean: too much is queued now; resubmit once other batches end."""


@dataclass(frozen=True)
class BatchOptions:
    """How a batch run behaves; stored in batches/state.json so `batch collect` behaves alike."""

    poll_interval: float = 30.0
    """Seconds between two looks at the running batches."""
    retry: RetryMode = "batch"
    """What to do with requests that failed inside a batch: a new batch, interactive calls, nothing."""
    retry_rounds: int = 2
    """How many times one request is retried after failing inside a batch."""
    max_requests: int | None = None
    """Requests per batch, below the provider's limit."""
    max_bytes: int | None = None
    """Bytes of batch input per batch, below the provider's limit."""
    price: Prices | None = None
    """List price for the estimate; by default the run's --price-in/--price-out or judgekit's table."""
    detach: bool = False
    """Return once everything is submitted."""
    wait: bool = True
    """Wait for running batches (False: collect what has ended, then return)."""
    submit_new: bool = True
    """Submit calls never submitted before (False for `batch collect`: only its own retries)."""
    estimate_only: bool = False
    """Show what would be submitted and its cost, and submit nothing."""
    resubmit: bool = False
    """Submit the requests of interrupted submissions again without looking for them at the provider."""

    def stored(self) -> dict[str, Any]:
        return {
            "poll_interval": self.poll_interval,
            "retry": self.retry,
            "retry_rounds": self.retry_rounds,
            "max_requests": self.max_requests,
            "max_bytes": self.max_bytes,
            "price": [self.price.input, self.price.output] if self.price else None,
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any], **overrides: Any) -> BatchOptions:
        values: dict[str, Any] = {
            key: stored[key]
            for key in ("poll_interval", "retry", "retry_rounds", "max_requests", "max_bytes")
            if key in stored
        }
        if stored.get("price"):
            values["price"] = Prices(
                float(stored["price"][0]), float(stored["price"][1]), source="--price-in/--price-out"
            )
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


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


@dataclass
class _Tally:
    """What the collected results of one batch held."""

    succeeded: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, completion: Completion) -> None:
        self.succeeded += 1
        self.prompt_tokens += completion.prompt_tokens or 0
        self.completion_tokens += completion.completion_tokens or 0


_Match = tuple[CallRef, Outcome, "str | None"]
"""A result matched to its call: the mapping line, the outcome, the batch that returned it."""


@dataclass
class _Pending:
    """One call waiting for a batch, as written to the spool."""

    item_id: str
    call: str
    swapped: bool
    request_hash: str
    request: str
    """The JudgeRequest as JSON."""


class BatchDriver:
    def __init__(self, prepared: Prepared, api: BatchAPI, options: BatchOptions, view: BatchView) -> None:
        self.prepared = prepared
        self.api = api
        self.options = options
        self.view = view
        self.setup = prepared.setup
        self.config = prepared.config
        self.store = BatchStore(prepared.run_dir.path)
        self.limits: BatchLimits = api.limits.narrowed(options.max_requests, options.max_bytes)
        self.price = options.price or resolve_prices(self.setup.judge, self.config.price_in, self.config.price_out)
        self.journal: BatchJournal | None = None
        self.executor: Executor | None = None
        self.cache: CompletionCache | None = None
        self.done: set[tuple[str, str, str]] = set()
        """(item id, call, request hash) of every call with an answer in judgments.jsonl."""
        self.failed: dict[Call, ProviderError] = {}
        """Calls that failed inside a batch this invocation collected."""
        self.retried: Counter[Call] = Counter()
        self.requeue: dict[Call, bool] = {}
        """Calls of batches refused as a whole, to resubmit (True: once no other batch runs)."""
        self.requeued: Counter[Call] = Counter()
        self.submitted: list[BatchRecord] = []
        self.sent = 0
        """Requests submitted in batches by this invocation (for --max-calls)."""
        self.estimate: Estimate | None = None
        self.stop_reason: str | None = None
        self.usage = [0, 0, 0]
        """Collected answers, their prompt and completion tokens (this invocation)."""
        self._rng = random.Random()
        self._worst: dict[str, float] = {}
        """Request hash -> the most it can cost at the batch price (with --max-cost)."""

    # -- the whole run --------------------------------------------------------------------
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
            self.journal = self._journal()
            for row in _latest(earlier):
                if row.status != "error":
                    self.done.add((row.item_id, row.call, row.request_hash))
            if self.config.cache:
                directory = Path(self.config.cache_dir).expanduser() if self.config.cache_dir else None
                self.cache = CompletionCache(directory)
                self.cache.remember(earlier)  # answers collected before a kill stay free for every run
            writer = run_dir.open_writer()
            self.executor = Executor(
                self.prepared.backend,
                writer,
                cache=self.cache,
                resumed=earlier,
                options=RunnerOptions(
                    concurrency=self.config.concurrency,
                    max_retries=self.config.max_retries,
                    retry_base_delay=self.config.retry_base_delay,
                    prices=self.price,
                ),
            )
            try:
                await self._drive()
            finally:
                self.view.stop()
                writer.close()
                if self.cache is not None:
                    self.cache.close()
                await self.prepared.backend.aclose()
        running = self.journal.unfinished()
        status = "incomplete" if (running or self.stop_reason) else "complete"
        summary = finish(run_dir, status=status, wall_s=time.monotonic() - started)
        if self.usage[0]:
            self.view.message(
                "batch usage: "
                + describe_usage(self.usage[1], self.usage[2], self.usage[0], self.price, self.setup.judge)
            )
        result = EvalResult(summary, run_dir.path, self.executor.counters, self.stop_reason)
        return BatchResult(result, self.submitted, running, self.journal.estimate)

    async def _drive(self) -> None:
        await self._recover()
        if self.options.submit_new:
            await self._plan_and_submit(None)
            if self.options.estimate_only:
                return
        if self.options.detach:
            return
        while True:
            await self._refresh()
            await self._resubmit()
            if not self._journal_running():
                break
            if not self.options.wait:
                break
            self.view.waiting(self._state(), self.options.poll_interval)
            await asyncio.sleep(self.options.poll_interval)
        if self.options.retry == "interactive" and not self._journal_running():
            await self._retry_interactively()

    # -- journal --------------------------------------------------------------------------
    def _journal(self) -> BatchJournal:
        journal = self.store.load()
        if journal is None:
            journal = BatchJournal(
                run_id=self.prepared.run_id,
                judge=self.setup.judge,
                endpoint=self.api.endpoint,
                options={"token": secrets.token_hex(6)},
            )
        token = journal.options.get("token") or secrets.token_hex(6)
        journal.options = {**self.options.stored(), "token": token, "plans": journal.options.get("plans", 0)}
        self.store.save(journal)
        return journal

    def _state(self) -> BatchJournal:
        assert self.journal is not None
        return self.journal

    def _save(self) -> None:
        self.store.save(self._state())

    def _journal_running(self) -> list[BatchRecord]:
        return self._state().running()

    def _labels(self, record: BatchRecord) -> dict[str, str]:
        return {"judgekit_run": str(self._state().options["token"]), "judgekit_batch": record.local_id}

    # -- 1. half-submitted batches --------------------------------------------------------
    async def _recover(self) -> None:
        recovery = Recovery(self.api, self.store, self.view, self.prepared.run_dir.path)
        await recovery.resolve(self._state(), self._labels, resubmit=self.options.resubmit)

    # -- 2 and 3. plan and submit ---------------------------------------------------------
    def _items(self, only: set[str] | None = None) -> Iterator[Item]:
        limit = self.config.limit
        total = min(self.prepared.info.rows, limit) if limit else self.prepared.info.rows
        for item in islice(self.prepared.run_dir.iter_items(), total):
            if only is None or item.id in only:
                yield item

    def _plan(self, only: set[Call] | None, spool: Path) -> int:
        """Write the calls that need a batch to `spool`; returns how many. Cached calls are recorded."""
        in_flight = self.store.in_flight()
        executor = self.executor
        assert executor is not None
        estimate = Estimate()
        count = 0
        budget = self.config.max_calls
        spending = self._budget()
        items = self._items({item_id for item_id, _ in only} if only is not None else None)
        with spool.open("w", encoding="utf-8") as handle:
            for item in items:
                if self.stop_reason:
                    break
                setup, planned_calls = self.prepared.grading.batch_calls(item)
                for planned in planned_calls:
                    call = (item.id, planned.call)
                    if only is not None and call not in only:
                        continue
                    key = executor.key(planned.request)
                    if (item.id, planned.call, key) in self.done or call in in_flight:
                        continue
                    if self._from_cache(planned, key, setup):
                        continue
                    if budget is not None and self.sent + executor.counters.requests + count >= budget:
                        self.stop_reason = f"stopped after {budget} requests (--max-calls)"
                        break
                    if spending is not None and (refused := spending.admit(planned.request)) is not None:
                        self.stop_reason = refused
                        break
                    self._worst[key] = spending.worst(planned.request) if spending is not None else 0.0
                    entry = _Pending(item.id, planned.call, planned.swapped, key, planned.request.model_dump_json())
                    handle.write(json.dumps(entry.__dict__, ensure_ascii=False) + "\n")
                    estimate.add(planned.request)
                    count += 1
        if count:
            self.estimate = estimate
            self._state().estimate = estimate.as_dict(self.price)
            self._save()
        return count

    def _budget(self) -> BatchBudget | None:
        """--max-cost for this plan: the directory's spending and its running batches' worst case."""
        if self.config.max_cost is None or self.price is None:
            return None
        rows = self.prepared.run_dir.load_judgments(lean=True)
        running = sum(record.max_usd or 0.0 for record in self._state().unfinished())
        return BatchBudget(self.config.max_cost, self.price, spent(rows, self.price).charged, running)

    def _from_cache(self, planned: calls.PlannedCall, key: str, setup: calls.JudgeSetup) -> bool:
        if self.cache is None:
            return False
        completion = self.cache.get(key)
        if completion is None:
            return False
        reading = calls.read(planned, completion, setup)
        row = calls.to_judgment(planned, setup, key, completion, reading)
        row.cached = True
        self._record(row)
        return True

    async def _plan_and_submit(self, only: set[Call] | None) -> None:
        journal = self._state()
        journal.options["plans"] = int(journal.options.get("plans", 0)) + 1
        self._save()
        spool = self.store.path / ".pending.jsonl"
        count = self._plan(only, spool)
        try:
            if not count:
                if only is None:
                    self.view.message("nothing to submit: every call is judged, cached or in a running batch")
                return
            assert self.estimate is not None
            if only is None:
                self.view.message("batch estimate: " + self.estimate.describe(self.price, self.setup.judge))
            if self.options.estimate_only:
                self.view.message("nothing submitted (--estimate)")
                return
            # Custom ids carry the run's token: results of this run's batches can be told from any other's.
            await self._submit_spool(spool, f"{journal.options['token']}-p{journal.options['plans']}")
        finally:
            spool.unlink(missing_ok=True)

    async def _submit_spool(self, spool: Path, prefix: str) -> None:
        lines: list[str] = []
        refs: list[CallRef] = []
        size = 0
        with spool.open(encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                pending = _Pending(**json.loads(raw))
                custom_id = f"{prefix}-{number}"
                line = self.api.encode(custom_id, JudgeRequest.model_validate_json(pending.request))
                line_size = len(line.encode()) + 1
                if refs and (len(refs) >= self.limits.max_requests or size + line_size > self.limits.max_bytes):
                    await self._send(lines, refs)
                    lines, refs, size = [], [], 0
                if line_size > self.limits.max_bytes:
                    self._write_errors(
                        {(pending.item_id, pending.call): pending.request_hash},
                        ProviderError(
                            f"the request is {line_size:,} bytes, more than one batch may hold "
                            f"({self.limits.max_bytes:,})",
                            kind="bad_request",
                            retryable=False,
                        ),
                    )
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
            await self._send(lines, refs)

    async def _send(self, lines: list[str], refs: list[CallRef]) -> None:
        """Submit one batch, recording it before and after; split it if refused for its size."""
        journal = self._state()
        record = BatchRecord(
            local_id=journal.next_local_id(),
            provider=self.api.provider,
            state="submitting",
            requests=len(lines),
            bytes=sum(len(line.encode()) + 1 for line in lines),
            created=now(),
            max_usd=sum(self._worst.get(ref.request_hash, 0.0) for ref in refs) if self.config.max_cost else None,
        )
        self.store.write_mapping(record.local_id, refs)
        journal.batches.append(record)
        self._save()
        labels = self._labels(record)
        attempt = 0
        while True:
            attempt += 1
            try:
                submitted = await self.api.submit(lines, labels)
                break
            except BatchTooLarge as exc:
                record.state = "abandoned"
                record.note = redact(str(exc))
                self._save()
                if len(lines) == 1:
                    self._write_errors({(refs[0].item_id, refs[0].call): refs[0].request_hash}, exc)
                    return
                half = len(lines) // 2
                self.limits = self.limits.narrowed(half, None)
                self.view.message(
                    f"the provider refused {len(lines)} requests in one batch; splitting into batches of {half}"
                )
                await self._send(lines[:half], refs[:half])
                await self._send(lines[half:], refs[half:])
                return
            except FatalProviderError:
                record.state = "abandoned"
                self._save()
                raise
            except ProviderError as exc:
                if not exc.retryable:
                    record.state = "abandoned"
                    record.note = redact(str(exc))
                    self._save()
                    raise
                if attempt > self.config.max_retries:
                    raise  # left `submitting`: the next run looks for it before submitting again
                options = RunnerOptions(retry_base_delay=self.config.retry_base_delay)
                await asyncio.sleep(backoff_delay(attempt, exc.retry_after, options, self._rng))
                recovery = Recovery(self.api, self.store, self.view, self.prepared.run_dir.path)
                found = await recovery.find(self._state(), record, labels)  # the failed attempt may have arrived
                if found is not None:
                    submitted = Submitted(found)
                    break
        self.sent += len(lines)
        record.provider_id = submitted.provider_id
        record.input_file_id = submitted.input_file_id
        record.state = "running"
        record.provider_status = "submitted"
        self._save()
        self.submitted.append(record)
        self.view.message(f"submitted batch {record.local_id}: {submitted.provider_id} ({record.requests} requests)")

    # -- 4. poll and collect --------------------------------------------------------------
    async def _refresh(self) -> None:
        """Look at every running batch; write the results of those that ended in one pass."""
        ended: list[tuple[BatchRecord, list[Outcome]]] = []
        for record in list(self._journal_running()):
            assert record.provider_id is not None
            try:
                status = await self.api.status(record.provider_id)
                if status.state == "ended":
                    outcomes = await self.api.results(record.provider_id, self.setup.params.logprobs)
            except FatalProviderError:
                raise
            except ProviderError as exc:
                if not exc.retryable:
                    raise
                self.view.message(f"could not read batch {record.local_id} ({exc}); trying again at the next look")
                continue
            record.provider_status = status.provider_status
            record.progress = status.done
            if status.state == "failed":
                self._failed_batch(record, status.failure_code, status.failure or "the provider rejected the batch")
                record.ended = now()
                self._save()
            elif status.state == "ended" and is_foreign(self.store.read_mapping(record.local_id), outcomes):
                # Followed after an interrupted submission, it held none of this run's custom ids.
                for call in Recovery(self.api, self.store, self.view, self.prepared.run_dir.path).foreign(record):
                    self.requeue[call] = False
                self._save()
            elif status.state == "ended":
                ended.append((record, outcomes))
        if ended:
            self._collect(ended)
            for record, _ in ended:
                record.ended = now()
                self.view.collected(record)
            self._save()

    def _collect(self, ended: list[tuple[BatchRecord, list[Outcome]]]) -> None:
        """Match results to their calls by custom id and write them; a request with no result failed."""
        matched: dict[Call, _Match] = {}
        for record, outcomes in ended:
            refs = self.store.read_mapping(record.local_id)
            for outcome in outcomes:
                ref = refs.get(outcome.custom_id)
                if ref is None:
                    self.view.message(f"batch {record.local_id} returned an unknown custom id {outcome.custom_id!r}")
                    continue
                matched[(ref.item_id, ref.call)] = (ref, outcome, record.provider_id)
            for ref in refs.values():
                if (ref.item_id, ref.call) not in matched:
                    missing = ProviderError(
                        "the batch returned no result for this request", kind="missing", retryable=True
                    )
                    matched[(ref.item_id, ref.call)] = (ref, Outcome(ref.custom_id, error=missing), record.provider_id)
        tallies = self._write_outcomes(matched)
        for record, _ in ended:
            tally = tallies.get(record.provider_id, _Tally())
            record.succeeded, record.failed = tally.succeeded, tally.failed
            record.prompt_tokens, record.completion_tokens = tally.prompt_tokens, tally.completion_tokens
            record.state = "collected"

    def _failed_batch(self, record: BatchRecord, code: str | None, message: str) -> None:
        """A batch refused as a whole ran nothing: resubmit its requests smaller, or record why."""
        refs = self.store.read_mapping(record.local_id).values()
        record.note = f"{code}: {message}" if code else message
        record.state = "collected"
        if code in SPLIT_CODES or code in WAIT_CODES:
            call_ids = [(ref.item_id, ref.call) for ref in refs]
            if all(self.requeued[call] < REQUEUE_LIMIT for call in call_ids):
                self.limits = self.limits.narrowed(max(1, record.requests // 2), None)
                for call in call_ids:
                    self.requeue[call] = code in WAIT_CODES
                    self.requeued[call] += 1
                self.view.message(
                    f"batch {record.local_id} was refused ({record.note}); resubmitting its requests in smaller batches"
                )
                return
        error = ProviderError(
            f"the provider rejected the whole batch: {record.note}", kind="batch_failed", retryable=False
        )
        self._write_errors({(ref.item_id, ref.call): ref.request_hash for ref in refs}, error, record.provider_id)
        record.failed = record.requests
        self.view.message(f"batch {record.local_id} failed: {record.note}")

    def _write_errors(self, calls: dict[Call, str], error: ProviderError, batch_id: str | None = None) -> None:
        matched = {
            call: (
                CallRef(custom_id="", item_id=call[0], call=call[1], request_hash=key),
                Outcome("", error=error),
                batch_id,
            )
            for call, key in calls.items()
        }
        self._write_outcomes(matched)

    def _write_outcomes(self, matched: dict[Call, _Match]) -> dict[str | None, _Tally]:
        """Parse and record each outcome as the judgment row of its planned call (one pass over the items)."""
        executor = self.executor
        assert executor is not None
        tallies: dict[str | None, _Tally] = {}
        rows: list[Judgment] = []
        for item in self._items({item_id for item_id, _ in matched}):
            setup, planned_calls = self.prepared.grading.batch_calls(item)
            for planned in planned_calls:
                entry = matched.get((item.id, planned.call))
                if entry is None:
                    continue
                ref, outcome, batch_id = entry
                tally = tallies.setdefault(batch_id, _Tally())
                key = executor.key(planned.request)
                if key != ref.request_hash:
                    self.view.message(f"item {item.id} ({planned.call}) no longer renders the batched request; skipped")
                    continue
                if outcome.completion is not None:
                    tally.add(outcome.completion)
                    if (item.id, planned.call, key) in self.done:
                        continue  # collected before an interruption; never written twice
                    if self.cache is not None:
                        self.cache.put(key, self.api.provider, planned.request.model, outcome.completion)
                    reading = calls.read(planned, outcome.completion, setup)
                    row = calls.to_judgment(planned, setup, key, outcome.completion, reading)
                    if self.price is not None:
                        row.cost_usd = completion_cost(self.price, planned.request, outcome.completion, batch=True)
                    self.failed.pop((item.id, planned.call), None)
                else:
                    tally.failed += 1
                    assert outcome.error is not None
                    if (item.id, planned.call, key) in self.done:
                        continue
                    row = calls.error_row(planned, setup, key, outcome.error)
                    self.failed[(item.id, planned.call)] = outcome.error
                row.attempts = 1
                row.batch_id = batch_id
                rows.append(row)
        # The answers go into the cache in one transaction before any of their rows is written
        # (`Executor.record` commits the cache first): a kill in between loses neither.
        for row in rows:
            self._record(row)
        for tally in tallies.values():
            self.usage[0] += tally.succeeded
            self.usage[1] += tally.prompt_tokens
            self.usage[2] += tally.completion_tokens
        return tallies

    def _record(self, row: Judgment) -> None:
        assert self.executor is not None
        self.executor.record(row)
        if row.status != "error":
            self.done.add((row.item_id, row.call, row.request_hash))

    # -- 5. retries -----------------------------------------------------------------------
    async def _resubmit(self) -> None:
        """Submit, in new batches, the requests refused with their batch and (by option) the failed ones."""
        others_running = bool(self._journal_running())
        calls = {call for call, wait in self.requeue.items() if not (wait and others_running)}
        if self.options.retry == "batch":
            for call, error in list(self.failed.items()):
                if error.retryable and self.retried[call] < self.options.retry_rounds:
                    calls.add(call)
        if not calls:
            return
        for call in calls:
            if call in self.requeue:
                del self.requeue[call]
            else:
                self.retried[call] += 1
                del self.failed[call]
        self.view.message(f"resubmitting {len(calls)} requests in a new batch")
        await self._plan_and_submit(calls)

    async def _retry_interactively(self) -> None:
        calls = {call for call, error in self.failed.items() if error.retryable}
        if not calls:
            return
        executor = self.executor
        assert executor is not None
        self.view.message(f"retrying {len(calls)} failed requests interactively")

        async def judge(item: Item) -> None:
            setup, planned_calls = self.prepared.grading.batch_calls(item)
            wanted = [planned for planned in planned_calls if (item.id, planned.call) in calls]
            await asyncio.gather(*(executor.judge(planned, setup) for planned in wanted))

        # --max-cost counts everything the directory holds now, the collected batches included.
        rows = self.prepared.run_dir.load_judgments(lean=True)
        executor.spending = Spending(self.price, self.config.max_cost, rows)
        items = self._items({item_id for item_id, _ in calls})
        try:
            await run_items(items, judge, workers=self.config.concurrency)
        except BudgetReached as exc:
            self.stop_reason = str(exc)
        for call in calls:
            self.failed.pop(call, None)


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
