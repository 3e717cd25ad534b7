"""`gemini/<model>`: Google's Gemini API through the google-genai SDK (`pip install 'judgekit-cli[gemini]'`).

Reads the key from GEMINI_API_KEY or GOOGLE_API_KEY (the SDK's variables; GOOGLE_API_KEY wins
when both are set, as in the SDK) and an optional base URL from --base-url or
GOOGLE_GEMINI_BASE_URL. One request is one `generateContent` call: the system messages become the
system instruction, `n` samples are `candidate_count` candidates, and log-probabilities come
from `response_logprobs` with the top `logprobs` alternatives at each step (Gemini allows at
most 20). The SDK's own retries are off: the runner retries and honours the server's wait, which
Gemini gives in Retry-After or in a RetryInfo detail of the error body.

A structured verdict is asked for with `response_mime_type: application/json` and the verdict's
schema in `response_json_schema`, which takes JSON Schema as it is (`response_schema` takes
Google's OpenAPI subset, without `additionalProperties`); the answer is the JSON text. A thinking
budget goes in `thinking_config`; thought parts are never read for the verdict.
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Any

from judgekit.backends.base import BackendOptions, Capabilities
from judgekit.backends.failures import classify_status, retry_after_seconds, root_cause
from judgekit.errors import FatalProviderError, MissingCredentialsError, MissingDependencyError, ProviderError
from judgekit.redact import redact
from judgekit.schema import Completion, JudgeRequest, TokenLogprob

KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
"""In the SDK's order of preference."""
BASE_URL_VARIABLE = "GOOGLE_GEMINI_BASE_URL"
OFFICIAL_URL = "https://generativelanguage.googleapis.com"
MAX_TOP_LOGPROBS = 20
_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def sdk_installed() -> bool:
    try:
        return importlib.util.find_spec("google.genai") is not None
    except ModuleNotFoundError:  # no `google` namespace package at all
        return False


