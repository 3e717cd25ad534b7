"""Why calls failed: the first distinct messages per failure kind, for the summary and console.

A count per kind ("connection 20") says that something is wrong, not what; the server's own
words ("cannot connect to http://host/v1 (Connection refused)", "max_tokens is too large")
usually say what to fix. Messages come from the rows, where they were stored redacted.
"""

from __future__ import annotations

from collections.abc import Iterable

from judgekit.schema import Judgment

MESSAGES_PER_KIND = 3


def failure_reasons(latest: Iterable[Judgment], every_row: Iterable[Judgment]) -> dict[str, list[str]]:
    """kind -> up to `MESSAGES_PER_KIND` distinct messages, from calls that failed for good
    (`latest`: one row per call) and then from attempts that were retried (`every_row`)."""
    reasons: dict[str, list[str]] = {}

    def add(kind: str, message: str | None) -> None:
        known = reasons.setdefault(kind, [])
        if message and message not in known and len(known) < MESSAGES_PER_KIND:
            known.append(message)

    for row in latest:
        if row.status == "error":
            add(row.error_kind or "other", row.reason)
    for row in every_row:
        for kind, message in (row.retry_reasons or {}).items():
            add(kind, message)
    return {kind: messages for kind, messages in sorted(reasons.items()) if messages}
