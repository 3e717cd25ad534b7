"""Budgets that mean what they say: `--max-cost` counts settled spending, lets calls in flight
settle, prints figures that agree with the summary, and holds across invocations of one run
directory; a score-method fallback that multiplies the calls is shown and must be agreed to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, run, write_jsonl

PRICES = ["--price-in", "1000", "--price-out", "1000", "--max-tokens", "20"]
"""Dear tokens and short answers, so a request's worst case is near what it really costs."""
STOPPED = re.compile(
    r"stopped at \$([\d.]+) spent in this run directory: the next request could cost up to \$([\d.]+), "
    r"over --max-cost \$([\d.]+)"
)


def usd(value: float) -> str:
    """Dollars as judgekit prints them: four decimals, six below a cent."""
    return f"${value:.6f}" if 0 < value < 0.01 else f"${value:.4f}"


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(**options: Any) -> FakeProvider:
        server = fake_provider(marker_responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-budget-0123456789")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-budget-0123456789")
        return server

    return start


def row_costs(run_dir: str) -> list[float]:
    lines = (Path(run_dir) / "judgments.jsonl").read_text().splitlines()
    return [json.loads(line)["cost_usd"] for line in lines if "cost_usd" in json.loads(line)]


def stop_figures(stderr: str) -> tuple[float, float, float]:
    found = STOPPED.search(stderr)
    assert found is not None, stderr
    spent, worst, budget = (float(value) for value in found.groups())
    return spent, worst, budget


def one_call_cost(data: Path) -> float:
    """What one judge call of this data costs at PRICES (a separate run, outside the cache)."""
    probe = run(
        "eval", str(data), "-j", "openai/x", "-q", "--format", "json", "--out", "probe", "--limit", "1",
        "--no-cache", *PRICES,
    )  # fmt: skip
    assert probe.exit_code == 0, probe.output
    return float(json.loads(probe.stdout)["cost"]["usd"])


def test_calls_in_flight_settle_and_the_run_stops_within_one_request_of_the_budget(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(latency=0.05)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(30))
    budget = round(one_call_cost(data) * 10.5, 4)
    server.reset_records()
    command = ["eval", str(data), "-j", "openai/x", "-c", "8", "-q", "--format", "json", "--out", "run", *PRICES]
    stopped = run(*command, "--max-cost", f"{budget}")
    assert stopped.exit_code == 3, stopped.output
    spent, worst, shown_budget = stop_figures(stopped.stderr)
    summary = json.loads(stopped.stdout)
    assert shown_budget == budget
    # The figures agree with each other, with the summary and with the rows.
    assert usd(summary["cost"]["usd"]) == f"${spent:.4f}"
    assert summary["cost"]["usd"] == pytest.approx(sum(row_costs("run")), abs=1e-6)
    assert f"{usd(summary['cost']['usd'])} in all" in stopped.stderr
    # Never over the budget, and stopped only when the next request's worst case did not fit.
    assert spent <= budget < spent + worst
    assert server.count() == summary["counts"]["calls"] >= 9


def test_a_budget_holds_across_invocations_of_one_run_directory(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(latency=0.02)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(12))
    budget = f"{one_call_cost(data) * 4.5:.4f}"
    server.reset_records()
    command = ["eval", str(data), "-j", "openai/x", "-c", "3", "-q", "--format", "json", "--out", "run", *PRICES]
    first = run(*command, "--max-cost", budget)
    assert first.exit_code == 3, first.output
    asked = server.count()
    spent, _, _ = stop_figures(first.stderr)

    again = run(*command, "--max-cost", budget)  # the same command: the budget is spent already
    assert again.exit_code == 3, again.output
    assert server.count() == asked
    assert stop_figures(again.stderr)[0] == spent
    assert "$0.000000 spent now" in again.stderr or "$0.0000 spent now" in again.stderr

    raised = run(*command, "--max-cost", "100")
    assert raised.exit_code == 0, raised.output
    final = json.loads(raised.stdout)
    assert final["status"] == "complete"
    assert final["cost"]["usd"] == pytest.approx(sum(row_costs("run")), abs=1e-6)
    tokens = final["counts"]["prompt_tokens"] + final["counts"]["completion_tokens"]
    assert final["cost"]["usd"] == pytest.approx(tokens * 1000 / 1e6)
    assert max(server.served().values()) == 1


