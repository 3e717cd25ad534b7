"""OpenAI's Batch API: upload the requests as a JSONL file, run them as a batch, read two files back.

Each input line is `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`,
where the body is exactly what the interactive backend would send. A batch ends `completed`,
`expired` (what finished is in the output file, the rest in the error file as
`batch_expired`) or `cancelled` (likewise `batch_cancelled`); a batch whose input is refused
ends `failed` with the reasons in `errors`, having run nothing. Successful answers come in
the output file, failures in the error file, in no particular order: the custom id says which
request each line answers. The batch's metadata carries judgekit's labels, so a submission
whose id was never recorded (judgekit killed at that instant) is found again.
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

ENDPOINT = "/v1/chat/completions"
LIMITS = BatchLimits(max_requests=50_000, max_bytes=200 * 1024 * 1024)
"""OpenAI's published per-batch limits: 50,000 requests and a 200 MB input file."""
RUNNING = ("validating", "in_progress", "finalizing", "cancelling")
SEARCH_DEPTH = 1000
"""How many recent batches `find` looks through for a lost submission."""


class OpenAIBatches:
    provider = "openai"
    limits = LIMITS

    def __init__(self, backend: Backend) -> None:
        import openai

        self._openai = openai
        self._backend: Any = cast(Any, backend)  # an OpenAIBackend / AnthropicBackend: its client and bodies
        self.client: Any = transfer_client(backend)
        self.endpoint = backend.endpoint

    def encode(self, custom_id: str, request: Any) -> str:
        line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": self._backend.request_body(request)}
        return json.dumps(line, ensure_ascii=False)

    async def submit(self, lines: list[str], labels: dict[str, str]) -> Submitted:
        data = ("\n".join(lines) + "\n").encode()
        name = f"judgekit-{labels.get('judgekit_batch', 'batch')}.jsonl"  # the Batch API wants .jsonl
        try:
            uploaded = await self.client.files.create(file=(name, data), purpose="batch")
        except self._openai.APIError as exc:
            raise self._error(exc, "uploading the batch input") from None
        try:
            batch = await self.client.batches.create(
                input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h", metadata=labels
            )
        except self._openai.APIError as exc:
            raise self._error(exc, "creating the batch") from None
        return Submitted(provider_id=batch.id, input_file_id=uploaded.id)

    async def status(self, provider_id: str) -> RemoteStatus:
        batch = await self._retrieve(provider_id)
        counts = batch.request_counts
        total = int(getattr(counts, "total", 0) or 0)
        done = int(getattr(counts, "completed", 0) or 0) + int(getattr(counts, "failed", 0) or 0)
        if batch.status in RUNNING:
            return RemoteStatus("running", batch.status, total, done)
        if batch.status == "failed":
            errors = list(getattr(getattr(batch, "errors", None), "data", None) or [])
            first = errors[0] if errors else None
            code = getattr(first, "code", None)
            message = getattr(first, "message", None) or "the provider rejected the batch"
            return RemoteStatus("failed", batch.status, total, 0, code, describe(message))
        return RemoteStatus("ended", batch.status, total, done)

    async def results(self, provider_id: str, logprobs: bool) -> list[Outcome]:
        from openai.types.chat import ChatCompletion

        from judgekit.backends.openai import completion_from_response

        batch = await self._retrieve(provider_id)
        outcomes: list[Outcome] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            try:
                content = await self.client.files.content(file_id)
            except self._openai.APIError as exc:
                raise self._error(exc, f"downloading {file_id}") from None
            for line in content.content.decode("utf-8").splitlines():
                if not line.strip():
                    continue
                entry = json.loads(line)
                custom_id = str(entry.get("custom_id"))
                response = entry.get("response") or {}
                status = response.get("status_code")
                if status == 200 and isinstance(response.get("body"), dict):
                    try:
                        reply = ChatCompletion.construct(**response["body"])
                        outcomes.append(Outcome(custom_id, completion=completion_from_response(reply, logprobs)))
                    except ProviderError as exc:
                        outcomes.append(Outcome(custom_id, error=exc))
                    continue
                outcomes.append(Outcome(custom_id, error=self._line_error(entry, status)))
        return outcomes

    async def cancel(self, provider_id: str) -> None:
        try:
            await self.client.batches.cancel(provider_id)
        except self._openai.APIError as exc:
            raise self._error(exc, f"cancelling {provider_id}") from None

    async def find(self, intent: Intent) -> Found:
        """The batch carrying the intent's labels in its metadata (an exact match, or none)."""
        seen = 0
        try:
            async for batch in self.client.batches.list(limit=100):
                metadata = getattr(batch, "metadata", None) or {}
                if all(metadata.get(key) == value for key, value in intent.labels.items()):
                    return Found(str(batch.id))
                seen += 1
                if seen >= SEARCH_DEPTH:
                    break
        except self._openai.APIError as exc:
            raise self._error(exc, "listing batches") from None
        return Found()

    # -- helpers --------------------------------------------------------------------------
    async def _retrieve(self, provider_id: str) -> Any:
        try:
            return await self.client.batches.retrieve(provider_id)
        except self._openai.APIError as exc:
            raise self._error(exc, f"reading batch {provider_id}") from None

    def _line_error(self, entry: dict[str, Any], status: int | None) -> ProviderError:
        error = entry.get("error") or {}
        code = error.get("code") if isinstance(error, dict) else None
        if code == "batch_expired":
            return ProviderError("the batch expired before this request ran", kind="expired", retryable=True)
        if code == "batch_cancelled":
            return ProviderError("the batch was cancelled before this request ran", kind="cancelled", retryable=False)
        body = (entry.get("response") or {}).get("body") or {}
        detail = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else None
        message = describe(detail or (error.get("message") if isinstance(error, dict) else None) or "no answer")
        return error_for_status(status, message, "", self.endpoint)

    def _error(self, exc: Exception, doing: str) -> ProviderError:
        from judgekit.backends.failures import translate_sdk_error

        status = getattr(exc, "status_code", None)
        message = describe(getattr(exc, "message", None) or exc)
        if status == 413 or (status == 400 and "too large" in message.lower()):
            return BatchTooLarge(f"{doing}: the provider refused the batch as too large ({message})")
        if status == 404:
            return FatalProviderError(f"{doing}: not found at {self.endpoint} (404): {message}", kind="not_found")
        return prefixed(translate_sdk_error(self._openai, exc, "", self.endpoint, "OPENAI_API_KEY"), doing)
