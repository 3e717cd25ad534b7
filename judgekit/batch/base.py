"""The interface every batch API adapter offers the driver, in provider-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from judgekit.backends.base import Backend, HasTimeout
from judgekit.errors import ProviderError
from judgekit.schema import Completion, JudgeRequest


@dataclass(frozen=True)
class BatchLimits:
    """The most one batch may hold."""

    max_requests: int
    max_bytes: int

    def narrowed(self, max_requests: int | None, max_bytes: int | None) -> BatchLimits:
        """These limits, lowered (never raised) by the user's options."""
        return BatchLimits(
            min(self.max_requests, max_requests) if max_requests else self.max_requests,
            min(self.max_bytes, max_bytes) if max_bytes else self.max_bytes,
        )


RemoteState = Literal["running", "ended", "failed"]


@dataclass(frozen=True)
class RemoteStatus:
    """What the provider says about a batch."""

    state: RemoteState
    """running (still being processed or cancelled), ended (results can be read), failed (the
    provider rejected the batch as a whole; nothing in it was run)."""
    provider_status: str
    """The provider's own word for it."""
    total: int
    done: int | None = None
    """Requests finished so far, when the provider says (OpenAI does, Anthropic does not)."""
    failure_code: str | None = None
    failure: str | None = None
    """Why a failed batch failed."""


@dataclass(frozen=True)
class Submitted:
    provider_id: str
    input_file_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One request's result inside a batch: a completion or the reason it has none."""

    custom_id: str
    completion: Completion | None = None
    error: ProviderError | None = None


@dataclass(frozen=True)
class Intent:
    """What judgekit recorded before submitting a batch, to recognise the batch at the provider
    when the process stopped before it learnt the batch's id."""

    labels: dict[str, str]
    """Metadata sent with the batch (providers that keep metadata: OpenAI)."""
    requests: int
    """Requests in the batch."""
    created: float | None
    """When the intent was recorded (epoch seconds); the batch cannot be older."""
    custom_ids: frozenset[str]
    """The custom ids of its requests (they carry the run's token, so no other run has them)."""
    known: frozenset[str] = frozenset()
    """Provider ids of the run's other batches: never candidates."""


@dataclass(frozen=True)
class Found:
    """What a search for an interrupted submission found."""

    provider_id: str | None = None
    """The batch to follow, when one matches."""
    confirmed: bool = True
    """False when `provider_id` is the one batch that could match but its custom ids cannot be
    read yet; they are checked when its results are collected."""
    candidates: tuple[str, ...] = ()
    """With no `provider_id`: several batches could be it and none can be told apart yet."""


class BatchTooLarge(ProviderError):
    """Raised when the provider refuses a batch for its size; the driver splits it and tries again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="bad_request", retryable=False)


TRANSFER_TIMEOUT = 600.0
"""Seconds allowed for one batch upload, download or listing (inputs reach hundreds of MB)."""


class BatchAPI(Protocol):
    """A provider's batch API, driven by `judgekit.batch.driver`."""

    provider: str
    limits: BatchLimits
    endpoint: str
    """The backend's endpoint (the same cache-key identity as interactive calls)."""

    def encode(self, custom_id: str, request: JudgeRequest) -> str:
        """One request as the provider's batch entry, serialised as one line of JSON."""
        ...

    async def submit(self, lines: list[str], labels: dict[str, str]) -> Submitted:
        """Send one batch (already within the limits); raises BatchTooLarge if refused for size."""
        ...

    async def status(self, provider_id: str) -> RemoteStatus: ...

    async def results(self, provider_id: str, logprobs: bool) -> list[Outcome]:
        """Every result of an ended batch (requests that never ran come back with an error)."""
        ...

    async def cancel(self, provider_id: str) -> None: ...

    async def find(self, intent: Intent) -> Found:
        """An earlier submission of this batch that reached the provider, if one can be found."""
        ...


def error_for_status(status: int | None, message: str, model: str, endpoint: str) -> ProviderError:
    """A per-request failure inside a batch, classified like an interactive one."""
    from judgekit.backends.failures import classify_status
    from judgekit.errors import FatalProviderError

    error = classify_status(status, message, None, model, endpoint, "the key")
    if isinstance(error, FatalProviderError):
        # One bad request inside a batch must not stop the others; it is recorded and not retried.
        return ProviderError(str(error), kind=error.kind, retryable=False, status=status)
    return error


def transfer_client(backend: Backend) -> Any:
    """The run's own SDK client (same key and base URL), with room for large transfers: its
    per-request timeout raised to at least TRANSFER_TIMEOUT."""
    timeout = float(backend.timeout) if isinstance(backend, HasTimeout) else 0.0
    return cast(Any, backend).client.with_options(timeout=max(TRANSFER_TIMEOUT, timeout))


def prefixed(error: ProviderError, doing: str) -> ProviderError:
    """The same failure, its message saying what judgekit was doing."""
    from judgekit.errors import FatalProviderError

    if isinstance(error, FatalProviderError):
        return FatalProviderError(f"{doing}: {error}", kind=error.kind, status=error.status)
    return ProviderError(
        f"{doing}: {error}",
        kind=error.kind,
        retryable=error.retryable,
        retry_after=error.retry_after,
        status=error.status,
    )


def describe(value: Any) -> str:
    """A short, key-free rendering of a provider error payload."""
    from judgekit.redact import redact

    text = value if isinstance(value, str) else str(value)
    return redact(text)[:300]
