"""Per-model conversations: a row that holds whole chats instead of a question and answers.

In MT-Bench's second turn each assistant answers a follow-up question after its own first
answer, so the two answers being compared do not share one conversation. Such a row gives
`conversation_a` and `conversation_b` (pairwise) or `conversation` (pointwise): lists of
{role, content} messages whose last message is the assistant turn being judged. The judged
answers are those last turns; both conversations must hold the same system and user turns
(only the assistant turns differ), or the answers would not reply to the same request.

A CSV cell may hold a conversation as JSON text. Every mistake is one line naming the row's
file, line and field.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from judgekit.errors import DatasetError
from judgekit.inputs.field_values import type_name
from judgekit.schema import Item, Message

CONVERSATION_FIELDS = ("conversation", "conversation_a", "conversation_b")
_ROLES = ("system", "user", "assistant")

Fail = Callable[[str, str], DatasetError]
Text = Callable[[Any, str], str]
"""Checks one message's text against the dataset's length limit (field name for errors)."""


def conversation_of(value: Any, name: str, fail: Fail, text: Text) -> tuple[Message, ...]:
    """A validated conversation whose last message is the assistant turn being judged."""
    if isinstance(value, str) and value.lstrip().startswith("["):  # a CSV cell holding JSON
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail(name, "expected a list of {role, content} messages; the text is not valid JSON") from None
    if not isinstance(value, list) or not value:
        shown = "an empty list" if isinstance(value, list) else type_name(value)
        raise fail(name, f"expected a list of {{role, content}} messages, got {shown}")
    messages = []
    for position, message in enumerate(value, start=1):
        if not isinstance(message, Mapping):
            raise fail(name, f"message {position} must be an object with role and content, got {type_name(message)}")
        if message.get("role") not in _ROLES:
            found = "no role" if "role" not in message else f"role {message.get('role')!r}"
            raise fail(name, f"message {position} has {found}; a role is system, user or assistant")
        if not isinstance(message.get("content"), str):
            raise fail(name, f"message {position} needs text content, got {type_name(message.get('content'))}")
        messages.append(Message(role=message["role"], content=text(message["content"], name)))
    if messages[-1].role != "assistant":
        raise fail(name, f"the last message must be the assistant turn being judged, not a {messages[-1].role} turn")
    if len(messages) < 2 or messages[-2].role != "user":
        raise fail(name, "the judged assistant turn must follow the user turn it answers")
    return tuple(messages)


def conversation_fields(values: Mapping[str, Any], fail: Fail, text: Text) -> dict[str, Any]:
    """Item fields from a row's conversations (turns, answers, conversations); {} for a row without any."""
    present = [name for name in CONVERSATION_FIELDS if name in values]
    if not present:
        return {}
    if "conversation" in present and len(present) > 1:
        raise fail("conversation", "a row has either 'conversation' (pointwise) or 'conversation_a'/'conversation_b'")
    for other in ("question", "answer", "answer_a", "answer_b", "answers"):
        if other in values:
            raise fail(
                other,
                f"a row with conversations takes its {'user turns' if other == 'question' else 'answers'} from "
                "them; drop this column (or its --field)",
            )
    if present == ["conversation"]:
        chat = conversation_of(values["conversation"], "conversation", fail, text)
        return {"conversation": chat, "turns": chat[:-1], "answer": chat[-1].content}
    for side, partner in (("conversation_a", "conversation_b"), ("conversation_b", "conversation_a")):
        if side not in values:
            raise fail(side, f"missing; a row with {partner} needs both conversation_a and conversation_b")
    first = conversation_of(values["conversation_a"], "conversation_a", fail, text)
    second = conversation_of(values["conversation_b"], "conversation_b", fail, text)
    shared = _shared_turns(first)
    _check_same_turns(shared, _shared_turns(second), fail)
    return {
        "conversation_a": first,
        "conversation_b": second,
        "turns": shared,
        "answer_a": first[-1].content,
        "answer_b": second[-1].content,
    }


def _shared_turns(chat: tuple[Message, ...]) -> tuple[Message, ...]:
    return tuple(message for message in chat if message.role != "assistant")


def _check_same_turns(first: tuple[Message, ...], second: tuple[Message, ...], fail: Fail) -> None:
    """Both conversations must carry the same system and user turns, in the same order."""
    for position, (one, other) in enumerate(zip(first, second, strict=False), start=1):
        if one != other:
            raise fail(
                "conversation_b",
                f"its {other.role} turn {position} differs from conversation_a's; both answers must continue "
                "the same conversation (only the assistant turns may differ)",
            )
    if len(first) != len(second):
        raise fail(
            "conversation_b",
            f"it holds {len(second)} system/user turns and conversation_a {len(first)}; both answers must "
            "continue the same conversation",
        )


def conversation_mismatch(item: Item, template: str, variables: Collection[str]) -> tuple[str, str] | None:
    """(field, problem) when an item's conversations and a template's variables do not fit together.

    Pairwise conversations must be shown whole (the template reads conversation_a and
    conversation_b); a pointwise conversation through `conversation` or `history`. A template
    that shows per-model conversations needs rows that hold them.
    """
    if item.conversation_a is not None:
        unread = [name for name in ("conversation_a", "conversation_b") if name not in variables]
        if unread:
            return unread[0], (
                f"the row holds per-model conversations but template {template} does not show {unread[0]}; "
                "use --prompt pairwise/multi_turn (or a template that reads conversation_a and conversation_b)"
            )
    if item.conversation is not None and not {"conversation", "history"} & set(variables):
        return "conversation", (
            f"the row holds a conversation but template {template} shows neither conversation nor history; "
            "use --prompt pointwise/multi_turn"
        )
    for name in ("conversation_a", "conversation_b", "conversation"):
        if name in variables and getattr(item, name) is None:
            return name, (
                f"template {template} shows {name}, which the row does not hold; give the row "
                f"{'conversation_a and conversation_b' if name != 'conversation' else 'a conversation'} "
                "(lists of role/content messages), or choose another template"
            )
    return None
