"""The Python API where notebooks use it: inside a running event loop (Jupyter runs one), and
with data held in memory (a list of dicts, a pandas DataFrame) rather than in a file."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import judgekit
from judgekit import EvalConfig
from judgekit.errors import DatasetError, UsageError
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, write_jsonl


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    server = fake_provider(marker_responder)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-notebook-0123456789")
    return server


def _numbers(result: Any) -> tuple[Any, ...]:
    pairwise = result.summary.pairwise
    return (pairwise.wins_a, pairwise.wins_b, pairwise.ties, result.summary.counts.scored)


def test_run_eval_inside_a_running_loop_points_to_arun_eval(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))

    async def notebook_cell() -> Any:
        with pytest.raises(UsageError, match=r"await judgekit\.arun_eval"):
            judgekit.run_eval(EvalConfig(dataset=str(data), judge="mock/first"))
        return await judgekit.arun_eval(EvalConfig(dataset=str(data), judge="mock/first"))

    result = asyncio.run(notebook_cell())
    assert result.summary.counts.scored == 3 and result.summary.status == "complete"


def test_rows_a_dataframe_and_a_file_give_the_same_run(judge: FakeProvider, tmp_path: Path) -> None:
    rows = pairwise_rows(6)
    from_file = judgekit.run_eval(write_jsonl(tmp_path / "d.jsonl", rows), judge="openai/x", out="file-run")
    from_rows = judgekit.run_eval(rows, judge="openai/x", out="rows-run")
    from_frame = judgekit.run_eval(pd.DataFrame(rows), judge="openai/x", out="frame-run")
    assert _numbers(from_file) == _numbers(from_rows) == _numbers(from_frame) == (3, 3, 0, 6)
    assert from_rows.summary.human is not None and from_rows.summary.human.n == 6  # the label column came along
    assert judge.count() == 6, "the same items: every call after the first run came from the cache"
    # The same rows again resume the same run (a file named by their content), calling nothing.
    again = judgekit.run_eval(rows, judge="openai/x", out="rows-run")
    assert again.summary.counts.resumed == 6 and again.counters.calls == 0
    written = Path(json.loads(Path("rows-run/run.json").read_text())["config"]["dataset"])
    assert written.name == "rows.jsonl" and written.parent.parent == Path("runs/_rows")


def test_a_dataframe_with_missing_cells_and_numpy_values(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": np.arange(4),
            "question": [f"Q{index}?" for index in range(4)],
            "answer": ["a", "b", "c", "d"],
            "category": ["x", None, "y", math.nan],
            "human_score": [1.0, np.nan, 3.0, 4.0],
        }
    )
    result = judgekit.run_eval(frame, judge="mock/first", runs_root="here")
    assert result.summary.kind == "pointwise" and result.summary.counts.scored == 4
    written = Path(result.summary.dataset["path"]).read_text().splitlines()
    assert json.loads(written[1]) == {"id": 1, "question": "Q1?", "answer": "b"}  # NaN and None: absent
    assert json.loads(written[0])["human_score"] == 1.0


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        ([], DatasetError, "no rows"),
        ([{"question": "q", "answer": "a"}, "not a row"], DatasetError, "rows:2: a row must be a dict"),
        ({"question": "q"}, UsageError, "a list of dicts or a pandas DataFrame, not dict"),
        (42, UsageError, "not int"),
    ],
)
def test_rows_that_cannot_be_data_are_refused(source: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        judgekit.run_eval(source, judge="mock/first")


def test_options_go_with_data_not_with_a_config(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(2))
    with pytest.raises(UsageError, match="give the data once"):
        judgekit.run_eval(pairwise_rows(2), judge="mock/first", dataset=str(data))
    tuned = judgekit.run_eval(EvalConfig(dataset=str(data), judge="mock/first"), seed=3, out="seeded")
    assert tuned.summary.config["seed"] == 3
