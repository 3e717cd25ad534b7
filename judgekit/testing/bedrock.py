"""Amazon Bedrock's Converse API, as the fake server speaks it (what boto3's bedrock-runtime sends).

    POST /model/<model id, URL-encoded>/converse
    {"messages": [{"role": "user", "content": [{"text": ...}]}], "system": [{"text": ...}],
     "inferenceConfig": {"maxTokens", "temperature"},
     "toolConfig": {"tools": [{"toolSpec": {"name", "inputSchema": {"json": ...}}}], "toolChoice": ...},
     "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": ...}}}

With one tool offered, a reply whose text is a JSON object is a call of that tool (a `toolUse`
block, stop reason `tool_use`), as a model answers a forced tool; prose stays a text block (a
model that ignored the tool). A `toolChoice` the model family does not take is refused with the
service's 400 (rules.py). With thinking on (Claude's field, passed through), the message
starts with a `reasoningContent` block.

botocore signs every request (SigV4) or sends a Bedrock API key as a bearer token; the fake
checks only the access key id named in the signature's scope (or the token), never the
signature, so tests run with made-up credentials. Errors carry their exception name in the
x-amzn-ErrorType header and the body, as the service's rest-json protocol does: a 429 is a
ThrottlingException, a 500 an InternalServerException, a refused key an
UnrecognizedClientException (403).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from judgekit.testing.wire import FakeRequest, Reply, json_object, usage_tokens

_PATH = re.compile(r"/model/(?P<model>[^/]+)/converse")
_SCOPE = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/")
_ERRORS = {
    400: ("ValidationException", 400),
    401: ("UnrecognizedClientException", 403),
    403: ("AccessDeniedException", 403),
    404: ("ResourceNotFoundException", 404),
    429: ("ThrottlingException", 429),
    500: ("InternalServerException", 500),
    503: ("ServiceUnavailableException", 503),
}


class BedrockDialect:
    api = "bedrock"

    def route(self, path: str) -> dict[str, str] | None:
        found = _PATH.fullmatch(path)
        return found.groupdict() if found else None

    def parse(self, body: dict[str, Any], params: dict[str, str]) -> FakeRequest:
        messages = [
            {"role": entry.get("role", "user"), "content": _text(entry.get("content"))}
            for entry in body.get("messages") or []
        ]
        model = urllib.parse.unquote(params["model"])
        return FakeRequest(
            api=self.api, model=model, messages=messages, system=_text(body.get("system")), body=body, params=params
        )

    def sent_key(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        authorization = headers.get("authorization") or ""
        if authorization.startswith("Bearer "):
            return authorization.removeprefix("Bearer ").strip()
        scope = _SCOPE.search(authorization)
        return scope.group("key") if scope else ""

    def answer(self, request: FakeRequest, reply: Reply) -> dict[str, Any]:
        prompt_tokens, completion_tokens = usage_tokens(request, reply)
        content: list[dict[str, Any]] = []
        if request.thinking_budget is not None:
            thought = {"reasoningText": {"text": reply.thinking, "signature": "fake-signature"}}
            content.append({"reasoningContent": thought})
        tool_input = json_object(reply.text) if request.schema is not None else None
        if tool_input is not None:
            name = request.body["toolConfig"]["tools"][0]["toolSpec"]["name"]
            content.append({"toolUse": {"toolUseId": "tooluse_fake", "name": name, "input": tool_input}})
        elif reply.text:
            content.append({"text": reply.text})
        stop = "tool_use" if tool_input is not None else "end_turn"
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "max_tokens" if reply.finish in ("length", "max_tokens") else stop,
            "usage": {
                "inputTokens": prompt_tokens,
                "outputTokens": completion_tokens,
                "totalTokens": prompt_tokens + completion_tokens,
            },
            "metrics": {"latencyMs": 1},
        }

    def error(self, status: int, message: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        name, sent_status = _ERRORS.get(status, ("InternalServerException", status))
        return sent_status, {"message": message}, {**headers, "x-amzn-ErrorType": f"{name}:http://internal.amazon.com/"}


def _text(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    return "".join(str(block.get("text", "")) for block in blocks or [] if isinstance(block, dict))


BEDROCK = BedrockDialect()
