"""Names follow the answers: remapping answer_a/answer_b moves the models, paired columns,
human labels and (in `agreement`) the judge's verdicts with them, or stops with one line."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.errors import DatasetError
from judgekit.inputs.columns import resolve_mapping
from judgekit.inputs.datasets import Dataset, ReadOptions
from judgekit.inputs.pairing import flip
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import cli, start_judge, summary_json, write_jsonl
from tests.helpers import FEW_RESAMPLES

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT / "datasets" / "alpaca_eval" / "annotations_alpaca_eval_gpt4_alpaca-7b.jsonl"
SWAP = {"answer_a": "output_2", "answer_b": "output_1"}
ALPACA_COLUMNS = ("instruction", "output_1", "generator_1", "output_2", "generator_2", "preference")


def _items(path: Path, fields: dict[str, str]) -> list[Any]:
    return list(Dataset(path, ReadOptions(fields=fields)))


# -- the mapping ------------------------------------------------------------------------------
def test_models_follow_swapped_answers_unless_mapped_explicitly() -> None:
    assert resolve_mapping(ALPACA_COLUMNS, {})["model_a"] == "generator_1"
    swapped = resolve_mapping(ALPACA_COLUMNS, SWAP)
    assert (swapped["answer_a"], swapped["model_a"]) == ("output_2", "generator_2")
    assert (swapped["answer_b"], swapped["model_b"]) == ("output_1", "generator_1")
    pinned = resolve_mapping(ALPACA_COLUMNS, {**SWAP, "model_a": "generator_1"})
    assert (pinned["model_a"], pinned["model_b"]) == ("generator_1", "generator_1")
    # Canonical column names swap the same way.
    canonical = ("question", "answer_a", "answer_b", "model_a", "model_b")
    crossed = resolve_mapping(canonical, {"answer_a": "answer_b", "answer_b": "answer_a"})
    assert (crossed["model_a"], crossed["model_b"]) == ("model_b", "model_a")


def test_answers_from_other_columns_take_the_model_with_the_same_suffix() -> None:
    columns = ("prompt", "output_1", "output_2", "output_3", "generator_1", "generator_2", "generator_3")
    mapping = resolve_mapping(columns, {"answer_a": "output_3", "answer_b": "output_2"})
    assert (mapping["model_a"], mapping["model_b"]) == ("generator_3", "generator_2")
    # Letters and digits name the same side; a side without a model column gets no model.
    mixed = resolve_mapping(
        ("q", "output_1", "output_2", "output_3", "model_b"), {"answer_a": "output_2", "answer_b": "output_3"}
    )
    assert mixed["model_a"] == "model_b" and "model_b" not in mixed
    # A file that names no pair of its own: the mapping defines A and B, nothing moves.
    plain = resolve_mapping(("q", "chosen", "rejected", "model_a"), {"answer_a": "chosen", "answer_b": "rejected"})
    assert plain["model_a"] == "model_a"


def test_flip() -> None:
    assert [flip(label) for label in ("A", "B", "tie")] == ["B", "A", "tie"]


# -- items --------------------------------------------------------------------------------------
def _pair_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": f"q{index}",
            "instruction": f"Question {index}?",
            "output_1": f"first answer {index}",
            "output_2": f"second, longer answer {index}",
            "generator_1": "base",
            "generator_2": "cand",
            "length_1": 10 + index,
            "length_2": 20 + index,
            "score_a": 1,
            "score_b": 2,
            "label": label,
            "note": "kept",
        }
        for index, label in enumerate(["1", "2", "0", "A", "b"])
    ]


def test_items_carry_the_models_labels_and_paired_columns_of_their_answers(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", _pair_rows())
    [plain, *_] = plain_items = _items(data, {})
    assert (plain.model_a, plain.human_label, plain.metadata["length_1"]) == ("base", "A", 10)
    swapped = _items(data, SWAP)
    for before, after in zip(plain_items, swapped, strict=True):
        assert (after.answer_a, after.answer_b) == (before.answer_b, before.answer_a)
        assert (after.model_a, after.model_b) == ("cand", "base")
        assert after.human_label == {"A": "B", "B": "A", "tie": "tie"}[str(before.human_label)]
        meta = after.metadata
        assert (meta["length_1"], meta["length_2"]) == (before.metadata["length_2"], before.metadata["length_1"])
        assert (meta["score_a"], meta["score_b"]) == (2, 1) and meta["note"] == "kept"


def test_a_label_that_cannot_follow_is_an_error_naming_the_row(tmp_path: Path) -> None:
    rows = [{**row, "output_3": "third", "generator_3": "other"} for row in _pair_rows()]
    data = write_jsonl(tmp_path / "three.jsonl", rows)
    with pytest.raises(DatasetError) as caught:
        _items(data, {"answer_a": "output_2", "answer_b": "output_3"})
    assert str(caught.value).startswith(f"{data}:1: field 'label': human labels say which of the file's answers")
    # Without labels the models still follow.
    for row in rows:
        del row["label"]
    [item, *_] = _items(
        write_jsonl(tmp_path / "unlabelled.jsonl", rows), {"answer_a": "output_2", "answer_b": "output_3"}
    )
    assert (item.model_a, item.model_b) == ("cand", "other")
    result = cli("eval", data, "--judge", "mock/first", "--field", "answer_a=output_2", "--field", "answer_b=output_3")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


# -- eval: the README's AlpacaEval command -----------------------------------------------------
def _readme_command(marker: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [line] = [line for line in readme.splitlines() if line.startswith("judgekit ") and marker in line]
    return shlex.split(line)[1:]


def test_the_readme_alpaca_eval_command_names_the_right_models(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    start_judge(fake_provider, monkeypatch)
    args = _readme_command("alpaca-7b.jsonl --judge openai/gpt-4o-mini --field answer_a=output_2")
    args = [str(ALPACA) if arg.endswith("alpaca-7b.jsonl") else arg for arg in args]
    result = cli(*args, "--limit", "30", "--out", "run", "-q")
    assert result.exit_code == 0, result.output
    pairwise = summary_json("run")["pairwise"]
    assert (pairwise["model_a"], pairwise["model_b"]) == ("alpaca-7b", "text_davinci_003")
    assert "Win rate of A (alpaca-7b) over B" in " ".join(result.stdout.split())
    [first] = [json.loads(line) for line in Path("run/items.jsonl").read_text().splitlines()][:1]
    raw = json.loads(ALPACA.read_text().splitlines()[0])
    assert (first["answer_a"], first["model_a"]) == (raw["output_2"], raw["generator_2"])


def test_the_leaderboard_credits_the_system_that_wrote_the_answer(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    start_judge(fake_provider, monkeypatch)  # the judge prefers the answer holding GOOD
    rows = []
    for index in range(12):
        system = ["good-sys", "mid-sys", "bad-sys"][index % 3]
        wins = {"good-sys": True, "mid-sys": index % 2 == 0, "bad-sys": False}[system]
        rows.append(
            {
                "id": f"q{index}",
                "instruction": f"Question {index}?",
                "output_1": "BAD baseline answer, a longer one" if wins else "GOOD baseline answer",
                "output_2": "GOOD answer" if wins else "BAD answer",
                "generator_1": "baseline",
                "generator_2": system,
            }
        )
    data = write_jsonl(tmp_path / "board.jsonl", rows)
    result = cli(
        "eval",
        data,
        "-j",
        "openai/judge-1",
        "-q",
        "--out",
        "run",
        "--field",
        "answer_a=output_2",
        "--field",
        "answer_b=output_1",
    )
    assert result.exit_code == 0, result.output
    board = {row["system"]: row for row in summary_json("run")["leaderboard"]["rows"]}
    assert summary_json("run")["leaderboard"]["baseline"] == "baseline"
    assert (board["good-sys"]["wins"], board["good-sys"]["losses"]) == (4, 0)
    assert (board["bad-sys"]["wins"], board["bad-sys"]["losses"]) == (0, 4)


# -- agreement: the prediction column follows -------------------------------------------------
def _agreement(*args: Any) -> dict[str, Any]:
    result = cli(
        "agreement", ALPACA, "--pred", "preference", "--kind", "pairwise", "--format", "json", *FEW_RESAMPLES, *args
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_agreement_reproduces_alpaca_eval_with_either_order() -> None:
    # Independent count from the raw file: preference 2 = alpaca-7b (output_2) preferred, 0 = draw.
    counts = Counter(json.loads(line)["preference"] for line in ALPACA.read_text().splitlines())
    alpaca_win_rate = (counts[2] + counts[0] / 2) / sum(counts.values())
    assert round(alpaca_win_rate * 100, 4) == 26.4596  # AlpacaEval's published figure
    plain = _agreement()
    swapped = _agreement("--field", "answer_a=output_2", "--field", "answer_b=output_1")
    [row], [swapped_row] = plain["rows"], swapped["rows"]
    assert row["win_rate"]["value"] == pytest.approx(1 - alpaca_win_rate)
    assert swapped_row["win_rate"]["value"] == pytest.approx(alpaca_win_rate)
    assert (swapped_row["wins_a"], swapped_row["wins_b"], swapped_row["ties"]) == (counts[2], counts[1], counts[0])
    assert round(swapped_row["standard_error"] * 100, 4) == 1.5357
    # The judge favours the longer answer whichever answer is called A.
    assert row["length_coefficient"]["value"] > 0
    assert swapped_row["length_coefficient"]["value"] == pytest.approx(row["length_coefficient"]["value"])
    assert plain["answer_models"] == ["text_davinci_003", "alpaca-7b"]
    assert swapped["answer_models"] == ["alpaca-7b", "text_davinci_003"]


def test_agreement_flips_human_labels_and_verdicts_together(tmp_path: Path) -> None:
    rows = _pair_rows()
    for row, verdict in zip(rows, ["1", "1", "1", "0", "2"], strict=True):
        row["judge"] = verdict
    data = write_jsonl(tmp_path / "judged.jsonl", rows)

    def run(*fields: str) -> dict[str, Any]:
        result = cli("agreement", data, "--pred", "judge", "--kind", "pairwise", "--format", "json", *fields)
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout)["rows"][0])

    plain, swapped = run(), run("--field", "answer_a=output_2", "--field", "answer_b=output_1")
    # Labels A B tie A B against verdicts A A A tie B: two agree, in either order (flipping
    # only the verdicts or only the labels would leave one agreeing).
    assert plain["agreement"]["value"] == swapped["agreement"]["value"] == pytest.approx(2 / 5)
    assert (plain["wins_a"], plain["wins_b"], swapped["wins_a"], swapped["wins_b"]) == (3, 1, 1, 3)
    assert (plain["win_rate"]["value"], swapped["win_rate"]["value"]) == pytest.approx((0.7, 0.3))


def test_agreement_stops_when_the_verdicts_cannot_follow(tmp_path: Path) -> None:
    rows = [{**row, "output_3": "third", "judge": "1"} for row in _pair_rows()]
    for row in rows:
        del row["label"]
    data = write_jsonl(tmp_path / "three.jsonl", rows)
    result = cli(
        "agreement", data, "--pred", "judge", "--kind", "pairwise", "-f", "answer_a=output_2", "-f", "answer_b=output_3"
    )
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert (
        f"{data}:1: field 'judge': the verdicts in 'judge' say which of the file's answers output_1 and output_2"
        in line
    )
