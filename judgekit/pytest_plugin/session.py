"""The pytest session's judge: one backend and event loop for every call, and the session's end,
where the calls of each kind (and template) become one run directory that ends through
`judgekit.pipeline.ending.end_run`, as every `judgekit eval` run does."""

from __future__ import annotations

import asyncio
import io
import json
import re
import threading
from collections import defaultdict
from collections.abc import Coroutine
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from judgekit.pytest_plugin.verdict import Kind, Verdict, check_min_score, verdict_of

if TYPE_CHECKING:
    from judgekit.api import Prepared
    from judgekit.backends.base import Backend
    from judgekit.ci.gates import GateOptions
    from judgekit.config import EvalConfig
    from judgekit.pipeline.ending import PostRun
    from judgekit.schema import Judgment

T = TypeVar("T")


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
            check_min_score(prepared, min_score)
        result = self._run(api.execute(prepared))
        group = self.groups[(kind, template)]
        group.rows.append(row)
        group.judgments.extend(prepared.run_dir.load_judgments())
        return verdict_of(kind, result.summary, prepared, min_score)

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
    from judgekit.pipeline.single_end import run_end_of

    said = io.StringIO()
    try:
        with redirect_stdout(said), redirect_stderr(said):
            passed = end_run(run_end_of(result, notes=[]), post) == ExitCode.OK
    except JudgekitError as exc:  # a run that stopped, or failed items beyond the allowed (exit 3 in the CLI)
        print(f"judgekit: FAILED: {exc}", file=said)
        passed = False
    lines = [line.removeprefix("judgekit: ") for line in said.getvalue().splitlines() if line.strip()]
    return _Ended(result.run_dir, passed, [option_names(line) for line in lines])


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


def option_names(text: str) -> str:
    """judgekit's messages name its CLI options; in pytest they are spelled --judgekit-*."""
    return re.sub(
        r"--(min-win-rate|min-score|max-unscored|on-ci-bound|min-items|junit|markdown|html)\b", r"--judgekit-\1", text
    )


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


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
