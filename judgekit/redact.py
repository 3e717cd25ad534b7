"""Keep secrets out of everything judgekit writes or prints.

Provider error bodies can echo part of a key ("Incorrect API key provided: sk-ab***yz"), so
every error message passes through `redact` before it reaches a file, a log or the terminal.
"""

from __future__ import annotations

import os
import re

_SECRET_NAME = re.compile(r"(API_KEY|AUTH_TOKEN|_TOKEN|_SECRET|PASSWORD)$")
_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,})")
MASK = "***"


def secret_values() -> list[str]:
    """Values of environment variables that look like credentials (read now, not at import)."""
    values = [value for name, value in os.environ.items() if _SECRET_NAME.search(name) and len(value) >= 6]
    return sorted(set(values), key=len, reverse=True)


def redact(text: str) -> str:
    """Replace credential values and key-shaped tokens in `text` with ***."""
    for value in secret_values():
        if value in text:
            text = text.replace(value, MASK)
    return _KEY_SHAPES.sub(MASK, text)
