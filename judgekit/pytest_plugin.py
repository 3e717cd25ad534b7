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

import asyncio
import io
import json
import os
import re
import threading
from collections import defaultdict
from collections.abc import Coroutine
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pytest

if TYPE_CHECKING:
    from judgekit.api import Prepared
    from judgekit.backends.base import Backend
    from judgekit.ci.gates import GateOptions
    from judgekit.config import EvalConfig
    from judgekit.pipeline.ending import PostRun
    from judgekit.schema import Judgment

Kind = Literal["pointwise", "pairwise"]
T = TypeVar("T")
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
            raise pytest.UsageError(_option_names(str(exc))) from None
    judge = option.judgekit_judge or os.environ.get("JUDGEKIT_JUDGE")
    config.stash[_STASH] = JudgeSession(judge, Path(option.judgekit_out), option.judgekit_positions, gates, post)


@dataclass(frozen=True)
class Verdict:
    """One judged output. True when it passed: a score of at least `min_score` (pointwise), or
    not a loss against the baseline (pairwise: wins and ties pass). An output without a valid
    verdict (unscored) or whose call failed is never a pass, and never a score of zero."""

    kind: Kind
    status: Literal["scored", "unscored", "error"]
    score: float | None
    """Pointwise: the judge's score. Pairwise: the candidate's credit (win 1, tie 0.5, loss 0)."""
    min_score: float | None
    judge: str
    explanation: str
    """The judge's raw answer (or the error), for the failure message."""

    @property
    def passed(self) -> bool:
        if self.score is None:
            return False
        return self.score >= self.min_score if self.min_score is not None else self.score > 0

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        if self.status != "scored":
            head = f"{self.status} (no valid verdict)" if self.status == "unscored" else "judge call failed"
        elif self.kind == "pairwise":
            head = {1.0: "win", 0.5: "tie", 0.0: "loss"}.get(self.score or 0.0, f"credit {self.score}")
            head += " against the baseline"
        else:
            head = f"score {self.score:g} {'>=' if self.passed else '<'} min_score {self.min_score:g}"
        text = " ".join(self.explanation.split())
        return f"<judgekit {self.kind} verdict: {head}; {self.judge} said: {text[-300:]!r}>"


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


@dataclass
class _Group:
    """The calls of one kind and template: they become one run directory."""

    rows: list[dict[str, str]] = field(default_factory=list)
    judgments: list[Judgment] = field(default_factory=list)


