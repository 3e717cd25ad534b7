"""What a run directory remembers about its batches, so no submitted request is ever lost.

    runs/<name>/batches/
      state.json      every batch of the run: local id, provider id, state, counts, usage
      b0001.jsonl     the custom ids of batch b0001 and the call each stands for:
                      {"custom_id": "b0001-7", "item_id": "...", "call": "single", "request_hash": "..."}
      .lock           held by the one judgekit process that submits or collects

A batch is recorded in two steps around its submission: its mapping file and a `submitting`
record are written before anything is sent, and the provider's batch id right after the
provider accepts it. A process killed in between leaves a `submitting` record, which the next
run resolves by looking for the batch at the provider (OpenAI batches carry the local id in
their metadata; Anthropic batches are told by creation time, size and custom ids, see
`judgekit.batch.recovery`) and submits the requests anew only when no batch there can be it.
`state.json` is replaced atomically, so a kill at any moment leaves the old or the new state,
never half of one.

Batch states:

    submitting  mapping written, provider not yet known to have accepted it
    running     the provider holds it; results not collected yet
    collected   its results are written to judgments.jsonl (or its failure recorded)
    abandoned   a `submitting` record that never reached the provider
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from judgekit.errors import RunDirError, UsageError
from judgekit.redact import redact
from judgekit.store.rundir import atomic_write

BATCH_DIR = "batches"
STATE_FILE = "state.json"
LOCK_FILE = ".lock"

BatchState = Literal["submitting", "running", "collected", "abandoned"]


class CallRef(BaseModel):
    """One line of a batch's mapping file: which planned call a custom id stands for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    custom_id: str
    item_id: str
    call: str
    request_hash: str


class BatchRecord(BaseModel):
    """One provider batch of a run."""

    model_config = ConfigDict(extra="forbid")

    local_id: str
    """judgekit's name for the batch (b0001, b0002, ...); names its mapping file."""
    provider: str
    state: BatchState
    requests: int
    """Requests in the batch."""
    bytes: int
    """Size of the batch input as sent."""
    created: str
    """When judgekit prepared it (UTC, ISO 8601)."""
    provider_id: str | None = None
    """The provider's batch id, once the provider accepted the batch."""
    input_file_id: str | None = None
    """OpenAI: the uploaded input file."""
    provider_status: str | None = None
    """The last status the provider reported (validating, in_progress, ended, expired, ...)."""
    progress: int | None = None
    """Requests the provider reported done (OpenAI only; Anthropic tells nothing until the end)."""
    ended: str | None = None
    """When judgekit saw the batch end."""
    succeeded: int = 0
    """Requests answered, as collected."""
    failed: int = 0
    """Requests that errored, expired or were cancelled, as collected."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    note: str | None = None
    """Why a batch failed as a whole, or anything else worth showing next to it."""
    max_usd: float | None = None
    """The most the batch can cost at the batch price (held against --max-cost while it runs)."""


class BatchJournal(BaseModel):
    """The contents of batches/state.json."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    run_id: str
    judge: str
    endpoint: str
    """The server the batches went to (credentials in its URL are redacted)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """The batch options the run was started with (`batch collect` reuses them)."""
    estimate: dict[str, Any] | None = None
    """The cost estimate shown before the last submission."""
    batches: list[BatchRecord] = Field(default_factory=list)

    @field_validator("endpoint")
    @classmethod
    def _without_credentials(cls, value: str) -> str:
        return redact(value)

    def running(self) -> list[BatchRecord]:
        return [record for record in self.batches if record.state == "running"]

    def submitting(self) -> list[BatchRecord]:
        return [record for record in self.batches if record.state == "submitting"]

    def unfinished(self) -> list[BatchRecord]:
        return [record for record in self.batches if record.state in ("running", "submitting")]

    def next_local_id(self) -> str:
        return f"b{len(self.batches) + 1:04d}"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class BatchStore:
    """Reads and writes a run directory's batches/ folder."""

    def __init__(self, run_path: Path) -> None:
        self.run_path = run_path
        self.path = run_path / BATCH_DIR

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    def exists(self) -> bool:
        return self.state_path.is_file()

    def load(self) -> BatchJournal | None:
        if not self.exists():
            return None
        try:
            return BatchJournal.model_validate_json(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{self.state_path}: cannot read the batch state ({type(exc).__name__})") from None

    def save(self, journal: BatchJournal) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write(self.state_path, journal.model_dump_json(indent=2) + "\n")

    def mapping_path(self, local_id: str) -> Path:
        return self.path / f"{local_id}.jsonl"

    def write_mapping(self, local_id: str, refs: Iterable[CallRef]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        text = "".join(ref.model_dump_json() + "\n" for ref in refs)
        atomic_write(self.mapping_path(local_id), text)
        _sync(self.mapping_path(local_id))

    def read_mapping(self, local_id: str) -> dict[str, CallRef]:
        path = self.mapping_path(local_id)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise RunDirError(f"{path} is missing; the results of batch {local_id} cannot be matched") from None
        refs: dict[str, CallRef] = {}
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    ref = CallRef.model_validate_json(line)
                except ValueError:
                    raise RunDirError(f"{path}:{number}: damaged mapping line") from None
                refs[ref.custom_id] = ref
        return refs

    def in_flight(self) -> set[tuple[str, str]]:
        """(item id, call) of every request in a batch that is not collected yet."""
        journal = self.load()
        if journal is None:
            return set()
        return {
            (ref.item_id, ref.call)
            for record in journal.unfinished()
            for ref in self.read_mapping(record.local_id).values()
        }

    def clear(self) -> None:
        """Forget every batch (for --fresh, once none is running)."""
        if self.path.is_dir():
            for child in self.path.iterdir():
                child.unlink()
            self.path.rmdir()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the run's batch lock: one process submits and collects at a time."""
        self.path.mkdir(parents=True, exist_ok=True)
        handle = (self.path / LOCK_FILE).open("a+", encoding="utf-8")
        try:
            if sys.platform != "win32":
                import fcntl

                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise UsageError(
                        f"{self.run_path}: another judgekit process ({holder}) is submitting or collecting "
                        "this run's batches; wait for it or stop it first"
                    ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.close()


def refuse_if_in_flight(run_path: Path, action: str = "judge it interactively") -> None:
    """Stop a run from paying twice: its batches are still being processed by the provider."""
    store = BatchStore(run_path)
    journal = store.load() if store.exists() else None
    if journal is None or not journal.unfinished():
        return
    pending = journal.unfinished()
    raise UsageError(
        f"{run_path}: {len(pending)} batch(es) of this run are still with the provider "
        f"({', '.join(record.provider_id or record.local_id for record in pending[:3])}"
        f"{', ...' if len(pending) > 3 else ''}); before you {action}, collect them with "
        f"`judgekit batch collect {run_path}` or cancel them with `judgekit batch cancel {run_path}`"
    )


def _sync(path: Path) -> None:
    """Make a file durable before the provider learns about the batch it describes."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
