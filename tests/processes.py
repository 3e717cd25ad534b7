"""Running `python -m judgekit` as a separate process, and stopping it at a known moment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from judgekit.testing.server import FakeProvider

ROOT = Path(__file__).resolve().parents[1]


def environment(**extra: str) -> dict[str, str]:
    """The test's environment (fake server URL, key, temporary cache) for a child process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def start_judgekit(*args: str, **extra_env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "judgekit", *args],
        env=environment(**extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll `condition` until it holds; a guard against hanging, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def served_count(server: FakeProvider) -> int:
    return sum(server.served().values())


def hold_when_caught_up(server: FakeProvider, judgments: Path, at_least: int) -> int:
    """Wait for `at_least` rows on disk, then hold the server's answers and wait until every
    answer it gave is on disk and no answer is on its way: the client is then idle, waiting
    for held answers, and a signal sent now cannot catch an answer that was paid for but not
    yet written.

    Returns the number of rows on disk at that moment.
    """
    wait_until(lambda: line_count(judgments) >= at_least, f"{at_least} rows in {judgments}")
    server.pause()

    def settled() -> bool:
        # The client waits on at least one held answer, no answer is being written, and every
        # answer already given has its row on disk.
        held = server.held()
        return held >= 1 and server.in_flight == held and line_count(judgments) == served_count(server)

    def settled_twice() -> bool:
        if not settled():
            return False
        time.sleep(0.05)
        return settled()

    wait_until(settled_twice, "the client to catch up with the server")
    return line_count(judgments)
