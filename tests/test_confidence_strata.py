"""`judgekit labels plan --stratify confidence`: bands of the judge's confidence, more labels where
it is less sure, and the weights carried into the PPI++ estimate as for category strata."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.errors import UsageError
from judgekit.inputs.labels import STRATUM_COLUMN
from judgekit.metrics.confidence_bands import UNKNOWN, band_weights, bands_by_id, confidence_bands
from judgekit.metrics.human_anchored import human_anchored
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.metrics.label_plan import allocate, plan_labels
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Item, Message
from tests.helpers import write_jsonl

runner = CliRunner()
CREDIT = {"A": 1.0, "tie": 0.5, "B": 0.0}
TRUTH = ["A", "B", "tie", "B", "A"]


def test_bands_are_about_equal_and_keep_ties_together() -> None:
    values: list[float | None] = [0.5, 0.5, 0.5, 0.5, 0.7, 0.8, 0.9, 1.0, None]
    assert confidence_bands(values, 2) == ["confidence 0.50"] * 4 + ["confidence 0.70-1.00"] * 4 + [UNKNOWN]
    assert confidence_bands(values, 4) == [
        *["confidence 0.50"] * 4,
        "confidence 0.70-0.80",
        "confidence 0.70-0.80",
        "confidence 0.90-1.00",
        "confidence 0.90-1.00",
        UNKNOWN,
    ]  # ranks 0, 4, 5, 6, 7 of 8 -> bands 0, 2, 2, 3, 3: the ties at 0.5 fill the first two
    assert set(confidence_bands(values, 1)) == {"confidence 0.50-1.00", UNKNOWN}
    two_values: list[float | None] = [0.5] * 36 + [1.0] * 24  # agreement of the two orders
    assert set(confidence_bands(two_values, 3)) == {"confidence 0.50", "confidence 1.00"}
    assert confidence_bands([None, None], 3) == [UNKNOWN, UNKNOWN]
    with pytest.raises(UsageError, match="--bands"):
        confidence_bands([0.5], 0)


def test_weights_follow_the_expected_error_and_allocation_oversamples_low_confidence() -> None:
    names = ["low", "low", "mid", "high", "none"]
    weights = band_weights(names, [0.5, 0.5, 0.8, 1.0, None])
    assert weights["low"] == pytest.approx(0.5)  # e = 0.5
    assert weights["mid"] == pytest.approx(0.4)  # e = 0.2: sqrt(0.2 * 0.8)
    assert weights["high"] == pytest.approx(math.sqrt(0.05 * 0.95))  # e floored at 0.05
    assert weights["none"] == pytest.approx(0.5)  # unknown confidence: as unsure as can be
    # By hand: sizes x weights = 18 and 5.23; n = 12 gives shares 9.30 and 2.70 -> 9 and 3.
    high = math.sqrt(0.05 * 0.95)
    assert allocate({"low": 36, "high": 24}, 12, {"low": 0.5, "high": high}) == {"low": 9, "high": 3}
    # 5 and 19.6: shares 1.22 (lifted to the floor of two) and 4.78 (cut to four, so that the sum is six).
    assert allocate({"low": 10, "high": 90}, 6, {"low": 0.5, "high": high}) == {"low": 2, "high": 4}


def _population(size: int, rng: np.random.Generator) -> tuple[list[Item], list[ItemFacts], list[ItemOutcome]]:
    """Pairs where the judge is unsure on a third of them, and the humans prefer A more often there."""
    items, facts, outcomes = [], [], []
    for index in range(size):
        unsure = index % 3 == 0
        human = "A" if rng.random() < (0.75 if unsure else 0.3) else "B"
        agrees = rng.random() < (0.55 if unsure else 0.95)
        verdict = human if agrees else ("B" if human == "A" else "A")
        confidence = float(rng.uniform(0.5, 0.65) if unsure else rng.uniform(0.85, 1.0))
        other = "B" if verdict == "A" else "A"
        probabilities = {verdict: confidence, other: 1.0 - confidence, "tie": 0.0}
        key = f"i{index}"
        items.append(
            Item(id=key, line=index + 1, turns=(Message(role="user", content="q"),), answer_a="a", answer_b="b")
        )
        facts.append(ItemFacts(key, "pairwise", human, None, None, None, None, None, 1, 1))  # type: ignore[arg-type]
        outcomes.append(ItemOutcome(key, "ok", verdict=verdict, probabilities=probabilities))  # type: ignore[arg-type]
    return items, facts, outcomes


def test_oversampling_low_confidence_keeps_the_weighted_estimate_unbiased() -> None:
    """300 seeded plans over one population whose unsure third leans to A: the plan labels that third
    more heavily, so the labels' own mean, or PPI++ without the strata, is off; with the strata the
    humans' weighted mean is unbiased and so (up to PPI++'s tuned-λ bias, O(1/labels), here a
    fifth of one estimate's spread) is the corrected estimate, whose 95% CI covers the truth."""
    rng = np.random.default_rng(7)
    items, truth_facts, outcomes = _population(600, rng)
    truth = float(np.mean([CREDIT[str(fact.human_label)] for fact in truth_facts]))
    judged = JudgedSet("judge", "pairwise", [replace(fact, human_label=None) for fact in truth_facts], outcomes)
    bands = bands_by_id([fact.id for fact in truth_facts], outcomes, 3)
    found: dict[str, list[float]] = {"corrected": [], "humans": [], "no strata": [], "labels' mean": []}
    covered = 0
    for seed in range(300):
        plan = plan_labels(judged, items, n=120, seed=seed, stratify="confidence")
        drawn = {row["id"] for row in plan.rows}
        labelled = [
            replace(
                fact,
                human_label=fact.human_label if fact.id in drawn else None,
                metadata={STRATUM_COLUMN: bands[fact.id]},
            )
            for fact in truth_facts
        ]
        anchored = human_anchored(labelled, outcomes)
        assert anchored is not None and anchored.sample == "stratified" and anchored.overall is not None
        corrected = anchored.overall.corrected
        found["corrected"].append(corrected.value)
        found["humans"].append(anchored.overall.human_only.value)
        covered += corrected.low <= truth <= corrected.high
        forgotten = [replace(fact, metadata={}) for fact in labelled]  # the same labels, the strata forgotten
        plain = human_anchored(forgotten, outcomes, labels_are_random=True)
        assert plain is not None and plain.overall is not None
        found["no strata"].append(plain.overall.corrected.value)
        found["labels' mean"].append(float(np.mean([CREDIT[str(f.human_label)] for f in labelled if f.human_label])))
    assert plan.allocation["confidence 0.50-0.65"] == (200, 58)  # the unsure third gets about half the labels
    bias = {name: float(np.mean(values)) - truth for name, values in found.items()}
    error = {name: float(np.std(values, ddof=1)) / math.sqrt(300) for name, values in found.items()}
    assert abs(bias["humans"]) < 4 * error["humans"], (bias, error)
    assert abs(bias["corrected"]) < 0.35 * float(np.std(found["corrected"])), (bias, error)
    for name in ("no strata", "labels' mean"):
        assert bias[name] > 10 * error[name], (name, bias, error)  # the unsure items' lean to A, uncorrected
    # At least 95% up to chance; above it is expected: a fifth of a finite population is drawn without
    # replacement and the intervals leave out the finite-population correction (they are conservative).
    assert covered / 300 >= 0.93


