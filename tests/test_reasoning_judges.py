"""Reasoning judges: --reasoning-effort (OpenAI) and --thinking-budget (Anthropic), through the
real SDKs against the fake server, which refuses what the services refuse (a temperature with a
reasoning model or with thinking, a budget at or above max_tokens, a forced tool with thinking).
Answers cut off by the token limit before their verdict are unscored as "truncated".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.rules import refusal
from judgekit.testing.server import FakeProvider, FakeRequest, Reply
from tests.helpers import marker_responder, pairwise_rows, rows_of, run, summary_of, write_jsonl

FAST_BATCH = ["--poll-interval", "0.02"]
THINKING = ["--thinking-budget", "2048", "--max-tokens", "4096"]


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))


@pytest.fixture
def both(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(responder: Any = marker_responder, **options: Any) -> FakeProvider:
        server = fake_provider(responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-reasoning-0123456789")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-reasoning-0123456789")
        return server

    return start


def _eval(data: Path, judge: str, *extra: str, out: str = "run") -> Any:
    return run("eval", data, "-j", judge, "--format", "json", "-q", "--out", out, *extra)


def labels() -> dict[str, str]:
    return {row["id"]: row["label"] for row in pairwise_rows(4)}


def test_reasoning_effort_is_sent_without_a_temperature(pairs: Path, both: Any) -> None:
    server = both()
    summary = summary_of(_eval(pairs, "openai/o-mini", "--reasoning-effort", "high"))
    assert summary["counts"]["scored"] == 4
    bodies = [entry.request.body for entry in server.recorded]
    assert all(body["reasoning_effort"] == "high" and "temperature" not in body for body in bodies)
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()


def test_thinking_is_sent_and_the_verdict_is_read_from_the_text_not_the_thinking(pairs: Path, both: Any) -> None:
    def thinker(request: FakeRequest) -> Reply:
        # The thinking block holds the opposite marker: reading it would flip every verdict.
        verdict = marker_responder(request)
        opposite = "[[B]]" if verdict.endswith("[[A]]") else "[[A]]"
        return Reply(text=verdict, thinking=f"At first I thought {opposite}.")

    server = both(thinker)
    summary = summary_of(_eval(pairs, "anthropic/claude-x", *THINKING))
    assert summary["counts"]["scored"] == 4
    body = server.recorded[0].request.body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "temperature" not in body and body["max_tokens"] == 4096
    assert {row["item_id"]: row["verdict"] for row in rows_of("run")} == labels()


def test_thinking_with_a_structured_template_offers_the_tool_instead_of_forcing_it(pairs: Path, both: Any) -> None:
    server = both(lambda request: json.dumps({"explanation": "x", "verdict": "A"}))
    summary = summary_of(
        _eval(pairs, "anthropic/claude-x", "-p", "pairwise/structured", "--positions", "fixed", *THINKING)
    )
    assert summary["counts"]["scored"] == 4
    assert server.recorded[0].request.body["tool_choice"] == {"type": "auto"}


@pytest.mark.parametrize(
    ("judge", "extra", "message"),
    [
        ("anthropic/c", ["--reasoning-effort", "low"], "--reasoning-effort needs an OpenAI-compatible judge"),
        ("mock/first", ["--reasoning-effort", "low"], "--reasoning-effort needs an OpenAI-compatible judge"),
        ("openai/o", ["--thinking-budget", "2048"], "--thinking-budget needs a judge that can think"),
        ("anthropic/c", ["--thinking-budget", "512", "--max-tokens", "4096"], "at least 1024 tokens for anthropic/c"),
        ("anthropic/c", ["--thinking-budget", "2048"], "pass --max-tokens 3072 or more"),
        ("anthropic/c", [*THINKING, "--temperature", "0"], "drop --temperature"),
        ("openai/o", ["--reasoning-effort", "low", "--thinking-budget", "2048"], "cannot be combined"),
    ],
)
def test_options_a_judge_cannot_take_are_refused_before_any_call(
    pairs: Path, both: Any, judge: str, extra: list[str], message: str
) -> None:
    server = both()
    result = _eval(pairs, judge, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert server.count() == 0


def test_a_panel_refuses_an_option_one_of_its_judges_cannot_take(pairs: Path, both: Any) -> None:
    server = both()
    result = run("eval", pairs, "-j", "anthropic/c", "-j", "openai/o", *THINKING, "-q", "--out", "pan")
    assert result.exit_code == 2, result.output
    assert (
        "--thinking-budget needs a judge that can think (anthropic/, vertex/, gemini/, bedrock/ Claude); openai/o cannot take it"
        in result.stderr
    )
    assert server.count() == 0


def test_compare_passes_the_reasoning_options(pairs: Path, both: Any) -> None:
    server = both()
    result = run(
        "compare", pairs, "-j", "openai/o", "--reasoning-effort", "low", "--format", "json", "-q", "--out", "c"
    )
    assert result.exit_code == 0, result.output
    assert server.recorded and all(e.request.body["reasoning_effort"] == "low" for e in server.recorded)


@pytest.mark.parametrize(("judge", "extra", "field"), [("openai/o", ["--reasoning-effort", "low"], "reasoning_effort"),
                                                       ("anthropic/c", THINKING, "thinking")])  # fmt: skip
def test_batch_requests_carry_the_reasoning_options(
    pairs: Path, both: Any, judge: str, extra: list[str], field: str
) -> None:
    server = both(batches=BatchBehaviour())
    summary = summary_of(_eval(pairs, judge, "--batch", *FAST_BATCH, *extra))
    assert summary["counts"]["scored"] == 4
    batched = [entry.request.body for entry in server.recorded if entry.batch_id is not None]
    assert len(batched) == 4 and all(field in body for body in batched)


def test_resume_keeps_the_reasoning_options_and_refuses_to_change_them(pairs: Path, both: Any) -> None:
    server = both()
    first = _eval(pairs, "openai/o", "--reasoning-effort", "medium", "--max-calls", "2")
    assert first.exit_code == 3, first.output
    changed = run("eval", "--resume", "run", "--reasoning-effort", "high", "-q")
    assert changed.exit_code == 2 and "reasoning-effort 'medium' -> 'high'" in changed.stderr
    resumed = run("eval", "--resume", "run", "--format", "json", "-q", "--max-calls", "100")
    assert summary_of(resumed)["counts"]["scored"] == 4
    assert [e.request.body["reasoning_effort"] for e in server.recorded] == ["medium"] * 4


# -- reasoning models return no log-probabilities ----------------------------------------------------
LOGPROBS_WITH_EFFORT = ["--reasoning-effort", "low", "--score-method", "logprobs"]


@pytest.mark.parametrize(
    "command",
    [
        ["eval", "-j", "openai/o"],
        ["eval", "-j", "openai/o", "-j", "openai/p"],
        ["eval", "-j", "openai/o", "--batch", *FAST_BATCH],
        ["compare", "-j", "openai/o", "-p", "pairwise/verdict", "-p", "pairwise/direct"],
    ],
    ids=["one judge", "panel", "batch", "compare"],
)
def test_logprobs_with_a_reasoning_effort_is_refused_on_every_path(pairs: Path, both: Any, command: list[str]) -> None:
    server = both(batches=BatchBehaviour())
    result = run(command[0], pairs, *command[1:], *LOGPROBS_WITH_EFFORT, "-q", "--out", "out")
    assert result.exit_code == 2, result.output
    assert "--score-method logprobs cannot go with --reasoning-effort" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert server.count() == 0


def test_auto_weighs_samples_for_a_reasoning_model(pairs: Path, both: Any) -> None:
    server = both()
    result = _eval(pairs, "openai/o", "--reasoning-effort", "low", "--score-method", "auto", "--samples", "3")
    summary = summary_of(result)
    assert summary["counts"]["scored"] == 4
    assert summary["scoring"]["method"] == "samples"
    bodies = [entry.request.body for entry in server.recorded]
    assert bodies and all("logprobs" not in body and "temperature" not in body for body in bodies)


# -- cut off by the token limit ----------------------------------------------------------------
@pytest.mark.parametrize("judge", ["openai/o", "anthropic/c"])
@pytest.mark.parametrize("text", ["Let me compare the two answers carefully. The first", ""])
def test_an_answer_cut_off_before_its_verdict_is_unscored_as_truncated(
    pairs: Path, both: Any, judge: str, text: str
) -> None:
    server = both(lambda request: Reply(text=text, finish="length"))
    result = _eval(pairs, judge, "--max-tokens", "16")
    summary = json.loads(result.stdout)
    assert summary["counts"]["unscored"] == 4
    assert summary["counts"]["unscored_reasons"] == {"truncated": 4}
    assert any("raise --max-tokens" in warning for warning in summary["warnings"])
    reasons = {row["reason"] for row in rows_of("run")}
    assert reasons == {"truncated (the answer reached the 16-token limit before its verdict; raise --max-tokens)"}
    assert server.count() == 4  # an empty answer cut off by the limit is not retried: it would be cut off again


def test_a_verdict_written_before_the_limit_still_counts(pairs: Path, both: Any) -> None:
    both(lambda request: Reply(text=marker_responder(request) + " and more", finish="length"))
    summary = summary_of(_eval(pairs, "openai/o"))
    assert summary["counts"]["scored"] == 4 and summary["counts"]["unscored_reasons"] == {}


def test_reparse_keeps_the_truncated_reason(pairs: Path, both: Any) -> None:
    both(lambda request: Reply(text="Thinking about it", finish="length"))
    _eval(pairs, "openai/o")
    result = run("report", "run", "--reparse", "--format", "json")
    assert json.loads(result.stdout)["counts"]["unscored_reasons"] == {"truncated": 4}


# -- the fake's own rules -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("api", "body", "refused"),
    [
        ("openai", {"reasoning_effort": "low", "temperature": 0}, "temperature"),
        ("openai", {"reasoning_effort": "low"}, None),
        ("anthropic", {"thinking": {"type": "enabled", "budget_tokens": 512}, "max_tokens": 4096}, "1024"),
        ("anthropic", {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 2048}, "max_tokens"),
        ("anthropic", {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 4096, "temperature": 0},
         "temperature"),
        ("anthropic", {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 4096,
                       "tool_choice": {"type": "tool", "name": "t"}}, "tool_choice"),
        ("anthropic", {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 4096}, None),
    ],
)  # fmt: skip
def test_the_fake_refuses_what_the_services_refuse(api: str, body: dict[str, Any], refused: str | None) -> None:
    found = refusal(FakeRequest(api, "m", [], "", {"model": "m", "messages": [], **body}))
    assert (found is None) if refused is None else (refused in str(found))


def test_thinking_that_uses_the_whole_limit_is_truncated_not_read_from_the_thinking(pairs: Path, both: Any) -> None:
    # Only a thinking block comes back (holding a marker), cut off by max_tokens: no verdict.
    both(lambda request: Reply(text="", thinking="Surely [[A]] is better", finish="length"))
    summary = json.loads(_eval(pairs, "anthropic/claude-x", *THINKING).stdout)
    assert summary["counts"]["unscored_reasons"] == {"truncated": 4}
    assert {row["completion"]["texts"][0] for row in rows_of("run")} == {""}
