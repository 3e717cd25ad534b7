"""Anthropic's Message Batches API: one request with every entry, results read from results_url.

Each entry is `{"custom_id", "params"}`, where params are exactly what the interactive backend
sends (temperature included: the batch API takes it in the params). A batch reports
`processing = N` until it ends, so there is no partial progress to show; once `ended`, each
result is `succeeded`, `errored`, `canceled` or `expired`, in no particular order. Custom ids
must match `^[A-Za-z0-9_-]{1,64}$` (judgekit's `b0001-17` do). Message batches carry no
metadata, so a submission whose id was never recorded cannot be found again (`find` says so).
"""

from __future__ import annotations

import json
from typing import Any, cast

from judgekit.backends.base import Backend
from judgekit.batch.base import (
    TRANSFER_TIMEOUT,
    BatchLimits,
    BatchTooLarge,
    Outcome,
    RemoteStatus,
    Submitted,
    describe,
    error_for_status,
    options_timeout,
    prefixed,
)
from judgekit.errors import FatalProviderError, ProviderError

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
        # The run's own client (same key and base URL), with room for large transfers.
        self.client: Any = self._backend.client.with_options(timeout=max(TRANSFER_TIMEOUT, options_timeout(backend)))
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
        counts = batch.request_counts
        total = sum(
            int(getattr(counts, name, 0) or 0) for name in ("processing", "succeeded", "errored", "canceled", "expired")
        )
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

    async def find(self, labels: dict[str, str]) -> str | None:
        return None

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
