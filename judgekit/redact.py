"""Keep secrets out of everything judgekit writes or prints.

Provider error bodies can echo part of a key ("Incorrect API key provided: sk-ab***yz"), and a
base URL can carry credentials of its own (`http://user:pass@host/v1`, `...?api_key=...`), so
every message, manifest, summary and report passes through `redact` (or `redact_data` for a
whole JSON document) before it reaches a file, a log or the terminal. This module is the one
place that knows what a secret looks like.
"""

from __future__ import annotations

import os
import re
from typing import Any

_SECRET_NAME = re.compile(r"(API_KEY|AUTH_TOKEN|_TOKEN|_SECRET|PASSWORD)$")
_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,})")
MASK = "***"

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")
_SECRET_PARAMETER = re.compile(r"(?i)(key|token|sig|secret|pass|pwd|auth|credential|session|signature|code_verifier)")
"""Query parameter names whose values are treated as secrets (api_key, access_token, sig, ...)."""


def secret_values() -> list[str]:
    """Values of environment variables that look like credentials (read now, not at import)."""
    values = [value for name, value in os.environ.items() if _SECRET_NAME.search(name) and len(value) >= 6]
    return sorted(set(values), key=len, reverse=True)


def redact_url(url: str) -> str:
    """A URL without credentials: its userinfo and secret-looking query values become ***.

    `http://user:pass@host/v1?api_key=k&x=1` -> `http://***@host/v1?api_key=***&x=1`.
    """
    url = _USERINFO.sub(lambda match: f"{match.group(1)}{MASK}@", url, count=1)
    head, question, rest = url.partition("?")
    if not question:
        return url
    query, hash_sign, fragment = rest.partition("#")
    pairs = []
    for pair in query.split("&"):
        name, equals, value = pair.partition("=")
        secret = equals and value and _SECRET_PARAMETER.search(name)
        pairs.append(f"{name}={MASK}" if secret else pair)
    return f"{head}?{'&'.join(pairs)}{hash_sign}{fragment}"


def redact(text: str) -> str:
    """Replace credential values, key-shaped tokens and URL credentials in `text` with ***."""
    for value in secret_values():
        if value in text:
            text = text.replace(value, MASK)
    if "://" in text:
        text = _URL.sub(_redact_match, text)
    return _KEY_SHAPES.sub(MASK, text)


def _redact_match(match: re.Match[str]) -> str:
    url = match.group(0)
    core = url.rstrip(".,;:)]}'\"")  # punctuation after a URL in a sentence is not part of it
    return redact_url(core) + url[len(core) :]


def redact_data(data: Any) -> Any:
    """A copy of a JSON-like document (dicts, lists, strings) with every string redacted."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {key: redact_data(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(value) for value in data]
    return data
