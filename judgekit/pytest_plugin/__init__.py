"""judgekit inside a pytest suite: a `judge` fixture per test, one judged run per session, gates.

    def test_answer(judge):
        answer = my_app("What is 7 x 8?")
        assert judge(answer, question="What is 7 x 8?", min_score=7)

    def test_against_baseline(judge):
        assert judge.against(new_answer, baseline=old_answer, question="...")

Every call is judged at once, with the same machinery as `judgekit eval` (template, parser,
cache, retries), so the test can assert on it. When the session ends, the calls of each kind
(and template) are gathered into one run directory under `--judgekit-out` with the usual
judgments.jsonl and summary.json (the calls made during the tests are resumed, never paid
twice), and each run ends through `judgekit.pipeline.ending.end_run`, the ending of every
`judgekit eval`: the summary table, the session gates (`--judgekit-min-win-rate`,
`--judgekit-min-score`, `--judgekit-max-unscored`, each failing on fewer than
`--judgekit-min-items` calls), `--judgekit-junit` / `--judgekit-markdown` / `--judgekit-html`
reports, the Markdown summary in $GITHUB_STEP_SUMMARY and the annotations when set. What the
ending says is shown in pytest's "judgekit" section, and a failed gate, or a run that failed
as `judgekit eval` would exit 3, makes the session fail (exit 1).

Layer: the top, beside the CLI (`cli | pytest_plugin` in .importlinter): it calls the library
(api, pipeline) and nothing in judgekit imports it. pytest loads it through the `pytest11`
entry point; `-p no:judgekit.pytest_plugin` turns it off.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from judgekit.pytest_plugin.session import JudgeSession, option_names
from judgekit.pytest_plugin.verdict import Kind, Verdict

__all__ = ["Judge", "JudgeSession", "Verdict", "judge"]

ITEM_FIELDS = ("reference", "context", "category", "rubric")
"""Optional item fields a call may pass (the dataset columns of the same names)."""
_STASH: pytest.StashKey[JudgeSession] = pytest.StashKey()
REPORTS = ("junit", "markdown", "html")
"""The report options of `judgekit eval`, spelled --judgekit-junit etc. here."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("judgekit", "judgekit: judge outputs with an LLM judge (the `judge` fixture)")
    group.addoption("--judgekit-judge", help="provider/model (default: JUDGEKIT_JUDGE, else the embedded local judge)")
    group.addoption("--judgekit-out", default="runs/pytest", help="folder of the session's run directories")
    group.addoption("--judgekit-positions", choices=("random", "swap", "fixed"), help="pairwise answer order")
    group.addoption("--judgekit-min-win-rate", type=float, help="session gate: win rate of the candidate")
    group.addoption("--judgekit-min-score", type=float, help="session gate: mean score of pointwise calls")
    group.addoption("--judgekit-max-unscored", type=float, help="session gate: share of calls with no verdict")
    group.addoption("--judgekit-on-ci-bound", choices=("none", "lower", "upper"), default="none")
    group.addoption(
        "--judgekit-min-items",
        type=int,
        help="session gates fail on fewer calls than this (default 10, as --min-items)",
    )
    for report in REPORTS:
        group.addoption(
            f"--judgekit-{report}",
            metavar="PATH",
            help=f"write each run's {report} report (as `judgekit eval --{report}`); with several runs in the "
            "session, the run's name goes before the suffix (report-pairwise.xml)",
        )


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    thresholds = {name: getattr(option, f"judgekit_{name}") for name in ("min_win_rate", "min_score", "max_unscored")}
    reports = {name: getattr(option, f"judgekit_{name}") for name in REPORTS}
    gates, post = None, None
    if any(value is not None for value in (*thresholds.values(), *reports.values())):  # load judgekit only if asked
        from judgekit.ci.gates import GateOptions
        from judgekit.errors import JudgekitError
        from judgekit.pipeline.ending import PostRun

        try:
            minimum = {} if option.judgekit_min_items is None else {"min_items": option.judgekit_min_items}
            if any(value is not None for value in thresholds.values()):
                gates = GateOptions(**thresholds, on_ci_bound=option.judgekit_on_ci_bound, **minimum)
            post = PostRun(**reports)
            post.check_targets()  # a report that cannot be written fails now, not after the session's calls
        except JudgekitError as exc:
            raise pytest.UsageError(option_names(str(exc))) from None
    judge = option.judgekit_judge or os.environ.get("JUDGEKIT_JUDGE")
    config.stash[_STASH] = JudgeSession(judge, Path(option.judgekit_out), option.judgekit_positions, gates, post)


class Judge:
    """The `judge` fixture: judges outputs for one test (the session gathers the calls)."""

    def __init__(self, session: JudgeSession, test_id: str) -> None:
        self._session, self._test_id, self._calls = session, test_id, 0

    def __repr__(self) -> str:
        return f"<judgekit judge {self._session.judge_spec or 'embedded local judge'}>"

    def __call__(
        self, answer: str, *, question: str, min_score: float, template: str | None = None, **fields: str
    ) -> Verdict:
        """Score one answer (pointwise) with `template` (default pointwise/score, 1-10)."""
        row = {"question": question, "answer": answer, **_checked_fields(fields)}
        return self._judge("pointwise", row, template, min_score)

    def against(
        self, answer: str, *, baseline: str, question: str, template: str | None = None, **fields: str
    ) -> Verdict:
        """Judge `answer` (A, the candidate) against `baseline` (B), pairwise."""
        row = {"question": question, "answer_a": answer, "answer_b": baseline, **_checked_fields(fields)}
        row |= {"model_a": "candidate", "model_b": "baseline"}
        return self._judge("pairwise", row, template, None)

    def _judge(self, kind: Kind, row: dict[str, str], template: str | None, min_score: float | None) -> Verdict:
        from judgekit.errors import JudgekitError

        self._calls += 1
        row = {"id": f"{self._test_id}#{self._calls}", **row}
        try:
            return self._session.judge(kind, row, template, min_score)
        except JudgekitError as exc:
            pytest.fail(f"judgekit: {exc}", pytrace=False)


def _checked_fields(fields: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(fields) - set(ITEM_FIELDS))
    if unknown:
        pytest.fail(f"judge(): unknown field {unknown[0]!r}; known: {', '.join(ITEM_FIELDS)}", pytrace=False)
    return fields


@pytest.fixture
def judge(request: pytest.FixtureRequest) -> Judge:
    """Judge outputs with an LLM judge: `assert judge(answer, question=..., min_score=7)`."""
    if hasattr(request.config, "workerinput"):  # each pytest-xdist worker would write the same run directories
        pytest.fail("judgekit's judge fixture does not run under pytest-xdist; run the judged tests without -n")
    return Judge(request.config.stash[_STASH], request.node.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    judge_session = session.config.stash.get(_STASH, None)
    if judge_session is None or (not judge_session.groups and judge_session.gates is None):
        return
    judge_session.finish()
    failed = judge_session.problems or any(not ended.passed for ended in judge_session.results)
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    judge_session = config.stash.get(_STASH, None)
    if judge_session is None or not (judge_session.results or judge_session.problems):
        return
    terminalreporter.section("judgekit")
    for ended in judge_session.results:
        terminalreporter.write_line(f"run directory: {ended.run_dir}")
        for line in ended.lines:
            # GitHub reads a workflow command (::error) only at the start of a line.
            shown = line if line.startswith("::") else f"  {line}"
            terminalreporter.write_line(shown, red=line.startswith(("gate FAILED", "FAILED")))
    for problem in judge_session.problems:
        terminalreporter.write_line(f"gate FAILED: {problem}", red=True)
