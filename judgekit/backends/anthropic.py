"""`anthropic/<model>`: Claude through the official anthropic SDK.

Reads ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) and ANTHROPIC_BASE_URL. The Messages API
returns no token log-probabilities and one sample per request, which the capabilities say, so
probability-weighted scores fall back to sampling. anthropic 2.x dropped the `temperature`
keyword from `messages.create`, so it travels in the request body.

A structured verdict is asked for as a call of one tool (`record_verdict`, whose input schema
is the verdict's), forced with `tool_choice`; the tool call's input is the answer. Extended
thinking (`--thinking-budget`) does not allow a forced tool, so with it the tool is offered
(`tool_choice: auto`) and an answer in prose is read by the template's pattern. The verdict
is never read from a thinking block.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

from judgekit.backends.base import BackendOptions, Capabilities
from judgekit.backends.failures import snippet, translate_sdk_error
from judgekit.errors import MissingCredentialsError, MissingDependencyError, ProviderError
from judgekit.schema import Completion, JudgeRequest

OFFICIAL_URL = "https://api.anthropic.com"
PLACEHOLDER_KEY = "judgekit-no-key"
VERDICT_TOOL = "record_verdict"
"""The tool a structured verdict is asked through: its input schema is the verdict's schema."""
VERDICT_TOOL_DESCRIPTION = "Record your verdict."
CAPABILITIES = Capabilities(logprobs=False, n=False, seed=False, structured=True, thinking=True)
"""Claude's Messages API, wherever it is served (Anthropic, Vertex AI)."""


class AnthropicBackend:
    """Messages through the official anthropic SDK."""

    provider = "anthropic"
    key_variable = "ANTHROPIC_API_KEY"
    """Named when the server refuses the credentials."""

    def __init__(self, options: BackendOptions) -> None:
        if importlib.util.find_spec("anthropic") is None:
            raise MissingDependencyError("anthropic", purpose="anthropic/ judges")
        base_url = options.base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        api_key = os.environ.get("ANTHROPIC_API_KEY") or None
        auth_token = os.environ.get("ANTHROPIC_AUTH_TOKEN") or None
        if api_key is None and auth_token is None:
            if base_url is None:
                raise MissingCredentialsError(
                    "ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=<your key>, or set "
                    "ANTHROPIC_BASE_URL to an Anthropic-compatible server that needs no key"
                )
            api_key = PLACEHOLDER_KEY
        self._base_url = base_url
        self._credentials = {"api_key": api_key, "auth_token": auth_token if api_key is None else None}
        self._timeout = options.timeout
        self._client: Any = None
        self.capabilities = CAPABILITIES

    @property
    def _anthropic(self) -> Any:
        import anthropic

        return anthropic

    @property
    def timeout(self) -> float:
        """Seconds allowed for one request (batch uploads and downloads use it too)."""
        return float(self._timeout)

    @property
    def client(self) -> Any:
        """The SDK client, made on first use (a fully cached run never imports the SDK)."""
        if self._client is None:
            self._client = self._anthropic.AsyncAnthropic(
                **self._credentials, base_url=self._base_url, timeout=self._timeout, max_retries=0
            )
        return self._client

    @property
    def endpoint(self) -> str:
        return (self._base_url or OFFICIAL_URL).rstrip("/")

    def request_body(self, request: JudgeRequest) -> dict[str, Any]:
        """The Messages API parameters for a request (a message batch entry carries the same)."""
        system = "\n\n".join(message.content for message in request.messages if message.role == "system")
        messages = [
            {"role": message.role, "content": message.content}
            for message in request.messages
            if message.role != "system"
        ]
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.params.max_tokens,
            "messages": messages,
        }
        if system:
            body["system"] = system
        if request.params.temperature is not None:
            body["temperature"] = request.params.temperature
        budget = request.params.thinking_budget
        if budget is not None:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if request.structured is not None:
            tool = {"name": VERDICT_TOOL, "description": VERDICT_TOOL_DESCRIPTION, "input_schema": request.structured}
            body["tools"] = [tool]
            body["tool_choice"] = {"type": "auto"} if budget is not None else {"type": "tool", "name": VERDICT_TOOL}
        return body

    async def complete(self, request: JudgeRequest) -> Completion:
        kwargs = self.request_body(request)
        if "temperature" in kwargs:
            kwargs["extra_body"] = {"temperature": kwargs.pop("temperature")}
        try:
            response = await self.client.messages.create(**kwargs)
        except self._anthropic.APIError as exc:
            raise translate_sdk_error(self._anthropic, exc, request.model, self.endpoint, self.key_variable) from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # The SDK could not decode the body (invalid JSON, unexpected shape): retryable.
            raise ProviderError(
                f"the server sent a malformed response ({type(exc).__name__})", kind="malformed", retryable=True
            ) from None
        return completion_from_message(response)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()


def create(options: BackendOptions) -> AnthropicBackend:
    return AnthropicBackend(options)


def completion_from_message(response: Any) -> Completion:
    """A Messages API reply (an SDK object, or one built from a batch result) as a `Completion`."""
    if isinstance(response, str):  # the SDK hands back a body that is not JSON as text
        raise ProviderError(f"the server returned no message{snippet(response)}", kind="malformed", retryable=True)
    blocks = getattr(response, "content", None) or []
    tool = next(
        (b for b in blocks if getattr(b, "type", "") == "tool_use" and getattr(b, "name", "") == VERDICT_TOOL), None
    )
    if tool is not None:  # a structured verdict: the tool call's input is the answer
        text = json.dumps(getattr(tool, "input", None), ensure_ascii=False)
    else:  # thinking blocks are left out: the verdict is in the text that follows them
        text = "".join(getattr(block, "text", "") or "" for block in blocks if getattr(block, "type", "") == "text")
    stop_reason = getattr(response, "stop_reason", None)
    if not text.strip() and stop_reason != "max_tokens":
        # An empty answer that the token limit ended (thinking used it all) is unscored as truncated.
        raise ProviderError("the server returned an empty message", kind="malformed", retryable=True)
    usage = getattr(response, "usage", None)
    return Completion(
        texts=[text],
        prompt_tokens=getattr(usage, "input_tokens", None),
        completion_tokens=getattr(usage, "output_tokens", None),
        model=getattr(response, "model", None),
        finish_reason=stop_reason,
    )
