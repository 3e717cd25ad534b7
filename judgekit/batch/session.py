"""What one batch run knows while it works: its journal, and the calls judged, failed or to resubmit.

The planning, submission, collection and retry steps (`planning.py`, `submission.py`,
`collection.py`, `retries.py`) all read and change this one `BatchSession`; the driver opens
the run directory, builds the session and runs the steps in order.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterator
from itertools import islice

from judgekit.api import Prepared
from judgekit.batch.base import BatchAPI, BatchLimits
from judgekit.batch.cost import Estimate
from judgekit.batch.options import BatchOptions
from judgekit.batch.progress import BatchView
from judgekit.batch.recovery import Recovery
from judgekit.errors import ProviderError
from judgekit.judging.pricing import Prices
from judgekit.judging.runner import Executor
from judgekit.schema import Item, Judgment
from judgekit.store.batch_state import BatchJournal, BatchRecord, BatchStore
from judgekit.store.cache import CompletionCache

Call = tuple[str, str]
"""(item id, call name)."""


class BatchSession:
    """The state of one batch invocation, shared by its steps."""

    def __init__(
        self,
        prepared: Prepared,
        api: BatchAPI,
        options: BatchOptions,
        view: BatchView,
        *,
        store: BatchStore,
        journal: BatchJournal,
        executor: Executor,
        cache: CompletionCache | None,
        price: Prices | None,
        done: set[tuple[str, str, str]],
    ) -> None:
        self.prepared = prepared
        self.api = api
        self.options = options
        self.view = view
        self.setup = prepared.setup
        self.config = prepared.config
        self.store = store
        self.journal = journal
        self.executor = executor
        self.cache = cache
        self.price = price
        self.limits: BatchLimits = api.limits.narrowed(options.max_requests, options.max_bytes)
        self.done = done
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
        self.sent_before = sum(record.requests for record in journal.batches if record.provider_id)
        """Requests earlier invocations submitted in batches (--max-calls counts the run directory's all)."""
        self.estimate: Estimate | None = None
        self.stop_reason: str | None = None
        self.usage = [0, 0, 0]
        """Collected answers, their prompt and completion tokens (this invocation)."""
        self.rng = random.Random()
        self.worst: dict[str, float] = {}
        """Request hash -> the most it can cost at the batch price (with --max-cost)."""

    def save(self) -> None:
        self.store.save(self.journal)

    def running(self) -> list[BatchRecord]:
        return self.journal.running()

    def labels(self, record: BatchRecord) -> dict[str, str]:
        return {"judgekit_run": str(self.journal.options["token"]), "judgekit_batch": record.local_id}

    def recovery(self) -> Recovery:
        return Recovery(self.api, self.store, self.view, self.prepared.run_dir.path)

    def items(self, only: set[str] | None = None) -> Iterator[Item]:
        limit = self.config.limit
        total = min(self.prepared.info.rows, limit) if limit else self.prepared.info.rows
        for item in islice(self.prepared.run_dir.iter_items(), total):
            if only is None or item.id in only:
                yield item

    def record(self, row: Judgment) -> None:
        self.executor.record(row)
        if row.status != "error":
            self.done.add((row.item_id, row.call, row.request_hash))


def open_journal(store: BatchStore, prepared: Prepared, api: BatchAPI, options: BatchOptions) -> BatchJournal:
    """The run's batch journal (a new one for a new run), with this invocation's options stored."""
    journal = store.load()
    if journal is None:
        journal = BatchJournal(
            run_id=prepared.run_id,
            judge=prepared.setup.judge,
            endpoint=api.endpoint,
            options={"token": secrets.token_hex(6)},
        )
    token = journal.options.get("token") or secrets.token_hex(6)
    journal.options = {**options.stored(), "token": token, "plans": journal.options.get("plans", 0)}
    store.save(journal)
    return journal
