"""`openai/<model>`: OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp, ...).

Reads OPENAI_API_KEY and OPENAI_BASE_URL. With a base URL and no key it sends a placeholder,
since local servers usually need none. One `AsyncOpenAI` client serves the whole run, with the
SDK's own retries off: the runner retries, counts and honours Retry-After itself.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

from judgekit.backends.base import BackendOptions, Capabilities
from judgekit.backends.failures import snippet, translate_sdk_error
from judgekit.errors import MissingCredentialsError, MissingDependencyError, ProviderError
from judgekit.schema import Completion, JudgeRequest, TokenLogprob

OFFICIAL_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "judgekit-no-key"
SCHEMA_NAME = "verdict"
"""The name a structured verdict's JSON schema is sent under (response_format.json_schema.name)."""


class OpenAIBackend:
    """Chat completions through the official openai SDK."""

    provider = "openai"
    key_variable = "OPENAI_API_KEY"
    """Named when the server refuses the credentials."""

    def __init__(self, options: BackendOptions) -> None:
        if importlib.util.find_spec("openai") is None:
            raise MissingDependencyError("openai", purpose=f"{self.provider}/ judges")
        self._timeout = options.timeout
        self._client: Any = None
        self.capabilities = Capabilities(
            logprobs=True, max_top_logprobs=20, n=True, seed=True, structured=True, reasoning_effort=True
        )
        self._send_temperature = True
        self._warned: set[str] = set()
        self._configure(options)

    def _configure(self, options: BackendOptions) -> None:
        """Read the server and the credentials (a subclass for another service replaces this)."""
        base_url = options.base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = os.environ.get("OPENAI_API_KEY") or None
        if api_key is None:
            if base_url is None:
                raise MissingCredentialsError(
                    "OPENAI_API_KEY is not set: export OPENAI_API_KEY=<your key>, or set OPENAI_BASE_URL "
                    "to an OpenAI-compatible server (vLLM, Ollama, llama.cpp) that needs no key"
                )
            api_key = PLACEHOLDER_KEY
        self._base_url = base_url
        self._api_key = api_key
        # The official API wants max_completion_tokens (reasoning models reject max_tokens) while
        # llama.cpp's server honours only max_tokens; a 400 naming the field flips the choice.
        self._token_field = "max_completion_tokens" if base_url is None else "max_tokens"

    @property
    def _openai(self) -> Any:
        import openai

        return openai

    @property
    def _completion_type(self) -> Any:
        from openai.types.chat import ChatCompletion

        return ChatCompletion

    @property
    def timeout(self) -> float:
        """Seconds allowed for one request (batch uploads and downloads use it too)."""
        return float(self._timeout)

    @property
    def client(self) -> Any:
        """The SDK client, made on first use: a run answered wholly from the cache never imports
        the SDK (about half a second)."""
        if self._client is None:
            self._client = self._openai.AsyncOpenAI(
                api_key=self._api_key, base_url=self._base_url, timeout=self._timeout, max_retries=0
            )
        return self._client

    @property
    def endpoint(self) -> str:
        return (self._base_url or OFFICIAL_URL).rstrip("/")

    async def complete(self, request: JudgeRequest) -> Completion:
        try:
            return await self._complete(request)
        except ProviderError as exc:
            if exc.kind == "bad_request" and self._adapt(str(exc)):
                return await self._complete(request)
            raise

    def _adapt(self, message: str) -> bool:
        """Switch a parameter the server rejected; True when the request is worth resending."""
        lowered = message.lower()
        if "max_tokens" in lowered and "max_completion_tokens" in lowered:
            self._token_field = (
                "max_tokens" if self._token_field == "max_completion_tokens" else "max_completion_tokens"
            )
            self._warn("token-field", f"the server rejected the token limit field; using {self._token_field}")
            return True
        if (
            "temperature" in lowered
            and self._send_temperature
            and ("unsupported" in lowered or "not support" in lowered)
        ):
            self._send_temperature = False
            self._warn("temperature", "the model does not accept a temperature; sending requests without one")
            return True
        return False

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            print(f"judgekit: warning: {message}", file=sys.stderr)

    def request_body(self, request: JudgeRequest) -> dict[str, Any]:
        """The chat-completions body for a request, as sent now (a batch line carries the same)."""
        params = request.params
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": message.role, "content": message.content} for message in request.messages],
            self._token_field: params.max_tokens,
        }
        if params.temperature is not None and self._send_temperature:
            body["temperature"] = params.temperature
        if params.n > 1:
            body["n"] = params.n
        if params.seed is not None:
            body["seed"] = params.seed
        if params.logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = params.top_logprobs or 20
        if params.reasoning_effort is not None:
            body["reasoning_effort"] = params.reasoning_effort
        if request.structured is not None:
            # Strict mode: the server holds the answer to the schema (every field required, no others).
            schema = {"name": SCHEMA_NAME, "schema": request.structured, "strict": True}
            body["response_format"] = {"type": "json_schema", "json_schema": schema}
        return body

    async def _complete(self, request: JudgeRequest) -> Completion:
        body = self.request_body(request)
        try:
            # `client.post` is the SDK's documented way to send a raw body: the same auth, HTTP
            # client, errors and response model as `chat.completions.create`, without that
            # method's recursive walk over every parameter (about 1 ms of CPU a request, which
            # at high concurrency is the difference between the event loop keeping up or not).
            response = await self.client.post("/chat/completions", body=body, cast_to=self._completion_type)
        except self._openai.APIError as exc:
            raise translate_sdk_error(self._openai, exc, request.model, self.endpoint, self.key_variable) from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # The SDK could not decode the body (invalid JSON, unexpected shape): retryable.
            raise ProviderError(
                f"the server sent a malformed response ({type(exc).__name__})", kind="malformed", retryable=True
            ) from None
        return completion_from_response(response, request.params.logprobs)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


def completion_from_response(response: Any, logprobs: bool) -> Completion:
    """A chat completion (an SDK object, or one built from a batch result) as a `Completion`."""
    choices = getattr(response, "choices", None)
    if not choices:
        body = response if isinstance(response, str) else ""  # the SDK hands back a body that is not JSON as text
        raise ProviderError(
            f"the server returned no chat completion choices{snippet(body)}", kind="malformed", retryable=True
        )
    # A refusal to fill a schema comes as `refusal` instead of content: kept as the answer (unscored).
    texts = [_message_text(choice.message) for choice in choices]
    if not any(text.strip() for text in texts) and choices[0].finish_reason != "length":
        # An empty answer cut off by the token limit (a reasoning model that spent it all on
        # reasoning) is an answer: unscored as truncated, not retried for the same result.
        raise ProviderError("the server returned an empty completion", kind="malformed", retryable=True)
    usage = getattr(response, "usage", None)
    return Completion(
        texts=texts,
        logprobs=_logprobs(choices[0]) if logprobs else None,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
        model=getattr(response, "model", None),
        finish_reason=choices[0].finish_reason,
    )


def _message_text(message: Any) -> str:
    if message is None:
        return ""
    return str(message.content or getattr(message, "refusal", None) or "")


def _logprobs(choice: Any) -> list[TokenLogprob] | None:
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None
    return [
        TokenLogprob(
            token=entry.token,
            logprob=entry.logprob,
            top={alternative.token: alternative.logprob for alternative in (entry.top_logprobs or [])},
        )
        for entry in content
    ]


def create(options: BackendOptions) -> OpenAIBackend:
    return OpenAIBackend(options)
