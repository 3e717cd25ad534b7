"""`judgekit labels page` without a browser: what the page holds, and the mistakes it refuses.

(tests/test_label_page_browser.py labels, reloads, exports and merges in headless Chromium.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.errors import DatasetError
from judgekit.reporting.html.labelling import build_label_page, first_shown, storage_key
from tests.helpers import write_jsonl

runner = CliRunner()


def _rows(count: int = 4) -> list[dict[str, object]]:
    return [
        {
            "id": f"q{index}",
            "question": f"Q{index}",
            "answer_a": f"a{index}",
            "answer_b": "</script><b>x</b>",
            "human_label": None,
        }
        for index in range(count)
    ]


def _data_block(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="labelling-data">(.*?)</script>', html, re.DOTALL)
    assert match is not None
    loaded: dict[str, object] = json.loads(match.group(1))
    return loaded


def test_the_page_carries_the_rows_escaped_and_the_seeded_order(tmp_path: Path) -> None:
    plan = write_jsonl(tmp_path / "plan.jsonl", _rows())
    page = build_label_page(str(plan), seed=5)
    assert page.html.count("</script>") == 2  # the data block's and the script's own: no text closes either
    data = _data_block(page.html)
    items = data["items"]
    assert isinstance(items, list)
    assert [item["row"] for item in items] == _rows()
    assert [item["first"] for item in items] == [first_shown(5, f"q{index}") for index in range(4)]
    assert (page.rows, page.labelled, page.pairwise) == (4, 0, True)


def test_the_seeded_order_is_balanced_and_changes_with_the_seed() -> None:
    shown = [first_shown(0, str(index)) for index in range(2000)]
    assert 900 < shown.count("A") < 1100
    assert shown != [first_shown(1, str(index)) for index in range(2000)]
    assert first_shown(3, "x") == first_shown(3, "x")


def test_the_storage_key_ignores_labels_but_not_texts() -> None:
    rows = _rows()
    labelled = [dict(row, human_label="A") for row in rows]
    assert storage_key(rows) == storage_key(labelled)
    assert storage_key(rows) != storage_key([dict(rows[0], question="other"), *rows[1:]])


def test_labels_already_in_the_file_are_checked_and_counted(tmp_path: Path) -> None:
    rows = _rows()
    rows[1]["human_label"] = "b"
    rows[2]["human_label"] = 0
    page = build_label_page(str(write_jsonl(tmp_path / "plan.jsonl", rows)))
    items = _data_block(page.html)["items"]
    assert isinstance(items, list) and [item["row"]["human_label"] for item in items] == [None, "B", "tie", None]
    assert page.labelled == 2
    rows[3]["human_label"] = "maybe"
    with pytest.raises(DatasetError) as caught:
        build_label_page(str(write_jsonl(tmp_path / "bad.jsonl", rows)))
    assert (caught.value.line, caught.value.field) == (4, "human_label")


def test_mistakes_get_one_line_and_exit_2(tmp_path: Path) -> None:
    plan = write_jsonl(tmp_path / "plan.jsonl", _rows())
    cases = [
        (["labels", "page", str(plan), "-o", str(tmp_path / "p.html"), "--scale", "1-5"], "applies to pointwise"),
        (["labels", "page", str(plan), "-o", str(tmp_path / "missing" / "p.html")], "does not exist"),
        (["labels", "page", str(plan), "-o", str(tmp_path)], "is a directory"),
    ]
    no_answer = write_jsonl(tmp_path / "short.jsonl", [{"id": 1, "question": "q", "answer_a": "a"}])
    cases.append(
        (["labels", "page", str(no_answer), "-o", str(tmp_path / "p.html")], "short.jsonl:1: field 'answer_b'")
    )
    scores = write_jsonl(tmp_path / "scores.jsonl", [{"id": 1, "question": "q", "answer": "a", "scale": [5, 1]}])
    cases.append((["labels", "page", str(scores), "-o", str(tmp_path / "p.html")], "low < high"))
    cases.append((["labels", "page", str(scores), "-o", str(tmp_path / "p.html"), "--scale", "ten"], "LOW-HIGH"))
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "p.html").exists()


def test_out_dash_writes_the_page_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = write_jsonl(tmp_path / "plan.jsonl", _rows())
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["labels", "page", str(plan), "-o", "-", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists()
    assert result.stdout == build_label_page(str(plan), seed=2).html
    assert "4 pairwise items (0 already labelled) to stdout" in result.stderr
    both = runner.invoke(app, ["labels", "page", str(plan), "-o", "-", "--format", "json"])
    assert both.exit_code == 2 and both.stdout == "" and both.stderr.count("\n") == 1
    assert "-o - writes to stdout, where --format json writes its summary" in both.stderr
    assert not (tmp_path / "-").exists()


def test_pointwise_scale_from_the_option_or_the_file(tmp_path: Path) -> None:
    rows = [{"id": 1, "question": "q", "answer": "a", "human_score": 3, "scale": [1, 5]}]
    plan = write_jsonl(tmp_path / "scores.jsonl", rows)
    assert _data_block(build_label_page(str(plan)).html)["scale"] == [1.0, 5.0]
    out = tmp_path / "p.html"
    result = runner.invoke(app, ["labels", "page", str(plan), "-o", str(out), "--scale", "-2-2", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["labelled"] == 1
    assert _data_block(out.read_text())["scale"] == [-2.0, 2.0]


def test_a_pointwise_plan_of_a_run_records_the_template_scale(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", [{"id": i, "question": f"q{i}", "answer": f"a{i}"} for i in range(6)])
    run = tmp_path / "run"
    done = runner.invoke(app, ["eval", str(data), "-j", "mock/random", "--mode", "pointwise", "--out", str(run), "-q"])
    assert done.exit_code == 0, done.output
    summary = json.loads((run / "summary.json").read_text())
    planned = runner.invoke(app, ["labels", "plan", str(run), "--n", "3"])
    assert planned.exit_code == 0, planned.output
    rows = [json.loads(line) for line in planned.stdout.splitlines()]
    assert all(row["scale"] == summary["pointwise"]["scale"] for row in rows)
