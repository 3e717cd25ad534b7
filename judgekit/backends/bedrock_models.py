"""Which Bedrock model families can be held to a structured verdict, and which can think.

Converse offers tools (`toolConfig`) to many model families, but a verdict is held to its schema
only when the model must call the verdict tool: with `toolChoice: {tool: {name}}`, or with
`toolChoice: {any: {}}` when that tool is the only one offered. What each family takes, as
Amazon's Bedrock and Nova guides and the Converse API reference describe it (late 2026):

- Anthropic Claude 3 and later: `auto`, `any` and a named `tool`; extended thinking through
  Claude's own `thinking` field (in `additionalModelRequestFields`). Claude 2.x and Instant have
  no tool use.
- Amazon Nova: `auto`, `any` and a named `tool`.
- Mistral AI Mistral Large (2402, 2407): `auto` and `any`, not a named tool.
- Everything else (Meta Llama 3.1 and later, Cohere Command R, AI21 Jamba, Mistral Small, Titan,
  DeepSeek, ...): tool use with `auto` at most, or none at all. The model may answer in prose
  whatever is asked, so these get no tool and their structured templates are read by the
  template's pattern (with a warning).

A family is named by the start of its model id; an inference profile's geography
(`us.`, `eu.`, `global.`, ...) and an ARN's path are looked through. Where several prefixes
match, the longest decides (`anthropic.claude-v2` before `anthropic.claude`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ForcedBy = Literal["tool", "any"]


@dataclass(frozen=True)
class Family:
    """What one Bedrock model family takes."""

    prefix: str
    """The start of its model ids (after any inference-profile geography)."""
    forced_by: ForcedBy | None
    """The `toolChoice` that makes it call the one verdict tool; None: it cannot be made to."""
    thinking: bool = False
    """Takes Claude's extended thinking budget."""


FAMILIES = (
    Family("anthropic.claude", "tool", thinking=True),
    Family("anthropic.claude-v2", None),
    Family("anthropic.claude-instant", None),
    Family("amazon.nova", "tool"),
    Family("mistral.mistral-large", "any"),
)


def family_of(model: str) -> Family | None:
    """The family of a model id, inference profile or ARN; None for a family not in the table."""
    name = model.rsplit("/", 1)[-1]
    without_geography = name.partition(".")[2]
    found = [
        family for family in FAMILIES if name.startswith(family.prefix) or without_geography.startswith(family.prefix)
    ]
    return max(found, key=lambda family: len(family.prefix), default=None)


def tool_choice(family: Family | None, tool: str, *, thinking: bool) -> dict[str, dict[str, str]] | None:
    """The Converse `toolChoice` that asks for the verdict tool `tool`; None when the family cannot
    be made to call it. Claude refuses a forced tool while thinking: then the tool is only offered
    (`auto`) and an answer in prose is read by the template's pattern."""
    if family is None or family.forced_by is None:
        return None
    if thinking:
        return {"auto": {}}
    return {"tool": {"name": tool}} if family.forced_by == "tool" else {"any": {}}
