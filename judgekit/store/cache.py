"""On-disk cache of judge completions, shared by every run on the machine.

The key is a hash of exactly what can change a model's answer: provider, endpoint (base URL),
model, rendered messages and sampling parameters (temperature, max tokens, n, seed, logprobs).
Timeouts, retries and concurrency are left out, so changing them keeps the cache warm. Only
completions are stored: a failed call is never cached, and an answer that could not be parsed
is cached as its raw text, so a fixed parser reads it again for free.

SQLite in WAL mode lets several judgekit processes share one cache file safely. `put` only
buffers an entry; `flush` commits what is buffered in one transaction. The runner flushes before
it appends a judgment row to a run directory, so an answer that reached a run directory is in
the cache too, whatever moment the process is killed at (a commit in WAL mode with
`synchronous=NORMAL` survives the process, and costs no disk sync). `remember` puts the answers
a run directory already holds back into the cache, for a resumed run whose cache was cleared or
lost entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgekit.schema import Completion, JudgeRequest, Judgment
from judgekit.version import __version__

CACHE_FILE = "completions.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    completion TEXT NOT NULL
)
"""


def default_cache_dir() -> Path:
    """JUDGEKIT_CACHE_DIR, or the platform's user cache directory (read at call time)."""
    configured = os.environ.get("JUDGEKIT_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("judgekit")


def request_key(provider: str, endpoint: str, request: JudgeRequest) -> str:
    """The cache key of a request: sha256 over the fields that change the answer.

    Every field goes in length-prefixed, so no two different requests can feed the hash the
    same bytes (and long prompts are hashed without building a JSON copy of them first).
    """
    digest = hashlib.sha256()
    params = json.dumps(request.params.model_dump(), sort_keys=True)
    for part in (provider, endpoint, request.model, params):
        _feed(digest, part)
    for message in request.messages:
        _feed(digest, message.role)
        _feed(digest, message.content)
    if provider == "mock":  # its made-up answers may change between releases: never reuse older ones
        _feed(digest, f"mock {__version__}")
    if request.structured is not None:  # fed only when set: older keys stay valid
        _feed(digest, "structured")
        _feed(digest, json.dumps(request.structured, sort_keys=True))
    return digest.hexdigest()


def _feed(digest: Any, text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


@dataclass
class CacheStats:
    path: str
    entries: int
    bytes: int
    oldest: float | None
    newest: float | None
    by_model: dict[str, int]


class CompletionCache:
    """A SQLite-backed completion cache; `put` is buffered until `flush` (or the buffer fills)."""

    def __init__(self, directory: Path | None = None, *, batch_size: int = 64, max_delay: float = 1.0) -> None:
        self.directory = directory or default_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / CACHE_FILE
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        try:
            self._set_up()
        except sqlite3.Error:
            self._db.close()
            raise
        self._pending: dict[str, tuple[str, str, float, str]] = {}
        self._batch_size = batch_size
        self._max_delay = max_delay
        self._last_flush = time.monotonic()

    def _set_up(self) -> None:
        # Switching a new database to WAL can fail with "database is locked" at once, without
        # SQLite's busy timeout, when another process opens it at the same moment: retry briefly.
        deadline = time.monotonic() + 30.0
        delay = 0.01
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(0.5, delay * 2)

    def get(self, key: str) -> Completion | None:
        pending = self._pending.get(key)
        if pending is not None:
            return Completion.model_validate_json(pending[3])
        row = self._db.execute("SELECT completion FROM completions WHERE key = ?", (key,)).fetchone()
        return Completion.model_validate_json(row[0]) if row else None

    def put(self, key: str, provider: str, model: str, completion: Completion) -> None:
        self._pending[key] = (provider, model, time.time(), completion.model_dump_json(exclude_none=True))
        if len(self._pending) >= self._batch_size or time.monotonic() - self._last_flush > self._max_delay:
            self.flush()

    def flush(self) -> None:
        """Commit every buffered entry (one transaction); after it returns they survive a kill."""
        if self._pending:
            rows = [(key, *values) for key, values in self._pending.items()]
            with self._transaction():
                self._db.executemany(
                    "INSERT OR REPLACE INTO completions (key, provider, model, created, completion) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            self._pending.clear()
        self._last_flush = time.monotonic()

    def remember(self, rows: Iterable[Judgment]) -> int:
        """Put the answers of stored judgment rows into the cache where it lacks them; returns how many.

        A row's `request_hash` is the cache key its answer was looked up under, and the row keeps
        the completion whole (rows read with `lean` do not: never pass those).
        """
        self.flush()
        entries: dict[str, tuple[str, str, Completion]] = {}
        for row in rows:
            if row.completion is not None and row.status != "error" and row.completion.texts:
                provider, _, model = row.judge.partition("/")
                entries[row.request_hash] = (provider, model or provider, row.completion)
        if not entries:
            return 0
        keys = list(entries)
        present: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            present.update(
                key for (key,) in self._db.execute(f"SELECT key FROM completions WHERE key IN ({marks})", chunk)
            )
        created = time.time()
        missing = [
            (key, provider, model, created, completion.model_dump_json(exclude_none=True))
            for key, (provider, model, completion) in entries.items()
            if key not in present
        ]
        if missing:
            with self._transaction():
                self._db.executemany(
                    "INSERT OR IGNORE INTO completions (key, provider, model, created, completion) "
                    "VALUES (?, ?, ?, ?, ?)",
                    missing,
                )
        return len(missing)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self.flush()
        self._db.close()

    def stats(self) -> CacheStats:
        self.flush()
        entries, oldest, newest = self._db.execute(
            "SELECT COUNT(*), MIN(created), MAX(created) FROM completions"
        ).fetchone()
        by_model = {
            f"{provider}/{model}": count
            for provider, model, count in self._db.execute(
                "SELECT provider, model, COUNT(*) FROM completions GROUP BY provider, model ORDER BY 3 DESC"
            )
        }
        size = sum(path.stat().st_size for path in self.directory.glob(f"{CACHE_FILE}*") if path.is_file())
        return CacheStats(str(self.path), entries, size, oldest, newest, by_model)

    def clear(self) -> int:
        self.flush()
        with self._transaction():
            removed = self._db.execute("DELETE FROM completions").rowcount
        self._db.execute("VACUUM")
        return int(removed)

    def prune(self, older_than_seconds: float) -> int:
        self.flush()
        cutoff = time.time() - older_than_seconds
        with self._transaction():
            removed = self._db.execute("DELETE FROM completions WHERE created < ?", (cutoff,)).rowcount
        return int(removed)


def remove_files(directory: Path) -> list[Path]:
    """Delete the cache's files (the database and its WAL companions), e.g. when damaged."""
    removed = []
    for path in sorted(directory.glob(f"{CACHE_FILE}*")):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def parse_age(text: str) -> float:
    """'30d', '12h', '45m', '90s' or a number of days -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    cleaned = text.strip().lower()
    try:
        if cleaned and cleaned[-1] in units:
            return float(cleaned[:-1]) * units[cleaned[-1]]
        return float(cleaned) * units["d"]
    except ValueError:
        raise ValueError(f"cannot read the age {text!r}; use e.g. 30d, 12h, 45m") from None
