"""Requests the real services refuse with a 400, which the fake refuses the same way.

Each rule is one the providers document and enforce on every request, so a test through the
real SDKs proves that judgekit never sends such a request:

- OpenAI strict structured outputs: the schema's objects list every property as required and
  forbid additional properties;
- OpenAI reasoning models (a request with `reasoning_effort`): no temperature but the default;
- Anthropic extended thinking: a budget of at least 1,024 tokens and below `max_tokens`, no
  temperature but 1, and no forced tool (`tool_choice` any or tool); Claude on Vertex AI and on
  Bedrock (whose Converse fields carry the same settings) refuses the same;
- Bedrock's Converse: a `toolChoice` only where the model family takes it (a named `tool` from
  Claude and Nova, `any` from those and Mistral Large; the other families take `auto` at most);
- Gemini: a response schema only with `responseMimeType: application/json`, not both schema
  fields at once, `responseSchema` (Google's OpenAPI subset) without JSON Schema's
  `additionalProperties`, `responseJsonSchema` only with the keywords Gemini supports, and a
  thinking budget inside 0-32,768 (the widest model range; -1 asks for dynamic thinking).
"""

from __future__ import annotations

from typing import Any

from judgekit.testing.wire import FakeRequest, gemini_thinking_budget


def refusal(request: FakeRequest) -> str | None:
    """Why the service would refuse the request (a 400's message), or None."""
    if request.api in ("openai", "azure"):
        return _openai_refusal(request.body)
    if request.api == "gemini":
        return _gemini_refusal(request.body.get("generationConfig") or {})
    if request.api == "bedrock":
        body = request.body
        inference = body.get("inferenceConfig") or {}
        choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
        forced = "tool" in choice or "any" in choice
        thinking = _thinking_refusal(
            request.thinking_budget, inference.get("maxTokens"), inference.get("temperature"), forced
        )
        return thinking or _tool_choice_refusal(request.model, choice)
    body = request.body
    forced = (body.get("tool_choice") or {}).get("type") in ("any", "tool")
    return _thinking_refusal(request.thinking_budget, body.get("max_tokens"), body.get("temperature"), forced)


def _openai_refusal(body: dict[str, Any]) -> str | None:
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


BEDROCK_TOOL_CHOICES = {
    "tool": ("anthropic.claude-3", "anthropic.claude-sonnet", "anthropic.claude-opus", "anthropic.claude-haiku",
             "amazon.nova"),
    "any": ("anthropic.claude-3", "anthropic.claude-sonnet", "anthropic.claude-opus", "anthropic.claude-haiku",
            "amazon.nova", "mistral.mistral-large"),
}  # fmt: skip
"""The model families (by a piece of their ids) that take each forcing `toolChoice` on Bedrock."""


def _tool_choice_refusal(model: str, choice: dict[str, Any]) -> str | None:
    for kind, families in BEDROCK_TOOL_CHOICES.items():
        if kind in choice and not any(family in model for family in families):
            return (
                f"This model doesn't support the toolConfig.toolChoice.{kind} field. "
                f"Remove toolConfig.toolChoice.{kind} and try again."
            )
    return None


def _thinking_refusal(budget: int | None, max_tokens: Any, temperature: Any, forced_tool: bool) -> str | None:
    """Claude's extended thinking rules, wherever Claude is served."""
    if budget is None:
        return None
    if budget < 1024:
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
    if int(max_tokens or 0) <= budget:
        return "`max_tokens` must be greater than `thinking.budget_tokens`"
    if temperature not in (None, 1):
        return "`temperature` may only be set to 1 when thinking is enabled"
    if forced_tool:
        return "Thinking may not be enabled when tool_choice forces tool use."
    return None


GEMINI_SCHEMA_KEYWORDS = frozenset(
    [
        "type",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "minimum",
        "maximum",
        "items",
        "minItems",
        "maxItems",
        "description",
        "title",
        "format",
        "anyOf",
        "nullable",
        "propertyOrdering",
        "$ref",
        "$defs",
        "$id",
        "prefixItems",
    ]
)
"""What Gemini's `responseJsonSchema` takes; a schema with another keyword is refused."""


def _gemini_refusal(config: dict[str, Any]) -> str | None:
    json_schema, openapi_schema = config.get("responseJsonSchema"), config.get("responseSchema")
    if json_schema is not None and openapi_schema is not None:
        return "responseSchema and responseJsonSchema cannot both be set"
    schema = json_schema if json_schema is not None else openapi_schema
    if schema is not None and config.get("responseMimeType") != "application/json":
        return "a response schema needs responseMimeType application/json"
    if openapi_schema is not None and "additionalProperties" in _keywords(openapi_schema):
        return 'Invalid JSON payload received. Unknown name "additionalProperties" at generation_config.response_schema'
    unknown = sorted(_keywords(json_schema) - GEMINI_SCHEMA_KEYWORDS) if json_schema is not None else []
    if unknown:
        return f"responseJsonSchema: unsupported keyword {unknown[0]!r}"
    budget = gemini_thinking_budget(config)
    if budget is not None and not -1 <= budget <= 32768:
        return f"The thinking budget {budget} is invalid: it must be within 0 and 32768, or -1"
    return None


def _keywords(schema: Any) -> set[str]:
    """Every keyword used anywhere in a schema (property names are not keywords)."""
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        children = value.values() if key in ("properties", "$defs") and isinstance(value, dict) else [value]
        for child in children:
            for entry in child if isinstance(child, list) else [child]:
                found |= _keywords(entry)
    return found


def _strict(schema: dict[str, Any]) -> bool:
    if schema.get("type") != "object":
        return True
    properties = schema.get("properties") or {}
    if schema.get("additionalProperties") is not False or set(schema.get("required") or []) != set(properties):
        return False
    return all(_strict(child) for child in properties.values() if isinstance(child, dict))
