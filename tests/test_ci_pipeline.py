"""A CI job as a team would run it: two versions of a model's outputs judged against a local
server, gates that pass on the better version and fail on the worse, and re-runs that make no
model calls and give identical numbers."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from judgekit.testing.server import FakeProvider
from tests.gate_helpers import cli, gate_lines, start_judge, summary_json, write_jsonl

STABLE_KEYS = ("status", "kind", "judge", "template", "judgekit_version", "pairwise", "pointwise", "bias", "human")


def _outputs(good: set[int], n: int = 12) -> list[dict[str, Any]]:
    return [
        {
            "id": f"task-{index}",
            "question": f"Task {index}: explain step {index}.",
            "answer": f"{'GOOD' if index in good else 'BAD'} answer for task {index}",
        }
        for index in range(n)
    ]


@pytest.fixture
def job(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[FakeProvider, Path, Path]:
    server = start_judge(fake_provider, monkeypatch)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step_summary.md"))
    better = write_jsonl(tmp_path / "outputs-v2.jsonl", _outputs(set(range(10))))
    worse = write_jsonl(tmp_path / "outputs-v1.jsonl", _outputs({0, 1, 2, 3}))
    return server, better, worse


def _gate(candidate: Path, baseline: Path, *extra: str) -> Any:
    return cli(
        "eval", candidate, "--baseline", baseline, "--judge", "openai/judge-model", "-q",
        "--min-win-rate", "0.6", "--max-unscored", "0.05", "--junit", "results.xml", *extra,
    )  # fmt: skip


def _verdicts(path: str) -> dict[str, str]:
    """Item -> its outcome property (won, lost, ...); gate or run check -> failure or passed."""
    root = ElementTree.parse(path).getroot()
    found = {}
    for case in root.iter("testcase"):
        outcome = case.find("properties/property[@name='outcome']")
        failed = case.find("failure") is not None
        found[case.get("name", "")] = (
            outcome.get("value", "") if outcome is not None else "failure" if failed else "passed"
        )
    return found


def _failures(path: str) -> list[str]:
    """Test cases a JUnit publisher shows red."""
    root = ElementTree.parse(path).getroot()
    return [case.get("name", "") for case in root.iter("testcase") if case.find("failure") is not None]


def test_gates_pass_on_the_better_version_and_fail_on_the_worse(job: tuple[FakeProvider, Path, Path]) -> None:
    server, better, worse = job
    passed = _gate(better, worse)
    assert passed.exit_code == 0, passed.output
    assert "::error" not in passed.output
    assert _failures("results.xml") == [], "exit 0: nothing in the report may be red"
    won = [name for name, verdict in _verdicts("results.xml").items() if verdict == "won"]
    assert won == ["task-4", "task-5", "task-6", "task-7", "task-8", "task-9"]
    failed = _gate(worse, better)
    assert failed.exit_code == 1
    assert len(gate_lines(failed.stderr)) == 1 and "--min-win-rate" in gate_lines(failed.stderr)[0]
    assert [
        line for line in failed.stderr.splitlines() if line.startswith("::error title=judgekit gate --min-win-rate")
    ]
    assert _failures("results.xml") == ["--min-win-rate"], "the gate fails, not the items"
    losses = [name for name, verdict in _verdicts("results.xml").items() if verdict == "lost"]
    assert losses == ["task-4", "task-5", "task-6", "task-7", "task-8", "task-9"]
    step_summary = Path(os.environ["GITHUB_STEP_SUMMARY"]).read_text()
    assert "✅ all 2 passed" in step_summary and "❌ 1 of 2 failed" in step_summary
    # Judge settings for reproducibility: temperature 0 and the fixed seed on every request.
    assert {(entry.request.body.get("temperature"), entry.request.body.get("seed")) for entry in server.recorded} == {
        (0, 0)
    }


def test_a_rerun_of_the_job_makes_no_calls_and_gives_identical_numbers(
    job: tuple[FakeProvider, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, better, worse = job
    first = _gate(better, worse, "--format", "json")
    assert first.exit_code == 0, first.output
    calls = server.count()
    assert calls == 12
    summary, verdicts = json.loads(first.stdout), _verdicts("results.xml")
    # The same job again in the same workspace: the run directory is resumed.
    again = _gate(better, worse, "--format", "json")
    assert again.exit_code == 0 and server.count() == calls
    assert "12 resumed" in again.stderr
    assert {key: json.loads(again.stdout)[key] for key in STABLE_KEYS} == {key: summary[key] for key in STABLE_KEYS}
    assert _verdicts("results.xml") == verdicts
    # A fresh checkout (no runs/ directory) that restores the judge cache, as the example
    # workflow does with actions/cache: every call comes from the cache.
    fresh = tmp_path / "fresh-checkout"
    fresh.mkdir()
    shutil.copy(better, fresh / better.name)
    shutil.copy(worse, fresh / worse.name)
    monkeypatch.chdir(fresh)
    cached = _gate(Path(better.name), Path(worse.name), "--format", "json")
    assert cached.exit_code == 0, cached.output
    assert server.count() == calls
    fresh_summary = json.loads(cached.stdout)
    assert fresh_summary["counts"]["calls"] == 0 and fresh_summary["counts"]["cached"] == 12
    assert {key: fresh_summary[key] for key in STABLE_KEYS} == {key: summary[key] for key in STABLE_KEYS}
    assert _verdicts("results.xml") == verdicts


def test_the_run_records_what_made_its_numbers(job: tuple[FakeProvider, Path, Path]) -> None:
    _, better, worse = job
    assert _gate(better, worse, "--out", "run").exit_code == 0
    summary = summary_json("run")
    manifest = json.loads(Path("run/run.json").read_text())
    assert summary["judge"] == manifest["judge"] == "openai/judge-model"
    assert summary["template"]["hash"] == manifest["template"]["hash"]
    assert summary["judgekit_version"] == manifest["versions"]["judgekit"]
    assert summary["config"]["seed"] == 0


def test_gate_warns_about_verdicts_from_another_template(job: tuple[FakeProvider, Path, Path]) -> None:
    _, better, worse = job
    assert _gate(better, worse, "--out", "run").exit_code == 0
    path = Path("run/judgments.jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["template_hash"] = "0000000000000000"
    rows[1]["judge"] = "openai/other-judge"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = cli("gate", "run", "--min-win-rate", "0.6")
    assert result.exit_code == 0
    assert "some verdicts come from another template than" in result.stderr
    assert "some verdicts come from another judge than openai/judge-model: openai/other-judge (1 rows)" in result.stderr


def test_pointwise_job_and_diff_between_versions(job: tuple[FakeProvider, Path, Path]) -> None:
    server, better, worse = job
    good = cli("eval", better, "-j", "openai/judge-model", "-q", "--out", "v2", "--min-score", "7")
    bad = cli("eval", worse, "-j", "openai/judge-model", "-q", "--out", "v1", "--min-score", "7")
    assert (good.exit_code, bad.exit_code) == (0, 1)
    calls = server.count()
    regression = cli("diff", "v2", "v1", "--max-regression", "0.5")
    assert regression.exit_code == 1
    assert "::error title=judgekit gate --max-regression failed" in regression.stderr
    assert cli("diff", "v1", "v2", "--max-regression", "0.5").exit_code == 0
    assert server.count() == calls
