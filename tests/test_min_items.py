"""Gates refuse thin evidence: a gated metric resting on fewer than --min-items items fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.ci.gates import DEFAULT_MIN_ITEMS, Checker, GateOptions
from judgekit.cli import gating
from judgekit.errors import UsageError
from judgekit.stats.intervals import Estimate
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import cli, gate_lines, pairs, points, start_judge, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "datasets" / "demo" / "pairwise.jsonl"
JUDGE = "openai/judge-1"


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    return start_judge(fake_provider, monkeypatch)


def _estimate(n: int, value: float = 1.0) -> Estimate:
    return Estimate(value=value, low=max(0.0, value - 0.1), high=min(1.0, value + 0.1), n=n)


def test_the_default_is_ten_and_the_help_says_so() -> None:
    assert DEFAULT_MIN_ITEMS == 10
    assert GateOptions().min_items == DEFAULT_MIN_ITEMS
    option = gating.MinItems.__metadata__[0]
    assert f"Default {DEFAULT_MIN_ITEMS}." in option.help


@pytest.mark.parametrize(("n", "passed"), [(0, False), (1, False), (9, False), (10, True), (200, True)])
def test_a_gate_fails_below_the_minimum_and_passes_at_it(n: int, passed: bool) -> None:
    result = Checker("none")("--min-win-rate", "win rate of A", "min", 0.5, _estimate(n))
    assert result.passed is passed
    if not passed:
        # The number clears the threshold; the line says so, and why the gate fails all the same.
        assert result.line().endswith(
            f"is at or above the threshold; n={n} is below --min-items 10: too few to gate on, so the gate fails"
        )


@pytest.mark.parametrize("bound", ["none", "lower", "upper"])
def test_the_minimum_holds_under_every_ci_rule_and_for_maxima(bound: Any) -> None:
    thin = Checker(bound, 5)("--max-unscored", "unscored rate", "max", 0.5, _estimate(4, 0.0))
    assert not thin.passed and "n=4 is below --min-items 5" in thin.line()
    assert thin.checked is not None  # the number compared is still recorded
    assert Checker(bound, 4)("--max-unscored", "unscored rate", "max", 0.5, _estimate(4, 0.0)).passed


def test_min_items_is_a_setting_not_a_gate() -> None:
    assert not GateOptions(min_items=3).any
    for bad in (0, -1):
        with pytest.raises(UsageError, match=f"--min-items {bad}: give the fewest items a gate may rest on"):
            GateOptions(min_win_rate=0.5, min_items=bad)


def test_the_issue_command_no_longer_passes_on_three_items() -> None:
    """Three of three wins used to pass a 95% win-rate gate, even on the CI's lower bound."""
    args = ["eval", DEMO, "--judge", "mock/first", "--positions", "fixed", "--limit", "3", "-q", "--out", "run"]
    result = cli(*args, "--min-win-rate", "0.95", "--on-ci-bound", "lower", "--markdown", "gates.md")
    assert result.exit_code == 1, result.output
    assert "❌ fail: n=3 is below --min-items 10" in Path("gates.md").read_text()
    [line] = gate_lines(result.stderr)
    assert line.startswith("judgekit: gate FAILED: --min-win-rate 95.0%: win rate of A 100.0%")
    assert line.endswith(
        "(n=3); its CI lower bound 29.2% is below the threshold; "
        "n=3 is below --min-items 10: too few to gate on, so the gate fails"
    )
    # The stored run gated again: the point estimate with the minimum lowered passes,
    # and the default fails on every gate.
    assert cli("gate", "run", "--min-win-rate", "0.95", "--min-items", "3").exit_code == 0
    again = cli("gate", "run", "--min-win-rate", "0.95", "--max-unscored", "0.5")
    assert again.exit_code == 1 and len(gate_lines(again.stderr)) == 2


def test_each_gate_counts_its_own_items(judge: FakeProvider, tmp_path: Path) -> None:
    # 12 items, 3 with human labels: the win rate rests on 12, the agreement on 3.
    # (spread over the file: labels on exactly the first rows would be refused as not random)
    rows = pairs(12, a_good=range(12), labels={0: "A", 5: "A", 9: "A"})
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    result = cli("eval", data, "-j", JUDGE, "-q", "--out", "run", "--min-win-rate", "0.9", "--min-agreement", "0.9")
    assert result.exit_code == 1
    assert gate_lines(result.stderr, "passed")[0].startswith("judgekit: gate passed: --min-win-rate 90.0%")
    [failed] = gate_lines(result.stderr)
    assert "--min-agreement 90.0%: agreement with humans 100.0%" in failed and "n=3 is below --min-items 10" in failed
    assert cli("gate", "run", "--min-agreement", "0.9", "--min-items", "3").exit_code == 0


def test_pointwise_gates_and_json(judge: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "points.jsonl", points(6, good=range(6)))
    assert cli("eval", data, "-j", JUDGE, "-q", "--out", "run").exit_code == 0
    result = cli("gate", "run", "--min-score", "5", "--format", "json")
    assert result.exit_code == 1
    [gate] = json.loads(result.stdout)["gates"]
    assert gate["passed"] is False and gate["estimate"]["n"] == 6 and "below --min-items 10" in gate["too_few"]
    assert gate["note"] is None and gate["checked"] == 9  # the mean score itself clears the threshold
    assert cli("gate", "run", "--min-score", "5", "--min-items", "6").exit_code == 0


def test_bad_minimum_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("gate", tmp_path, "--min-win-rate", "0.5", "--min-items", "0")
    assert result.exit_code == 2


def test_diff_regression_gate_needs_enough_items(judge: FakeProvider, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", pairs(4, a_good=range(4)))
    second = write_jsonl(tmp_path / "second.jsonl", pairs(4, a_good=range(4)))
    assert cli("eval", first, "-j", JUDGE, "-q", "--out", "a").exit_code == 0
    assert cli("eval", second, "-j", JUDGE, "-q", "--out", "b").exit_code == 0
    thin = cli("diff", "a", "b", "--max-regression", "0.1")
    assert thin.exit_code == 1
    [line] = gate_lines(thin.stderr)
    assert "drop in win rate of A 0.0%" in line and "n=4 is below --min-items 10" in line
    assert cli("diff", "a", "b", "--max-regression", "0.1", "--min-items", "4").exit_code == 0
