"""Bias flags, the fixed-order caveat, length bias against human labels, and the bias gates."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import recall_score
from statsmodels.stats.proportion import confint_proportions_2indep
from typer.testing import CliRunner

from judgekit.ci.gates import GateOptions
from judgekit.cli import app
from judgekit.errors import UsageError
from judgekit.metrics.bias import FLIP_RATE_FLAG, bias_metrics, deviation, flags
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.schema import Judgment, Label
from judgekit.stats.intervals import Estimate
from judgekit.summary import BiasMetrics
from judgekit.testing.server import FakeProvider
from tests.helpers import write_jsonl

runner = CliRunner()
ANSWER = re.compile(r"\[Start of Answer ([AB])\]\n(.*?)\n\[End of Answer \1\]", re.S)


def fact(index: int, length_a: int, length_b: int, human: Label | None = None) -> ItemFacts:
    return ItemFacts(str(index), "pairwise", human, None, None, None, None, None, length_a, length_b)


def single(index: int, shown: str, swapped: bool = False) -> Judgment:
    first, second = ("B", "A") if swapped else ("A", "B")
    verdict = {"first": first, "second": second, "tie": "tie"}[shown]
    return Judgment(
        item_id=str(index),
        call="single",
        judge="t",
        request_hash="h",
        swapped=swapped,
        status="ok",
        verdict=verdict,  # type: ignore[arg-type]
        shown=shown,  # type: ignore[arg-type]
    )


def length_bias(judge: list[int], human: list[int]) -> Estimate | None:
    """The length bias of 0/1 longer picks, through bias_metrics (A is always the longer answer)."""
    facts = [fact(i, 10, 5, "A" if h else "B") for i, h in enumerate(human)]
    outcomes = [ItemOutcome(str(i), "ok", verdict="A" if j else "B") for i, j in enumerate(judge)]
    return bias_metrics(facts, outcomes, [], "swap").length_vs_humans


def test_length_bias_against_hand_values_sklearn_and_statsmodels() -> None:
    human = [1, 1, 1, 0, 0]
    perfect, always, never = length_bias(human, human), length_bias([1] * 5, human), length_bias([0] * 5, human)
    assert perfect is not None and perfect.value == 0.0  # a perfect judge
    assert always is not None and always.value == 1.0  # always the longer
    assert never is not None and never.value == -1.0  # always the shorter
    # By hand: longer on 2 of the 3 human-longer items and on 1 of the 2 human-shorter ones: 2/3 + 1/2 - 1.
    hand = length_bias([1, 1, 0, 1, 0], human)
    assert hand is not None and hand.value == pytest.approx(2 / 3 + 1 / 2 - 1) and hand.n == 5
    assert length_bias([1, 1, 1], [1, 1, 1]) is None  # the humans never picked the shorter answer
    rng = np.random.default_rng(3)
    for _ in range(5):
        h = rng.integers(0, 2, 60)
        j = np.where(rng.random(60) < 0.7, h, 1 - h) | (rng.random(60) < 0.2)
        got = length_bias([int(v) for v in j], [int(v) for v in h])
        # TPR - TNR: recall of the "longer" class minus recall of the "shorter" class.
        expected = recall_score(h, j, pos_label=1) - recall_score(h, j, pos_label=0)
        assert got is not None and got.value == pytest.approx(expected)
        # The interval: Newcombe's hybrid score interval of P(longer | humans longer) - P(shorter | humans shorter).
        low, high = confint_proportions_2indep(
            int(j[h == 1].sum()), int((h == 1).sum()), int((1 - j[h == 0]).sum()), int((h == 0).sum()),
            method="newcomb", compare="diff",
        )  # fmt: skip
        assert (got.low, got.high) == pytest.approx((low, high))
    # At the edge the interval keeps its width: 20 of 20 and 0 of 40 longer picks give [0.817, 1].
    edge = length_bias([1] * 60, [1] * 20 + [0] * 40)
    assert edge is not None and edge.value == 1.0 and edge.low == pytest.approx(0.8165909992559731) and edge.high == 1.0


def test_a_coin_is_not_length_biased_even_when_humans_prefer_length() -> None:
    # Humans pick the longer answer on 3 of 4 items; a judge right on half of each kind shows no bias,
    # although its raw P(longer) (50%) is far from the humans' 75%.
    facts = [fact(i, 10, 5, "A") for i in range(6)] + [fact(i, 10, 5, "B") for i in range(6, 8)]
    verdicts = ["A", "A", "A", "B", "B", "B", "A", "B"]
    outcomes = [ItemOutcome(f.id, "ok", verdict=v) for f, v in zip(facts, verdicts, strict=True)]  # type: ignore[arg-type]
    metrics = bias_metrics(facts, outcomes, [], "random")
    assert metrics.judge_p_longer_vs_humans is not None and metrics.judge_p_longer_vs_humans.value == 0.5
    assert metrics.human_p_longer is not None and metrics.human_p_longer.value == 0.75
    assert metrics.p_longer_when_humans_longer is not None and metrics.p_longer_when_humans_longer.value == 0.5
    assert metrics.p_longer_when_humans_shorter is not None and metrics.p_longer_when_humans_shorter.value == 0.5
    assert metrics.length_vs_humans is not None and metrics.length_vs_humans.value == 0.0
    assert not [flag for flag in metrics.flags if flag.metric.startswith(("p_longer", "length"))]


def test_a_judge_that_always_picks_the_longer_answer_is_flagged_against_humans() -> None:
    facts = [fact(i, 30 if i % 3 else 5, 10, "A" if i % 2 else "B") for i in range(60)]
    outcomes = [ItemOutcome(f.id, "ok", verdict="A" if f.length_a > f.length_b else "B") for f in facts]
    metrics = bias_metrics(facts, outcomes, [], "swap")
    assert metrics.length_vs_humans is not None and metrics.length_vs_humans.value == 1.0
    [flag] = [flag for flag in metrics.flags if flag.metric == "length_vs_humans"]
    assert "mistakes lean towards the longer answer" in flag.message and "bias +1.000" in flag.message
    # The same verdicts without human labels: a preference, worded as such.
    bare = [fact(i, f.length_a, f.length_b) for i, f in enumerate(facts)]
    plain = bias_metrics(bare, outcomes, [], "swap")
    [flag] = [flag for flag in plain.flags if flag.metric == "p_longer"]
    assert "cannot tell a length bias from longer answers being better" in flag.message
    assert plain.length_vs_humans is None and plain.human_p_longer is None


def test_fixed_order_p_first_is_labelled_and_never_flagged() -> None:
    facts = [fact(i, 5, 5) for i in range(40)]
    rows = [single(i, "first") for i in range(40)]
    outcomes = [ItemOutcome(str(i), "ok", verdict="A") for i in range(40)]
    fixed = bias_metrics(facts, outcomes, rows, "fixed")
    assert fixed.p_first is not None and fixed.p_first.value == 1.0
    assert fixed.p_first_is_bias_estimate is False and fixed.flags == []
    randomised = bias_metrics(facts, outcomes, rows, "random")
    assert randomised.p_first_is_bias_estimate is True
    assert [flag.metric for flag in randomised.flags] == ["p_first"]
    assert bias_metrics(facts, outcomes, rows, None).flags == []  # order unknown: no claim


def test_p_first_flag_follows_the_interval() -> None:
    def metrics(first: int, second: int) -> BiasMetrics:
        rows = [single(i, "first", swapped=bool(i % 2)) for i in range(first)]
        rows += [single(first + i, "second", swapped=bool(i % 2)) for i in range(second)]
        n = first + second
        return bias_metrics(
            [fact(i, 5, 5) for i in range(n)], [ItemOutcome(str(i), "ok") for i in range(n)], rows, "random"
        )

    leaning = metrics(136, 64)  # 68%: the clear case
    assert leaning.p_first is not None and leaning.p_first.low is not None and leaning.p_first.low > 0.5
    assert [flag.metric for flag in leaning.flags] == ["p_first"]
    assert "preferred the answer shown first in 68.0%" in leaning.flags[0].message
    assert metrics(105, 95).flags == []  # 52.5%: the interval holds 50%
    second = metrics(60, 140)
    assert "a lean towards the second answer" in second.flags[0].message


def test_flip_rate_flag_threshold_and_edges() -> None:
    def with_flip(value: float, low: float | None, high: float | None) -> list[str]:
        estimate = Estimate(value=value, low=low, high=high, n=50)
        return [flag.metric for flag in flags(BiasMetrics(positions="swap", flip_rate=estimate))]

    assert FLIP_RATE_FLAG == 0.2
    assert with_flip(0.356, 0.29, 0.42) == ["flip_rate"]
    assert with_flip(0.3, 0.2, 0.4) == []  # the interval reaches the threshold: not clear
    assert with_flip(0.9, None, None) == []  # no interval (n = 1): no claim
    # n = 0: nothing measured, nothing flagged.
    empty = bias_metrics([], [], [], "swap")
    assert empty.p_first is None and empty.flip_rate is None and empty.p_longer is None and empty.flags == []
    unscored = bias_metrics([fact(0, 3, 4)], [ItemOutcome("0", "unscored")], [], "swap")
    assert unscored.p_longer is None and unscored.flags == []


def test_deviation_from_the_centre() -> None:
    assert deviation(None, 0.5) is None
    wide = deviation(Estimate(value=0.679, low=0.629, high=0.730, n=300), 0.5)
    assert wide is not None and wide.n == 300
    assert (wide.value, wide.low, wide.high) == pytest.approx((0.179, 0.129, 0.230))
    inside = deviation(Estimate(value=0.55, low=0.45, high=0.62, n=100), 0.5)
    assert inside is not None and (inside.low, inside.high) == (0.0, pytest.approx(0.12))
    below = deviation(Estimate(value=-0.3, low=-0.5, high=-0.1, n=40), 0.0)
    assert below is not None and (below.value, below.low, below.high) == (0.3, 0.1, 0.5)
    single = deviation(Estimate(value=0.7, n=1), 0.5)
    assert single is not None and single.value == pytest.approx(0.2) and single.low is None


def test_gate_option_ranges() -> None:
    with pytest.raises(UsageError, match=r"from 0 to 0\.5"):
        GateOptions(max_position_bias=0.6)
    with pytest.raises(UsageError, match="from 0 to 1"):
        GateOptions(max_length_bias=-0.1)
    assert GateOptions(max_length_bias=0.2).any


# Through the CLI ---------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})  # wide enough that no table cell wraps


def labelled_rows(n: int = 30) -> list[dict[str, Any]]:
    """The better answer (GOOD) is the shorter one on two items in three; humans always pick GOOD."""
    rows = []
    for index in range(n):
        good = "GOOD " + ("g" * 10 if index % 3 else "g" * 200)
        bad = "BAD " + ("b" * 200 if index % 3 else "b" * 10)
        good_first = index % 2 == 0
        rows.append(
            {
                "id": f"i{index}",
                "question": f"Q{index}?",
                "answer_a": good if good_first else bad,
                "answer_b": bad if good_first else good,
                "label": "A" if good_first else "B",
            }
        )
    return rows


def longer_judge(request: Any) -> str:
    first, second = (text for _, text in ANSWER.findall(request.prompt))
    return "Longer.\n[[A]]" if len(first) > len(second) else "Longer.\n[[B]]"


def test_eval_flags_and_gates_a_length_biased_judge(openai_server: FakeProvider, tmp_path: Path) -> None:
    openai_server.responder = longer_judge
    data = write_jsonl(tmp_path / "pairs.jsonl", labelled_rows())
    args = ["eval", str(data), "-j", "openai/longer", "--positions", "swap", "--out", "run", "-q"]
    result = invoke(*args, "--format", "json", "--max-length-bias", "0.5", "--max-position-bias", "0.1")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    bias = summary["bias"]
    assert bias["positions"] == "swap" and bias["p_first_is_bias_estimate"] is True
    # Independently: the judge picks the longer answer everywhere; humans picked it on the 10 items i % 3 == 0.
    human_longer = [index % 3 == 0 for index in range(30)]
    assert bias["human_p_longer"]["value"] == pytest.approx(np.mean(human_longer))
    assert bias["judge_p_longer_vs_humans"]["value"] == 1.0 and bias["length_vs_humans"]["value"] == 1.0
    assert [flag["metric"] for flag in bias["flags"]] == ["length_vs_humans"]
    assert any(warning.startswith("length bias:") for warning in summary["warnings"])
    assert "gate FAILED: --max-length-bias 0.5" in result.stderr
    assert "gate passed: --max-position-bias 10.0%: P(first) distance from 50% 0.0%" in result.stderr
    table = invoke("report", "run", "--html", "page.html")
    assert table.exit_code == 0 and "flagged (see warnings)" in table.stdout
    page = html.unescape(Path("page.html").read_text())
    assert "Flagged: length bias:" in page and "set against what the humans preferred" in page


def test_mock_first_under_swap_is_flagged_and_fails_the_position_gate(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", labelled_rows(12))
    result = invoke(
        "eval", str(data), "-j", "mock/first", "--positions", "swap", "-q", "--format", "json", "--out", "first",
        "--max-position-bias", "0.2",
    )  # fmt: skip
    assert result.exit_code == 1
    bias = json.loads(result.stdout)["bias"]
    assert {flag["metric"] for flag in bias["flags"]} == {"p_first", "flip_rate"}
    assert "gate FAILED: --max-position-bias 20.0%: P(first) distance from 50% 50.0%" in result.stderr
    gate = invoke("gate", "first", "--max-position-bias", "0.5")
    assert gate.exit_code == 0


def test_fixed_order_is_labelled_and_bias_gates_refused(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", labelled_rows(12))
    result = invoke("eval", str(data), "-j", "mock/first", "--positions", "fixed", "--out", "fixed", "--html", "f.html")
    assert result.exit_code == 0, result.output
    assert "fixed order, A always first: not a bias estimate" in result.stdout and "flagged" not in result.stdout
    summary = json.loads(Path("fixed/summary.json").read_text())
    assert summary["bias"]["p_first_is_bias_estimate"] is False and summary["bias"]["flags"] == []
    page = html.unescape(Path("f.html").read_text())
    assert "is A's share of the decisive verdicts: a win rate, not a bias estimate" in page
    for option in ("--max-position-bias", "--max-length-bias"):
        refused = invoke("gate", "fixed", option, "0.1")
        assert refused.exit_code == 2 and "--positions swap, random or adaptive" in refused.stderr
    unlabelled = write_jsonl(
        tmp_path / "bare.jsonl", [{k: v for k, v in r.items() if k != "label"} for r in labelled_rows(4)]
    )
    refused = invoke(
        "eval", str(unlabelled), "-j", "mock/first", "--positions", "swap", "--max-length-bias", "0.1", "-q"
    )
    assert refused.exit_code == 2 and "--max-length-bias needs human labels" in refused.stderr


def test_all_unscored_run_has_no_bias_figures_and_the_gate_fails_on_missing_evidence(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", labelled_rows(4))
    result = invoke(
        "eval", str(data), "-j", "mock/unparseable", "--positions", "swap", "-q", "--format", "json",
        "--max-position-bias", "0.5",
    )  # fmt: skip
    # A run where no item got a verdict is an error of its own (exit 3), after the gate lines.
    assert result.exit_code == 3 and "no item got a valid verdict" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["bias"]["p_first"] is None and summary["bias"]["flags"] == [] and summary["orders"] is None
    assert "P(first) distance from 50% not measured" in result.stderr
