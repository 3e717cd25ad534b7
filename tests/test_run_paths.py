"""Every way a run ends x every post-run option: the file is written (or the option refused) and
the exit code is the documented one. One ending serves all paths, so none can fail open."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider
from tests.gate_helpers import cli, pairs, write_jsonl

FAST_BATCH = ["--poll-interval", "0.02"]
# Eight items: below the default --min-items, so the gates here are decided by the win rate alone.
PASSING = ["--min-win-rate", "0.01", "--min-items", "1"]
FAILING = ["--min-win-rate", "0.99", "--min-items", "1"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", pairs(8, a_good=range(4)))


@pytest.fixture
def batch_server(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    from tests.gate_helpers import ci_responder

    server = fake_provider(ci_responder, batches=BatchBehaviour())
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-paths-0123456789")
    return server


def single(data: Path, *extra: str) -> Any:
    return cli("eval", data, "-j", "mock/first", "-q", "--out", "run", *extra)


def panel(data: Path, *extra: str) -> Any:
    return cli("eval", data, "-j", "mock/first", "-j", "mock/second", "-j", "mock/random", "-q", "--out", "pan", *extra)


def cascade(data: Path, *extra: str) -> Any:
    # Under swap the order agreement is the confidence: mock/first flips every item to a tie.
    return cli("eval", data, "--cascade", "mock/random,mock/first", "--positions", "swap", "-q", "--out", "cas", *extra)


def batch(data: Path, *extra: str) -> Any:
    return cli("eval", data, "-j", "openai/judge", "-q", "--out", "run", "--batch", *FAST_BATCH, *extra)


def resumed(data: Path, *extra: str) -> Any:
    first = cli("eval", data, "-j", "mock/first", "-q", "--out", "run", "--max-calls", "3")
    assert first.exit_code == 3, first.output
    return cli("eval", "--resume", "run", "-q", "--max-calls", "1000", *extra)


def gated_dir(data: Path, *extra: str) -> Any:
    assert single(data).exit_code == 0
    return cli("gate", "run", *extra)


def collected(data: Path, *extra: str) -> Any:
    detached = batch(data, "--detach")
    assert detached.exit_code == 0, detached.output
    return cli("batch", "collect", "run", "-q", *FAST_BATCH, *extra)


GATED_PATHS: dict[str, Callable[..., Any]] = {
    "single": single,
    "panel": panel,
    "cascade": cascade,
    "batch": batch,
    "resume": resumed,
    "gate": gated_dir,
    "collect": collected,
}


def _needs_server(name: str, request: pytest.FixtureRequest) -> None:
    if name in ("batch", "collect"):
        request.getfixturevalue("batch_server")


@pytest.mark.parametrize("path", list(GATED_PATHS))
@pytest.mark.parametrize(("gate", "code"), [(PASSING, 0), (FAILING, 1)])
def test_gates_decide_the_exit_code_on_every_path(
    path: str, gate: list[str], code: int, data: Path, request: pytest.FixtureRequest
) -> None:
    _needs_server(path, request)
    result = GATED_PATHS[path](data, *gate, "--junit", "out.xml")
    assert result.exit_code == code, result.output
    assert "judgekit: gate " in result.stderr
    report = Path("out.xml").read_text()
    assert "<testsuite" in report


@pytest.mark.parametrize("path", list(GATED_PATHS))
def test_markdown_and_github_step_summary_on_every_path(
    path: str, data: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _needs_server(path, request)
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = GATED_PATHS[path](data, *PASSING, "--markdown", "report.md")
    assert result.exit_code == 0, result.output
    assert "win rate" in Path("report.md").read_text().lower()
    # The step summary gains this run's section (earlier steps of the path may have added theirs).
    assert summary.read_text().endswith(Path("report.md").read_text())


HTML_PATHS = {name: function for name, function in GATED_PATHS.items() if name != "gate"}


@pytest.mark.parametrize("path", list(HTML_PATHS))
def test_html_on_every_path_that_offers_it(path: str, data: Path, request: pytest.FixtureRequest) -> None:
    _needs_server(path, request)
    result = HTML_PATHS[path](data, "--html", "page.html")
    assert result.exit_code == 0, result.output
    assert Path("page.html").read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("path", ["single", "panel", "cascade", "batch", "resume", "collect", "gate"])
def test_format_json_prints_only_json(path: str, data: Path, request: pytest.FixtureRequest) -> None:
    _needs_server(path, request)
    result = GATED_PATHS[path](data, *PASSING, "--format", "json")
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), dict)


def test_panel_gates_on_the_panel_verdict_and_says_so(data: Path) -> None:
    result = panel(data, *FAILING)
    assert result.exit_code == 1
    assert "use the panel's verdict" in result.stderr
    regated = cli("gate", "pan/panel", *PASSING)
    assert regated.exit_code == 0, regated.output
    assert cli("report", "pan/panel", "--format", "json").exit_code == 0


def test_a_cascade_gates_on_its_verdicts_and_says_so(data: Path) -> None:
    result = cascade(data, *FAILING)
    assert result.exit_code == 1
    assert "use the cascade's verdicts" in result.stderr
    assert cli("gate", "cas/cascade", *PASSING).exit_code == 0
    reported = cli("report", "cas/cascade", "--format", "json")
    assert reported.exit_code == 0, reported.output
    assert json.loads(reported.stdout)["counts"]["items"] == 8


def test_a_detached_gate_is_kept_for_collect(data: Path, batch_server: FakeProvider) -> None:
    detached = batch(data, "--detach", *FAILING, "--junit", "later.xml")
    assert detached.exit_code == 0, detached.output
    assert "will be applied when the batches are collected" in detached.stderr
    assert not Path("later.xml").exists()
    result = cli("batch", "collect", "run", "-q", *FAST_BATCH)
    assert result.exit_code == 1, result.output
    assert Path("later.xml").exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--batch", "--estimate", *PASSING], "--min-win-rate"),
        (["--batch", "--estimate", "--html", "x.html"], "--html"),
        (["-j", "mock/second", "--batch"], "--batch"),
        (["--detach"], "--detach"),
    ],
)
def test_options_that_cannot_apply_stop_before_any_call(data: Path, args: list[str], named: str) -> None:
    result = cli("eval", data, "-j", "mock/first", "-q", "--out", "run", *args)
    assert result.exit_code == 2, result.output
    assert named in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not Path("run").exists()


def test_compare_refuses_gates_and_reports_on_comparison_dirs(data: Path) -> None:
    result = cli("compare", data, "-j", "mock/first", "-j", "mock/second", "-q", "--out", "cmp", "--html", "c.html")
    assert result.exit_code == 0, result.output
    assert Path("c.html").exists()
    refused = cli("report", "cmp", "--reparse")
    assert refused.exit_code == 2 and "--reparse" in refused.stderr
    shown = cli("report", "cmp", "--format", "json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["rows"]


def test_resume_refuses_a_different_judge_and_applies_post_run_options(data: Path) -> None:
    assert cli("eval", data, "-j", "mock/first", "-q", "--out", "run").exit_code == 0
    refused = cli("eval", "--resume", "run", "-j", "mock/second")
    assert refused.exit_code == 2 and "mock/first" in refused.stderr and "mock/second" in refused.stderr
    again = cli("eval", "--resume", "run", "-q", *FAILING, "--junit", "r.xml")
    assert again.exit_code == 1 and Path("r.xml").exists()


def test_compare_grades_each_combination_as_eval_does(data: Path, fake_provider: Any, monkeypatch: Any) -> None:
    from tests.gate_helpers import start_judge

    start_judge(fake_provider, monkeypatch)
    grading = ["--score-method", "samples", "--samples", "3", "--positions", "swap"]
    evaluated = cli("eval", data, "-j", "openai/judge", "-q", "--out", "alone", "--format", "json", *grading)
    assert evaluated.exit_code == 0, evaluated.output
    compared = cli("compare", data, "-j", "openai/judge", "-j", "mock/first", "-q", "--out", "cmp", *grading)
    assert compared.exit_code == 0, compared.output
    alone = json.loads(Path("alone/run.json").read_text())
    member = json.loads(Path("cmp/default--openai_judge/run.json").read_text())
    assert member["resolved"]["grading"] == alone["resolved"]["grading"]
    assert member["resolved"]["method"] == alone["resolved"]["method"] == "samples"
    assert (
        json.loads(Path("alone/summary.json").read_text())["human"]
        == json.loads(Path("cmp/default--openai_judge/summary.json").read_text())["human"]
    )


def test_the_embedded_judge_gets_its_defaults_whether_named_or_not(tmp_path: Path) -> None:
    from judgekit.config import EvalConfig
    from judgekit.judging.embedded import DEFAULT_JUDGE, fill_defaults

    data = write_jsonl(tmp_path / "p.jsonl", pairs(2, a_good=[0]))
    named = fill_defaults(EvalConfig(dataset=str(data), judge=DEFAULT_JUDGE))
    assert (named.score_method, named.prompt) == ("logprobs", "pairwise/direct")
    chosen = fill_defaults(EvalConfig(dataset=str(data), judge=DEFAULT_JUDGE, score_method="parse", prompt="x"))
    assert (chosen.score_method, chosen.prompt) == ("parse", "x")
    other = fill_defaults(EvalConfig(dataset=str(data), judge="openai/gpt-4o-mini"))
    assert (other.score_method, other.prompt) == (None, None)


@pytest.mark.parametrize("path", ["single", "batch", "collect", "gate"])
def test_every_gate_option_is_accepted_on_every_gating_path(
    path: str, data: Path, request: pytest.FixtureRequest
) -> None:
    _needs_server(path, request)
    bias = ["--max-position-bias", "0.5", "--min-items", "1"]
    result = GATED_PATHS[path](data, *bias)
    assert result.exit_code == 0, result.output
    assert "judgekit: gate passed: --max-position-bias" in result.stderr
