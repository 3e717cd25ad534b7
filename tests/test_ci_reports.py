"""Reports CI systems read: the JUnit XML file, the Markdown step summary, GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from judgekit.reporting.console import summary_rows
from judgekit.reporting.github import escape_data, escape_property
from judgekit.reporting.junit import xml_text
from judgekit.reporting.markdown import cell
from judgekit.summary import Summary
from judgekit.testing.server import FakeProvider, Faults
from tests.gate_helpers import cli, pairs, points, start_judge, summary_json, write_jsonl

JUDGE = "openai/judge-1"


@pytest.fixture
def judge(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeProvider]:
    def start(**options: Any) -> FakeProvider:
        return start_judge(fake_provider, monkeypatch, **options)

    return start


def _cases(root: ElementTree.Element, suite: str) -> dict[str, ElementTree.Element]:
    [found] = [element for element in root.iter("testsuite") if element.get("name") == suite]
    return {case.get("name", ""): case for case in found.iter("testcase")}


def _outcome(case: ElementTree.Element, name: str = "outcome") -> str | None:
    found = case.find(f"properties/property[@name='{name}']")
    return None if found is None else found.get("value")


def _red(root: ElementTree.Element) -> list[str]:
    """What a JUnit publisher marks red: test cases with a failure or an error."""
    return [
        case.get("name", "")
        for case in root.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]


def test_junit_one_case_per_item_with_outcomes_as_properties_and_the_gate_as_the_failure(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    # With one worker the items go in order: q0's call fails (the first request, no retries);
    # q1-q3 and q7: A wins; q4, q5: A loses; q6: no verdict.
    judge(faults=Faults(script=["server_error"]))
    rows = pairs(8, a_good=[0, 1, 2, 3, 6, 7], tags={6: "UNSURE"})
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    result = cli(
        "eval", data, "-j", JUDGE, "-q", "-c", "1", "--out", "run", "--max-retries", "0", "--max-errors", "1",
        "--positions", "fixed", "--junit", "reports/junit.xml", "--min-win-rate", "0.9", "--min-items", "1",
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # the gate fails; one error is within --max-errors
    root = ElementTree.parse("reports/junit.xml").getroot()
    assert root.tag == "testsuites"
    cases = _cases(root, "judgekit.pairwise.pairs")
    assert list(cases) == [f"q{index}" for index in range(8)]
    outcomes = [_outcome(case) for case in cases.values()]
    assert outcomes == ["error", "won", "won", "won", "lost", "lost", "unscored", "won"]
    assert _red(root) == ["--min-win-rate"], "the gate is the failing test case, not the items"
    assert _outcome(cases["q4"], "reason") == "the judge preferred B over the candidate A"
    assert _outcome(cases["q4"], "verdict") == "B"
    assert cases["q4"].findtext("system-out") == "The second is better.\n[[B]]"  # the judge's explanation
    assert "no verdict found" in (_outcome(cases["q6"], "reason") or "")
    assert cases["q6"].findtext("system-out") == "I cannot tell which is right."
    assert "server error (500)" in (_outcome(cases["q0"], "reason") or "")
    suite = next(element for element in root.iter("testsuite") if element.get("name") == "judgekit.pairwise.pairs")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("8", "0", "0")
    properties = {prop.get("name"): prop.get("value") for prop in suite.find("properties") or []}
    manifest = json.loads(Path("run/run.json").read_text())
    assert properties["judge"] == JUDGE
    assert properties["template_hash"] == manifest["template"]["hash"]
    assert properties["judgekit_version"] == manifest["versions"]["judgekit"]
    gates = _cases(root, "judgekit.ci.gates")
    gate_failure = gates["--min-win-rate"].find("failure")
    assert gate_failure is not None and "is below the threshold" in (gate_failure.get("message") or "")
    assert gates["run"].find("failure") is None  # one failed item is allowed by --max-errors 1
    assert root.get("failures") == "1" and root.get("tests") == "10"
    assert "8 items: 2 failing, 2 without a verdict, 0 not judged" in result.stderr


def test_junit_is_all_green_when_the_gate_passes(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(12, a_good=[0, 1, 2, 3, 4, 5, 6, 7]))
    result = cli("eval", data, "-j", JUDGE, "-q", "--out", "run", "--junit", "j.xml", "--min-win-rate", "0.5")
    assert result.exit_code == 0, result.output
    root = ElementTree.parse("j.xml").getroot()
    assert _red(root) == [] and root.get("failures") == "0" and root.get("errors") == "0"
    lost = [name for name, case in _cases(root, "judgekit.pairwise.pairs").items() if _outcome(case) == "lost"]
    assert len(lost) == 4  # the losses are still there to read


def test_junit_run_case_fails_when_the_run_does(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(faults=Faults(server_error=1.0))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(3, a_good=[0]))
    result = cli("eval", data, "-j", JUDGE, "-q", "--out", "run", "--junit", "j.xml", "--max-retries", "0")
    assert result.exit_code == 3
    root = ElementTree.parse("j.xml").getroot()
    assert _red(root) == ["run"]
    message = _cases(root, "judgekit.ci.gates")["run"].find("failure")
    assert message is not None and "3 items failed after retries" in (message.get("message") or "")


def test_junit_is_valid_xml_whatever_the_answers_hold(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    hostile = 'BAD <script>alert("x")</script> ]]> & \x01\x1b[31m\x00 text'
    rows = pairs(2, a_good=[1])
    rows[0]["id"] = 'id <&"> ]]>'
    rows[0]["answer_a"] = hostile
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = cli("eval", path, "-j", JUDGE, "-q", "--out", "run", "--junit", "junit.xml")
    assert result.exit_code == 0, result.output
    root = ElementTree.parse("junit.xml").getroot()  # parses: the file is well-formed XML
    names = [case.get("name") for case in root.iter("testcase")]
    assert 'id <&"> ]]>' in names


def test_xml_text_replaces_what_xml_cannot_hold() -> None:
    assert xml_text("a\x00b\x1bc\ud800d\te\n") == "a\ufffdb\ufffdc\ufffdd\te\n"
    assert xml_text("x" * 30, limit=10) == "x" * 10 + "\n[... 20 characters cut by judgekit]"


def test_junit_pointwise_pass_score_and_without_one(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    data = write_jsonl(tmp_path / "points.jsonl", points(5, good=[0, 1, 2]))
    result = cli("eval", data, "-j", JUDGE, "-q", "--out", "run", "--junit", "junit.xml", "--pass-score", "5")
    assert result.exit_code == 0, result.output
    root = ElementTree.parse("junit.xml").getroot()
    cases = _cases(root, "judgekit.pointwise.points")
    assert {name: _outcome(case) for name, case in cases.items()} == {
        "q0": "pass", "q1": "pass", "q2": "pass", "q3": "fail", "q4": "fail"
    }  # fmt: skip
    assert _outcome(cases["q3"], "reason") == "score 2 is below the pass score 5"
    assert _outcome(cases["q3"], "score") == "2"
    assert _red(root) == []  # no gate failed and the run is whole: exit 0, nothing red
    # Without --pass-score no score can fail an item, and the command says so.
    again = cli("gate", "run", "--junit", "junit2.xml")
    assert again.exit_code == 0
    assert "give --pass-score N" in again.stderr
    again_root = ElementTree.parse("junit2.xml").getroot()
    assert {_outcome(case) for case in _cases(again_root, "judgekit.pointwise.points").values()} == {"scored"}
    assert _red(again_root) == []


def test_markdown_file_and_github_step_summary(
    judge: Callable[..., FakeProvider], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge()
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("## earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    rows = pairs(6, a_good=[0, 1, 2, 3], tags={5: "UNSURE"})
    rows[4]["id"] = "q4|pipe"
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    result = cli(
        "eval", data, "-j", JUDGE, "-q", "--out", "run", "--markdown", "summary.md",
        "--min-win-rate", "0.5", "--max-unscored", "0.1", "--min-items", "5",
    )  # fmt: skip
    assert result.exit_code == 1
    text = Path("summary.md").read_text()
    appended = step_summary.read_text()
    assert appended == "## earlier step\n" + text  # appended, never overwriting earlier steps
    assert "**Quality gates: ❌ 1 of 2 failed**" in text
    assert "| --min-win-rate | win rate of A |" in text and "✅ pass" in text
    assert "| --max-unscored | unscored rate | 16.7% \\[" in text and "| 6 | ≤ 10.0% | value 16.7% | ❌ fail |" in text
    summary = Summary.model_validate(summary_json("run"))
    for label, value in summary_rows(summary):
        assert f"| {cell(label)} | {cell(value)} |" in text
    assert "**Failing items (1)**" in text and "| q4\\|pipe |" in text
    assert "**Items without a verdict (1)**" in text and "| q5 | unscored |" in text
    # Every table row keeps its column count, whatever the ids hold.
    for line in text.splitlines():
        if line.startswith("| q4"):
            assert line.replace("\\|", "").count("|") == 4
    # `gate` adds its own section to the step summary.
    assert cli("gate", "run", "--min-win-rate", "0.5", "--min-items", "5").exit_code == 0
    assert step_summary.read_text().count("### judgekit · pairwise") == 2


def test_markdown_cells_neutralise_markup() -> None:
    assert cell("a|b") == "a\\|b"
    assert cell("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert cell("[click](http://x)") == "\\[click\\](http://x)"
    assert cell("two\nlines") == "two lines"
    assert len(cell("x" * 500)) == 120


def test_annotations_on_github_actions_only(
    judge: Callable[..., FakeProvider], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairs(4, a_good=[0]))
    plain = cli("eval", data, "-j", JUDGE, "-q", "--out", "run", "--min-win-rate", "0.5", "--min-items", "4")
    assert plain.exit_code == 1 and "::error" not in plain.output
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    result = cli(
        "gate", "run", "--min-win-rate", "0.5", "--max-unscored", "0.5", "--min-items", "4", "--format", "json"
    )
    assert result.exit_code == 1
    annotations = [line for line in result.stderr.splitlines() if line.startswith("::error")]
    assert annotations == [
        "::error title=judgekit gate --min-win-rate failed::--min-win-rate 50.0%25: win rate of A 25.0%25 "
        + annotations[0].split("win rate of A 25.0%25 ")[1]
    ]
    assert annotations[0].endswith("(n=4) is below the threshold")
    assert "::error" not in result.stdout  # stdout stays pure JSON
    json.loads(result.stdout)


def test_workflow_command_escaping() -> None:
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a: b, c%") == "a%3A b%2C c%25"
