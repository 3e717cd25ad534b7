"""Anthropic's Message Batches API: one request with every entry, results read from results_url.

Each entry is `{"custom_id", "params"}`, where params are exactly what the interactive backend
sends (temperature included: the batch API takes it in the params). A batch reports
`processing = N` until it ends, so there is no partial progress to show; once `ended`, each
result is `succeeded`, `errored`, `canceled` or `expired`, in no particular order. Custom ids
must match `^[A-Za-z0-9_-]{1,64}$` (judgekit's `<run token>-p1-17` do).

Message batches carry no metadata, so a submission whose id was never recorded (judgekit killed
while the provider accepted it) is looked for in the account's batch list: created no earlier
than judgekit recorded its intent, holding as many requests, not one of the run's known
batches, and, once its results can be read, holding exactly the intent's custom ids (which
carry the run's token). One such batch is followed; several that cannot be told apart yet are
reported as candidates.
"""

from __future__ import annotations

import json
from typing import Any, cast

from judgekit.backends.base import Backend
from judgekit.batch.base import (
    BatchLimits,
    BatchTooLarge,
    Found,
    Intent,
    Outcome,
    RemoteStatus,
    Submitted,
    describe,
    error_for_status,
    prefixed,
    transfer_client,
)
from judgekit.errors import FatalProviderError, ProviderError

CLOCK_SKEW = 300.0
"""Seconds a provider's clock may run behind this machine's when batches are matched by time."""
SEARCH_DEPTH = 1000
"""How many recent batches `find` looks through for a lost submission."""
LIMITS = BatchLimits(max_requests=100_000, max_bytes=256 * 1024 * 1024)
"""Anthropic's published per-batch limits: 100,000 requests or 256 MB, whichever comes first."""

ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
"""Anthropic error types and the HTTP status each stands for, to classify errored results."""


