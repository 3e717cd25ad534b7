"""Small builders shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def pairwise_rows(n: int = 6, *, labels: bool = True) -> list[dict[str, Any]]:
    """Items whose better answer contains GOOD and worse answer BAD; human labels agree."""
    rows = []
    for index in range(n):
        good_first = index % 2 == 0
        good, bad = f"GOOD answer {index}", f"BAD answer {index} that is longer than the other"
        row: dict[str, Any] = {
            "id": f"item-{index}",
            "question": f"Question {index}?",
            "answer_a": good if good_first else bad,
            "answer_b": bad if good_first else good,
            "category": "even" if index % 2 == 0 else "odd",
        }
        if labels:
            row["label"] = "A" if good_first else "B"
        rows.append(row)
    return rows


def marker_responder(request: Any) -> str:
    """A judge that prefers the answer containing GOOD, in judgekit's built-in formats."""
    prompt = request.prompt
    first_good = prompt.find("GOOD")
    first_bad = prompt.find("BAD")
    if "Rating: [[" in prompt:
        return "Checked.\nRating: [[9]]" if first_good != -1 else "Checked.\nRating: [[2]]"
    if first_good == -1 or first_bad == -1:
        return "Both look alike.\n[[C]]"
    return "The first is better.\n[[A]]" if first_good < first_bad else "The second is better.\n[[B]]"


FEW_RESAMPLES = ("--resamples", "100")
"""For `agreement`/`compare` runs whose test reads point values, counts or text, never an interval's
bounds: the point estimates do not depend on the resample count, and the bootstrap still runs."""

runner = CliRunner()


def run(*args: Any) -> Any:
    """Invoke the judgekit CLI in-process (arguments turned into strings)."""
    from judgekit.cli import app

    return runner.invoke(app, [str(arg) for arg in args])


def summary_of(result: Any) -> dict[str, Any]:
    """The summary JSON a successful `--format json` run printed."""
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def rows_of(run_dir: str | Path, name: str = "judgments.jsonl") -> list[dict[str, Any]]:
    """The rows of a run directory's judgments.jsonl (or another JSONL file in it)."""
    return [json.loads(line) for line in (Path(run_dir) / name).read_text().splitlines()]
