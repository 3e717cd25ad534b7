"""Run judge calls: bounded concurrency, retries with backoff, cache and resume lookups.

A fixed pool of workers pulls items from an iterator (so memory stays flat however many items
there are); each item's calls go through one `Executor`, which for every request

1. reuses the row a previous attempt of this run already wrote (resume),
2. or takes the completion from the on-disk cache,
3. or sends it, holding a slot of the in-flight limit (`limiter.py`, fixed or adaptive) only
   while the request is in flight, retrying retryable failures with exponential backoff and
   jitter, or exactly the server's Retry-After when it gives one,

and then appends the judgment row to the run's judgments.jsonl at once, after committing the
answer to the cache: an answer that reached the run directory is in the cache too, so a kill
at any moment never makes another run directory pay for it again.

Budgets are checked before each request is sent: `--max-calls` counts this invocation's
requests, `--max-cost` the run directory's settled spending plus the worst case of the
requests in flight (`budget.py`). Reaching one, or a fatal provider error, stops the run
gently: no new item is started, calls already in flight are awaited and recorded (they are
paid for), and the run can be resumed later.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from judgekit.backends.base import Backend
from judgekit.errors import FatalProviderError, NoVerdicts, ProviderError
from judgekit.judging import calls
from judgekit.judging.budget import BudgetReached, Spending
from judgekit.judging.limiter import InFlightLimit
from judgekit.judging.pricing import Prices
from judgekit.judging.watch import FIRST_ANSWERS, RunWatch
from judgekit.redact import redact
from judgekit.schema import Completion, Item, JudgeRequest, Judgment
from judgekit.store.cache import CompletionCache, request_key
from judgekit.store.rundir import JudgmentWriter

MAX_RETRY_AFTER = 300.0
"""Longest Retry-After honoured; a server asking for more is waited on for this long."""

__all__ = ["BudgetReached", "CallResult", "Counters", "Executor", "RunnerOptions", "backoff_delay", "run_items"]


@dataclass(frozen=True)
class RunnerOptions:
    concurrency: int = 16
    max_retries: int = 6
    retry_base_delay: float = 1.0
    retry_max_delay: float = 60.0
    max_calls: int | None = None
    """Stop once this many requests were sent to the run directory in all, earlier invocations
    included (cached and resumed calls are free)."""
    sent_before: int = 0
    """Requests earlier invocations of the run directory sent (counted against `max_calls`)."""
    max_cost: float | None = None
    """Send no request whose worst-case cost could take the run directory's spending over this (USD)."""
    prices: Prices | None = None
    """Token prices, for counting cost (required with max_cost)."""
    adaptive: bool = False
    """Halve the in-flight limit on 429s and let it grow back (AIMD), up to `concurrency`."""


@dataclass
class Counters:
    """What happened during a run, for the summary and the progress display."""

    requests: int = 0
    """Requests sent to the provider, retries included."""
    calls: int = 0
    """Calls that ended with a completion from the provider."""
    cached: int = 0
    resumed: int = 0
    errors: int = 0
    unscored: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    cost_usd: float = 0.0
    """What this session's completions cost, when prices are known."""
    spent_before_usd: float = 0.0
    """What earlier invocations spent in the same run directory, when prices are known."""


@dataclass
class CallResult:
    completion: Completion | None
    error: ProviderError | None
    attempts: int
    latency_s: float
    cached: bool
    retries: dict[str, int]
    retry_reasons: dict[str, str] = field(default_factory=dict)
    """The message of the first failed attempt of each kind (redacted)."""
    cost_usd: float | None = None
    """What the answer was charged (None when cached, failed, or no price is known)."""


