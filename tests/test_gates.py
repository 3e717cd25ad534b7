"""Quality gates: each gate's pass and fail side, the CI-bound rule, usage errors and every exit code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from statsmodels.stats.proportion import proportion_confint

from judgekit.api import run_eval
from judgekit.ci.gates import Checker, GateOptions, check_options
from judgekit.ci.passrule import PassRule, RunFacts
from judgekit.config import EvalConfig
from judgekit.errors import UsageError
from judgekit.metrics.items import ItemOutcome
from judgekit.stats.intervals import Estimate, mean_estimate
from judgekit.testing.server import FakeProvider, Faults
from tests.gate_helpers import (
    PASS_FAIL_TEMPLATE,
    cli,
    gate_lines,
    pairs,
    points,
    start_judge,
    summary_json,
    write_jsonl,
)

JUDGE = "openai/judge-1"


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(responder: Any = None, **options: Any) -> FakeProvider:
        if responder is None:
            return start_judge(fake_provider, monkeypatch, **options)
        return start_judge(fake_provider, monkeypatch, responder, **options)

    return start


# -- the comparison rule ------------------------------------------------------------------
ESTIMATE = Estimate(value=0.6, low=0.45, high=0.75, n=40)


def test_point_estimate_gates_pass_at_the_threshold_and_fail_past_it() -> None:
    check = Checker("none")
    assert check("--min-win-rate", "win rate of A", "min", 0.6, ESTIMATE).passed
    assert not check("--min-win-rate", "win rate of A", "min", 0.61, ESTIMATE).passed
    assert check("--max-unscored", "unscored rate", "max", 0.6, ESTIMATE).passed
    assert not check("--max-unscored", "unscored rate", "max", 0.59, ESTIMATE).passed
    # 0.1 + 0.2 is 0.30000000000000004: a rounding error must not fail a gate at 0.3.
    tiny = Estimate(value=0.1 + 0.2, low=0.2, high=0.4, n=10)
    assert check("--max-unscored", "u", "max", 0.3, tiny).passed


def test_ci_bound_uses_the_lower_end_for_minimums_and_the_upper_end_for_maximums() -> None:
    check = Checker("lower")
    low = check("--min-win-rate", "win rate of A", "min", 0.5, ESTIMATE)
    assert not low.passed and low.checked == 0.45 and low.checked_on == "lower bound"
    assert check("--min-win-rate", "win rate of A", "min", 0.45, ESTIMATE).passed
    high = check("--max-flip-rate", "flip rate", "max", 0.7, ESTIMATE)
    assert not high.passed and high.checked == 0.75 and high.checked_on == "upper bound"
    assert check("--max-flip-rate", "flip rate", "max", 0.75, ESTIMATE).passed


def test_lenient_ci_bound_fails_only_when_the_whole_interval_misses() -> None:
    check = Checker("upper")
    high = check("--min-win-rate", "win rate of A", "min", 0.7, ESTIMATE)
    assert high.passed and high.checked == 0.75 and high.checked_on == "upper bound"
    assert not check("--min-win-rate", "win rate of A", "min", 0.76, ESTIMATE).passed
    low = check("--max-flip-rate", "flip rate", "max", 0.5, ESTIMATE)
    assert low.passed and low.checked == 0.45 and low.checked_on == "lower bound"
    assert not check("--max-flip-rate", "flip rate", "max", 0.44, ESTIMATE).passed


def test_a_gate_never_passes_on_missing_evidence() -> None:
    missing = Checker("none")("--min-score", "mean score", "min", 1.0, None, percent=False)
    assert not missing.passed and "no scored item" in missing.line()
    single = Checker("lower", min_items=1)(
        "--min-score", "mean score", "min", 1.0, Estimate(value=9.0, n=1), percent=False
    )
    assert not single.passed and "no confidence interval (n=1)" in single.line()
    three = mean_estimate([9.0, 8.0, 9.0])
    few = Checker("lower", min_items=1)("--min-score", "mean score", "min", 1.0, three, percent=False)
    assert not few.passed and "no confidence interval (n=3 is too few for a bootstrap interval" in few.line()


def test_one_line_names_metric_value_ci_and_threshold() -> None:
    line = Checker("lower")("--min-win-rate", "win rate of A", "min", 0.5, ESTIMATE).line()
    assert line == (
        "--min-win-rate 50.0%: win rate of A 60.0% [45.0, 75.0] (n=40); its CI lower bound 45.0% is below the threshold"
    )
    line = Checker("none")(
        "--min-score", "mean score", "min", 7, Estimate(value=6.5, low=6.0, high=7.0, n=30), percent=False
    ).line()
    assert line == "--min-score 7: mean score 6.500 [6.000, 7.000] (n=30) is below the threshold"


# -- what passing means per item -----------------------------------------------------------
def test_pass_rule_pairwise_only_a_loss_fails() -> None:
    rule = PassRule(kind="pairwise")
    assert rule.passes(ItemOutcome("1", "ok", verdict="A")) is True
    assert rule.passes(ItemOutcome("1", "ok", verdict="tie")) is True
    assert rule.passes(ItemOutcome("1", "ok", verdict="B")) is False
    assert rule.passes(ItemOutcome("1", "unscored")) is None
    assert rule.passes(ItemOutcome("1", "error")) is None


def test_pass_rule_pointwise_pass_score_and_pass_fail_templates() -> None:
    scored = PassRule(kind="pointwise", pass_score=7)
    assert scored.passes(ItemOutcome("1", "ok", score=7.0)) is True
    assert scored.passes(ItemOutcome("1", "ok", score=6.99)) is False
    binary = PassRule(kind="pointwise", pass_fail=(0.0, 1.0))
    assert binary.passes(ItemOutcome("1", "ok", score=1.0)) is True
    assert binary.passes(ItemOutcome("1", "ok", score=0.0)) is False
    assert binary.passes(ItemOutcome("1", "ok", score=0.7)) is True  # a weighted score nearer PASS
    undecided = PassRule(kind="pointwise")
    assert not undecided.decides and undecided.passes(ItemOutcome("1", "ok", score=2.0)) is None


def _facts(**changes: Any) -> RunFacts:
    base: dict[str, Any] = {
        "kind": "pairwise",
        "template": "t",
        "verdict": {"type": "choice", "choices": {"A": "first", "B": "second", "C": "tie"}},
        "positions": "random",
        "has_human_labels": False,
        "has_human_scores": False,
    }
    base.update(changes)
    return RunFacts(**base)


def test_pass_fail_templates_are_recognised_from_their_choices() -> None:
    pass_fail = _facts(kind="pointwise", verdict={"type": "choice", "choices": {"PASS": 1, "FAIL": 0}})
    assert pass_fail.pass_fail_values == (0.0, 1.0) and pass_fail.scale == (0.0, 1.0)
    three = _facts(kind="pointwise", verdict={"type": "choice", "choices": {"good": 2, "ok": 1, "bad": 0}})
    assert three.pass_fail_values is None
    assert _facts(kind="pointwise", verdict={"type": "score", "scale": [1, 10]}).pass_fail_values is None


@pytest.mark.parametrize(
    ("options", "facts", "message"),
    [
        ({"min_score": 5}, {}, "--min-score applies to pointwise runs"),
        ({"min_pass_rate": 0.5}, {}, "--min-pass-rate applies to pointwise runs"),
        ({"pass_score": 5}, {}, "--pass-score applies to pointwise runs"),
        ({"max_flip_rate": 0.1}, {}, "needs a pairwise run with --positions swap"),
        ({"min_agreement": 0.5}, {}, "needs human labels: the data has no human_label"),
        ({"min_agreement": 1.5}, {"has_human_labels": True}, "agreement is a fraction from 0 to 1"),
        (
            {"min_win_rate": 0.5},
            {"kind": "pointwise", "verdict": {"type": "score", "scale": [1, 10]}},
            "--min-win-rate applies to pairwise runs",
        ),
        (
            {"min_pass_rate": 0.5},
            {"kind": "pointwise", "verdict": {"type": "score", "scale": [1, 10]}},
            "needs --pass-score N",
        ),
        ({"min_score": 11}, {"kind": "pointwise", "verdict": {"type": "score", "scale": [1, 10]}}, "outside the scale"),
        (
            {"min_agreement": 0.5},
            {"kind": "pointwise", "verdict": {"type": "score", "scale": [1, 10]}},
            "no human_score column",
        ),
    ],
)
def test_options_that_cannot_apply_are_usage_errors(
    options: dict[str, Any], facts: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message.replace("[", r"\[")):
        check_options(GateOptions(**options), _facts(**facts))


def test_rates_must_be_fractions() -> None:
    with pytest.raises(UsageError, match="rates are fractions from 0 to 1"):
        GateOptions(min_win_rate=60)
    assert check_options(GateOptions(max_flip_rate=0.2), _facts(positions="swap")) is None


# -- end to end: every gate's pass and fail side -------------------------------------------
def _eval(data: Path, *args: Any) -> Any:
    return cli("eval", data, "-j", JUDGE, "-q", "--out", "run", *args)


def test_min_win_rate_pass_and_fail(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(10, a_good=range(8)))  # A wins 8 of 10
    passed = _eval(data, "--min-win-rate", "0.8")
    assert passed.exit_code == 0, passed.output
    assert gate_lines(passed.stderr, "passed") == [
        "judgekit: gate passed: --min-win-rate 80.0%: win rate of A "
        + summary_json("run")["pairwise"]["win_rate"]["value"].__format__(".1%")
        + _ci_text(summary_json("run")["pairwise"]["win_rate"])
        + " (n=10) is at or above the threshold"
    ]
    failed = _eval(data, "--min-win-rate", "0.85")
    assert failed.exit_code == 1
    [line] = gate_lines(failed.stderr)
    assert line.startswith("judgekit: gate FAILED: --min-win-rate 85.0%: win rate of A 80.0% [")
    assert line.endswith("(n=10) is below the threshold")
    assert server.count() == 10  # the second command judged nothing again


def _ci_text(estimate: dict[str, Any]) -> str:
    return f" [{estimate['low'] * 100:.1f}, {estimate['high'] * 100:.1f}]"


def test_on_ci_bound_gates_on_the_interval(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(12, a_good=range(6)))  # win rate 0.5
    assert _eval(data).exit_code == 0
    estimate = summary_json("run")["pairwise"]["win_rate"]
    low, high = estimate["low"], estimate["high"]
    assert estimate["value"] == 0.5 and 0 < low < 0.45 and 0.6 <= high < 1
    # Strict: 0.45 is below the point estimate but inside the interval, so it is not cleared.
    assert cli("gate", "run", "--min-win-rate", "0.45").exit_code == 0
    strict = cli("gate", "run", "--min-win-rate", "0.45", "--on-ci-bound", "lower")
    assert strict.exit_code == 1
    assert f"its CI lower bound {low * 100:.1f}% is below the threshold" in strict.stderr
    assert cli("gate", "run", "--min-win-rate", str(low), "--on-ci-bound", "lower").exit_code == 0
    # Lenient: 0.6 is above the point estimate but inside the interval, so it is not a
    # significant shortfall; above the interval's upper end it is.
    assert cli("gate", "run", "--min-win-rate", "0.6").exit_code == 1
    assert cli("gate", "run", "--min-win-rate", "0.6", "--on-ci-bound", "upper").exit_code == 0
    assert cli("gate", "run", "--min-win-rate", str(high + 0.001), "--on-ci-bound", "upper").exit_code == 1
    assert server.count() == 12  # judge once, check many times


def test_max_unscored_pass_and_fail(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    rows = pairs(10, a_good=range(10), tags={3: "UNSURE", 7: "UNSURE"})  # 2 of 10 get no verdict
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    assert _eval(data, "--max-unscored", "0.2").exit_code == 0
    failed = cli("gate", "run", "--max-unscored", "0.19")
    assert failed.exit_code == 1
    [line] = gate_lines(failed.stderr)
    assert "unscored rate 20.0% [" in line and "(n=10) is above the threshold" in line


def test_max_flip_rate_pass_and_fail(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    rows = pairs(10, a_good=range(10), tags={1: "FLIP", 4: "FLIP", 8: "FLIP"})  # 3 of 10 follow position
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    assert _eval(data, "--positions", "swap", "--max-flip-rate", "0.3").exit_code == 0
    assert summary_json("run")["bias"]["flip_rate"]["value"] == pytest.approx(0.3)
    failed = cli("gate", "run", "--max-flip-rate", "0.25")
    assert failed.exit_code == 1 and "flip rate 30.0%" in failed.stderr


def test_min_agreement_pairwise_pass_and_fail(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    # A is GOOD everywhere, so the judge says A; humans say A on 7 items and B on 3.
    labels = {index: ("A" if index < 7 else "B") for index in range(10)}
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(10, a_good=range(10), labels=labels))
    assert _eval(data, "--min-agreement", "0.7").exit_code == 0
    failed = cli("gate", "run", "--min-agreement", "0.75")
    assert failed.exit_code == 1 and "agreement with humans 70.0%" in failed.stderr


def test_min_score_pass_and_fail(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "points.jsonl", points(10, good=range(6)))  # 6 x 9 and 4 x 2
    expected = (6 * 9 + 4 * 2) / 10
    assert _eval(data, "--min-score", str(expected)).exit_code == 0
    failed = cli("gate", "run", "--min-score", "6.3")
    assert failed.exit_code == 1 and f"mean score {expected:.3f}" in failed.stderr


def test_min_pass_rate_with_pass_score(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "points.jsonl", points(10, good=range(6)))
    assert _eval(data, "--pass-score", "5", "--min-pass-rate", "0.6").exit_code == 0
    failed = cli("gate", "run", "--pass-score", "5", "--min-pass-rate", "0.65")
    assert failed.exit_code == 1 and "pass rate 60.0%" in failed.stderr
    # Every score is 9 or 2: a pass score of 2 lets all items pass.
    assert cli("gate", "run", "--pass-score", "2", "--min-pass-rate", "1").exit_code == 0
    missing = cli("gate", "run", "--min-pass-rate", "0.5")
    assert missing.exit_code == 2 and "needs --pass-score" in missing.stderr


def test_min_pass_rate_on_a_pass_fail_template(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    template = tmp_path / "passfail.jinja"
    template.write_text(PASS_FAIL_TEMPLATE)
    data = write_jsonl(tmp_path / "points.jsonl", points(10, good=range(7)))
    passed = _eval(data, "--prompt", template, "--min-pass-rate", "0.7")
    assert passed.exit_code == 0, passed.output
    pointwise = summary_json("run")["pointwise"]
    assert pointwise["distribution"] == {"FAIL": 3, "PASS": 7} and pointwise["distribution_bins"] == "per choice"
    # The run reports a pass rate with its exact interval (statsmodels' "beta" method is Clopper-Pearson).
    low, high = proportion_confint(7, 10, alpha=0.05, method="beta")
    assert pointwise["pass_rate"] == {
        "value": 0.7,
        "low": pytest.approx(low),
        "high": pytest.approx(high),
        "n": 10,
        "interval": "clopper-pearson",
        "no_interval": None,
    }
    failed = cli("gate", "run", "--min-pass-rate", "0.75")
    assert failed.exit_code == 1 and "pass rate 70.0%" in failed.stderr
    strict = cli("gate", "run", "--min-pass-rate", "0.5", "--on-ci-bound", "lower")
    assert strict.exit_code == 1 and f"its CI lower bound {low * 100:.1f}% is below" in strict.stderr


def test_min_agreement_pointwise_is_spearman(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    from scipy.stats import spearmanr

    judge()
    human = {0: 5, 1: 4, 2: 1, 3: 5, 4: 2, 5: 1, 6: 3, 7: 4}
    good = [0, 1, 3, 4, 7]
    data = write_jsonl(tmp_path / "points.jsonl", points(8, good=good, human=human))
    judge_scores = [9 if index in good else 2 for index in range(8)]
    rho = spearmanr(judge_scores, [human[index] for index in range(8)]).statistic
    # Judged through the library with fewer bootstrap resamples (the correlations' bootstrap is
    # the slow part), then gated from the command line.
    run_eval(EvalConfig(dataset=str(data), judge=JUDGE, out="run", bootstrap_resamples=200))
    assert cli("gate", "run", "--min-agreement", f"{rho - 0.001:.4f}", "--min-items", "8").exit_code == 0
    failed = cli("gate", "run", "--min-agreement", f"{rho + 0.001:.4f}", "--min-items", "8")
    assert failed.exit_code == 1 and f"Spearman with humans {rho:.3f}" in failed.stderr


def test_several_gates_one_line_per_failure(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(10, a_good=range(5), tags={0: "UNSURE"}))
    result = _eval(data, "--min-win-rate", "0.9", "--max-unscored", "0.05", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["kind"] == "pairwise"  # stdout stays pure JSON
    lines = gate_lines(result.stderr)
    assert [line.split(":")[2].split()[0] for line in lines] == ["--min-win-rate", "--max-unscored"]


def test_gate_json_output(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(6, a_good=range(6)))
    assert _eval(data).exit_code == 0
    result = cli("gate", "run", "--min-win-rate", "0.9", "--max-unscored", "0", "--min-items", "6", "--format", "json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["passed"] is True
    assert [gate["option"] for gate in payload["gates"]] == ["--min-win-rate", "--max-unscored"]
    assert payload["gates"][0]["estimate"]["value"] == 1.0


# -- exit codes ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rows", "args", "message"),
    [
        ("pairs", ["--min-score", "5"], "--min-score applies to pointwise runs"),
        ("pairs", ["--max-flip-rate", "0.1"], "--positions swap"),
        ("pairs", ["--min-agreement", "0.5"], "needs human labels"),
        ("pairs", ["--min-win-rate", "60"], "rates are fractions from 0 to 1"),
        ("pairs", ["--on-ci-bound", "both"], "--on-ci-bound"),
        ("points", ["--min-win-rate", "0.5"], "--min-win-rate applies to pairwise runs"),
        ("points", ["--min-pass-rate", "0.5"], "needs --pass-score"),
        ("points", ["--min-score", "11"], "outside the scale"),
    ],
)
def test_gate_usage_errors_exit_2_before_judging(tmp_path: Path, rows: str, args: list[str], message: str) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", pairs(4, a_good=[0]) if rows == "pairs" else points(4, good=[0]))
    result = cli("eval", data, "-j", "mock/random", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not Path("runs").exists()  # nothing was judged or written


def test_gate_command_input_errors_exit_2(tmp_path: Path) -> None:
    missing = cli("gate", tmp_path / "nowhere", "--min-win-rate", "0.5")
    assert missing.exit_code == 2 and "not a judgekit run directory" in missing.stderr
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(4, a_good=[0]))
    assert cli("eval", data, "-j", "mock/random", "-q", "--out", "run").exit_code == 0
    nothing = cli("gate", "run")
    assert nothing.exit_code == 2 and "no gate given" in nothing.stderr


def test_provider_failures_beyond_the_budget_exit_3_even_when_a_gate_fails(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(faults=Faults(script=["server_error"]))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(6, a_good=[]))
    result = _eval(data, "--max-retries", "0", "-c", "1", "--min-win-rate", "0.5")
    assert result.exit_code == 3
    assert "1 items failed after retries" in result.stderr
    assert len(gate_lines(result.stderr)) == 1  # the gate is still reported
    # The stored run holds the failure: `gate` refuses it (3) unless --max-errors allows it.
    assert cli("gate", "run", "--min-win-rate", "0").exit_code == 3
    allowed = cli("gate", "run", "--min-win-rate", "0", "--max-errors", "1", "--min-items", "5")
    assert allowed.exit_code == 0, allowed.output


def test_gating_an_incomplete_run_exits_3(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(6, a_good=range(6)))
    stopped = cli("eval", data, "-j", "mock/first", "-q", "--out", "run", "--max-calls", "2", "--min-win-rate", "0")
    assert stopped.exit_code == 3 and "stopped early" in stopped.stderr
    result = cli("gate", "run", "--min-win-rate", "0")
    assert result.exit_code == 3 and "4 of 6 items were not judged" in result.stderr


def test_interrupted_eval_exits_130_and_skips_the_gates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from judgekit import api

    async def interrupted(prepared: Any, progress: Any = None) -> Any:
        api.open_run_dir(prepared)
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "execute", interrupted)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(4, a_good=[0]))
    result = cli("eval", data, "-j", "mock/first", "-q", "--out", "run", "--min-win-rate", "0.9")
    assert result.exit_code == 130
    assert "interrupted" in result.stderr and not gate_lines(result.stderr)


def test_interrupted_gate_exits_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import judgekit.pipeline.finished

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(judgekit.pipeline.finished, "load_finished", interrupted)
    result = cli("gate", tmp_path, "--min-win-rate", "0.5")
    assert result.exit_code == 130 and "interrupted" in result.stderr
