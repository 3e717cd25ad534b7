"""`judgekit eval NEW --baseline OLD`: joining two output files into a pairwise judging."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.errors import DatasetError
from judgekit.inputs.baseline import join
from judgekit.inputs.datasets import ReadOptions
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import cli, gate_lines, start_judge, summary_json, write_jsonl


def outputs(quality: dict[str, str], *, ids: bool = True, model: str | None = None) -> list[dict[str, Any]]:
    """Rows of one system's outputs: {id: "GOOD" or "BAD"}."""
    rows = []
    for key, kind in quality.items():
        row: dict[str, Any] = {"question": f"Question {key}?", "answer": f"{kind} answer to {key}"}
        if ids:
            row["id"] = key
        if model:
            row["model"] = model
        rows.append(row)
    return rows


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_join_on_id_pairs_rows_whatever_their_order(tmp_path: Path) -> None:
    new = write_jsonl(tmp_path / "new.jsonl", outputs({"a": "GOOD", "b": "GOOD", "c": "BAD"}, model="v2"))
    old_rows = outputs({"c": "GOOD", "a": "BAD", "b": "BAD"})
    old_rows[0]["reference"] = "the reference for c"
    old = write_jsonl(tmp_path / "old.jsonl", old_rows)
    joined = join(str(new), str(old), ReadOptions(), tmp_path / "joined")
    assert joined.key == "id" and joined.rows == 3
    rows = {row["id"]: row for row in read_rows(joined.path)}
    assert rows["c"]["answer_a"] == "BAD answer to c" and rows["c"]["answer_b"] == "GOOD answer to c"
    assert rows["a"]["model_a"] == "v2" and rows["a"]["model_b"] == "old"  # no model column: the file's name
    assert rows["c"]["reference"] == "the reference for c"  # carried over from the baseline
    assert (rows["c"]["candidate_line"], rows["c"]["baseline_line"]) == (3, 1)
    again = join(str(new), str(old), ReadOptions(), tmp_path / "joined")
    assert again.path == joined.path  # the same inputs give the same file (and so the same run id)


def test_join_on_the_question_when_a_file_has_no_ids(tmp_path: Path) -> None:
    new = write_jsonl(tmp_path / "new.jsonl", outputs({"a": "GOOD", "b": "BAD"}))
    old = write_jsonl(tmp_path / "old.jsonl", outputs({"b": "GOOD", "a": "BAD"}, ids=False))
    joined = join(str(new), str(old), ReadOptions(), tmp_path / "joined")
    assert joined.key == "question"
    rows = {row["question"]: row for row in read_rows(joined.path)}
    assert rows["Question b?"]["answer_b"] == "GOOD answer to b"


def test_join_maps_columns_with_field_options(tmp_path: Path) -> None:
    rows = [{"instruction": "Q1", "output": "x", "uid": "1"}, {"instruction": "Q2", "output": "y", "uid": "2"}]
    new = write_jsonl(tmp_path / "new.jsonl", rows)
    old = write_jsonl(tmp_path / "old.jsonl", list(reversed(rows)))
    joined = join(str(new), str(old), ReadOptions(fields={"id": "uid"}), tmp_path / "joined")
    assert joined.key == "id" and [row["id"] for row in read_rows(joined.path)] == ["1", "2"]


