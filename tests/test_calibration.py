"""The judge's calibration against human labels: reliability bins and ECE (judgekit.stats.calibration)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.metrics.calibration import judge_calibration
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.stats.calibration import expected_calibration_error, reliability
from tests.helpers import pairwise_rows, write_jsonl


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bins_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    confidence = np.concatenate([rng.uniform(1 / 3, 1, size=300), [0.5, 0.7, 1.0, 0.0, 0.1]])
    correct = rng.random(confidence.size) < confidence
    table = reliability(confidence, correct)
    accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=10, strategy="uniform")
    assert [row.accuracy for row in table] == pytest.approx(accuracy)
    assert [row.confidence for row in table] == pytest.approx(mean_confidence)
    assert sum(row.n for row in table) == confidence.size


def test_ece_worked_by_hand() -> None:
    table = reliability([0.95, 0.95, 0.55, 0.55], [True, False, True, True])
    assert [(row.low, row.high, row.n) for row in table] == [(0.5, pytest.approx(0.6), 2), (0.9, 1.0, 2)]
    # (0.5, 0.6]: confident 0.55, right 100%; (0.9, 1.0]: confident 0.95, right 50%: both gaps 0.45.
    assert expected_calibration_error(table) == pytest.approx(0.45)
    perfect = reliability([1.0, 1.0, 0.5, 0.5], [True, True, True, False])
    assert expected_calibration_error(perfect) == pytest.approx(0.0)


def test_edges() -> None:
    assert reliability([], []) == [] and expected_calibration_error([]) is None
    one = reliability([0.8], [False])
    assert len(one) == 1 and expected_calibration_error(one) == pytest.approx(0.8)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability([1.2], [True])
    with pytest.raises(ValueError, match="aligned"):
        reliability([0.5, 0.6], [True])


def _fact(index: int, label: str | None) -> ItemFacts:
    return ItemFacts(f"i{index}", "pairwise", label, None, None, None, None, None, 1, 1)  # type: ignore[arg-type]


def test_confidence_from_probabilities_or_the_two_orders() -> None:
    facts = [_fact(0, "A"), _fact(1, "B"), _fact(2, None)]
    with_probabilities = [
        ItemOutcome("i0", "ok", verdict="A", probabilities={"A": 0.9, "B": 0.05, "tie": 0.05}),
        ItemOutcome("i1", "ok", verdict="A", probabilities={"A": 0.6, "B": 0.3, "tie": 0.1}),
        ItemOutcome("i2", "ok", verdict="A", probabilities={"A": 0.7, "B": 0.2, "tie": 0.1}),  # no label: left out
    ]
    found = judge_calibration(facts, with_probabilities)
    assert found is not None and found.source == "probability" and found.n == 2
    assert [(row.confidence, row.accuracy) for row in found.bins] == [(0.6, 0.0), (0.9, 1.0)]
    assert found.ece == pytest.approx(0.5 * 0.6 + 0.5 * 0.1)
    swapped = [
        ItemOutcome("i0", "ok", verdict="A", flipped=False),
        ItemOutcome("i1", "ok", verdict="tie", flipped=True),
        ItemOutcome("i2", "ok", verdict="B", flipped=False),
    ]
    found = judge_calibration(facts, swapped)
    assert found is not None and found.source == "order agreement"
    assert [(row.confidence, row.accuracy) for row in found.bins] == [(0.5, 0.0), (1.0, 1.0)]
    assert judge_calibration(facts, [ItemOutcome(f"i{i}", "ok", verdict="A") for i in range(3)]) is None


def test_eval_under_swap_reports_the_reliability_table(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", pairwise_rows(12))
    result = CliRunner().invoke(
        app, ["eval", str(data), "-j", "mock/random", "--positions", "swap", "--format", "json", "-q"]
    )
    assert result.exit_code == 0, result.output
    calibration = json.loads(result.stdout)["human"]["calibration"]
    assert calibration["source"] == "order agreement" and calibration["n"] == 12
    assert sum(row["n"] for row in calibration["bins"]) == 12
    table = CliRunner().invoke(app, ["report", json.loads(result.stdout)["run_dir"]])
    assert "Judge calibration" in table.stdout
