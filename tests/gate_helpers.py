"""Builders for the CI-gate tests: data whose verdicts are known in advance, and a judge that
reads them (GOOD beats BAD; UNSURE gets no verdict; FLIP makes a position-biased verdict)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, run
from tests.helpers import write_jsonl as write_jsonl  # the gate tests import it from here

PASS_FAIL_TEMPLATE = """---
kind: pointwise
description: Pass when the answer is right, fail otherwise (a CI check).
verdict:
  type: choice
  pattern: 'Verdict:\\s*(PASS|FAIL)'
  format: 'Verdict: {choice}'
  choices: {PASS: 1, FAIL: 0}
params: {temperature: 0, max_tokens: 64}
---
Question: {{ question }}
<answer>{{ answer }}</answer>
Say PASS or FAIL, after the word Verdict and a colon.
"""


cli = run
"""The judgekit CLI, invoked in-process (the gate tests' name for `tests.helpers.run`)."""


def ci_responder(request: Any) -> str:
    """GOOD beats BAD (pairwise), GOOD scores 9 and BAD 2 (pointwise), GOOD passes (pass/fail);
    UNSURE in the question gives no verdict; FLIP makes the judge pick the first answer shown."""
    prompt = request.prompt
    if "UNSURE" in prompt:
        return "I cannot tell which is right."
    if "Say PASS or FAIL" in prompt:
        return "Checked.\nVerdict: PASS" if "GOOD" in prompt else "Checked.\nVerdict: FAIL"
    if "FLIP" in prompt and "Rating: [[" not in prompt:
        return "The first one reads better.\n[[A]]"
    return marker_responder(request)


def pairs(
    n: int,
    a_good: Iterable[int],
    *,
    labels: dict[int, str] | None = None,
    tags: dict[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Pairwise rows: A holds the GOOD answer for items in `a_good`, the BAD one otherwise."""
    good_items = set(a_good)
    rows = []
    for index in range(n):
        good, bad = f"GOOD answer {index}", f"BAD answer {index}, a longer one"
        tag = (tags or {}).get(index, "")
        row: dict[str, Any] = {
            "id": f"q{index}",
            "question": f"Question {index}? {tag}".strip(),
            "answer_a": good if index in good_items else bad,
            "answer_b": bad if index in good_items else good,
        }
        if labels and index in labels:
            row["label"] = labels[index]
        rows.append(row)
    return rows


def points(
    n: int, good: Iterable[int], *, human: dict[int, float] | None = None, tags: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """Pointwise rows: the answer is GOOD for items in `good`, BAD otherwise."""
    good_items = set(good)
    rows = []
    for index in range(n):
        tag = (tags or {}).get(index, "")
        row: dict[str, Any] = {
            "id": f"q{index}",
            "question": f"Question {index}? {tag}".strip(),
            "answer": f"GOOD answer {index}" if index in good_items else f"BAD answer {index}",
        }
        if human is not None:
            row["human_score"] = human[index]
        rows.append(row)
    return rows


def summary_json(run_dir: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(run_dir) / "summary.json").read_text())
    return data


def gate_lines(stderr: str, word: str = "FAILED") -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"judgekit: gate {word}: ")]


def start_judge(
    fake_provider: Callable[..., FakeProvider],
    monkeypatch: pytest.MonkeyPatch,
    responder: Any = ci_responder,
    **options: Any,
) -> FakeProvider:
    """Start a fake OpenAI-compatible judge and point OPENAI_BASE_URL at it."""
    server = fake_provider(responder, **options)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-gates-0123456789")
    return server
