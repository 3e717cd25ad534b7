"""judgekit's one voice on stderr: every message line starts with `judgekit: `."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """One line for the person at the terminal (stderr, so stdout stays data)."""
    from judgekit.redact import redact

    print(f"judgekit: {redact(message)}", file=sys.stderr)