class AnthropicBatches:
    provider = "anthropic"
    limits = LIMITS

    def __init__(self, backend: Backend) -> None:
        import anthropic

        self._anthropic = anthropic
        self._backend: Any = cast(Any, backend)  # an OpenAIBackend / AnthropicBackend: its client and bodies
        self.client: Any = transfer_client(backend)
        self.endpoint = backend.endpoint

    def encode(self, custom_id: str, request: Any) -> str:
        return json.dumps({"custom_id": custom_id, "params": self._backend.request_body(request)}, ensure_ascii=False)

    async def submit(self, lines: list[str], labels: dict[str, str]) -> Submitted:
        requests = [json.loads(line) for line in lines]
        try:
            batch = await self.client.messages.batches.create(requests=requests)
        except self._anthropic.APIError as exc:
            raise self._error(exc, "creating the message batch") from None
        return Submitted(provider_id=batch.id)

    async def status(self, provider_id: str) -> RemoteStatus:
        batch = await self._retrieve(provider_id)
        total = _size(batch)
        if batch.processing_status != "ended":
            return RemoteStatus("running", batch.processing_status, total)
        return RemoteStatus("ended", batch.processing_status, total, total)

    async def results(self, provider_id: str, logprobs: bool) -> list[Outcome]:
        from judgekit.backends.anthropic import completion_from_message

        outcomes: list[Outcome] = []
        try:
            decoder = await self.client.messages.batches.results(provider_id)
            async for entry in decoder:
                result = entry.result
                kind = getattr(result, "type", None)
                if kind == "succeeded":
                    try:
                        outcomes.append(Outcome(entry.custom_id, completion=completion_from_message(result.message)))
                    except ProviderError as exc:
                        outcomes.append(Outcome(entry.custom_id, error=exc))
                elif kind == "expired":
                    error = ProviderError("the batch expired before this request ran", kind="expired", retryable=True)
                    outcomes.append(Outcome(entry.custom_id, error=error))
                elif kind == "canceled":
                    error = ProviderError(
                        "the batch was cancelled before this request ran", kind="cancelled", retryable=False
                    )
                    outcomes.append(Outcome(entry.custom_id, error=error))
                else:
                    outcomes.append(Outcome(entry.custom_id, error=self._errored(result)))
        except self._anthropic.APIError as exc:
            raise self._error(exc, f"reading the results of {provider_id}") from None
        return outcomes

    async def cancel(self, provider_id: str) -> None:
        try:
            await self.client.messages.batches.cancel(provider_id)
        except self._anthropic.APIError as exc:
            raise self._error(exc, f"cancelling {provider_id}") from None

    async def find(self, intent: Intent) -> Found:
        """The batch an interrupted submission created, told by its time, size and custom ids."""
        confirmed: list[str] = []
        unreadable: list[str] = []
        for batch in await self._recent(intent):
            if batch.processing_status != "ended":
                unreadable.append(str(batch.id))
            elif await self._custom_ids(str(batch.id)) == intent.custom_ids:
                confirmed.append(str(batch.id))
        if confirmed:
            return Found(confirmed[-1])  # the oldest: listed newest first
        if len(unreadable) == 1:
            return Found(unreadable[0], confirmed=False)
        return Found(candidates=tuple(reversed(unreadable)))

    async def _recent(self, intent: Intent) -> list[Any]:
        """Batches created since the intent (allowing for clock skew) with as many requests."""
        since = None if intent.created is None else intent.created - CLOCK_SKEW
        found: list[Any] = []
        seen = 0
        try:
            async for batch in self.client.messages.batches.list(limit=100):
                seen += 1
                created = batch.created_at.timestamp()
                if (since is not None and created < since) or seen > SEARCH_DEPTH:
                    break  # listed newest first: the rest are older
                if str(batch.id) not in intent.known and _size(batch) == intent.requests:
                    found.append(batch)
        except self._anthropic.APIError as exc:
            raise self._error(exc, "listing message batches") from None
        return found

    async def _custom_ids(self, provider_id: str) -> frozenset[str]:
        ids: set[str] = set()
        try:
            async for entry in await self.client.messages.batches.results(provider_id):
                ids.add(str(entry.custom_id))
        except self._anthropic.APIError as exc:
            raise self._error(exc, f"reading the results of {provider_id}") from None
        return frozenset(ids)

    # -- helpers --------------------------------------------------------------------------
    async def _retrieve(self, provider_id: str) -> Any:
        try:
            return await self.client.messages.batches.retrieve(provider_id)
        except self._anthropic.APIError as exc:
            raise self._error(exc, f"reading message batch {provider_id}") from None

    def _errored(self, result: Any) -> ProviderError:
        inner = getattr(getattr(result, "error", None), "error", None)
        kind = str(getattr(inner, "type", "api_error"))
        message = describe(getattr(inner, "message", None) or kind)
        return error_for_status(ERROR_STATUS.get(kind, 500), message, "", self.endpoint)

    def _error(self, exc: Exception, doing: str) -> ProviderError:
        from judgekit.backends.failures import translate_sdk_error

        status = getattr(exc, "status_code", None)
        message = describe(getattr(exc, "message", None) or exc)
        lowered = message.lower()
        too_many = (
            status == 400
            and "requests" in lowered
            and any(word in lowered for word in ("at most", "maximum", "too many", "exceed"))
        )
        if status == 413 or too_many:
            return BatchTooLarge(f"{doing}: the provider refused the batch as too large ({message})")
        if status == 404:
            return FatalProviderError(f"{doing}: not found at {self.endpoint} (404): {message}", kind="not_found")
        return prefixed(translate_sdk_error(self._anthropic, exc, "", self.endpoint, "ANTHROPIC_API_KEY"), doing)


def _size(batch: Any) -> int:
    """Requests in a message batch, whatever state they are in."""
    counts = batch.request_counts
    names = ("processing", "succeeded", "errored", "canceled", "expired")
    return sum(int(getattr(counts, name, 0) or 0) for name in names)
