"""Stop a run early when its first answers show that every further call would be wasted.

Two patterns are watched while a run makes its calls:

- **The same client error again and again.** A 400 or 422 ("max_tokens is too large") comes
  back for every request built the same way; after `IDENTICAL_CLIENT_ERRORS` identical ones
  (same status, same message) no further request is sent and the run stops with the message.
  401, 403 and 404 stop the run at the first one already (`FatalProviderError`).
- **No server at all.** A call that still cannot connect after `UNREACHED_RETRIES` retries,
  before any request of the run reached the server, means a wrong base URL or a server that is
  down; the run stops within seconds with the URL and the cause instead of spending the full
  retry schedule (about a minute) on it. Once one request was answered, a connection failure is
  taken as a passing one and gets every retry.
- **No verdict in any answer.** When the first `FIRST_ANSWERS` judge answers all came back
  without a valid verdict, the template's verdict format and the judge do not match; the run
  stops and says why the answers were unscored, with one of them. (Not for the mock judge,
  whose unparseable answers are asked for: see `Capabilities.scripted`.)

Both stop the run gently (calls in flight finish and are recorded), like a budget does.
"""

from __future__ import annotations

from collections import Counter

from judgekit.errors import FatalProviderError, NoVerdicts, ProviderError
from judgekit.redact import redact
from judgekit.schema import Judgment

IDENTICAL_CLIENT_ERRORS = 3
"""Identical client errors (400, 422) after which no further request is sent."""
FIRST_ANSWERS = 10
"""Judge answers that must all be unscored, from the start of a run, to stop it."""
UNREACHED_RETRIES = 2
"""Retries of a connection failure while no request of the run has reached the server yet."""
CLIENT_ERROR_STATUSES = frozenset({400, 401, 403, 404, 422})
EXAMPLE_CHARS = 200


class FutileRequests(FatalProviderError):
    """Raised when the answers so far show every further request would fail the same way (the same
    client error again and again, or no server to reach)."""


def example(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """A judge answer shortened to one line for an error message."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


class RunWatch:
    """Counts what the run's first calls answered; raises when the run should stop."""

    def __init__(self, *, identical_limit: int = IDENTICAL_CLIENT_ERRORS, first_answers: int = FIRST_ANSWERS) -> None:
        self.identical_limit = identical_limit
        self.first_answers = first_answers
        self._client_errors: Counter[tuple[int | None, str]] = Counter()
        self._stopped: FutileRequests | None = None
        self._judged = 0
        self._unscored: list[Judgment] = []
        self._answered = False

    def on_success(self) -> None:
        """A request reached the server and was answered: connection failures are passing ones."""
        self._answered = True

    def retries_for(self, error: ProviderError, configured: int) -> int:
        """How many retries this failure gets: few while the server was never reached."""
        if error.kind == "connection" and not self._answered:
            return min(configured, UNREACHED_RETRIES)
        return configured

    def check(self) -> None:
        """Raise once the run should stop (before the next request, and after recording a row)."""
        if self._stopped is not None:
            raise self._stopped

    def on_failure(self, error: ProviderError) -> None:
        """Count a call that failed for good (its row is still recorded); the run stops at the next
        `check` once the same client error has come back enough, or the server was never reached."""
        if self._stopped is not None:
            return
        if error.kind == "connection" and not self._answered:
            self._stopped = FutileRequests(
                f"no request reached the server, and one failed after every retry: {redact(str(error))}; "
                "check the base URL (--base-url, OPENAI_BASE_URL / ANTHROPIC_BASE_URL) and that the server is up",
                kind=error.kind,
            )
            return
        if error.status not in CLIENT_ERROR_STATUSES or error.retryable:
            return
        key = (error.status, str(error))
        self._client_errors[key] += 1
        if self._client_errors[key] >= self.identical_limit:
            self._stopped = FutileRequests(
                f"{self._client_errors[key]} requests were rejected the same way, so no more were sent: "
                f"{redact(str(error))}",
                kind=error.kind,
                status=error.status,
            )

    def on_row(self, row: Judgment) -> None:
        """Count a judge answer; raise when the first `first_answers` of them all lack a verdict."""
        if row.role != "judge" or row.status == "error" or self._judged >= self.first_answers:  # 0: not watched
            return
        self._judged += 1
        if row.status != "unscored":
            self._unscored.clear()
            self._judged = self.first_answers  # one verdict read: the format works, stop watching
            return
        self._unscored.append(row)
        if len(self._unscored) == self.first_answers:
            raise NoVerdicts(no_verdicts_message(self._unscored))


def no_verdicts_message(rows: list[Judgment]) -> str:
    """Why answers were unscored, with one of them (for the early stop and the run's ending)."""
    reasons = Counter(row.reason or "no valid verdict" for row in rows)
    why = ", ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
    answer = next((row.completion.texts[0] for row in rows if row.completion and row.completion.texts), None)
    shown = f"; an answer: {example(answer)}" if answer is not None else ""
    return (
        f"the first {len(rows)} judge answers held no valid verdict ({why}){shown}; the judge does not write "
        "what the template's verdict format reads (compare `judgekit prompts show` with the answer)"
    )
