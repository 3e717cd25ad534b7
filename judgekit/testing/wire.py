"""The providers' wire formats, as the fake server speaks them: requests in, bodies out.

Shared by the interactive endpoints (`server.py`) and the batch endpoints (`batches.py`), so a
batch answers exactly as an interactive call would.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"\d+|[A-Za-z]+|\s+|[^\w\s]")


@dataclass
class FakeRequest:
    """One chat request as the fake server understood it."""

    api: str
    """"openai", "anthropic", "azure" (OpenAI's format at an Azure deployment URL), or a dialect's
    name ("gemini", "bedrock", "vertex")."""
    model: str
    """The body's model; for Azure, the deployment named in the URL."""
    messages: list[dict[str, Any]]
    system: str
    body: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)
    """The URL's query parameters (Azure's api-version)."""
    params: dict[str, str] = field(default_factory=dict)
    """What the URL's path named (Gemini's API version, Vertex's project and region)."""

    @property
    def prompt(self) -> str:
        """System and message texts joined, which a responder usually reads."""
        parts = [self.system] if self.system else []
        parts += [str(message.get("content", "")) for message in self.messages]
        return "\n".join(parts)

    @property
    def key(self) -> str:
        """A hash of what identifies the request's content (model, messages, sampling)."""
        stable = {k: v for k, v in self.body.items() if k not in ("stream",)}
        return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


@dataclass
class Reply:
    """What the fake judge answers. `distribution` sets the top log-probabilities at the last
    token equal to `at` (e.g. at="8", distribution={"8": 0.6, "7": 0.3, "9": 0.1})."""

    text: str
    at: str | None = None
    distribution: dict[str, float] | None = None


Responder = Callable[[FakeRequest], "Reply | str"]


def parse_request(api: str, body: dict[str, Any]) -> FakeRequest:
    messages = list(body.get("messages") or [])
    system = ""
    if api in ("openai", "azure"):
        kept = []
        for message in messages:
            if message.get("role") == "system":
                system += str(message.get("content", ""))
            else:
                kept.append(message)
        messages = kept
    else:
        raw_system = body.get("system") or ""
        system = raw_system if isinstance(raw_system, str) else "".join(block.get("text", "") for block in raw_system)
    return FakeRequest(api=api, model=str(body.get("model", "")), messages=messages, system=system, body=body)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def token_logprobs(reply: Reply, top: int) -> list[dict[str, Any]]:
    tokens = _tokens(reply.text)
    target = -1
    if reply.at is not None and reply.distribution:
        for index in range(len(tokens) - 1, -1, -1):
            if tokens[index] == reply.at:
                target = index
                break
    entries = []
    for index, token in enumerate(tokens):
        if index == target and reply.distribution:
            alternatives = sorted(reply.distribution.items(), key=lambda pair: -pair[1])[:top]
            chosen = math.log(reply.distribution.get(token, 1e-9))
        else:
            alternatives = [(token, 1.0)]
            chosen = 0.0
        entries.append(
            {
                "token": token,
                "logprob": chosen,
                "bytes": list(token.encode()),
                "top_logprobs": [
                    {"token": alt, "logprob": math.log(max(p, 1e-12)), "bytes": list(alt.encode())}
                    for alt, p in alternatives
                ],
            }
        )
    return entries


def usage_tokens(request: FakeRequest, reply: Reply) -> tuple[int, int]:
    return max(1, len(request.prompt) // 4), max(1, len(reply.text) // 4)


def openai_body(request: FakeRequest, reply: Reply) -> dict[str, Any]:
    n = int(request.body.get("n") or 1)
    want_logprobs = bool(request.body.get("logprobs"))
    top = int(request.body.get("top_logprobs") or 0)
    prompt_tokens, completion_tokens = usage_tokens(request, reply)
    choices = []
    for index in range(n):
        choice: dict[str, Any] = {
            "index": index,
            "message": {"role": "assistant", "content": reply.text},
            "finish_reason": "stop",
            "logprobs": {"content": token_logprobs(reply, top)} if want_logprobs else None,
        }
        choices.append(choice)
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens * n,
            "total_tokens": prompt_tokens + completion_tokens * n,
        },
    }


def anthropic_body(request: FakeRequest, reply: Reply) -> dict[str, Any]:
    prompt_tokens, completion_tokens = usage_tokens(request, reply)
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": [{"type": "text", "text": reply.text}] if reply.text else [],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens},
    }
