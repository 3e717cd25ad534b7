"""`judgekit diff` refuses runs on different scales or of different kinds unless told how to
compare them (--rescale maps each run's scores onto 0-1 with its own scale)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider
from tests.gate_helpers import (
    PASS_FAIL_TEMPLATE,
    ci_responder,
    cli,
    gate_lines,
    pairs,
    points,
    start_judge,
    write_jsonl,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO_POINTS = ROOT / "datasets" / "demo" / "pointwise.jsonl"
JUDGE = "openai/judge-1"
FIVE_POINT_TEMPLATE = """---
kind: pointwise
description: A 1-5 grade of the answer.
verdict:
  type: score
  pattern: 'Grade:\\s*(\\d)'
  format: 'Grade: {score}'
  scale: [1, 5]
params: {temperature: 0, max_tokens: 64}
---
Question: {{ question }}
<answer>{{ answer }}</answer>
Grade the answer from 1 to 5, after the word Grade and a colon.
"""


def five_point_responder(request: Any) -> str:
    if "Grade the answer from 1 to 5" in request.prompt:
        return "Grade: 4" if "GOOD" in request.prompt else "Grade: 1"
    return str(ci_responder(request))


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    return start_judge(fake_provider, monkeypatch, five_point_responder)


def _runs(tmp_path: Path) -> None:
    """run10: q0-q9 good on 1-10 (9 or 2); run5: q0-q5 good on 1-5 (4 or 1). Both all GOOD for q0-q5."""
    template = tmp_path / "five.jinja"
    template.write_text(FIVE_POINT_TEMPLATE)
    v1 = write_jsonl(tmp_path / "v1.jsonl", points(12, good=range(10)))
    v2 = write_jsonl(tmp_path / "v2.jsonl", points(12, good=range(6)))
    assert cli("eval", v1, "-j", JUDGE, "-q", "--out", "run10").exit_code == 0
    assert cli("eval", v2, "-j", JUDGE, "-q", "--out", "run5", "--prompt", template).exit_code == 0


def test_runs_on_different_scales_are_refused(judge: FakeProvider, tmp_path: Path) -> None:
    _runs(tmp_path)
    result = cli("diff", "run10", "run5", "--max-regression", "1")
    assert result.exit_code == 2  # refused before any gate, not failed after a warning
    [line] = result.stderr.strip().splitlines()
    assert line == (
        f"judgekit: error: run10 scores 1-10 (template pointwise/score) and run5 1-5 (template {tmp_path / 'five.jinja'}): "
        "a change in mean score would mix scales; pass --rescale to compare both on 0-1 (each with its own scale)"
    )
    assert result.stdout == ""


def test_rescale_compares_both_on_zero_to_one(judge: FakeProvider, tmp_path: Path) -> None:
    _runs(tmp_path)
    result = cli("diff", "run10", "run5", "--rescale", "--format", "json", "--min-items", "12")
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    before = [(9 - 1) / 9] * 10 + [(2 - 1) / 9] * 2
    after = [(4 - 1) / 4] * 6 + [0.0] * 6
    changes = [b - a for a, b in zip(before, after, strict=True)]
    assert diff["rescaled"] is True and diff["metric"] == "mean score on 0-1"
    assert diff["before_metric"]["value"] == pytest.approx(sum(before) / 12)
    assert diff["after_metric"]["value"] == pytest.approx(sum(after) / 12)
    assert diff["test"]["change"]["value"] == pytest.approx(sum(changes) / 12)
    assert [item["id"] for item in diff["worse"]][:4] == ["q6", "q7", "q8", "q9"]
    assert diff["worse"][0]["change"] == pytest.approx(0.0 - 8 / 9)
    # The gate is a fraction of the scale: the mean fell by about 0.43.
    drop = -sum(changes) / 12
    passed = cli("diff", "run10", "run5", "--rescale", "--max-regression", f"{drop + 0.01:.3f}", "--min-items", "12")
    assert passed.exit_code == 0, passed.output
    failed = cli("diff", "run10", "run5", "--rescale", "--max-regression", f"{drop - 0.01:.3f}", "--min-items", "12")
    assert failed.exit_code == 1
    [line] = gate_lines(failed.stderr)
    assert f"drop in mean score on 0-1 {drop * 100:.1f}%" in line
    too_big = cli("diff", "run10", "run5", "--rescale", "--max-regression", "2")
    assert too_big.exit_code == 2 and "with --rescale, a drop is a fraction from 0 to 1" in too_big.stderr


def test_a_pass_fail_run_is_on_another_scale_than_scores(judge: FakeProvider, tmp_path: Path) -> None:
    template = tmp_path / "check.jinja"
    template.write_text(PASS_FAIL_TEMPLATE)
    data = write_jsonl(tmp_path / "v.jsonl", points(10, good=range(7)))
    assert cli("eval", data, "-j", JUDGE, "-q", "--out", "scores").exit_code == 0
    assert cli("eval", data, "-j", JUDGE, "-q", "--out", "checks", "--prompt", template).exit_code == 0
    refused = cli("diff", "scores", "checks")
    assert (
        refused.exit_code == 2
        and f"scores 1-10 (template pointwise/score) and checks 0-1 (template {template})" in refused.stderr
    )
    rescaled = cli("diff", "scores", "checks", "--rescale", "--format", "json")
    assert rescaled.exit_code == 0, rescaled.output
    assert json.loads(rescaled.stdout)["test"]["change"]["value"] == pytest.approx(
        (7 * (1 - 8 / 9) + 3 * (0 - 1 / 9)) / 10
    )


def test_kinds_never_mix_and_rescale_is_refused_where_it_cannot_apply(judge: FakeProvider, tmp_path: Path) -> None:
    assert (
        cli(
            "eval", write_jsonl(tmp_path / "p.jsonl", pairs(10, a_good=range(10))), "-j", JUDGE, "-q", "--out", "pw"
        ).exit_code
        == 0
    )
    assert (
        cli(
            "eval", write_jsonl(tmp_path / "s.jsonl", points(10, good=range(10))), "-j", JUDGE, "-q", "--out", "pt"
        ).exit_code
        == 0
    )
    for extra in ([], ["--rescale"]):
        mixed = cli("diff", "pw", "pt", *extra)
        assert mixed.exit_code == 2 and "a win rate and a mean score cannot be put on one scale" in mixed.stderr
    pairwise = cli("diff", "pw", "pw", "--rescale")
    assert pairwise.exit_code == 2 and "--rescale applies to pointwise runs" in pairwise.stderr


def test_the_bundled_demo_on_a_ten_and_a_five_point_template(tmp_path: Path) -> None:
    common = ["eval", DEMO_POINTS, "--judge", "mock/random", "-q"]
    assert cli(*common, "--out", "ten").exit_code == 0
    assert cli(*common, "--out", "five", "--prompt", "pointwise/direct").exit_code == 0
    refused = cli("diff", "ten", "five", "--max-regression", "1")
    assert refused.exit_code == 2 and "ten scores 1-10" in refused.stderr and "five 1-5" in refused.stderr
    result = cli("diff", "ten", "five", "--rescale", "--format", "json")
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)

    def scores(run: str) -> dict[str, float]:
        rows = [json.loads(line) for line in Path(run, "judgments.jsonl").read_text().splitlines()]
        return {
            row["item_id"]: row["score"]
            for row in rows
            if row.get("role", "judge") == "judge" and row["status"] == "ok"
        }

    ten, five = scores("ten"), scores("five")
    shared = sorted(ten.keys() & five.keys())
    expected = sum((five[i] - 1) / 4 - (ten[i] - 1) / 9 for i in shared) / len(shared)
    assert diff["test"]["n"] == len(shared) == 40
    assert diff["test"]["change"]["value"] == pytest.approx(expected)
