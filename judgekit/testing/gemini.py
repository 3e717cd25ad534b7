"""The Gemini API's `generateContent`, as the fake server speaks it (the google-genai SDK's wire).

    POST /<version>/models/<model>:generateContent      key in x-goog-api-key (or ?key=)
    {"contents": [{"role": "user", "parts": [{"text": ...}]}], "systemInstruction": {...},
     "generationConfig": {"temperature", "maxOutputTokens", "candidateCount",
                          "responseLogprobs", "logprobs", "seed", "responseMimeType",
                          "responseJsonSchema", "thinkingConfig": {"thinkingBudget"}}}

The answer carries `candidateCount` candidates; with `responseLogprobs` each has a
`logprobsResult` (the chosen token and the top `logprobs` alternatives at every step). Errors
have Google's shape, `{"error": {"code", "message", "status", "details"}}`: a refused key is a
400 whose ErrorInfo says API_KEY_INVALID, as the real service answers, and a 429 names its wait
both in Retry-After and in a RetryInfo detail.

A JSON answer is the reply's text as it is: the responder writes JSON for a request with a schema
(`FakeRequest.schema`), or prose, which is a service that ignored the schema. With a thinking
budget above 0 each candidate starts with a thought part (`"thought": true`), billed in
`thoughtsTokenCount`, as thinking models answer.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from judgekit.testing.wire import FakeRequest, Reply, token_logprobs, usage_tokens

_PATH = re.compile(r"/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):generateContent")
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_TYPE = "type.googleapis.com/google.rpc."


class GeminiDialect:
    api = "gemini"

    def route(self, path: str) -> dict[str, str] | None:
        found = _PATH.fullmatch(path)
        return found.groupdict() if found else None

    def parse(self, body: dict[str, Any], params: dict[str, str]) -> FakeRequest:
        messages = [
            {"role": "assistant" if entry.get("role") == "model" else "user", "content": _text(entry)}
            for entry in body.get("contents") or []
        ]
        system = _text(body.get("systemInstruction") or {})
        model = urllib.parse.unquote(params["model"])
        return FakeRequest(api=self.api, model=model, messages=messages, system=system, body=body, params=params)

    def sent_key(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str:
        return headers.get("x-goog-api-key") or query.get("key") or ""

    def answer(self, request: FakeRequest, reply: Reply) -> dict[str, Any]:
        config = request.body.get("generationConfig") or {}
        count = int(config.get("candidateCount") or 1)
        prompt_tokens, completion_tokens = usage_tokens(request, reply)
        candidates = []
        thinks = bool(request.thinking_budget)
        thoughts = [{"text": reply.thinking, "thought": True}] if thinks else []
        for index in range(count):
            candidate: dict[str, Any] = {
                "content": {"role": "model", "parts": thoughts + ([{"text": reply.text}] if reply.text else [])},
                "finishReason": "MAX_TOKENS" if reply.finish in ("length", "max_tokens") else "STOP",
                "index": index,
            }
            if config.get("responseLogprobs"):
                candidate["logprobsResult"] = _logprobs_result(reply, int(config.get("logprobs") or 0))
            candidates.append(candidate)
        thought_tokens = max(1, len(reply.thinking) // 4) * count if thinks else 0
        usage = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": completion_tokens * count,
            "totalTokenCount": prompt_tokens + completion_tokens * count + thought_tokens,
        }
        if thinks:
            usage["thoughtsTokenCount"] = thought_tokens
        return {
            "candidates": candidates,
            "usageMetadata": usage,
            "modelVersion": request.model,
            "responseId": "fake-gemini-response",
        }

    def error(self, status: int, message: str, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        details: list[dict[str, Any]] = []
        if status == 401:  # the Gemini API answers a wrong key with a 400 that says why
            status = 400
            details.append({"@type": _TYPE + "ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"})
        if status == 429 and headers.get("retry-after"):
            details.append({"@type": _TYPE + "RetryInfo", "retryDelay": f"{headers['retry-after']}s"})
        return status, google_error(status, message, details), headers


def google_error(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A Google API error body (Gemini and Vertex AI send these)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}
    if details:
        error["details"] = details
    return {"error": error}


def _text(content: dict[str, Any]) -> str:
    return "".join(str(part.get("text", "")) for part in content.get("parts") or [])


def _logprobs_result(reply: Reply, top: int) -> dict[str, Any]:
    """The OpenAI-shaped entries the fake computes, in Gemini's chosen/top candidate lists."""
    entries = token_logprobs(reply, top)
    return {
        "chosenCandidates": [{"token": entry["token"], "logProbability": entry["logprob"]} for entry in entries],
        "topCandidates": [
            {
                "candidates": [
                    {"token": alternative["token"], "logProbability": alternative["logprob"]}
                    for alternative in entry["top_logprobs"]
                ]
            }
            for entry in entries
        ],
    }


GEMINI = GeminiDialect()