@pytest.mark.parametrize(
    ("new_rows", "old_rows", "message"),
    [
        (
            outputs({"a": "GOOD", "b": "GOOD", "c": "GOOD"}),
            outputs({"a": "BAD", "b": "BAD"}),
            "new.jsonl:3: field 'id': id 'c' has no match in {old}",
        ),
        (
            outputs({"a": "GOOD"}),
            outputs({"a": "BAD", "z": "BAD"}),
            "old.jsonl:2: field 'id': id 'z' has no match in {new}",
        ),
        (
            outputs({"a": "GOOD", "b": "GOOD"}),
            outputs({"a": "BAD", "b": "BAD"}) + outputs({"b": "BAD"}),
            "old.jsonl:3: field 'id': duplicate id 'b' (first on line 2)",
        ),
        (
            outputs({"a": "GOOD", "b": "GOOD"}, ids=False) + outputs({"a": "GOOD"}, ids=False),
            outputs({"a": "BAD", "b": "BAD"}, ids=False),
            "new.jsonl:3: field 'question': the same question as line 1",
        ),
        (
            outputs({"a": "GOOD", "b": "GOOD"}, ids=False),
            outputs({"a": "BAD", "c": "BAD"}, ids=False),
            "new.jsonl:2: field 'question': question 'Question b?' has no match in {old}",
        ),
        (
            outputs({"a": "GOOD"}),
            [{"id": "a", "question": "Question a?", "answer_a": "x", "answer_b": "y"}],
            "old.jsonl:1: field 'answer': --baseline joins files of single answers",
        ),
    ],
)
def test_missing_and_duplicate_keys_are_clear_errors(
    tmp_path: Path, new_rows: list[dict[str, Any]], old_rows: list[dict[str, Any]], message: str
) -> None:
    new = write_jsonl(tmp_path / "new.jsonl", new_rows)
    old = write_jsonl(tmp_path / "old.jsonl", old_rows)
    with pytest.raises(DatasetError) as raised:
        join(str(new), str(old), ReadOptions(), tmp_path / "joined")
    assert str(raised.value).startswith(f"{tmp_path}/" + message.format(old=old, new=new))
    assert not (tmp_path / "joined").exists()


def test_cli_join_error_exits_2_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    new = write_jsonl(tmp_path / "new.jsonl", outputs({"a": "GOOD", "b": "GOOD"}))
    old = write_jsonl(tmp_path / "old.jsonl", outputs({"a": "BAD"}))
    result = cli("eval", new, "--baseline", old, "-j", "mock/random")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"judgekit: error: {new}:2: field 'id': id 'b' has no match in {old}"
    assert not Path("runs").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "pointwise"], "cannot be combined with --mode pointwise"),
        (["--resume", "somewhere"], "give either a DATASET or --resume"),
    ],
)
def test_cli_baseline_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    new = write_jsonl(tmp_path / "new.jsonl", outputs({"a": "GOOD"}))
    old = write_jsonl(tmp_path / "old.jsonl", outputs({"a": "BAD"}))
    result = cli("eval", new, "--baseline", old, "-j", "mock/random", *args)
    assert result.exit_code == 2 and message in result.stderr
    alone = cli("eval", "--resume", "somewhere", "--baseline", old)
    assert alone.exit_code == 2 and "--baseline cannot be combined with --resume" in alone.stderr


def test_baseline_run_judges_new_as_a_and_gates_on_its_win_rate(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = start_judge(fake_provider, monkeypatch)
    keys = [f"k{index}" for index in range(10)]
    better = write_jsonl(
        tmp_path / "v2.jsonl", outputs({key: "GOOD" if i < 8 else "BAD" for i, key in enumerate(keys)})
    )
    worse = write_jsonl(tmp_path / "v1.jsonl", outputs({key: "BAD" if i < 8 else "GOOD" for i, key in enumerate(keys)}))
    result = cli("eval", better, "--baseline", worse, "-j", "openai/j", "-q", "--out", "run", "--min-win-rate", "0.75")
    assert result.exit_code == 0, result.output
    assert "joined 10 items" in result.stderr and "on id" in result.stderr
    summary = summary_json("run")
    assert summary["pairwise"]["win_rate"]["value"] == pytest.approx(0.8)
    assert (summary["pairwise"]["model_a"], summary["pairwise"]["model_b"]) == ("v2", "v1")
    assert server.count() == 10
    reverse = cli(
        "eval", worse, "--baseline", better, "-j", "openai/j", "-q", "--out", "run2", "--min-win-rate", "0.75"
    )
    assert reverse.exit_code == 1
    assert "win rate of A 20.0%" in gate_lines(reverse.stderr)[0]
    # The same command again resumes the same run directory: no new calls, same numbers.
    again = cli("eval", better, "--baseline", worse, "-j", "openai/j", "-q", "--min-win-rate", "0.75")
    default_again = cli("eval", better, "--baseline", worse, "-j", "openai/j", "-q", "--min-win-rate", "0.75")
    assert again.exit_code == default_again.exit_code == 0
    assert "10 resumed" in default_again.stderr
    assert server.count() == 20