def test_a_budget_below_two_requests_stops_after_one_settled_call(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(latency=0.02)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(12))
    budget = f"{one_call_cost(data) * 1.6:.4f}"  # room for one call's worst case, not for two
    server.reset_records()
    result = run(
        "eval", str(data), "-j", "openai/x", "-c", "16", "-q", "--format", "json", *PRICES, "--max-cost", budget
    )
    assert result.exit_code == 3, result.output
    spent, _, _ = stop_figures(result.stderr)
    assert server.count() == 1
    assert spent > 0 and f"${spent:.4f}" == usd(json.loads(result.stdout)["cost"]["usd"])


def pointwise(n: int) -> Path:
    rows = [{"id": f"p{i}", "question": f"Q{i}?", "answer": f"GOOD answer {i}"} for i in range(n)]
    return write_jsonl(Path("points.jsonl"), rows)


def test_a_fallback_that_multiplies_calls_is_refused_without_yes(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge()
    data = pointwise(4)
    command = ["eval", str(data), "-j", "anthropic/claude-haiku-4-5", "--score-method", "logprobs", "-q"]
    refused = run(*command, "--out", "run")
    assert refused.exit_code == 2, refused.output
    errors = [line for line in refused.stderr.splitlines() if line.startswith("judgekit: error:")]
    assert len(errors) == 1 and "Traceback" not in refused.output
    line = errors[0]
    assert "falls back to 20 samples per judge call: 4 judge calls send 80 requests" in line
    assert "at most $" in line and "pass --yes" in line
    assert server.count() == 0 and not Path("run").exists()

    agreed = run(*command, "--out", "run", "--max-calls", "30", "--yes")
    assert agreed.exit_code == 3, agreed.output  # stopped by --max-calls, to be resumed
    assert "falls back to 20 samples per judge call" in agreed.stderr
    resumed = run(*command, "--out", "run")  # agreed to when the run started: not asked again
    assert resumed.exit_code == 0, resumed.output
    assert server.count() == 80


@pytest.mark.parametrize(
    "args",
    [
        ["--score-method", "logprobs", "--samples", "3"],  # the samples were asked for
        ["--score-method", "samples"],
        ["-j", "openai/x", "--score-method", "logprobs"],  # no fallback: openai has log-probabilities
    ],
)
def test_no_question_when_nothing_multiplies_unasked(
    judge: Callable[..., FakeProvider], tmp_path: Path, args: list[str]
) -> None:
    judge()
    data = pointwise(2)
    judge_option = [] if "-j" in args else ["-j", "anthropic/claude-haiku-4-5"]
    result = run("eval", str(data), *judge_option, *args, "-q")
    assert result.exit_code == 0, result.output
    assert "falls back to" not in result.stderr or "samples per judge call:" not in result.stderr


@pytest.mark.parametrize("command", ["panel", "compare"])
def test_panels_and_comparisons_ask_before_a_multiplying_fallback(
    judge: Callable[..., FakeProvider], tmp_path: Path, command: str
) -> None:
    server = judge()
    data = pointwise(3)
    judges = ["-j", "anthropic/claude-haiku-4-5", "-j", "openai/x"]
    head = ["eval", str(data)] if command == "panel" else ["compare", str(data)]
    args = [*head, *judges, "--score-method", "logprobs", "-q", "--out", "out"]
    refused = run(*args)
    assert refused.exit_code == 2, refused.output
    errors = [line for line in refused.stderr.splitlines() if line.startswith("judgekit: error:")]
    assert len(errors) == 1 and "Traceback" not in refused.output
    assert "anthropic/claude-haiku-4-5: --score-method logprobs falls back to 20 samples" in errors[0]
    assert "openai/x" not in errors[0]  # openai has log-probabilities: nothing multiplied there
    assert server.count() == 0

    agreed = run(*args, "--yes")
    assert agreed.exit_code in (0, 1), agreed.output
    assert "falls back to 20 samples per judge call" in agreed.stderr
    assert server.count() == 3 * 20 + 3
