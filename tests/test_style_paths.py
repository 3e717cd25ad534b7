"""Style control on every run path, through the real openai SDK against the local fake judge:
a judge that favours bulleted answers shows a positive list coefficient, the same in the run's
summary, in `report` on its directory, on a resumed run, in a panel and in `compare`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit.metrics.style import style_counts
from judgekit.stats.style_control import style_controlled
from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.helpers import run, summary_of, write_jsonl


def _answer(rng: np.random.Generator, bullets: int) -> str:
    lines = ["Some words " * int(rng.integers(1, 40))]  # length varies apart from the bullets
    lines += [f"- item {i}" for i in range(bullets)]
    if rng.random() < 0.5:
        lines.insert(0, "## Answer")
    return "\n".join(lines)


def styled_rows(n: int = 80) -> list[dict[str, Any]]:
    rng = np.random.default_rng(17)
    return [
        {
            "id": f"s{index}",
            "question": f"Question {index}?",
            "answer_a": _answer(rng, int(rng.integers(0, 5))),
            "answer_b": _answer(rng, int(rng.integers(0, 5))),
        }
        for index in range(n)
    ]


def _shown(prompt: str) -> tuple[str, str]:
    first = re.search(r"\[Start of Answer A\]\n(.*?)\n\[End of Answer A\]", prompt, re.S)
    second = re.search(r"\[Start of Answer B\]\n(.*?)\n\[End of Answer B\]", prompt, re.S)
    assert first and second
    return first.group(1), second.group(1)


def bullet_lover(request: Any) -> str:
    """Prefers the answer with more list items (equal counts: a tie), except on every fourth
    question, where it picks the other one: a strong style bias that does not decide everything."""
    first, second = _shown(request.prompt)
    items_1, items_2 = style_counts(first)[2], style_counts(second)[2]
    if items_1 == items_2:
        return "[[C]]"
    contrary = int(re.findall(r"Question (\d+)\?", request.prompt)[0]) % 4 == 0
    return "[[A]]" if (items_1 > items_2) != contrary else "[[B]]"


@pytest.fixture
def styled(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    server = fake_provider(bullet_lover, batches=BatchBehaviour())
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-style-0123456789")
    return write_jsonl(tmp_path / "styled.jsonl", styled_rows())


def _expected(rows: list[dict[str, Any]], verdicts: dict[str, str]) -> Any:
    value = {"A": 1.0, "B": 0.0, "tie": 0.5}
    kept = [row for row in rows if row["id"] in verdicts]
    return style_controlled(
        [value[verdicts[row["id"]]] for row in kept],
        [style_counts(row["answer_a"]) for row in kept],
        [style_counts(row["answer_b"]) for row in kept],
    )


def test_eval_report_and_resume_carry_the_style_fit(styled: Path) -> None:
    summary = summary_of(run("eval", styled, "-j", "openai/judge", "--format", "json", "-q", "--out", "run"))
    fitted = summary["pairwise"]["style_controlled"]
    assert fitted["n"] == 80 and fitted["win_rate"] is not None
    assert fitted["coefficients"]["lists"]["low"] > 0  # the planted preference, clear of zero
    verdicts = {
        r["item_id"]: r["verdict"] for r in map(json.loads, Path("run/judgments.jsonl").read_text().splitlines())
    }
    expected = _expected(styled_rows(), verdicts)
    assert expected is not None and expected.win_rate is not None
    assert fitted["win_rate"]["value"] == pytest.approx(expected.win_rate.value, abs=1e-12)
    # report on the directory rebuilds the same fit, and prints it.
    again = summary_of(run("report", "run", "--format", "json"))
    assert again["pairwise"]["style_controlled"] == fitted
    shown = run("report", "run", "--html", "page.html")
    assert shown.exit_code == 0 and "Style-controlled win rate of A" in shown.output
    assert "Style coefficient: lists" in shown.output
    html = Path("page.html").read_text()
    assert "Style-controlled win rate" in html and "coefficients per sd: length" in html
    # --resume of a finished run makes no call and reports the same.
    resumed = summary_of(run("eval", "--resume", "run", "--format", "json", "-q"))
    assert resumed["pairwise"]["style_controlled"] == fitted


def test_panel_and_compare_report_the_style_fit(styled: Path) -> None:
    panel = summary_of(
        run(
            "eval",
            styled,
            "-j",
            "openai/judge-1",
            "-j",
            "openai/judge-2",
            "-j",
            "openai/judge-3",
            "--format",
            "json",
            "-q",
            "--out",
            "pan",
        )
    )
    panel_row = panel["rows"][-1]
    assert panel_row["name"].startswith("panel")
    assert panel_row["style_controlled_win_rate"] is not None and panel_row["style_coefficients"]["lists"]["low"] > 0
    single = json.loads(Path("pan/default--openai_judge-1/summary.json").read_text())
    fitted = single["pairwise"]["style_controlled"]
    compared = run("compare", styled, "-j", "openai/judge", "-q", "--out", "cmp", "--format", "json")
    assert compared.exit_code == 0, compared.output
    row = json.loads(compared.stdout)["rows"][0]
    assert row["style_controlled_win_rate"]["value"] == pytest.approx(fitted["win_rate"]["value"], abs=1e-12)
    assert row["style_coefficients"]["lists"]["low"] > 0


def test_a_batch_run_reports_the_same_fit_as_an_interactive_one(styled: Path) -> None:
    live = summary_of(
        run("eval", styled, "-j", "openai/judge", "--format", "json", "-q", "--out", "live", "--no-cache")
    )
    batch = summary_of(
        run(
            "eval",
            styled,
            "-j",
            "openai/judge",
            "--format",
            "json",
            "-q",
            "--out",
            "bat",
            "--no-cache",
            "--batch",
            "--poll-interval",
            "0.02",
        )
    )
    assert batch["pairwise"]["style_controlled"] == live["pairwise"]["style_controlled"]