def backoff_delay(attempt: int, retry_after: float | None, options: RunnerOptions, rng: random.Random) -> float:
    """Seconds to wait before retry number `attempt` (1-based)."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    ceiling = min(options.retry_max_delay, options.retry_base_delay * 2 ** (attempt - 1))
    # "Equal jitter": half the exponential step for sure, half at random, so many clients
    # that failed together do not come back together.
    return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


class Executor:
    """Makes one run's calls; shared by all workers of the run."""

    def __init__(
        self,
        backend: Backend,
        writer: JudgmentWriter,
        *,
        cache: CompletionCache | None = None,
        resumed: Iterable[Judgment] = (),
        options: RunnerOptions | None = None,
        on_row: Callable[[Judgment], None] | None = None,
    ) -> None:
        self.backend = backend
        self.writer = writer
        self.cache = cache
        self.options = options or RunnerOptions()
        self.counters = Counters()
        earlier = list(resumed)
        self._resumed = {(row.item_id, row.call, row.request_hash): row for row in earlier if row.status != "error"}
        self.limit = InFlightLimit(self.options.concurrency, adaptive=self.options.adaptive)
        self.spending = Spending(self.options.prices, self.options.max_cost, earlier)
        self.counters.spent_before_usd = self.spending.before
        self._rng = random.Random()
        self._on_row = on_row
        self._in_flight: dict[str, asyncio.Future[Completion | None]] = {}
        """Requests sent and not yet answered, by cache key (see `complete`)."""
        self.watch = RunWatch(first_answers=0 if backend.capabilities.scripted else FIRST_ANSWERS)
        """Stops the run when its first answers show the rest would be wasted (see watch.py)."""

    def key(self, request: JudgeRequest) -> str:
        return request_key(self.backend.provider, self.backend.endpoint, request)

    async def complete(self, request: JudgeRequest, key: str) -> CallResult:
        """Get a completion for `request` from the cache or the provider, with retries.

        With the cache on, a request identical to one still in flight (two items with the same
        texts) waits for that answer instead of paying for it twice, as it would have found it
        in the cache had it come a moment later.
        """
        if self.cache is None:
            return await self._request(request, key)
        hit = self.cache.get(key)
        if hit is not None:
            return CallResult(hit, None, 0, 0.0, True, {})
        pending = self._in_flight.get(key)
        if pending is not None:
            answered = await asyncio.shield(pending)
            if answered is not None:
                return CallResult(answered, None, 0, 0.0, True, {})
            return await self.complete(request, key)  # the first one failed: this one tries itself
        pending = asyncio.get_running_loop().create_future()
        self._in_flight[key] = pending
        completion: Completion | None = None
        try:
            result = await self._request(request, key)
            completion = result.completion
            return result
        finally:
            del self._in_flight[key]
            pending.set_result(completion)

    async def _request(self, request: JudgeRequest, key: str) -> CallResult:
        """Ask the provider, retrying what can be retried; cache what it answers."""
        retries: Counter[str] = Counter()
        reasons: dict[str, str] = {}
        attempt = 0
        while True:
            attempt += 1
            self.watch.check()
            budget = self.options.max_calls
            if budget is not None and self.options.sent_before + self.counters.requests >= budget:
                raise BudgetReached(
                    f"stopped at --max-calls {budget}: {self.options.sent_before + self.counters.requests} requests "
                    "sent for this run directory in all (raise --max-calls to go on)"
                )
            reserve = await self.spending.reserve(request)
            self.counters.requests += 1
            started = time.monotonic()
            completion: Completion | None = None
            try:
                try:
                    async with self.limit as ticket:
                        started = time.monotonic()
                        try:
                            completion = await self.backend.complete(request)
                        except ProviderError as exc:
                            if exc.kind == "rate_limit":
                                self.limit.on_rate_limit(ticket)
                            raise
                        self.limit.on_success()
                        self.watch.on_success()
                finally:
                    # Settled here, with no await before the row is written: a request waiting
                    # for budget sees this answer's cost as soon as its reservation is gone.
                    cost = self.spending.settle(reserve, request, completion)
                    if cost is not None:
                        self.counters.cost_usd += cost
            except FatalProviderError:
                raise
            except ProviderError as exc:
                if not exc.retryable or attempt > self.watch.retries_for(exc, self.options.max_retries):
                    self.watch.on_failure(exc)
                    return CallResult(None, exc, attempt, time.monotonic() - started, False, dict(retries), reasons)
                reasons.setdefault(exc.kind, redact(str(exc)))
                retries[exc.kind] += 1
                self.counters.retries[exc.kind] += 1
                await asyncio.sleep(backoff_delay(attempt, exc.retry_after, self.options, self._rng))
                continue
            assert completion is not None
            if self.cache is not None:
                self.cache.put(key, self.backend.provider, request.model, completion)
            return CallResult(
                completion, None, attempt, time.monotonic() - started, False, dict(retries), reasons, cost_usd=cost
            )

    async def judge(self, planned: calls.PlannedCall, setup: calls.JudgeSetup) -> Judgment:
        """One planned judge call: resume, cache or request, then parse and record it."""
        key = self.key(planned.request)
        previous = self._resumed.get((planned.item.id, planned.call, key))
        if previous is not None:
            self.counters.resumed += 1
            self._count(previous)
            return previous
        result = await self.complete(planned.request, key)
        if result.completion is not None:
            reading = calls.read(planned, result.completion, setup)
            row = calls.to_judgment(planned, setup, key, result.completion, reading)
        else:
            assert result.error is not None
            row = calls.error_row(planned, setup, key, result.error)
        row.latency_s = round(result.latency_s, 4)
        row.attempts = result.attempts
        row.cached = result.cached
        row.retries = result.retries
        row.retry_reasons = result.retry_reasons or None
        row.cost_usd = result.cost_usd
        self.record(row)
        self.watch.check()  # a failure that shows the rest would be futile stops the run once recorded
        return row

    def reuse(self, item_id: str, call: str, key: str) -> Judgment | None:
        """The row an earlier attempt of this run wrote for this call and request, if any (counted)."""
        previous = self._resumed.get((item_id, call, key))
        if previous is not None:
            self.counters.resumed += 1
            self._count(previous)
        return previous

    def record(self, row: Judgment) -> None:
        """Append a finished row to judgments.jsonl and count it.

        The cache is committed first: once a row is in the run directory its answer is in the
        cache, so no later run (in this directory or another) pays for it again.
        """
        if self.cache is not None:
            self.cache.flush()
        self.writer.write(row)
        if row.cached:
            self.counters.cached += 1
        elif row.completion is not None:
            self.counters.calls += 1
            self.counters.prompt_tokens += row.completion.prompt_tokens or 0
            self.counters.completion_tokens += row.completion.completion_tokens or 0
        self._count(row)

    def _count(self, row: Judgment) -> None:
        if row.status == "error":
            self.counters.errors += 1
            self.counters.failures[row.error_kind or "other"] += 1
        elif row.status == "unscored":
            self.counters.unscored += 1
        if self._on_row is not None:
            self._on_row(row)
        self.watch.on_row(row)


ItemJob = Callable[[Item], Awaitable[object]]

STOPS_THE_RUN = (BudgetReached, FatalProviderError, NoVerdicts)
"""Failures after which no new call is started, while calls in flight are still awaited."""


async def run_items(items: Iterable[Item], job: ItemJob, workers: int) -> None:
    """Run `job` over every item with `workers` items in flight.

    A budget or a fatal provider error stops the run gently (no new items; jobs under way
    finish) and is raised at the end; any other failure cancels everything at once.
    """
    iterator = iter(items)
    stopped: list[BaseException] = []

    async def worker() -> None:
        # Safe to share: next() never awaits, so two workers cannot interleave inside it.
        for item in iterator:
            if stopped:
                return
            try:
                await job(item)
            except STOPS_THE_RUN as exc:
                stopped.append(exc)
                return

    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, workers))]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    # Read every finished task's exception (not just the first), or asyncio reports the rest
    # as "never retrieved" on stderr.
    failures = [exception for task in done if (exception := task.exception()) is not None]
    if failures:
        raise failures[0]
    if stopped:
        raise stopped[0]
