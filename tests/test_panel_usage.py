"""A panel's combined run reports the calls, tokens and cost its members made (in their own run
directories), on every path that reads it: eval, `report`, `gate`, Markdown and HTML."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from judgekit.testing.server import FakeProvider
from tests.helpers import rows_of, run, write_jsonl

ROWS = [
    {"id": f"p{index}", "question": f"Q{index}?", "answer_a": f"a {index}", "answer_b": f"b {index}", "label": "A"}
    for index in range(5)
]
PANEL = ["-j", "openai/gpt-4o-mini", "-j", "openai/other-model", "--positions", "swap"]


def member_totals(panel_dir: Path) -> dict[str, int]:
    """Calls and tokens counted from the members' own judgments files (independent of summaries)."""
    manifest = json.loads((panel_dir / "run.json").read_text())
    totals = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    for member in manifest["panel"]["members"]:
        for row in rows_of(member):
            if row.get("completion") and not row.get("cached"):
                totals["calls"] += 1
                totals["prompt_tokens"] += row["completion"].get("prompt_tokens") or 0
                totals["completion_tokens"] += row["completion"].get("completion_tokens") or 0
    return totals


def test_panel_counts_its_members_calls_everywhere(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(lambda request: "Fine.\n[[A]]")
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    result = run("eval", data, *PANEL, "-q", "--out", "pan", "--format", "json", "--markdown", "pan.md")
    assert result.exit_code == 0, result.output
    assert server.count() == 2 * 2 * len(ROWS)  # two judges, both orders
    totals = member_totals(Path("pan/panel"))
    assert totals["calls"] == server.count()
    rows = {row["judge"]: row for row in json.loads(result.stdout)["rows"]}  # stdout: the members compared
    assert rows["openai/gpt-4o-mini"]["calls"] + rows["openai/other-model"]["calls"] == totals["calls"]
    assert rows[None]["calls"] == totals["calls"]  # and the panel's own row
    for summary in (json.loads(Path("pan/panel/summary.json").read_text()),):
        counts = summary["counts"]
        assert (counts["calls"], counts["prompt_tokens"], counts["completion_tokens"]) == tuple(totals.values())
        assert [(one["judge"], one["member"], one["calls"]) for one in summary["stages"]] == [
            ("openai/gpt-4o-mini", True, 10),
            ("openai/other-model", True, 10),
        ]
        # one judge has a built-in price, the other none: the total is unknown rather than a part
        assert summary["cost"] is None and summary["stages"][0]["cost_usd"] is not None
    assert "openai/gpt-4o-mini: 10 made" in Path("pan.md").read_text()
    rebuilt = run("report", "pan/panel", "--format", "json", "--html", "pan.html")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.stdout)["counts"]["calls"] == totals["calls"]
    assert "panel judge 2" in Path("pan.html").read_text()
    assert server.count() == 2 * 2 * len(ROWS)  # report made no call
