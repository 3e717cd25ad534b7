"""Human-anchored (PPI++) estimates in summaries: what they rest on, the refusal, and the commands."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.metrics.human_anchored import human_anchored, selection_problem
from judgekit.metrics.items import ItemFacts, ItemOutcome
from tests.helpers import write_jsonl

ppi_py = pytest.importorskip("ppi_py")
runner = CliRunner()
CREDIT = {"A": 1.0, "tie": 0.5, "B": 0.0}


def _facts(
    human: list[str | None], categories: list[str | None] | None = None, strata: list[str] | None = None
) -> list[ItemFacts]:
    return [
        ItemFacts(
            id=f"i{index}",
            kind="pairwise",
            human_label=label,  # type: ignore[arg-type]
            human_score=None,
            category=categories[index] if categories else None,
            model=None,
            model_a=None,
            model_b=None,
            length_a=1,
            length_b=1,
            metadata={"label_stratum": strata[index]} if strata else {},
        )
        for index, label in enumerate(human)
    ]


def _outcomes(verdicts: list[str | None]) -> list[ItemOutcome]:
    return [
        ItemOutcome(f"i{index}", "ok", verdict=verdict)  # type: ignore[arg-type]
        if verdict
        else ItemOutcome(f"i{index}", "unscored", reason="no verdict")
        for index, verdict in enumerate(verdicts)
    ]


def _random_labels(seed: int, total: int, labelled: int) -> tuple[list[str], list[str | None]]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["A", "B", "tie"], size=total, p=[0.4, 0.45, 0.15])
    verdicts = [label if rng.random() < 0.7 else "A" for label in truth]
    chosen = set(rng.choice(total, size=labelled, replace=False).tolist())
    return verdicts, [str(label) if index in chosen else None for index, label in enumerate(truth)]


def _ppi_py(verdicts: list[str], human: list[str | None]) -> tuple[float, float, float]:
    y = np.array([CREDIT[h] for h in human if h is not None])
    f = np.array([CREDIT[v] for v, h in zip(verdicts, human, strict=True) if h is not None])
    rest = np.array([CREDIT[v] for v, h in zip(verdicts, human, strict=True) if h is None])
    value = float(np.asarray(ppi_py.ppi_mean_pointestimate(y, f, rest)).ravel()[0])
    low, high = (float(np.asarray(end).ravel()[0]) for end in ppi_py.ppi_mean_ci(y, f, rest, alpha=0.05))
    return value, low, high


def test_win_rate_overall_and_per_category_match_ppi_py() -> None:
    verdicts, human = _random_labels(3, 240, 80)
    categories = ["writing" if index % 3 else "math" for index in range(240)]
    found = human_anchored(_facts(human, categories), _outcomes(list(verdicts)))
    assert found is not None and found.overall is not None
    assert found.metric == "win rate of A" and found.sample == "checked"
    assert (found.items, found.labelled) == (240, 80)
    value, low, high = _ppi_py(verdicts, human)
    corrected = found.overall.corrected
    assert corrected.value == pytest.approx(value)
    assert (corrected.low, corrected.high) == pytest.approx((max(0.0, low), min(1.0, high)))
    judged = [CREDIT[v] for v in verdicts]
    assert found.overall.judge_only.value == pytest.approx(np.mean(judged))
    assert found.overall.human_only.value == pytest.approx(np.mean([CREDIT[h] for h in human if h]))
    for name in ("math", "writing"):
        members = [index for index, category in enumerate(categories) if category == name]
        expected = _ppi_py([verdicts[i] for i in members], [human[i] for i in members])
        assert found.by_category[name].corrected.value == pytest.approx(expected[0])


def test_unscored_items_are_left_out_and_counted() -> None:
    verdicts, human = _random_labels(4, 60, 20)
    broken: list[str | None] = list(verdicts)
    labelled_index = next(index for index, label in enumerate(human) if label is not None)
    broken[labelled_index] = None
    broken[next(index for index, label in enumerate(human) if label is None)] = None
    found = human_anchored(_facts(human), _outcomes(broken))
    assert found is not None and found.overall is not None
    assert (found.items, found.labelled, found.labelled_unscored) == (58, 19, 1)
    kept = [index for index, verdict in enumerate(broken) if verdict is not None]
    expected = _ppi_py([verdicts[i] for i in kept], [human[i] for i in kept])
    assert found.overall.corrected.value == pytest.approx(expected[0])
    assert any("1 labelled items have no judge verdict" in note for note in found.notes)


def test_no_estimate_without_labels_or_with_every_item_labelled() -> None:
    assert human_anchored(_facts([None, None, None]), _outcomes(["A", "B", "A"])) is None
    assert human_anchored(_facts(["A", "B", "A"]), _outcomes(["A", "B", "A"])) is None
    assert human_anchored([], []) is None


def test_one_labelled_item_is_reported_without_an_estimate() -> None:
    found = human_anchored(_facts(["A", None, None, None]), _outcomes(["A", "B", "A", "tie"]))
    assert found is not None and found.overall is None
    assert any("at least 2 labelled items" in note for note in found.notes)


def test_labels_all_in_one_category_are_refused_unless_declared_random() -> None:
    categories = ["math"] * 50 + ["writing"] * 50
    human: list[str | None] = ["A"] * 10 + [None] * 90
    verdicts = ["A", "B"] * 50
    found = human_anchored(_facts(human, categories), _outcomes(verdicts))
    assert found is not None and found.overall is None
    assert found.refused is not None and "all 10 labelled items are in category 'math'" in found.refused
    chance = 2 * math.comb(50, 10) / math.comb(100, 10)  # either category, worked by hand: 0.0012
    assert f"probability {chance:.1g})" in found.refused
    trusted = human_anchored(_facts(human, categories), _outcomes(verdicts), labels_are_random=True)
    assert trusted is not None and trusted.refused is None and trusted.sample == "asserted"
    assert trusted.overall is not None


def test_a_small_sample_in_one_category_is_not_called_selected() -> None:
    categories = ["math"] * 50 + ["writing"] * 50
    human: list[str | None] = [None] * 100
    human[3], human[20] = "A", "B"  # two labels, both math: a random pair does that half the time
    assert selection_problem(_facts(human, categories), np.array([h is not None for h in human])) is None


def test_labels_on_the_first_or_last_rows_are_refused() -> None:
    verdicts = ["A", "B", "tie", "A"] * 25
    first: list[str | None] = ["A"] * 5 + [None] * 95
    last: list[str | None] = [None] * 95 + ["B"] * 5
    for human, where in ((first, "first"), (last, "last")):
        found = human_anchored(_facts(human), _outcomes(verdicts))
        assert found is not None and found.refused is not None
        assert f"exactly the {where} 5 of the 100 scored items" in found.refused
    random_rows = human_anchored(_facts([None] * 2 + ["A"] * 3 + [None] * 95), _outcomes(verdicts))
    assert random_rows is not None and random_rows.refused is None  # not at either end


def test_a_stratified_plan_is_weighted_by_stratum_and_not_checked() -> None:
    categories = ["math"] * 20 + ["writing"] * 80
    human: list[str | None] = ["A", "B", "A", "tie"] + [None] * 16 + ["B", "B", "A", "B"] + [None] * 76
    verdicts = ["A", "B", "B", "tie", "A"] * 20
    found = human_anchored(_facts(human, categories, strata=categories), _outcomes(verdicts))
    assert found is not None and found.overall is not None
    assert found.sample == "stratified" and found.stratified_by == "label_stratum"
    expected = 0.2 * _ppi_py(verdicts[:20], human[:20])[0] + 0.8 * _ppi_py(verdicts[20:], human[20:])[0]
    assert found.overall.corrected.value == pytest.approx(expected)


def test_pointwise_pass_fail_is_a_pass_rate() -> None:
    facts = [
        ItemFacts(f"i{index}", "pointwise", None, score, None, None, None, None, 1, 0)
        for index, score in enumerate([1.0, 0.0, 1.0, None, None, None, None, 1.0, None, None])
    ]
    outcomes = [ItemOutcome(f"i{index}", "ok", score=float(index % 2)) for index in range(10)]
    found = human_anchored(facts, outcomes, labels_are_random=True)
    assert found is not None and found.metric == "pass rate"
    scaled = [ItemOutcome(f"i{index}", "ok", score=float(index % 5 + 1)) for index in range(10)]
    assert (found := human_anchored(facts, scaled, labels_are_random=True)) is not None
    assert found.metric == "mean score"


# -- the commands ---------------------------------------------------------------------------------


def _dataset(path: Path, labelled: set[int], total: int = 40) -> Path:
    rows: list[dict[str, Any]] = []
    for index in range(total):
        rows.append(
            {
                "id": f"q{index}",
                "question": f"Question {index}?",
                "answer_a": f"first answer {index}",
                "answer_b": f"second answer {index}",
                "human_label": ["A", "B", "tie", "B"][index % 4] if index in labelled else None,
                "judge": ["A", "B", "A", "A"][index % 4],
            }
        )
    return write_jsonl(path, rows)


LABELLED = {1, 4, 6, 11, 17, 22, 27, 30, 35, 38}


def test_eval_reports_the_corrected_win_rate(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data.jsonl", LABELLED)
    result = runner.invoke(
        app, ["eval", str(data), "-j", "mock/first", "--positions", "fixed", "--format", "json", "-q"]
    )
    assert result.exit_code == 0, result.output
    anchored = json.loads(result.stdout)["human_anchored"]
    # The judge always says A: it carries no information, so the estimate is the humans' own.
    human_mean = np.mean([CREDIT[["A", "B", "tie", "B"][index % 4]] for index in LABELLED])
    assert anchored["overall"]["judge_only"]["value"] == 1.0
    assert anchored["overall"]["corrected"]["value"] == pytest.approx(human_mean)
    assert anchored["overall"]["lambdas"] == {"all": 0.0}
    assert anchored["overall"]["effective_labels"] == pytest.approx(10.0)
    table = runner.invoke(app, ["report", json.loads(result.stdout)["run_dir"]])
    assert table.exit_code == 0, table.output
    assert "Human-anchored win rate of A" in table.stdout and "(PPI++" in table.stdout


def test_eval_refuses_selected_labels_before_any_call_and_report_accepts_the_override(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data.jsonl", set(range(10)))
    out = tmp_path / "run"
    result = runner.invoke(app, ["eval", str(data), "-j", "mock/random", "--out", str(out), "-q"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "exactly the first 10 of the 40" in result.stderr
    assert "Traceback" not in result.output and not out.exists()  # refused before anything was judged
    trusted = ["eval", str(data), "-j", "mock/random", "--out", str(out), "-q", "--format", "json"]
    judged = runner.invoke(app, [*trusted, "--labels-are-random"])
    assert judged.exit_code == 0, judged.output
    assert json.loads(judged.stdout)["human_anchored"]["sample"] == "asserted"
    # The run keeps the assertion: `report` rebuilds the same estimates without being told again.
    again = runner.invoke(app, ["report", str(out), "--format", "json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["human_anchored"]["sample"] == "asserted"


def test_agreement_reports_anchored_estimates_from_a_column(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data.jsonl", LABELLED)
    result = runner.invoke(app, ["agreement", str(data), "--pred", "judge", "--format", "json"])
    assert result.exit_code == 0, result.output
    anchored = json.loads(result.stdout)["rows"][0]["human_anchored"]
    verdicts = [["A", "B", "A", "A"][index % 4] for index in range(40)]
    human = [["A", "B", "tie", "B"][index % 4] if index in LABELLED else None for index in range(40)]
    assert anchored["overall"]["corrected"]["value"] == pytest.approx(_ppi_py(verdicts, human)[0])
    table = runner.invoke(app, ["agreement", str(data), "--pred", "judge"])
    assert "humans only" in table.stdout and "worth (labels)" in table.stdout


def test_agreement_refuses_selected_labels_in_one_line(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "data.jsonl", set(range(30, 40)))
    result = runner.invoke(app, ["agreement", str(data), "--pred", "judge"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "exactly the last 10" in result.stderr
    assert "--labels-are-random" in result.stderr
    trusted = runner.invoke(app, ["agreement", str(data), "--pred", "judge", "--labels-are-random"])
    assert trusted.exit_code == 0, trusted.output
