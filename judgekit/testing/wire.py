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
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the answer was asked to follow: OpenAI's `response_format` json_schema,
        the input schema of the one tool offered to an Anthropic model (or through Bedrock's
        Converse), or Gemini's `responseJsonSchema` (`responseSchema`)."""
        body = self.body
        response_format = body.get("response_format") or {}
        config = body.get("generationConfig") or {}
        tools = body.get("tools") or [
            tool.get("toolSpec") or {} for tool in (body.get("toolConfig") or {}).get("tools") or []
        ]
        if response_format.get("type") == "json_schema":
            found = (response_format.get("json_schema") or {}).get("schema")
        elif "responseJsonSchema" in config or "responseSchema" in config:
            found = config.get("responseJsonSchema") or config.get("responseSchema")
        elif len(tools) == 1:
            found = tools[0].get("input_schema") or (tools[0].get("inputSchema") or {}).get("json")
        else:
            found = None
        return found if isinstance(found, dict) else None

    @property
    def thinking_budget(self) -> int | None:
        """The thinking budget asked for (None when thinking is off): Anthropic's `thinking` (passed
        through Bedrock's `additionalModelRequestFields`) or Gemini's `thinkingConfig`."""
        gemini = gemini_thinking_budget(self.body.get("generationConfig") or {})
        if gemini is not None:
            return gemini
        thinking = self.body.get("thinking") or (self.body.get("additionalModelRequestFields") or {}).get("thinking")
        thinking = thinking or {}
        return int(thinking["budget_tokens"]) if thinking.get("type") == "enabled" else None

    @property
    def key(self) -> str:
        """A hash of what identifies the request's content (model, messages, sampling)."""
        stable = {k: v for k, v in self.body.items() if k not in ("stream",)}
        return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def gemini_thinking_budget(config: dict[str, Any]) -> int | None:
    """The budget in a Gemini `thinkingConfig`. Google's JSON reads a field by its proto name too, and
    google-genai sends the fields inside it as it holds them (`thinking_budget`)."""
    thinking = config.get("thinkingConfig") or {}
    budget = thinking.get("thinkingBudget", thinking.get("thinking_budget"))
    return None if budget is None else int(budget)


@dataclass
class Reply:
    """What the fake judge answers. `distribution` sets the top log-probabilities at the last
    token equal to `at` (e.g. at="8", distribution={"8": 0.6, "7": 0.3, "9": 0.1})."""

    text: str
    at: str | None = None
    distribution: dict[str, float] | None = None
    samples: tuple[str, ...] = ()
    """OpenAI `n` > 1: the texts of the choices in turn (cycled); empty: every choice says `text`."""
    finish: str | None = None
    """"length": the answer was cut off by the token limit (Anthropic's stop_reason max_tokens)."""
    thinking: str = "Weighing the two answers against the request."
    """The thinking block of an Anthropic answer when extended thinking was asked for."""


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
            "message": {
                "role": "assistant",
                "content": reply.samples[index % len(reply.samples)] if reply.samples else reply.text,
            },
            "finish_reason": "length" if reply.finish in ("length", "max_tokens") else "stop",
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


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object a reply's text holds, or None (prose: a reply that ignored a schema)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def anthropic_body(request: FakeRequest, reply: Reply) -> dict[str, Any]:
    prompt_tokens, completion_tokens = usage_tokens(request, reply)
    content: list[dict[str, Any]] = []
    if request.thinking_budget is not None:
        content.append({"type": "thinking", "thinking": reply.thinking, "signature": "fake-signature"})
    tool_input = json_object(reply.text) if request.schema is not None else None
    if tool_input is not None:  # a structured answer to an offered tool is a call of that tool
        tool = request.body["tools"][0]["name"]
        content.append({"type": "tool_use", "id": "toolu_fake", "name": tool, "input": tool_input})
    elif reply.text:
        content.append({"type": "text", "text": reply.text})
    stop_reason = "tool_use" if tool_input is not None else "end_turn"
    if reply.finish in ("length", "max_tokens"):
        stop_reason = "max_tokens"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens},
    }
