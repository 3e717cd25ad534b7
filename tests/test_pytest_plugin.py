"""The pytest plugin: the example test file runs under pytest, writes run directories and fails
the session on a gate; verdicts, messages and the session's bookkeeping are checked on real runs
(mock judge, and the openai SDK against the local fake server)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from judgekit.pytest_plugin import Verdict
from judgekit.testing.server import FakeProvider

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pytest" / "test_with_judge.py"
PLUGIN = ("-p", "judgekit.pytest_plugin", "-p", "no:cacheprovider")


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*PLUGIN, "--judgekit-out", "runs", *args)


def _summary(pytester: pytest.Pytester, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pytester.path / "runs" / name / "summary.json").read_text())
    return data


def _rows(pytester: pytest.Pytester, name: str) -> list[dict[str, Any]]:
    text = (pytester.path / "runs" / name / "judgments.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_example_file_passes_and_gathers_one_run_per_kind(pytester: pytest.Pytester) -> None:
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    args = ("--judgekit-judge", "mock/first", "--judgekit-positions", "fixed", "--judgekit-min-win-rate", "0.5")
    result = _run(pytester, *args, "--judgekit-min-items", "3")
    result.assert_outcomes(passed=4)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*judgekit*", "run directory: runs/pointwise", "run directory: runs/pairwise"])
    result.stdout.fnmatch_lines(["*gate passed: --judgekit-min-win-rate 50.0%: win rate of A 100.0%*(n=3)*"])
    pointwise, pairwise = _summary(pytester, "pointwise"), _summary(pytester, "pairwise")
    assert pointwise["pointwise"]["mean"]["value"] == 10 and pointwise["pointwise"]["mean"]["n"] == 3
    assert (pairwise["pairwise"]["wins_a"], pairwise["pairwise"]["wins_b"]) == (3, 0)
    # Each call was made once, during its test; the session run resumed them (no second request).
    for name, summary in (("pointwise", pointwise), ("pairwise", pairwise)):
        assert summary["status"] == "complete"
        assert (summary["counts"]["calls"], summary["counts"]["requests"], summary["counts"]["cached"]) == (3, 3, 0)
        assert len(_rows(pytester, name)) == 3
    ids = [row["item_id"] for row in _rows(pytester, "pointwise")]
    assert ids == [f"test_with_judge.py::test_answer_is_good[{q}]#1" for q in _questions()]
    # The same session again: every call comes from the cache, the numbers stay.
    again = _run(pytester, *args)
    again.assert_outcomes(passed=4)
    assert _summary(pytester, "pairwise")["counts"]["cached"] == 3
    assert _summary(pytester, "pairwise")["pairwise"]["win_rate"] == pairwise["pairwise"]["win_rate"]


def _questions() -> list[str]:
    return ["What is 7 multiplied by 8?", "What is the capital of Japan?", "How many legs does a spider have?"]


def test_a_failed_gate_fails_the_session_whose_tests_passed(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    step_summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    result = _run(
        pytester, "-k", "against", "--judgekit-judge", "mock/second", "--judgekit-positions", "fixed",
        "--judgekit-min-win-rate", "0.5", "--judgekit-min-items", "3",
    )  # fmt: skip
    result.assert_outcomes(passed=1, deselected=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*gate FAILED: --judgekit-min-win-rate 50.0%: win rate of A 0.0%*below the threshold"])
    assert _summary(pytester, "pairwise")["pairwise"]["wins_b"] == 3
    assert not (pytester.path / "runs" / "pointwise").exists()
    markdown = step_summary.read_text()
    assert markdown.startswith("### judgekit · pairwise · mock/second") and "--min-win-rate" in markdown


def test_a_low_score_fails_its_test_with_the_judges_answer(pytester: pytest.Pytester) -> None:
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    args = ("-k", "good", "--judgekit-judge", "mock/second", "--judgekit-min-score", "5", "--judgekit-min-items", "3")
    result = _run(pytester, *args)
    result.assert_outcomes(failed=3, deselected=1)
    result.stdout.fnmatch_lines(
        ["*assert <judgekit pointwise verdict: score 1 < min_score 7; mock/second said: *Rating: ?[[]1]]*"]
    )
    result.stdout.fnmatch_lines(["*gate FAILED: --judgekit-min-score 5: mean score 1.000 * below the threshold"])
    assert _summary(pytester, "pointwise")["pointwise"]["mean"]["value"] == 1


def test_unscored_verdicts_fail_their_test_and_are_counted_never_zero(pytester: pytest.Pytester) -> None:
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    result = _run(pytester, "-k", "good", "--judgekit-judge", "mock/unparseable", "--judgekit-max-unscored", "0.1")
    result.assert_outcomes(failed=3, deselected=1)
    result.stdout.fnmatch_lines(["*<judgekit pointwise verdict: unscored (no valid verdict); mock/unparseable said:*"])
    result.stdout.fnmatch_lines(["*gate FAILED: --judgekit-max-unscored 10.0%: unscored rate 100.0%*"])
    summary = _summary(pytester, "pointwise")
    assert summary["counts"]["unscored"] == 3 and summary["pointwise"]["mean"] is None


def test_gates_without_evidence_and_mistakes_are_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mistakes="""
        def test_scale(judge):
            judge("fine", question="q", min_score=70)

        def test_field(judge):
            judge("fine", question="q", min_score=7, refrence="typo")

        def test_template(judge):
            judge("fine", question="q", min_score=7, template="pointwise/nope")

        def test_good(judge):
            assert judge("fine", question="q", min_score=7, reference="fine", template="pointwise/reference")
        """
    )
    result = _run(pytester, "--judgekit-judge", "mock/first", "--judgekit-min-win-rate", "0.5")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*judgekit: min_score 70 is outside the scale of template pointwise/score (1 to 10)"])
    result.stdout.fnmatch_lines(["*judge(): unknown field 'refrence'; known: reference, context, category, rubric"])
    result.stdout.fnmatch_lines(["*judgekit: *pointwise/nope*"])
    result.stdout.fnmatch_lines(["*gate FAILED: --judgekit-min-win-rate: no pairwise call (judge.against) was judged*"])
    # A call with another template gets its own run directory.
    assert _summary(pytester, "pointwise-pointwise_reference")["counts"]["items"] == 1
    assert "Traceback" not in result.stdout.str()


def test_an_option_out_of_range_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--judgekit-min-win-rate", "60")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--judgekit-min-win-rate 60: rates are fractions from 0 to 1 (0.6 means 60%)"])


def test_session_gates_refuse_thin_evidence(pytester: pytest.Pytester) -> None:
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    args = ("--judgekit-judge", "mock/first", "--judgekit-positions", "fixed", "--judgekit-min-win-rate", "0.5")
    result = _run(pytester, *args)  # three pairwise calls, fewer than the default 10
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*gate FAILED: --judgekit-min-win-rate 50.0%*(n=3) is at or above the threshold; n=3 is below --judgekit-min-items 10*"
        ]
    )
    refused = _run(pytester, *args, "--judgekit-min-items", "0")
    refused.stderr.fnmatch_lines(["*--judgekit-min-items 0: give the fewest items a gate may rest on, 1 or more"])


def test_a_session_without_judge_calls_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    # pytest's own header lists the installed plugin ("plugins: judgekit-cli-..."); nothing else may mention it.
    lines = [line for line in result.stdout.lines if not line.startswith("plugins:")]
    assert not any("judgekit" in line for line in lines) and not (pytester.path / "runs").exists()


def test_api_judge_keeps_one_client_for_the_session(
    pytester: pytest.Pytester, fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider()
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
    pytester.makepyfile(
        """
        import asyncio

        def test_sync(judge):
            assert judge("56", question="7 x 8?", min_score=7)
            assert judge.against("56", baseline="54", question="7 x 8?")

        async def _inside_a_loop(judge):
            return judge("Tokyo", question="Capital of Japan?", min_score=8)

        def test_from_async_code(judge):
            verdict = asyncio.run(_inside_a_loop(judge))
            assert not verdict and verdict.score == 7
        """
    )
    result = _run(pytester, "--judgekit-judge", "openai/gpt-fake", "--judgekit-positions", "fixed")
    result.assert_outcomes(passed=2)
    assert len(server.recorded) == 3  # one request per call; the session's runs asked nothing again
    assert _summary(pytester, "pointwise")["pointwise"]["mean"]["value"] == 7
    assert _summary(pytester, "pairwise")["pairwise"]["wins_a"] == 1


@pytest.mark.parametrize(
    ("kind", "status", "score", "min_score", "passed"),
    [
        ("pointwise", "scored", 7.0, 7.0, True),
        ("pointwise", "scored", 6.5, 7.0, False),
        ("pointwise", "unscored", None, 1.0, False),
        ("pointwise", "error", None, 1.0, False),
        ("pairwise", "scored", 1.0, None, True),
        ("pairwise", "scored", 0.5, None, True),
        ("pairwise", "scored", 0.0, None, False),
    ],
)
def test_verdict_passes_on_its_threshold_and_never_without_a_verdict(
    kind: Any, status: Any, score: float | None, min_score: float | None, passed: bool
) -> None:
    verdict = Verdict(kind, status, score, min_score, "mock/first", "Rating: [[7]]")
    assert bool(verdict) is passed and verdict.passed is passed
    assert "mock/first said: 'Rating: [[7]]'" in repr(verdict)


def test_the_session_ends_as_judgekit_eval_does_with_its_reports(pytester: pytest.Pytester) -> None:
    """One ending for every path: the plugin's runs go through pipeline.ending.end_run, so the summary
    table, the gate lines and the --junit / --html reports are those of `judgekit eval`."""
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    (pytester.path / "out").mkdir()
    result = _run(
        pytester, "--judgekit-judge", "mock/second", "--judgekit-positions", "fixed", "--judgekit-min-win-rate", "0.5",
        "--judgekit-min-items", "3", "--judgekit-junit", "out/report.xml", "--judgekit-html", "out/report.html",
    )  # fmt: skip
    result.assert_outcomes(passed=1, failed=3)  # mock/second scores the answers 1: the pointwise tests fail
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*judgekit*",
            "run directory: runs/pointwise",
            "*judgekit · pointwise · mock/second · pointwise/score*",
            "*Items scored / unscored / failed * 3 / 0 / 0 of 3*",
            "*HTML report: out/report-pointwise.html",
            "run directory: runs/pairwise",
            "*Wins A / wins B / ties * 0 / 3 / 0*",
            "*gate FAILED: --judgekit-min-win-rate 50.0%: win rate of A 0.0%*below the threshold",
            "*JUnit report: out/report-pairwise.xml (3 items: *",
        ]
    )
    # Several runs in the session: each report file carries its run's name.
    assert sorted(path.name for path in (pytester.path / "out").iterdir()) == [
        "report-pairwise.html",
        "report-pairwise.xml",
        "report-pointwise.html",
        "report-pointwise.xml",
    ]
    suites = ElementTree.parse(pytester.path / "out" / "report-pairwise.xml").getroot()
    failures = [case.get("name") for case in suites.iter("testcase") if case.find("failure") is not None]
    assert any("min-win-rate" in str(name) for name in failures), failures
    assert "<html" in (pytester.path / "out" / "report-pointwise.html").read_text()[:500].lower()


def test_one_run_writes_its_report_where_asked_and_a_bad_target_stops_the_session_first(
    pytester: pytest.Pytester,
) -> None:
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    result = _run(pytester, "-k", "good", "--judgekit-judge", "mock/first", "--judgekit-junit", "report.xml")
    result.assert_outcomes(passed=3, deselected=1)
    assert result.ret == 0 and (pytester.path / "report.xml").is_file()
    result.stdout.fnmatch_lines(["*JUnit report: report.xml (3 items: 0 failing, *"])
    (pytester.path / "folder").mkdir()
    refused = _run(pytester, "-k", "good", "--judgekit-judge", "mock/first", "--judgekit-junit", "folder")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*--judgekit-junit folder: is a folder; give a file name"])
    assert "Traceback" not in refused.stdout.str() + refused.stderr.str()
