"""`--score-method logprobs` with `--thinking-budget`: refused on every path, through the real SDKs
against the local fake. Claude returns no log-probabilities, and Gemini documents no guarantee that
those it returns with thinking on are the answer's and not the thoughts' (some of its thinking
models refuse `response_logprobs` outright), so a verdict weighed by them could not be trusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.cloud_helpers import point_clouds_at
from tests.helpers import marker_responder, pairwise_rows, run, summary_of, write_jsonl

GEMINI = "gemini/gemini-2.5-flash"
THINKING = ["--thinking-budget", "512", "--max-tokens", "4096"]
LOGPROBS_WITH_THINKING = [*THINKING, "--score-method", "logprobs"]
REFUSAL = "--score-method logprobs cannot go with --thinking-budget"


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))


@pytest.fixture
def clouds(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """One fake serving Gemini and Anthropic (whose message batches give the --batch path)."""
    server = point_clouds_at(fake_provider(marker_responder, batches=BatchBehaviour()), monkeypatch)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-thinking-0123456789")
    return server


def _refused(result: Any, server: FakeProvider) -> None:
    assert result.exit_code == 2, result.output
    assert REFUSAL in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert server.count() == 0


@pytest.mark.parametrize(
    "command",
    [
        ["eval", "-j", GEMINI],
        ["eval", "-j", GEMINI, "-j", "gemini/gemini-2.5-pro"],
        ["eval", "-j", "anthropic/claude-x", "--batch", "--poll-interval", "0.02", "--max-tokens", "4096",
         "--thinking-budget", "2048", "--score-method", "logprobs"],
        ["compare", "-j", GEMINI, "-p", "pairwise/verdict", "-p", "pairwise/direct"],
    ],
    ids=["one judge", "panel", "batch (anthropic: gemini has none)", "compare"],
)  # fmt: skip
def test_logprobs_with_a_thinking_budget_is_refused_on_every_path(
    pairs: Path, clouds: FakeProvider, command: list[str]
) -> None:
    extra = [] if "--thinking-budget" in command else LOGPROBS_WITH_THINKING
    _refused(run(command[0], pairs, *command[1:], *extra, "-q", "--out", "out"), clouds)


def test_a_stored_run_that_asked_for_both_is_refused_on_resume(pairs: Path, clouds: FakeProvider) -> None:
    first = run("eval", pairs, "-j", GEMINI, *THINKING, "--max-calls", "2", "-q", "--out", "run")
    assert first.exit_code == 3, first.output  # stopped part-way, resumable
    asked = clouds.count()
    # A run directory written before the refusal existed (or edited by hand) holds both options.
    manifest_path = Path("run") / "run.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["config"]["score_method"] = "logprobs"
    manifest_path.write_text(json.dumps(manifest))
    resumed = run("eval", "--resume", "run", "-q", "--max-calls", "100")
    assert resumed.exit_code == 2, resumed.output
    assert REFUSAL in resumed.stderr and len(resumed.stderr.strip().splitlines()) == 1
    assert clouds.count() == asked


def test_resume_refuses_to_add_logprobs_to_a_thinking_run(pairs: Path, clouds: FakeProvider) -> None:
    first = run("eval", pairs, "-j", GEMINI, *THINKING, "--max-calls", "2", "-q", "--out", "run")
    assert first.exit_code == 3, first.output
    asked = clouds.count()
    resumed = run("eval", "--resume", "run", "--score-method", "logprobs", "-q")
    assert resumed.exit_code == 2 and "score-method" in resumed.stderr
    assert clouds.count() == asked


def test_auto_weighs_samples_for_a_thinking_gemini_judge(pairs: Path, clouds: FakeProvider) -> None:
    result = run(
        "eval", pairs, "-j", GEMINI, *THINKING, "--score-method", "auto", "--samples", "3",
        "--format", "json", "-q", "--out", "run",
    )  # fmt: skip
    summary = summary_of(result)
    assert summary["counts"]["scored"] == 4
    assert summary["scoring"]["method"] == "samples"
    configs = [entry.request.body["generationConfig"] for entry in clouds.recorded]
    assert configs and all("responseLogprobs" not in config for config in configs)
    assert all(entry.request.thinking_budget == 512 for entry in clouds.recorded)


def test_logprobs_without_thinking_still_weighs_gemini_verdicts(pairs: Path, clouds: FakeProvider) -> None:
    """The refusal is about thinking only: the same judge without a budget is weighed by its tokens."""
    result = run("eval", pairs, "-j", GEMINI, "--score-method", "logprobs", "--format", "json", "-q", "--out", "run")
    assert summary_of(result)["scoring"]["method"] == "logprobs"
    assert all(entry.request.body["generationConfig"]["responseLogprobs"] for entry in clouds.recorded)