class JudgeSession:
    """Judges the session's calls on one backend and event loop, then gathers them into runs."""

    def __init__(
        self, judge: str | None, out: Path, positions: str | None, gates: GateOptions | None, post: PostRun | None
    ) -> None:
        self.judge_spec, self.out, self.positions, self.gates, self.post = judge, out, positions, gates, post
        self.groups: dict[tuple[Kind, str | None], _Group] = defaultdict(_Group)
        self.results: list[_Ended] = []
        self.problems: list[str] = []
        self._backend: Backend | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scratch: Path | None = None

    def config(self, kind: Kind, dataset: Path, template: str | None, out: Path) -> EvalConfig:
        from judgekit.config import EvalConfig
        from judgekit.judging import embedded

        chosen: dict[str, Any] = {"prompt": template, "positions": self.positions or "random"}
        if self.judge_spec is None:  # as `judgekit eval` does without a judge: the embedded one
            chosen = embedded.settings(kind, positions=self.positions, prompt=template)
        return EvalConfig(dataset=str(dataset), judge=self.judge_spec or chosen.pop("judge"), out=str(out), **chosen)

    def judge(self, kind: Kind, row: dict[str, str], template: str | None, min_score: float | None) -> Verdict:
        from judgekit import api

        scratch = self._scratch_dir() / f"call-{sum(len(g.rows) for g in self.groups.values()) + 1}"
        data = _write_rows(scratch / "item.jsonl", [row])
        prepared = self._prepare(self.config(kind, data, template, scratch / "run"))
        if min_score is not None:
            _check_min_score(prepared, min_score)
        result = self._run(api.execute(prepared))
        group = self.groups[(kind, template)]
        group.rows.append(row)
        group.judgments.extend(prepared.run_dir.load_judgments())
        return _verdict(kind, result.summary, prepared, min_score)

    def _prepare(self, config: EvalConfig) -> Prepared:
        from judgekit import api

        prepared = api.prepare(config, backend=self._backend)
        if self._backend is None:  # the first call made it: keep it open for the whole session
            self._backend = prepared.backend = _KeptOpen(prepared.backend)
        return prepared

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run on the session's own loop (a thread), so the backend's client outlives each call
        and a test may call the judge from sync or async code alike."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="judgekit-judge", daemon=True).start()
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def _scratch_dir(self) -> Path:
        if self._scratch is None:
            import tempfile

            self._scratch = Path(tempfile.mkdtemp(prefix="judgekit-pytest-"))
        return self._scratch

    def finish(self) -> None:
        """Gather each group into its run directory, check the gates, publish the summary."""
        from judgekit.errors import JudgekitError

        try:
            for (kind, template), group in self.groups.items():
                self.results.append(self._finish_group(kind, template, group))
            if self.gates is not None:
                self.problems += _gates_without_evidence(self.gates, {kind for kind, _ in self.groups})
        except JudgekitError as exc:
            self.problems.append(f"judgekit: {exc}")
        finally:
            self.close()

    def _finish_group(self, kind: Kind, template: str | None, group: _Group) -> _Ended:
        from judgekit import api

        name = kind if template is None else f"{kind}-{re.sub(r'[^A-Za-z0-9._-]+', '_', template)}"
        data = _write_rows(self._scratch_dir() / f"{name}.jsonl", group.rows)
        prepared = self._prepare(self.config(kind, data, template, self.out / name).model_copy(update={"fresh": True}))
        api.open_run_dir(prepared)  # a new run each session, holding the calls the tests made
        writer = prepared.run_dir.open_writer()
        for row in group.judgments:
            writer.write(row)
        writer.close()
        prepared.config = prepared.config.model_copy(update={"fresh": False})
        result = self._run(api.execute(prepared))  # resumes every call: nothing is asked twice
        return _end(result, self._post_for(kind, name))

    def _post_for(self, kind: Kind, name: str) -> PostRun:
        """The session's gates for this kind of call and its report files (named per run when there are several)."""
        from dataclasses import replace

        from judgekit.ci.gates import GateOptions
        from judgekit.pipeline.ending import PostRun

        gates = _gates_for(self.gates, kind) if self.gates is not None else GateOptions()
        post = self.post or PostRun()
        if len(self.groups) > 1:
            post = replace(
                post, junit=_named(post.junit, name), markdown=_named(post.markdown, name), html=_named(post.html, name)
            )
        return replace(post, gates=gates)

    def close(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None:
            if self._backend is not None:
                asyncio.run_coroutine_threadsafe(self._backend.inner.aclose(), loop).result()  # type: ignore[attr-defined]
            loop.call_soon_threadsafe(loop.stop)


@dataclass(frozen=True)
class _Ended:
    """One run of the session after `end_run`: where it is, whether it passed, what the ending said."""

    run_dir: Path
    passed: bool
    lines: list[str]


def _end(result: Any, post: PostRun) -> _Ended:
    """End one run as `judgekit eval` ends it, keeping what the ending prints for pytest's report."""
    from judgekit.errors import ExitCode, JudgekitError
    from judgekit.pipeline.ending import end_run
    from judgekit.pipeline.paths import run_end_of

    said = io.StringIO()
    try:
        with redirect_stdout(said), redirect_stderr(said):
            passed = end_run(run_end_of(result, notes=[]), post) == ExitCode.OK
    except JudgekitError as exc:  # a run that stopped, or failed items beyond the allowed (exit 3 in the CLI)
        print(f"judgekit: FAILED: {exc}", file=said)
        passed = False
    lines = [line.removeprefix("judgekit: ") for line in said.getvalue().splitlines() if line.strip()]
    return _Ended(result.run_dir, passed, [_option_names(line) for line in lines])


def _named(target: str | None, name: str) -> str | None:
    """`report.xml` -> `report-pairwise.xml`: one file per run when the session has several."""
    if target is None:
        return None
    path = Path(target)
    return str(path.with_name(f"{path.stem}-{name}{path.suffix}"))


class _KeptOpen:
    """The session's backend: `execute` closes the backend it ran with, this one stays open
    (so an in-process model loads once) until the session closes `inner`."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def complete(self, request: Any) -> Any:
        return await self.inner.complete(request)

    async def aclose(self) -> None:
        return None


def _option_names(text: str) -> str:
    """judgekit's messages name its CLI options; in pytest they are spelled --judgekit-*."""
    return re.sub(
        r"--(min-win-rate|min-score|max-unscored|on-ci-bound|min-items|junit|markdown|html)\b", r"--judgekit-\1", text
    )


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def _check_min_score(prepared: Prepared, min_score: float) -> None:
    from judgekit.errors import UsageError

    scale = prepared.template.meta.verdict.scale
    if scale is not None and not scale[0] <= min_score <= scale[1]:
        raise UsageError(
            f"min_score {min_score:g} is outside the scale of template {prepared.template.name} "
            f"({scale[0]:g} to {scale[1]:g})"
        )


def _verdict(kind: Kind, summary: Any, prepared: Prepared, min_score: float | None) -> Verdict:
    rows = [row for row in prepared.run_dir.load_judgments() if row.role == "judge"]
    explanation = "\n".join((row.completion.text if row.completion else row.reason) or "" for row in rows)
    metrics = summary.pointwise.mean if kind == "pointwise" else summary.pairwise.win_rate
    if summary.counts.errors:
        status: Literal["scored", "unscored", "error"] = "error"
    else:
        status = "scored" if metrics is not None and metrics.n else "unscored"
    score = metrics.value if status == "scored" else None
    return Verdict(kind, status, score, min_score, str(prepared.spec), explanation)


def _gates_for(gates: GateOptions, kind: Kind) -> GateOptions:
    from dataclasses import replace

    if kind == "pairwise":
        return replace(gates, min_score=None)
    return replace(gates, min_win_rate=None)


def _gates_without_evidence(gates: GateOptions, kinds: set[Kind]) -> list[str]:
    """A gate passes on evidence only: one whose kind of call never happened fails."""
    missing = []
    if gates.min_win_rate is not None and "pairwise" not in kinds:
        missing.append("--judgekit-min-win-rate: no pairwise call (judge.against) was judged in this session")
    if gates.min_score is not None and "pointwise" not in kinds:
        missing.append("--judgekit-min-score: no pointwise call (judge(...)) was judged in this session")
    if gates.max_unscored is not None and not kinds:
        missing.append("--judgekit-max-unscored: no call was judged in this session")
    return missing


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
