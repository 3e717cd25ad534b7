"""`mock/<behaviour>`: an offline judge for dry runs of a pipeline. It calls no model.

Behaviours: `random` (a stable pseudo-random verdict per prompt), `first` (always prefers the
answer shown first, or gives the top score), `second` (the answer shown second, or the bottom
score), `tie` (a tie, or the middle of the scale) and `unparseable` (text with no verdict).
A structured template gets the JSON object its schema asks for (behaviour
`unparseable` still answers prose, which the pattern cannot read).
Its numbers mean nothing; use it to check data, templates, options and CI wiring for free.
"""

from __future__ import annotations

import hashlib
import json

from judgekit.backends.base import BackendOptions, Capabilities
from judgekit.errors import UsageError
from judgekit.schema import Completion, JudgeRequest, VerdictSpec

BEHAVIOURS = ("random", "first", "second", "tie", "unparseable")


class MockBackend:
    provider = "mock"

    def __init__(self, options: BackendOptions) -> None:
        self.capabilities = Capabilities(logprobs=False, n=True, seed=True, structured=True, scripted=True)

    @property
    def endpoint(self) -> str:
        return "mock"

    def check_model(self, model: str) -> None:
        """Called before a run starts, so a mistyped behaviour stops it before anything is written."""
        if model not in BEHAVIOURS:
            raise UsageError(f"unknown mock behaviour '{model}'; choose one of: {', '.join(BEHAVIOURS)}")

    async def complete(self, request: JudgeRequest) -> Completion:
        behaviour = request.model
        self.check_model(behaviour)
        prompt = "\n".join(message.content for message in request.messages)
        texts = []
        for sample in range(request.params.n):
            digest = hashlib.sha256(f"{sample}:{prompt}".encode()).digest()
            if request.structured is not None and request.expect is not None and behaviour != "unparseable":
                texts.append(_json_answer(behaviour, request.expect, digest[0] / 255))
            elif request.expect is not None and request.expect_criteria:
                texts.append(_checklist_answer(behaviour, request.expect, digest, request.expect_criteria))
            else:
                texts.append(_answer(behaviour, request.expect, digest[0] / 255))
        tokens = sum(len(message.content) for message in request.messages) // 4
        return Completion(
            texts=texts,
            prompt_tokens=tokens,
            completion_tokens=sum(len(text) for text in texts) // 4,
            model=f"mock/{behaviour}",
            finish_reason="stop",
        )

    async def aclose(self) -> None:
        return None


def _answer(behaviour: str, spec: VerdictSpec | None, draw: float) -> str:
    preface = "Mock judgment from judgekit's mock backend; no model was called."
    if spec is None:
        return f"{preface}\n1. Read the input.\n2. Check the answer against the criterion.\n3. Decide."
    if behaviour == "unparseable":
        return f"{preface}\nI cannot decide."
    return f"{preface}\n{_verdict(behaviour, spec, draw)}"


def _json_answer(behaviour: str, spec: VerdictSpec, draw: float) -> str:
    """A structured verdict: the JSON object the template's schema asks for."""
    assert spec.structured is not None
    answer: dict[str, object] = {}
    if spec.structured.reasoning:
        answer[spec.structured.reasoning] = "Mock judgment from judgekit's mock backend; no model was called."
    answer[spec.structured.field] = _value(behaviour, spec, draw)
    return json.dumps(answer)


def _value(behaviour: str, spec: VerdictSpec, draw: float) -> str | int:
    """The choice key or score a behaviour gives (choice and score verdicts)."""
    position = {"first": 1.0, "second": 0.0, "tie": 0.5}.get(behaviour, draw)
    if spec.type == "choice":
        return _choice(spec, position)
    assert spec.scale
    low, high = spec.scale
    return round(low + position * (high - low))


def _choice(spec: VerdictSpec, position: float) -> str:
    assert spec.choices
    by_outcome = {outcome: choice for choice, outcome in spec.choices.items()}
    if {"first", "second"} <= set(by_outcome):
        outcome = "first" if position > 0.6 else "second" if position < 0.4 else "tie"
        return by_outcome.get(outcome, by_outcome["first"])
    ordered = sorted(spec.choices, key=lambda name: float(spec.choices[name]))  # type: ignore[index]
    return ordered[min(len(ordered) - 1, int(position * len(ordered)))]


def _checklist_answer(behaviour: str, spec: VerdictSpec, digest: bytes, criteria: int) -> str:
    """A verdict line per criterion, for checklist templates that grade every criterion at once."""
    preface = "Mock judgment from judgekit's mock backend; no model was called."
    if behaviour == "unparseable":
        return f"{preface}\nI cannot decide."
    assert spec.choices
    ordered = sorted(spec.choices, key=lambda name: float(spec.choices[name]))  # type: ignore[index]
    lines = []
    for number in range(1, criteria + 1):
        draw = {"first": 1.0, "second": 0.0, "tie": 0.5}.get(behaviour, digest[number % len(digest)] / 255)
        choice = ordered[min(len(ordered) - 1, int(draw * len(ordered)))]
        lines.append(spec.format.format(choice=choice, number=number))
    return "\n".join([preface, *lines])


def _verdict(behaviour: str, spec: VerdictSpec, draw: float) -> str:
    position = {"first": 1.0, "second": 0.0, "tie": 0.5}.get(behaviour, draw)
    if spec.type == "choice":
        return spec.format.format(choice=_choice(spec, position), number=1)
    assert spec.scale
    low, high = spec.scale
    score = round(low + position * (high - low))
    if spec.type == "score":
        return spec.format.format(score=score)
    other = round(low + (1 - position) * (high - low))
    return spec.format.format(first=score, second=other)


def create(options: BackendOptions) -> MockBackend:
    return MockBackend(options)
