"""Comparisons of runs only on matched items, each against its own labels; the printed interval
and the significance verdict come from one test."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

from judgekit.compare.significance import _bootstrap_result, best_against_runner_up
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.metrics.outcomes import JudgedSet
from judgekit.stats.intervals import Estimate
from judgekit.stats.significance import mcnemar_exact, mcnemar_interval
from tests.gate_helpers import cli, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
MT_BENCH = ROOT / "datasets" / "mt_bench_human_200.jsonl"
FLIP = {"1": "2", "2": "1", "0": "0", "A": "B", "B": "A", "tie": "tie"}


def _rows(path: Path, limit: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:limit]]


def _reversed_copy(row: dict[str, Any]) -> dict[str, Any]:
    """The same comparison told the other way round: answers swapped, the label flipped."""
    copy = dict(row)
    copy["output_1"], copy["output_2"] = row["output_2"], row["output_1"]
    copy["label"] = FLIP[str(row["label"])]
    return copy


def _eval(data: Path, out: str) -> None:
    result = cli("eval", data, "--judge", "mock/first", "--positions", "fixed", "-q", "--out", out)
    assert result.exit_code == 0, result.output


def _one_line_refusal(*args: Any) -> str:
    result = cli("agreement", *args)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    return str(line)


# -- which runs may be compared ---------------------------------------------------------------
def test_a_forward_and_a_reversed_copy_are_refused(tmp_path: Path) -> None:
    rows = _rows(MT_BENCH, 40)
    assert {"output_1", "output_2", "label"} <= rows[0].keys()
    _eval(write_jsonl(tmp_path / "forward.jsonl", rows), "forward")
    _eval(write_jsonl(tmp_path / "reversed.jsonl", [_reversed_copy(row) for row in rows]), "reversed")
    line = _one_line_refusal("forward", "reversed")
    assert "hold different data: item 'Processed/MT-Bench#0' has a different question or different answers" in line


def test_rows_in_reverse_order_without_ids_are_refused(tmp_path: Path) -> None:
    rows = [{key: value for key, value in row.items() if key != "id"} for row in _rows(MT_BENCH, 20)]
    _eval(write_jsonl(tmp_path / "forward.jsonl", rows), "forward")
    _eval(write_jsonl(tmp_path / "backward.jsonl", rows[::-1]), "backward")
    assert "item '1' has a different question or different answers" in _one_line_refusal("forward", "backward")


def test_same_texts_with_other_labels_are_refused(tmp_path: Path) -> None:
    rows = _rows(MT_BENCH, 20)
    relabelled = [dict(row) for row in rows]
    relabelled[3]["label"] = FLIP[str(rows[3]["label"])]
    _eval(write_jsonl(tmp_path / "one.jsonl", rows), "one")
    _eval(write_jsonl(tmp_path / "two.jsonl", relabelled), "two")
    line = _one_line_refusal("one", "two")
    assert f"item {rows[3]['id']!r} has different human labels" in line


def test_runs_over_different_items_are_refused(tmp_path: Path) -> None:
    rows = _rows(MT_BENCH, 20)
    _eval(write_jsonl(tmp_path / "all.jsonl", rows), "all")
    _eval(write_jsonl(tmp_path / "some.jsonl", rows[:15]), "some")
    assert "hold different items (e.g. id" in _one_line_refusal("all", "some")


def test_the_same_items_in_another_order_are_matched_by_id(tmp_path: Path) -> None:
    rows = _rows(MT_BENCH, 30)
    shuffled = list(rows)
    random.Random(7).shuffle(shuffled)
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    _eval(data, "ordered")
    _eval(write_jsonl(tmp_path / "shuffled.jsonl", shuffled), "shuffled")
    result = cli("agreement", "ordered", "shuffled", "--format", "json", "--resamples", "200")
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    first, second = comparison["rows"]
    assert first["agreement"]["value"] == second["agreement"]["value"]
    test = comparison["best_vs_runner_up"]
    assert (test["units"], test["only_best_right"], test["only_runner_up_right"]) == (first["human_n"], 0, 0)
    # A data file with the judge's verdicts as a column matches its own run as well.
    verdicts = [{**row, "judge": "A"} for row in rows]
    column = write_jsonl(tmp_path / "column.jsonl", verdicts)
    both = cli("agreement", "ordered", column, "--pred", "judge", "--format", "json", "--resamples", "200")
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["best_vs_runner_up"]["only_best_right"] == 0


def _judged(name: str, labels: list[str], verdicts: list[str]) -> JudgedSet:
    facts = [ItemFacts(str(i), "pairwise", label, None, None, None, None, None, 1, 1) for i, label in enumerate(labels)]  # type: ignore[arg-type]
    outcomes = [ItemOutcome(str(i), "ok", verdict=verdict) for i, verdict in enumerate(verdicts)]  # type: ignore[arg-type]
    return JudgedSet(name=name, kind="pairwise", facts=facts, outcomes=outcomes)


def test_each_set_is_scored_against_its_own_labels() -> None:
    best = _judged("best", ["A"] * 12, ["A"] * 12)
    other = _judged("other", ["B"] * 12, ["B"] * 10 + ["A"] * 2)  # right on 10 of its own 12
    test = best_against_runner_up(best, other, "agreement", level="item", group_by=None)
    assert test is not None
    assert (test.only_best_right, test.only_runner_up_right) == (2, 0)  # not 12: B is right for `other`


# -- one test behind the interval and the verdict ---------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_mcnemar_interval_matches_clopper_pearson_and_agrees_with_p(n: int) -> None:
    for only_first in range(n + 1):
        for only_second in range(n + 1 - only_first):
            first = [True] * only_first + [False] * only_second + [True] * (n - only_first - only_second)
            second = [False] * only_first + [True] * only_second + [True] * (n - only_first - only_second)
            _, _, p = mcnemar_exact(first, second)
            discordant = only_first + only_second
            interval = mcnemar_interval(only_first, only_second, n)
            if discordant == 0:
                assert interval is None and p == 1.0
                continue
            assert interval is not None
            table = [[n - discordant, only_first], [only_second, 0]]
            assert p == pytest.approx(mcnemar(table, exact=True).pvalue)
            low_share, high_share = proportion_confint(only_first, discordant, alpha=0.05, method="beta")
            expected = (discordant / n * (2 * low_share - 1), discordant / n * (2 * high_share - 1))
            assert interval == pytest.approx(expected, abs=1e-9)
            assert interval[0] <= (only_first - only_second) / n <= interval[1]
            assert (p < 0.05) == (interval[0] > 0 or interval[1] < 0), (only_first, only_second, p, interval)


def _two_columns(tmp_path: Path, n: int, second_wrong: int) -> Path:
    rows = []
    for index in range(n):
        label = "A" if index % 2 else "B"
        wrong = "B" if label == "A" else "A"
        rows.append(
            {
                "id": f"q{index}",
                "question": f"Question {index}?",
                "answer_a": "one",
                "answer_b": "two",
                "label": label,
                "best": label,
                "second": wrong if index < second_wrong else label,
            }
        )
    return write_jsonl(tmp_path / f"columns-{second_wrong}.jsonl", rows)


@pytest.mark.parametrize(("wrong", "significant"), [(4, False), (5, False), (6, True)])
def test_the_printed_interval_and_the_verdict_agree(tmp_path: Path, wrong: int, significant: bool) -> None:
    data = _two_columns(tmp_path, 20, wrong)
    result = cli("agreement", data, "--pred", "best", "--pred", "second", "--format", "json")
    assert result.exit_code == 0, result.output
    test = json.loads(result.stdout)["best_vs_runner_up"]
    difference = test["difference"]
    assert difference["value"] == pytest.approx(wrong / 20)
    assert test["p_value"] == pytest.approx(2 * 0.5**wrong)
    assert test["significant"] is significant
    assert (difference["low"] > 0) is significant and difference["high"] == pytest.approx(wrong / 20)
    table = cli("agreement", data, "--pred", "best", "--pred", "second")
    verdict = "is significantly better than" if significant else "is not significantly better than"
    line = " ".join(table.stdout.split())
    assert f"best {verdict} second on agreement" in line
    assert f"exact interval from the {wrong} items only one got right ({wrong} only best, 0 only second)" in line


def test_bootstrap_verdicts_follow_their_interval(tmp_path: Path) -> None:
    data = _two_columns(tmp_path, 30, 8)
    result = cli("agreement", data, "--pred", "best", "--pred", "second", "--rank-by", "kappa", "--format", "json")
    assert result.exit_code == 0, result.output
    test = json.loads(result.stdout)["best_vs_runner_up"]
    difference = test["difference"]
    assert test["method"] == "paired bootstrap"
    assert test["significant"] == bool(difference["low"] > 0 or difference["high"] < 0)
    agree = (test["p_value"] < 0.05) == test["significant"]
    basis = "interval and p from the same bootstrap draws" if agree else "the verdict follows the interval"
    assert basis in test["statement"]
    assert np.isfinite(test["p_value"])


def test_a_bootstrap_interval_and_p_that_disagree_at_the_edge_say_so() -> None:
    best, other = _judged("best", ["A"], ["A"]), _judged("other", ["A"], ["B"])
    edge = Estimate(value=0.1, low=0.001, high=0.2, n=30)
    test = _bootstrap_result("kappa", best, other, 30, "items", edge, 0.05, "paired bootstrap")
    assert test.significant and "the interval excludes 0 while p = 0.05" in test.statement
    inside = Estimate(value=0.1, low=-0.001, high=0.2, n=30)
    test = _bootstrap_result("kappa", best, other, 30, "items", inside, 0.049, "paired bootstrap")
    assert not test.significant and "the interval includes 0 while p = 0.049" in test.statement
