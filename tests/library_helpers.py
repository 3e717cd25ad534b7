"""Fake judges for the prompt-library tests: they answer each built-in prompt in its own format."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider, FakeRequest, Reply
from tests.helpers import rows_of

STEPS_TEXT = "1. Read the text closely.\n2. Compare it with the criterion.\n3. Pick a score from 1 to 5."


def judge_rows(run_dir: str) -> list[dict[str, Any]]:
    return [row for row in rows_of(run_dir) if row.get("role", "judge") == "judge"]


def is_steps_request(request: FakeRequest) -> bool:
    return "Write the evaluation steps" in request.prompt


def is_reference_request(request: FakeRequest) -> bool:
    return "Write a model answer to this request" in request.prompt


def between(text: str, start: str, end: str) -> str:
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.DOTALL)
    assert match, f"{start!r} not in prompt"
    return match.group(1)


def geval_responder(
    score: Callable[[FakeRequest], int], distribution: Callable[[FakeRequest], dict[str, float]] | None = None
) -> Callable[[FakeRequest], Reply | str]:
    """Steps for the stage-1 prompt; `Score: n` (with a token distribution) for stage 2."""

    def respond(request: FakeRequest) -> Reply | str:
        if is_steps_request(request):
            return "Here are the steps.\n" + STEPS_TEXT
        value = str(score(request))
        if distribution is None:
            return f"Score: {value}"
        return Reply(text=f"Score: {value}", at=value, distribution=distribution(request))

    return respond


def cycling_scores(scores: list[int]) -> Callable[[FakeRequest], int]:
    """A different score on each repeat of the same prompt (sampling at temperature > 0)."""
    seen: dict[str, int] = defaultdict(int)
    lock = threading.Lock()  # the fake server answers concurrent requests on several threads

    def score(request: FakeRequest) -> int:
        with lock:
            index = seen[request.prompt]
            seen[request.prompt] += 1
        return scores[index % len(scores)]

    return score


@pytest.fixture
def openai_judge(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FakeProvider]:
    def start(responder: Any, **options: Any) -> FakeProvider:
        server = fake_provider(responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
        return server

    return start


@pytest.fixture
def anthropic_judge(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FakeProvider]:
    def start(responder: Any, **options: Any) -> FakeProvider:
        server = fake_provider(responder, **options)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-abcdefghij")
        return server

    return start