class GeminiBackend:
    """`generateContent` through google-genai's async client."""

    provider = "gemini"

    def __init__(self, options: BackendOptions) -> None:
        if not sdk_installed():
            raise MissingDependencyError("google-genai", extra="gemini", purpose="gemini/ judges")
        found = [(name, os.environ.get(name)) for name in KEY_VARIABLES if os.environ.get(name)]
        if not found:
            raise MissingCredentialsError(
                "gemini/ judges need a Gemini API key: export GEMINI_API_KEY=<your key> (or GOOGLE_API_KEY)"
            )
        self.key_variable, self._api_key = found[0][0], str(found[0][1])
        self._base_url = options.base_url or os.environ.get(BASE_URL_VARIABLE) or None
        self._timeout = options.timeout
        self._client: Any = None
        self._http: Any = None
        self.capabilities = Capabilities(
            logprobs=True,
            max_top_logprobs=MAX_TOP_LOGPROBS,
            n=True,
            seed=True,
            structured=True,
            thinking=True,
            thinking_minimum=1,
            thinking_temperature=True,
        )

    @property
    def timeout(self) -> float:
        return float(self._timeout)

    @property
    def endpoint(self) -> str:
        return (self._base_url or OFFICIAL_URL).rstrip("/")

    @property
    def client(self) -> Any:
        """The SDK's async client, made on first use (a fully cached run never imports the SDK)."""
        if self._client is None:
            import httpx2
            from google import genai
            from google.genai import types

            # Our own HTTP client keeps the SDK on httpx2 (its own dependency) even where aiohttp is
            # installed, which the SDK would otherwise prefer: one transport, one set of failures.
            self._http = httpx2.AsyncClient()
            http_options = types.HttpOptions(
                base_url=self._base_url,
                timeout=int(self._timeout * 1000),  # the SDK counts milliseconds
                retry_options=types.HttpRetryOptions(attempts=1),
                httpx_async_client=self._http,
            )
            # vertexai=False: GOOGLE_GENAI_USE_VERTEXAI in the environment must not turn this into a Vertex client.
            client = genai.Client(vertexai=False, api_key=self._api_key, http_options=http_options)
            self._client = client.aio
        return self._client

    def request_parts(self, request: JudgeRequest) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The `contents` and the generation config (snake-case, as the SDK takes them) of a request."""
        system = "\n\n".join(message.content for message in request.messages if message.role == "system")
        contents = [
            {"role": "model" if message.role == "assistant" else "user", "parts": [{"text": message.content}]}
            for message in request.messages
            if message.role != "system"
        ]
        params = request.params
        config: dict[str, Any] = {"max_output_tokens": params.max_tokens}
        if system:
            config["system_instruction"] = system
        if params.temperature is not None:
            config["temperature"] = params.temperature
        if params.n > 1:
            config["candidate_count"] = params.n
        if params.seed is not None:
            config["seed"] = params.seed
        if params.logprobs:
            config["response_logprobs"] = True
            config["logprobs"] = min(params.top_logprobs or MAX_TOP_LOGPROBS, MAX_TOP_LOGPROBS)
        if params.thinking_budget is not None:
            config["thinking_config"] = {"thinking_budget": params.thinking_budget}
        if request.structured is not None:
            config["response_mime_type"] = "application/json"
            config["response_json_schema"] = request.structured
        return contents, config

    async def complete(self, request: JudgeRequest) -> Completion:
        contents, config = self.request_parts(request)
        client = self.client
        from google.genai import errors

        try:
            response = await client.models.generate_content(model=request.model, contents=contents, config=config)
        except errors.APIError as exc:
            raise self._translate(exc, request.model) from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # The SDK could not decode the body (invalid JSON, an HTML page, an unexpected shape).
            raise ProviderError(
                f"the server sent a malformed response ({type(exc).__name__})", kind="malformed", retryable=True
            ) from None
        except Exception as exc:
            raise _transport_error(exc, self.endpoint) from None
        return completion_from_response(response, request.params.logprobs)

    def _translate(self, exc: Any, model: str) -> ProviderError:
        message = redact(str(exc.message or exc.status or exc))
        details = exc.details.get("error", exc.details) if isinstance(exc.details, dict) else {}
        reasons = {str(entry.get("reason")) for entry in details.get("details") or [] if isinstance(entry, dict)}
        if exc.code in (400, 401, 403) and ("API_KEY_INVALID" in reasons or exc.code != 400):
            return FatalProviderError(
                f"{self.endpoint} refused the credentials ({exc.code}); check {self.key_variable}",
                kind="auth",
                status=exc.code,
            )
        headers = getattr(getattr(exc, "response", None), "headers", None)
        wait = retry_after_seconds(headers) if headers is not None else None
        if wait is None:
            wait = _retry_delay(details)
        return classify_status(exc.code, message, wait, model, self.endpoint, self.key_variable)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._http is not None:
            await self._http.aclose()


def _retry_delay(error: dict[str, Any]) -> float | None:
    """The wait a Google error body names in its RetryInfo detail ("35s")."""
    for entry in error.get("details") or []:
        if isinstance(entry, dict) and str(entry.get("@type", "")).endswith("RetryInfo"):
            found = _RETRY_DELAY.match(str(entry.get("retryDelay", "")))
            if found:
                return float(found.group(1))
    return None


def _transport_error(exc: Exception, endpoint: str) -> ProviderError:
    """A failure below HTTP (the SDK lets its HTTP client's exceptions through): timeout or connection."""
    name = type(exc).__name__.lower()
    if "timeout" in name:
        return ProviderError(f"the request to {redact(endpoint)} timed out", kind="timeout", retryable=True)
    if any(word in name for word in ("connect", "read", "write", "protocol", "network", "transport")):
        return ProviderError(
            f"cannot connect to {redact(endpoint)} ({redact(root_cause(exc))})", kind="connection", retryable=True
        )
    raise exc


def completion_from_response(response: Any, logprobs: bool) -> Completion:
    """A `GenerateContentResponse` as a `Completion` (thought parts of thinking models left out)."""
    candidates = getattr(response, "candidates", None) or []
    texts = [_candidate_text(candidate) for candidate in candidates]
    reason = getattr(candidates[0], "finish_reason", None) if candidates else None
    finish = str(getattr(reason, "value", reason)).lower() if reason is not None else None
    if not any(text.strip() for text in texts) and finish != "max_tokens":
        # An empty answer that the token limit ended (thinking used it all) is unscored as truncated.
        blocked = getattr(getattr(response, "prompt_feedback", None), "block_reason", None)
        why = f" (the prompt was blocked: {blocked})" if blocked else ""
        raise ProviderError(f"the server returned an empty completion{why}", kind="malformed", retryable=True)
    usage = getattr(response, "usage_metadata", None)
    output_tokens = getattr(usage, "candidates_token_count", None)
    thoughts = getattr(usage, "thoughts_token_count", None)
    if output_tokens is not None and thoughts:
        output_tokens += thoughts  # thinking tokens are billed as output
    return Completion(
        texts=texts,
        logprobs=_logprobs(candidates[0]) if logprobs else None,
        prompt_tokens=getattr(usage, "prompt_token_count", None),
        completion_tokens=output_tokens,
        model=getattr(response, "model_version", None),
        finish_reason=finish,
    )


def _candidate_text(candidate: Any) -> str:
    parts = getattr(getattr(candidate, "content", None), "parts", None) or []
    return "".join(part.text or "" for part in parts if not getattr(part, "thought", False))


def _logprobs(candidate: Any) -> list[TokenLogprob] | None:
    result = getattr(candidate, "logprobs_result", None)
    chosen = getattr(result, "chosen_candidates", None)
    if not chosen:
        return None
    tops = getattr(result, "top_candidates", None) or []
    entries = []
    for index, token in enumerate(chosen):
        if token.log_probability is None:
            return None  # a step without its probability: nothing trustworthy to weigh
        alternatives = (tops[index].candidates or []) if index < len(tops) else []
        entries.append(
            TokenLogprob(
                token=token.token or "",
                logprob=token.log_probability,
                top={alternative.token or "": alternative.log_probability or 0.0 for alternative in alternatives},
            )
        )
    return entries


def create(options: BackendOptions) -> GeminiBackend:
    return GeminiBackend(options)
