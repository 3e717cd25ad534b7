"""`judgekit labels plan` and `labels merge`: a seeded sample to label, and the labels brought back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.labels import merge_labels
from judgekit.metrics.label_plan import allocate
from tests.helpers import write_jsonl

runner = CliRunner()
CREDIT = {"A": 1.0, "tie": 0.5, "B": 0.0}
TRUTH = ["A", "B", "tie", "B", "A"]


def _data(path: Path, total: int = 60, small: int = 10) -> Path:
    rows: list[dict[str, Any]] = []
    for index in range(total):
        rows.append(
            {
                "id": f"q{index}",
                "question": f"Question {index}?",
                "answer_a": f"first {index}",
                "answer_b": f"second {index}",
                "category": "small" if index < small else "large",
                "model_a": "secret-model-a",
                "expert": TRUTH[index % 5],
                "judge": "A" if index % 3 else TRUTH[index % 5],
            }
        )
    return write_jsonl(path, rows)


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ({"a": 10, "b": 90}, 10, {"a": 2, "b": 8}),  # proportional would give a single label to a
        ({"a": 1, "b": 50, "c": 49}, 10, {"a": 1, "b": 5, "c": 4}),  # a has one item only
        ({"a": 30, "b": 30, "c": 40}, 10, {"a": 3, "b": 3, "c": 4}),
        ({"a": 2, "b": 2}, 4, {"a": 2, "b": 2}),
    ],
)
def test_allocation_is_proportional_with_two_at_least(sizes: dict[str, int], n: int, expected: dict[str, int]) -> None:
    assert allocate(sizes, n) == expected


def test_allocation_refuses_too_few_labels() -> None:
    with pytest.raises(UsageError, match="--n 3 is too few to stratify over 2 categories"):
        allocate({"a": 10, "b": 10}, 3)


def test_plan_is_seeded_blind_and_draws_only_scored_items(tmp_path: Path) -> None:
    data = _data(tmp_path / "data.jsonl")
    rows = _read(data)
    rows[5]["judge"] = "???"  # unscored: never drawn
    write_jsonl(data, rows)
    args = ["labels", "plan", str(data), "--pred", "judge", "--n", "59", "--seed", "3"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    drawn = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(drawn) == 59 and "q5" not in {row["id"] for row in drawn}
    assert all(row["human_label"] is None and "model_a" not in row for row in drawn)
    assert runner.invoke(app, args).stdout == first.stdout
    assert "drew 59 of 59 scored items (seed 3)\n" in first.stderr  # one stratum, all: not named
    small = runner.invoke(app, ["labels", "plan", str(data), "--pred", "judge", "--n", "5", "--seed", "4"])
    other = runner.invoke(app, ["labels", "plan", str(data), "--pred", "judge", "--n", "5", "--seed", "5"])
    assert small.stdout != other.stdout
    too_many = runner.invoke(app, ["labels", "plan", str(data), "--pred", "judge", "--n", "60"])
    assert too_many.exit_code == 2 and "more than the 59 items the judge scored" in too_many.stderr


def test_plan_stratified_by_category_takes_two_from_the_small_one(tmp_path: Path) -> None:
    data = _data(tmp_path / "data.jsonl", total=100, small=5)
    result = runner.invoke(app, ["labels", "plan", str(data), "--pred", "judge", "--n", "10", "--stratify", "category"])
    assert result.exit_code == 0, result.output
    drawn = [json.loads(line) for line in result.stdout.splitlines()]
    strata = [row["stratum"] for row in drawn]
    assert strata.count("small") == 2 and strata.count("large") == 8
    assert all(row["stratified_by"] == "category" for row in drawn)
    assert all((row["stratum"] == "small") == (int(row["id"][1:]) < 5) for row in drawn)
    assert "drew 10 of 100 scored items (seed 0; large 8 of 95, small 2 of 5)" in result.stderr


def test_merge_writes_labels_and_leaves_the_rest_empty(tmp_path: Path) -> None:
    data = _data(tmp_path / "data.jsonl", total=6)
    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [{"id": "q1", "human_label": "b"}, {"id": "q4", "human_label": 0}, {"id": "q2", "human_label": None}],
    )
    merged = merge_labels(str(labels), str(data))
    assert [row["human_label"] for row in merged.rows] == [None, "B", None, None, "tie", None]
    assert (merged.labelled, merged.waiting, merged.column) == (2, 1, "human_label")
    assert [row["expert"] for row in merged.rows] == [row["expert"] for row in _read(data)]


def test_merge_rejects_bad_rows_with_file_line_and_field(tmp_path: Path) -> None:
    data = _data(tmp_path / "data.jsonl", total=6)
    bad_label = write_jsonl(
        tmp_path / "bad.jsonl", [{"id": "q1", "human_label": "A"}, {"id": "q2", "human_label": "x"}]
    )
    with pytest.raises(DatasetError) as caught:
        merge_labels(str(bad_label), str(data))
    assert (caught.value.line, caught.value.field) == (2, "human_label")
    unknown = write_jsonl(tmp_path / "unknown.jsonl", [{"id": "nope", "human_label": "A"}])
    with pytest.raises(DatasetError, match="has the id 'nope'"):
        merge_labels(str(unknown), str(data))
    twice = write_jsonl(tmp_path / "twice.jsonl", [{"id": "q1", "human_label": "A"}, {"id": "q1", "human_label": "B"}])
    with pytest.raises(DatasetError, match="duplicate id"):
        merge_labels(str(twice), str(data))
    result = runner.invoke(
        app, ["labels", "merge", str(bad_label), "--data", str(data), "-o", str(tmp_path / "m.jsonl")]
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "bad.jsonl" in result.stderr


def test_plan_merge_eval_round_trip_is_weighted_by_stratum(tmp_path: Path) -> None:
    ppi_py = pytest.importorskip("ppi_py")
    data = _data(tmp_path / "data.jsonl", total=100, small=20)
    run = tmp_path / "run"
    judged = runner.invoke(app, ["eval", str(data), "-j", "mock/random", "--out", str(run), "-q", "--format", "json"])
    assert judged.exit_code == 0, judged.output
    plan = tmp_path / "plan.jsonl"
    planned = runner.invoke(app, ["labels", "plan", str(run), "--n", "16", "--stratify", "category", "-o", str(plan)])
    assert planned.exit_code == 0, planned.output
    merged = tmp_path / "merged.jsonl"
    args = ["labels", "merge", str(plan), "--data", str(data), "--from-column", "expert", "-o", str(merged)]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    rows = _read(merged)
    assert sum(row["human_label"] is not None for row in rows) == 16
    assert {row["label_stratum"] for row in rows} == {"small", "large"}
    again = runner.invoke(app, ["eval", str(merged), "-j", "mock/random", "-q", "--format", "json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    anchored = summary["human_anchored"]
    assert anchored["sample"] == "stratified" and anchored["labelled"] == 16
    # Independently: ppi_py within each stratum, combined by the strata's shares of the items.
    verdicts = {row["item_id"]: row["verdict"] for row in _judge_rows(Path(summary["run_dir"]))}
    expected = 0.0
    for name, share in (("small", 0.2), ("large", 0.8)):
        members = [row for row in rows if row["label_stratum"] == name]
        y = np.array([CREDIT[row["human_label"]] for row in members if row["human_label"]])
        f = np.array([CREDIT[verdicts[row["id"]]] for row in members if row["human_label"]])
        rest = np.array([CREDIT[verdicts[row["id"]]] for row in members if not row["human_label"]])
        expected += share * float(np.asarray(ppi_py.ppi_mean_pointestimate(y, f, rest)).ravel()[0])
    assert anchored["overall"]["corrected"]["value"] == pytest.approx(expected)


def _judge_rows(run_dir: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (run_dir / "judgments.jsonl").read_text().splitlines()]
    return [row for row in rows if row.get("role", "judge") == "judge"]


def test_the_readme_worked_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ppi_py = pytest.importorskip("ppi_py")
    import runpy

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "datasets").symlink_to(root / "datasets")
    monkeypatch.setattr("sys.argv", ["longer_judge.py"])
    runpy.run_path(str(root / "examples" / "ppi" / "longer_judge.py"), run_name="__main__")
    steps = [
        "labels plan runs/mt-bench-longer.jsonl --pred longer --n 40 --seed 1 -o runs/to-label.jsonl",
        "labels merge runs/to-label.jsonl --data runs/mt-bench-longer.jsonl --from-column label "
        "-o runs/mt-bench-20pct.jsonl",
    ]
    for step in steps:
        result = runner.invoke(app, step.split())
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["agreement", "runs/mt-bench-20pct.jsonl", "--pred", "longer", "--format", "json"])
    assert result.exit_code == 0, result.output
    overall = json.loads(result.stdout)["rows"][0]["human_anchored"]["overall"]
    rows = _read(tmp_path / "runs" / "mt-bench-20pct.jsonl")
    credit = {"A": 1.0, "B": 0.0}
    y = np.array([credit[row["human_label"]] for row in rows if row["human_label"]])
    f = np.array([credit[row["longer"]] for row in rows if row["human_label"]])
    rest = np.array([credit[row["longer"]] for row in rows if not row["human_label"]])
    expected = float(np.asarray(ppi_py.ppi_mean_pointestimate(y, f, rest)).ravel()[0])
    assert (overall["labelled"], overall["items"]) == (40, 200)
    assert overall["corrected"]["value"] == pytest.approx(expected)


def test_plan_and_merge_answer_in_json(tmp_path: Path) -> None:
    data = _data(tmp_path / "data.jsonl", total=20)
    planned = runner.invoke(app, ["labels", "plan", str(data), "--pred", "judge", "--n", "4", "--format", "json"])
    assert planned.exit_code == 0, planned.output
    found = json.loads(planned.stdout)
    assert (found["drawn"], found["population"], len(found["rows"])) == (4, 20, 4)
    plan = write_jsonl(tmp_path / "plan.jsonl", [{**row, "human_label": "A"} for row in found["rows"]])
    args = ["labels", "merge", str(plan), "--data", str(data), "-o", str(tmp_path / "m.jsonl"), "--format", "json"]
    merged = runner.invoke(app, args)
    assert merged.exit_code == 0, merged.output
    assert json.loads(merged.stdout) | {"notes": []} == {
        "out": str(tmp_path / "m.jsonl"),
        "rows": 20,
        "column": "human_label",
        "labelled": 4,
        "waiting": 0,
        "kept": 0,
        "stratified_by": None,
        "notes": [],
    }


def test_out_dash_is_stdout_for_plan_and_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data(tmp_path / "data.jsonl", total=10)
    monkeypatch.chdir(tmp_path)
    args = ["labels", "plan", str(data), "--pred", "judge", "--n", "3", "--seed", "2"]
    planned = runner.invoke(app, [*args, "-o", "-"])
    assert planned.exit_code == 0, planned.output
    assert planned.stdout == runner.invoke(app, args).stdout and len(planned.stdout.splitlines()) == 3
    plan = write_jsonl(
        tmp_path / "plan.jsonl", [{**json.loads(line), "human_label": "B"} for line in planned.stdout.splitlines()]
    )
    merge = ["labels", "merge", str(plan), "--data", str(data), "-o", "-"]
    merged = runner.invoke(app, merge)
    assert merged.exit_code == 0, merged.output
    assert [row["human_label"] for row in map(json.loads, merged.stdout.splitlines())].count("B") == 3
    assert "wrote 10 rows to stdout: 3 labelled in 'human_label'" in merged.stderr
    both = runner.invoke(app, [*merge, "--format", "json"])
    assert both.exit_code == 2 and both.stdout == "" and both.stderr.count("\n") == 1
    assert not (tmp_path / "-").exists()
