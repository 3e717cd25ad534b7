"""What a batch run shows on stderr while it submits, waits and collects.

Messages (estimate, submitted batch ids, collected results, usage) always appear, one line
each. The waiting display is a live spinner line on a terminal, a line whenever the batches'
state changes (and at least every five minutes) in logs, and nothing with --quiet.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from judgekit.store.batch_state import BatchJournal, BatchRecord

HEARTBEAT_S = 300.0
SHOWN = 4
"""Batches named on the waiting line; the rest are counted."""


def waiting_line(journal: BatchJournal, interval: float) -> str:
    running = journal.running()
    collected = sum(1 for record in journal.batches if record.state == "collected")
    parts = []
    for record in running[:SHOWN]:
        progress = f" {record.progress}/{record.requests}" if record.progress is not None else ""
        parts.append(f"{record.local_id} {record.provider_status or 'submitted'}{progress}")
    more = f", {len(running) - SHOWN} more" if len(running) > SHOWN else ""
    return (
        f"waiting for {len(running)} batch(es): {', '.join(parts)}{more}; {collected} collected; "
        f"next look in {interval:g}s"
    )


class BatchView:
    def __init__(self, *, quiet: bool = False, live: bool | None = None, stream: Any = None) -> None:
        self._stream = stream or sys.stderr
        self._quiet = quiet
        self._live = (not quiet) and (self._stream.isatty() if live is None else live)
        self._last_line = ""
        self._last_time = 0.0
        self._console: Any = None
        self._status: Any = None

    def message(self, text: str) -> None:
        if self._console is not None:
            self._console.print(f"judgekit: {text}", highlight=False, markup=False)
        else:
            print(f"judgekit: {text}", file=self._stream, flush=True)

    def collected(self, record: BatchRecord) -> None:
        failed = f", {record.failed} failed" if record.failed else ""
        self.message(
            f"collected batch {record.local_id} ({record.provider_id}, {record.provider_status}): "
            f"{record.succeeded} answered{failed}"
        )

    def waiting(self, journal: BatchJournal, interval: float) -> None:
        if self._quiet:
            return
        line = waiting_line(journal, interval)
        if self._live:
            self._spinner(line)
            return
        # Compare without the countdown, so a line appears only when something changed.
        changed = line.split("; next look")[0] != self._last_line.split("; next look")[0]
        if changed or time.monotonic() - self._last_time > HEARTBEAT_S:
            print(f"judgekit: {line}", file=self._stream, flush=True)
            self._last_line = line
            self._last_time = time.monotonic()

    def _spinner(self, line: str) -> None:
        if self._status is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
            self._status = self._console.status(line)
            self._status.start()
        else:
            self._status.update(line)

    def stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
