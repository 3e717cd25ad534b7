"""Progress on stderr: a rich bar on a terminal, a line every 10% otherwise, or nothing."""

from __future__ import annotations

import sys
import time
from typing import Any, Protocol

from judgekit.schema import Judgment


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...

    def advance(self) -> None: ...

    def on_row(self, row: Judgment) -> None: ...

    def stop(self) -> None: ...


class _Tally:
    def __init__(self) -> None:
        self.done = 0
        self.total = 0
        self.cached = 0
        self.unscored = 0
        self.errors = 0

    def count(self, row: Judgment) -> None:
        self.cached += row.cached
        self.unscored += row.status == "unscored"
        self.errors += row.status == "error"

    def extras(self) -> str:
        return f"{self.cached} cached, {self.unscored} unscored, {self.errors} failed"


class NullProgress:
    def start(self, total: int, description: str) -> None:
        return None

    def advance(self) -> None:
        return None

    def on_row(self, row: Judgment) -> None:
        return None

    def stop(self) -> None:
        return None


class PlainProgress(_Tally):
    """For logs and CI: a line at every tenth of the work, and at most one every 5 seconds."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self._stream = stream or sys.stderr
        self._next_step = 0
        self._last = 0.0
        self._description = ""

    def start(self, total: int, description: str) -> None:
        self.total = total
        self._description = description
        self._next_step = max(1, total // 10)
        self._last = time.monotonic()

    def on_row(self, row: Judgment) -> None:
        self.count(row)

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done >= self._next_step or self.done == self.total or now - self._last > 5:
            self._next_step = self.done + max(1, self.total // 10)
            self._last = now
            percent = 100 * self.done / self.total if self.total else 100
            print(
                f"{self._description}: {self.done}/{self.total} items ({percent:.0f}%), {self.extras()}",
                file=self._stream,
                flush=True,
            )

    def stop(self) -> None:
        return None


class RichProgress(_Tally):
    """A live bar on the terminal, updated at most ten times a second by rich."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[extras]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: Any = None

    def start(self, total: int, description: str) -> None:
        self.total = total
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, extras=self.extras())

    def on_row(self, row: Judgment) -> None:
        self.count(row)

    def advance(self) -> None:
        self.done += 1
        self._bar.update(self._task, advance=1, extras=self.extras())

    def stop(self) -> None:
        self._bar.stop()


def make_progress(enabled: bool = True) -> Progress:
    if not enabled:
        return NullProgress()
    if sys.stderr.isatty():
        return RichProgress()
    return PlainProgress()
