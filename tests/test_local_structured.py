"""Structured verdicts on the local judge: the answer is held to the verdict's JSON schema by a
llama.cpp grammar, checked against llama-cpp-python's own grammar-constrained generation on the
same GGUF file (SmolLM2-135M-Instruct, as in test_local_backend.py; skipped without it unless
JUDGEKIT_REQUIRE_LOCAL_TESTS=1)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgekit.api import run_eval
from judgekit.backends.base import BackendOptions
from judgekit.config import EvalConfig
from judgekit.schema import JudgeRequest, Message, SamplingParams, VerdictSpec
from judgekit.store.rundir import RunDir
from tests.test_local_backend import DEMO, _missing

if (_reason := _missing()) is not None:
    import os

    if os.environ.get("JUDGEKIT_REQUIRE_LOCAL_TESTS") == "1":
        pytest.fail(f"JUDGEKIT_REQUIRE_LOCAL_TESTS=1 but {_reason}", pytrace=False)
    pytestmark = pytest.mark.skip(reason=_reason)

SPEC = VerdictSpec(
    type="choice",
    pattern=r"\[\[([ABC])\]\]",
    format="[[{choice}]]",
    choices={"A": "first", "B": "second", "C": "tie"},
    structured={"reasoning": "why"},
)
QUESTION = (
    Message(role="system", content="You are a strict grader."),
    Message(role="user", content="What is 2+2? Answer A: 4. Answer B: 5. Which answer is correct? Reply in JSON."),
)
TEMPLATE = """---
kind: pairwise
description: Tiny-model test template with a structured verdict.
verdict:
  type: choice
  pattern: '\\[\\[([AB])\\]\\]'
  format: '[[{choice}]]'
  choices: {A: first, B: second}
  structured: true
params: {temperature: 0, max_tokens: 16}
---
Question: {{ question }}
Answer A: {{ answer_a }}
Answer B: {{ answer_b }}
Which answer is better? Reply with JSON: {"verdict": "A"} or {"verdict": "B"}.
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from judgekit.backends.local import LocalBackend

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUDGEKIT_MODELS_DIR", str(tmp_path_factory.mktemp("models")))
        local = LocalBackend(BackendOptions(extra={"model": "smollm2-135m", "threads": 1}))
    yield local
    asyncio.run(local.aclose())


def test_the_answer_follows_the_schema_as_llama_cpp_itself_generates_it(backend: Any) -> None:
    from llama_cpp import Llama, LlamaGrammar

    params = SamplingParams(max_tokens=48, logprobs=True, top_logprobs=5)
    request = JudgeRequest(model="smollm2-135m", messages=QUESTION, params=params, structured=SPEC.json_schema())
    completion = asyncio.run(backend.complete(request))
    answer = json.loads(completion.text)
    assert set(answer) == {"why", "verdict"} and answer["verdict"] in ("A", "B", "C")
    engine = backend.engine("smollm2-135m")
    reference = Llama(model_path=str(engine.model.path), n_ctx=2048, n_threads=1, verbose=False)
    try:
        grammar = LlamaGrammar.from_json_schema(json.dumps(SPEC.json_schema()), verbose=False)
        prompt = engine.prompt_tokens(QUESTION)
        theirs = reference.create_completion(prompt, max_tokens=48, temperature=0.0, grammar=grammar)
    finally:
        reference.close()
    assert completion.text == theirs["choices"][0]["text"]  # type: ignore[index]
    # The verdict token's alternatives are the grammar's: only the allowed letters carry mass.
    verdict_token = next(entry for entry in completion.logprobs if entry.token == answer["verdict"])
    assert verdict_token.top is not None and set(verdict_token.top) <= {"A", "B", "C"}
    assert sum(math.exp(value) for value in verdict_token.top.values()) == pytest.approx(1.0, abs=1e-6)


def test_a_structured_run_on_the_local_judge_reads_every_verdict(tmp_path: Path) -> None:
    template = tmp_path / "json.jinja"
    template.write_text(TEMPLATE)
    config = EvalConfig(
        dataset=str(DEMO), judge="local/smollm2-135m", prompt=str(template), positions="swap",
        score_method="logprobs", limit=2, threads=1, out=str(tmp_path / "run"),
    )  # fmt: skip
    result = run_eval(config)
    rows = RunDir(result.run_dir).load_judgments()
    assert len(rows) == 4 and all(row.status == "ok" for row in rows)
    assert all(row.method == "logprobs" and row.probabilities for row in rows)
    assert result.summary.counts.unscored == 0
