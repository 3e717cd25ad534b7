"""Batches whose submission was interrupted: find them again rather than pay for them twice.

Before a batch is sent, the driver records a `submitting` record and the batch's mapping (its
custom ids, which carry the run's token). A process killed before it learnt the provider's
batch id leaves that record behind; the next run asks the provider (`BatchAPI.find`) for a
batch that can only be this one:

- found (by metadata labels, or by custom ids once the results are readable): follow it;
- one batch that could be it but cannot be read yet: follow it, and check its custom ids when
  its results are collected (a batch none of whose results are this run's was someone else's:
  its requests are then submitted anew, `is_foreign`);
- several that cannot be told apart yet: stop (exit 2) naming them, so that nothing is paid
  twice; the user waits until they end, or passes `--resubmit`;
- none: the submission never reached the provider; its requests are submitted again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from judgekit.batch.base import BatchAPI, Intent, Outcome
from judgekit.batch.progress import BatchView
from judgekit.errors import UsageError
from judgekit.store.batch_state import BatchJournal, BatchRecord, BatchStore, CallRef, now


class Recovery:
    """Resolves a run's `submitting` batch records against what the provider holds."""

    def __init__(self, api: BatchAPI, store: BatchStore, view: BatchView, run_path: Path) -> None:
        self.api = api
        self.store = store
        self.view = view
        self.run_path = run_path

    async def resolve(
        self, journal: BatchJournal, labels_of: Callable[[BatchRecord], dict[str, str]], *, resubmit: bool
    ) -> None:
        """Follow, abandon (to submit again) or, when several batches could be one, stop (exit 2)."""
        unresolved: list[tuple[BatchRecord, tuple[str, ...]]] = []
        for record in journal.submitting():
            if resubmit:
                self._abandon(record, "submitted again (--resubmit)")
            else:
                found = await self.api.find(self.intent(journal, record, labels_of(record)))
                if found.provider_id is not None:
                    self._follow(record, found.provider_id, found.confirmed)
                elif found.candidates:
                    unresolved.append((record, found.candidates))
                else:
                    self._abandon(record, "never reached the provider")
            self.store.save(journal)
        if unresolved:
            raise ambiguous(unresolved, self.run_path)

    async def find(self, journal: BatchJournal, record: BatchRecord, labels: dict[str, str]) -> str | None:
        """The provider's id of `record` after a failed submission attempt that may have arrived."""
        found = await self.api.find(self.intent(journal, record, labels))
        if found.provider_id is None and found.candidates:
            raise ambiguous([(record, found.candidates)], self.run_path)
        return found.provider_id

    def intent(self, journal: BatchJournal, record: BatchRecord, labels: dict[str, str]) -> Intent:
        return intent_of(record, journal, self.store.read_mapping(record.local_id).values(), labels)

    def foreign(self, record: BatchRecord) -> list[tuple[str, str]]:
        """Give up a followed batch that turned out to be another's; its calls, to submit again."""
        record.state = "abandoned"
        record.ended = now()
        record.note = (
            f"{record.provider_id} was not this run's batch (other custom ids); its requests are submitted again"
        )
        self.view.message(f"batch {record.local_id}: {record.note}")
        return [(ref.item_id, ref.call) for ref in self.store.read_mapping(record.local_id).values()]

    def _follow(self, record: BatchRecord, provider_id: str, confirmed: bool) -> None:
        record.provider_id = provider_id
        record.state = "running"
        record.note = "found again after an interrupted submission" + (
            "" if confirmed else " (the one batch that could be it; its custom ids are checked when it ends)"
        )
        self.view.message(
            f"batch {record.local_id} ({provider_id}) was submitted before judgekit stopped; following it"
        )

    def _abandon(self, record: BatchRecord, why: str) -> None:
        record.state = "abandoned"
        record.note = f"{why}; its requests are submitted again"
        self.view.message(f"batch {record.local_id} {why}; submitting its requests again")


def intent_of(record: BatchRecord, journal: BatchJournal, refs: Iterable[CallRef], labels: dict[str, str]) -> Intent:
    """What the provider's copy of `record` looks like, to find it again."""
    return Intent(
        labels=labels,
        requests=record.requests,
        created=_timestamp(record.created),
        custom_ids=frozenset(ref.custom_id for ref in refs),
        known=frozenset(other.provider_id for other in journal.batches if other.provider_id),
    )


def ambiguous(records: list[tuple[BatchRecord, tuple[str, ...]]], run_path: object) -> UsageError:
    """The error that stops a run whose interrupted submissions cannot be told apart yet."""
    described = "; ".join(
        f"batch {record.local_id} ({record.requests} requests) may be any of {', '.join(candidates)}"
        for record, candidates in records
    )
    return UsageError(
        f"{run_path}: a submission was interrupted and the provider holds several batches it could be "
        f"({described}); they were created then with as many requests and cannot be read until they end. "
        "Run the same command again once they have ended (their custom ids tell which is this run's), "
        "or pass --resubmit to submit the requests again anyway"
    )


def is_foreign(refs: dict[str, CallRef], outcomes: list[Outcome]) -> bool:
    """True when a batch followed without proof returned results, none of them for this run."""
    return bool(outcomes) and not any(outcome.custom_id in refs for outcome in outcomes)


def _timestamp(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
