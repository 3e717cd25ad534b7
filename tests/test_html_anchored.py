"""The human-anchored (PPI++) estimates in the HTML report: the three estimates as cards, a chart
and a table, overall and per category, each figure formatted independently from summary.json;
and the edges (a refused, selected sample; no overall estimate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.reporting.html import render_run_report
from judgekit.reporting.html.anchored import anchored_section
from judgekit.summary import HumanAnchored
from tests.helpers import write_jsonl
from tests.html_pages import read_page
from tests.report_runs import expected_estimate

TRUTH = ["A", "B", "A", "tie", "B"]


def _labelled_run(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    rng = np.random.default_rng(3)
    chosen = set(rng.choice(60, size=20, replace=False).tolist())
    rows = [
        {
            "id": f"q{i}",
            "question": f"Q{i}?",
            "answer_a": "a" * (i % 7 + 1),
            "answer_b": "b" * (i % 5 + 1),
            "category": "maths" if i % 2 else "prose",
            "human_label": TRUTH[i % 5] if i in chosen else None,
        }
        for i in range(60)
    ]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    run = tmp_path / "run"
    done = CliRunner().invoke(app, ["eval", str(data), "-j", "mock/random", "--out", str(run), "-q"])
    assert done.exit_code == 0, done.output
    return run, json.loads((run / "summary.json").read_text())


def _shown(estimate: dict[str, Any]) -> str:
    value, interval = expected_estimate(estimate, percent=True)
    return f"{value} {interval}"


def test_the_report_shows_the_three_estimates_overall_and_per_category(tmp_path: Path) -> None:
    run, summary = _labelled_run(tmp_path)
    anchored = summary["human_anchored"]
    assert anchored["labelled"] == 20 and anchored["overall"] is not None
    page = read_page(render_run_report(run))
    for key in ("judge_only", "human_only", "corrected"):
        value, interval = expected_estimate(anchored["overall"][key], percent=True)
        card = page.cards[f"anchored.{key}"]
        assert (card["card-value"], card["card-ci"]) == (value, f"95% CI {interval}")
    worth = anchored["overall"]["effective_labels"]
    assert page.cards["anchored.worth"]["card-value"] == f"{worth:.1f} labels"
    table = next(t for t in page.tables if t and t[0][:3] == ["", "items", "labelled"])
    expected = [("all items", anchored["overall"]), *sorted(anchored["by_category"].items())]
    assert [row[:6] for row in table[1:]] == [
        [
            name,
            str(e["items"]),
            str(e["labelled"]),
            _shown(e["judge_only"]),
            _shown(e["human_only"]),
            _shown(e["corrected"]),
        ]
        for name, e in expected
    ]
    assert [row[7] for row in table[1:]] == [" ".join(f"{v:.2f}" for v in e["lambdas"].values()) for _, e in expected]


def test_a_refused_sample_or_no_overall_estimate_is_said_in_a_note() -> None:
    refused = HumanAnchored(
        metric="win rate of A", items=10, labelled=4, sample="checked", refused="all 4 labelled items are in 'x'"
    )
    section = anchored_section(refused)
    assert section.cards == [] and section.tables == [] and section.figures == []
    assert section.notes == ["No estimate: all 4 labelled items are in 'x'."]
    empty = HumanAnchored(
        metric="mean score",
        items=10,
        labelled=1,
        sample="checked",
        notes=["no corrected estimate: it needs at least 2 labelled items"],
    )
    section = anchored_section(empty)
    assert section.cards == [] and section.tables == []
    assert section.notes == ["No corrected estimate: it needs at least 2 labelled items."]
