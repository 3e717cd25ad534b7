"""Requests the real services refuse with a 400, which the fake refuses the same way.

Each rule is one the providers document and enforce on every request, so a test through the
real SDKs proves that judgekit never sends such a request:

- OpenAI strict structured outputs: the schema's objects list every property as required and
  forbid additional properties;
- OpenAI reasoning models (a request with `reasoning_effort`): no temperature but the default;
- Anthropic extended thinking: a budget of at least 1,024 tokens and below `max_tokens`, no
  temperature but 1, and no forced tool (`tool_choice` any or tool).
"""

from __future__ import annotations

from typing import Any

from judgekit.testing.wire import FakeRequest


def refusal(request: FakeRequest) -> str | None:
    """Why the service would refuse the request (a 400's message), or None."""
    body = request.body
    if request.api in ("openai", "azure"):
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            spec = response_format.get("json_schema") or {}
            if spec.get("strict") and not _strict(spec.get("schema") or {}):
                return (
                    "Invalid schema for response_format: in strict mode every property must be required "
                    "and additionalProperties must be false"
                )
        if body.get("reasoning_effort") is not None and body.get("temperature") not in (None, 1):
            return (
                f"Unsupported value: 'temperature' does not support {body['temperature']} with this model. "
                "Only the default (1) value is supported."
            )
        return None
    budget = request.thinking_budget
    if budget is None:
        return None
    if budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if int(body.get("max_tokens") or 0) <= budget:
        return "`max_tokens` must be greater than `thinking.budget_tokens`"
    if body.get("temperature") not in (None, 1):
        return "`temperature` may only be set to 1 when thinking is enabled"
    if (body.get("tool_choice") or {}).get("type") in ("any", "tool"):
        return "Thinking may not be enabled when tool_choice forces tool use."
    return None


def _strict(schema: dict[str, Any]) -> bool:
    if schema.get("type") != "object":
        return True
    properties = schema.get("properties") or {}
    if schema.get("additionalProperties") is not False or set(schema.get("required") or []) != set(properties):
        return False
    return all(_strict(child) for child in properties.values() if isinstance(child, dict))
