"""Failure classification shared by the HTTP-based backends (status codes, Retry-After)."""

from __future__ import annotations

import re
from typing import Any

from judgekit.errors import FatalProviderError, ProviderError
from judgekit.redact import redact


def retry_after_seconds(headers: Any) -> float | None:
    """Read Retry-After (seconds or an HTTP date) or retry-after-ms from response headers."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return float(milliseconds) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


_ERROR_CODE = re.compile(r"^Error code: \d+ - ")
"""The SDKs put this before the server's own message; the kind and status say it already."""
SNIPPET_CHARS = 120


def root_cause(exc: BaseException) -> str:
    """The innermost reason behind an SDK's "Connection error." (refused, unknown host, TLS ...)."""
    seen: set[int] = set()
    cause: BaseException = exc
    while (cause.__cause__ or cause.__context__) is not None and id(cause) not in seen:
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause).strip() or type(cause).__name__
    return " ".join(text.split())


def snippet(body: object) -> str:
    """`: '<the start of a body>'` for an answer that is not what the API sends (an HTML page from a
    proxy or a login screen); empty when there is nothing to show."""
    if not isinstance(body, str) or not body.strip():
        return ""
    flat = " ".join(body.split())
    what = " (an HTML page)" if flat[:20].lower().startswith(("<!doctype html", "<html")) else ""
    shown = flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"
    return f"{what}: {redact(shown)!r}"


def classify_status(
    status: int | None, message: str, retry_after: float | None, model: str, endpoint: str, key_variable: str
) -> ProviderError:
    """Map an HTTP status to a failure kind; shared by the HTTP-based backends."""
    if status == 429:
        return ProviderError(
            f"rate limited (429): {message}", kind="rate_limit", retryable=True, retry_after=retry_after, status=status
        )
    if status in (401, 403):
        return FatalProviderError(
            f"{endpoint} refused the credentials ({status}); check {key_variable}", kind="auth", status=status
        )
    if status == 404:
        return FatalProviderError(
            f"model '{model}' was not found at {endpoint} (404): {message}", kind="not_found", status=status
        )
    if status in (408, 409) or (status is not None and status >= 500):
        return ProviderError(
            f"server error ({status}): {message}",
            kind="server_error",
            retryable=True,
            retry_after=retry_after,
            status=status,
        )
    if status is not None and 400 <= status < 500:
        return ProviderError(
            f"request rejected ({status}): {message}", kind="bad_request", retryable=False, status=status
        )
    return ProviderError(f"provider error: {message}", kind="other", retryable=True, status=status)


def translate_sdk_error(sdk: Any, exc: Exception, model: str, endpoint: str, key_variable: str) -> ProviderError:
    """Turn an openai or anthropic SDK exception into a ProviderError with a failure kind.

    Both SDKs name their exception classes alike, so one function serves both. The server's
    message is redacted, since some providers echo part of a rejected key.
    """
    message = redact(_ERROR_CODE.sub("", str(getattr(exc, "message", None) or exc)))
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError(f"the request to {redact(endpoint)} timed out", kind="timeout", retryable=True)
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError(
            f"cannot connect to {redact(endpoint)} ({redact(root_cause(exc))})", kind="connection", retryable=True
        )
    if isinstance(exc, sdk.APIResponseValidationError):
        body = getattr(getattr(exc, "response", None), "text", "")
        return ProviderError(f"the server sent a malformed response{snippet(body)}", kind="malformed", retryable=True)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    status = getattr(exc, "status_code", None)
    return classify_status(status, message, retry_after_seconds(headers), model, endpoint, key_variable)