def _swap_run(tmp_path: Path, total: int = 60) -> tuple[Path, Path]:
    rows = [
        {
            "id": f"q{i}",
            "question": f"Q{i}?",
            "answer_a": "a" * (i % 7 + 1),
            "answer_b": "b" * (i % 5 + 1),
            "expert": TRUTH[i % 5],
        }
        for i in range(total)
    ]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    run = tmp_path / "run"
    done = runner.invoke(app, ["eval", str(data), "-j", "mock/random", "--positions", "swap", "--out", str(run), "-q"])
    assert done.exit_code == 0, done.output
    return data, run


def _order_confidence(run: Path) -> dict[str, float]:
    """Independently from judgments.jsonl: 1 when the two orders gave the same verdict, else 1/2."""
    verdicts: dict[str, dict[str, Any]] = {}
    for line in (run / "judgments.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("role", "judge") == "judge":
            verdicts.setdefault(row["item_id"], {})[row["call"]] = row["verdict"]
    return {key: 1.0 if calls["AB"] == calls["BA"] else 0.5 for key, calls in verdicts.items()}


def test_plan_merge_eval_round_trip_by_confidence(tmp_path: Path) -> None:
    ppi_py = pytest.importorskip("ppi_py")
    data, run = _swap_run(tmp_path)
    plan = tmp_path / "plan.jsonl"
    done = runner.invoke(app, ["labels", "plan", str(run), "--n", "12", "--stratify", "confidence", "-o", str(plan)])
    assert done.exit_code == 0, done.output
    merged = tmp_path / "merged.jsonl"
    args = ["labels", "merge", str(plan), "--data", str(data), "--from-column", "expert", "-o", str(merged)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "pass --run RUN_DIR" in refused.stderr
    done = runner.invoke(app, [*args, "--run", str(run)])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in merged.read_text().splitlines()]
    confidence = _order_confidence(run)
    assert {row["id"]: row[STRATUM_COLUMN] for row in rows} == {
        key: f"confidence {value:.2f}" for key, value in confidence.items()
    }
    drawn = [json.loads(line) for line in plan.read_text().splitlines()]
    low = sum(row["stratum"] == "confidence 0.50" for row in drawn)
    share = sum(value == 0.5 for value in confidence.values()) / len(confidence)
    assert low / 12 > share  # the unsure items are oversampled
    again = runner.invoke(
        app, ["eval", str(merged), "-j", "mock/random", "--positions", "swap", "-q", "--format", "json"]
    )
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    anchored = summary["human_anchored"]
    assert anchored["sample"] == "stratified" and anchored["labelled"] == 12
    verdicts = _final_verdicts(Path(summary["run_dir"]))
    expected = 0.0
    for name in ("confidence 0.50", "confidence 1.00"):
        members = [row for row in rows if row[STRATUM_COLUMN] == name]
        y = np.array([CREDIT[row["human_label"]] for row in members if row["human_label"]])
        f = np.array([CREDIT[verdicts[row["id"]]] for row in members if row["human_label"]])
        rest = np.array([CREDIT[verdicts[row["id"]]] for row in members if not row["human_label"]])
        estimate = float(np.asarray(ppi_py.ppi_mean_pointestimate(y, f, rest)).ravel()[0])
        expected += len(members) / len(rows) * estimate
    assert anchored["overall"]["corrected"]["value"] == pytest.approx(expected)


def _final_verdicts(run: Path) -> dict[str, str]:
    """Each item's verdict under swap, worked out from its two calls: the same verdict, else a tie."""
    calls: dict[str, dict[str, str]] = {}
    for line in (run / "judgments.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("role", "judge") == "judge":
            calls.setdefault(row["item_id"], {})[row["call"]] = row["verdict"]
    return {key: pair["AB"] if pair["AB"] == pair["BA"] else "tie" for key, pair in calls.items()}


def test_confidence_stratification_refuses_what_cannot_apply(tmp_path: Path) -> None:
    data, run = _swap_run(tmp_path, total=20)
    fixed = tmp_path / "fixed"
    done = runner.invoke(
        app, ["eval", str(data), "-j", "mock/random", "--positions", "fixed", "--out", str(fixed), "-q"]
    )
    assert done.exit_code == 0, done.output
    plan = tmp_path / "plan.jsonl"
    category = tmp_path / "category.jsonl"
    assert runner.invoke(app, ["labels", "plan", str(run), "--n", "6", "-o", str(category)]).exit_code == 0
    cases = [
        (["labels", "plan", str(run), "--n", "6", "--bands", "2"], "--bands applies to --stratify confidence"),
        (
            ["labels", "plan", str(data), "--pred", "expert", "--n", "6", "--stratify", "confidence"],
            "needs a run directory",
        ),
        (["labels", "plan", str(fixed), "--n", "6", "--stratify", "confidence"], "this run has neither"),
        (
            ["labels", "merge", str(category), "--data", str(data), "-o", str(tmp_path / "m.jsonl"), "--run", str(run)],
            "--run applies to plans drawn with --stratify confidence",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    done = runner.invoke(app, ["labels", "plan", str(run), "--n", "6", "--stratify", "confidence", "-o", str(plan)])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in plan.read_text().splitlines()]
    rows[2]["stratum"] = "confidence 0.77"  # a plan that is not this run's
    write_jsonl(plan, rows)
    result = runner.invoke(
        app, ["labels", "merge", str(plan), "--data", str(data), "-o", str(tmp_path / "m.jsonl"), "--run", str(run)]
    )
    assert result.exit_code == 2 and "plan.jsonl:3: field 'stratum'" in result.stderr, result.stderr


def test_a_pointwise_run_cannot_be_stratified_by_confidence(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", [{"id": i, "question": f"q{i}", "answer": f"a{i}"} for i in range(6)])
    run = tmp_path / "run"
    done = runner.invoke(app, ["eval", str(data), "-j", "mock/random", "--mode", "pointwise", "--out", str(run), "-q"])
    assert done.exit_code == 0, done.output
    result = runner.invoke(app, ["labels", "plan", str(run), "--n", "3", "--stratify", "confidence"])
    assert result.exit_code == 2 and "applies to pairwise runs" in result.stderr
