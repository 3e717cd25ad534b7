"""`judgekit eval` end to end through Typer's runner, against the fake provider servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider, Faults
from tests.helpers import marker_responder, pairwise_rows, rows_of, run, summary_of, write_jsonl

BUNDLED = Path(__file__).resolve().parents[1] / "datasets"


@pytest.fixture
def openai_judge(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., FakeProvider]:
    def start(responder: Any = marker_responder, **options: Any) -> FakeProvider:
        server = fake_provider(responder, **options)
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
        return server

    return start


def test_pairwise_random_positions_map_verdicts_back(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(12))
    summary = summary_of(run("eval", str(data), "--judge", "openai/judge-1", "--format", "json", "-q"))
    rows = rows_of(summary["run_dir"])
    swapped = {row["item_id"]: row["swapped"] for row in rows}
    assert 0 < sum(swapped.values()) < len(rows), "random positions should swap some items and not others"
    labels = {row["id"]: row["label"] for row in pairwise_rows(12)}
    for row in rows:
        assert row["verdict"] == labels[row["item_id"]]  # the GOOD answer wins wherever it was shown
        assert row["shown"] == ("second" if row["swapped"] == (labels[row["item_id"]] == "A") else "first")
    assert summary["human"]["agreement"]["value"] == 1.0
    assert summary["human"]["kappa"]["value"] == pytest.approx(1.0)
    assert summary["pairwise"]["win_rate"]["value"] == pytest.approx(0.5)
    assert summary["counts"]["calls"] == 12 and server.count() == 12
    assert set(summary["pairwise"]["by_category"]) == {"even", "odd"}
    # The same seed reproduces the same order; another seed changes it.
    again = summary_of(run("eval", str(data), "--judge", "openai/judge-1", "--format", "json", "-q", "--fresh"))
    assert {row["item_id"]: row["swapped"] for row in rows_of(again["run_dir"])} == swapped
    other = summary_of(run("eval", str(data), "--judge", "openai/judge-1", "--format", "json", "-q", "--seed", "5"))
    assert {row["item_id"]: row["swapped"] for row in rows_of(other["run_dir"])} != swapped


def test_swap_detects_a_position_biased_judge(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge(lambda request: "The first one.\n[[A]]")
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    summary = summary_of(
        run("eval", str(data), "-j", "openai/judge-1", "--positions", "swap", "--format", "json", "-q")
    )
    assert server.count() == 12
    assert summary["bias"]["flip_rate"]["value"] == 1.0
    assert summary["bias"]["p_first"]["value"] == 1.0
    assert summary["pairwise"]["ties"] == 6  # every flip counts as a tie, as MT-Bench does
    calls = sorted((row["item_id"], row["call"], row["swapped"]) for row in rows_of(summary["run_dir"]))
    assert calls[:2] == [("item-0", "AB", False), ("item-0", "BA", True)]


def test_fixed_positions_never_swap(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    summary = summary_of(run("eval", str(data), "-j", "openai/x", "--positions", "fixed", "--format", "json", "-q"))
    assert not any(row["swapped"] for row in rows_of(summary["run_dir"]))


def test_pointwise_with_anthropic_and_human_scores(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_provider(marker_responder)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-abcdefghij")
    rows = [
        {
            "id": f"p{i}",
            "question": f"Q{i}",
            "answer": ("GOOD" if i % 2 else "BAD") + f" answer {i}",
            "human_score": 5 if i % 2 else 1,
        }
        for i in range(8)
    ]
    data = write_jsonl(Path("points.jsonl"), rows)
    summary = summary_of(
        run("eval", str(data), "-j", "anthropic/claude-test", "--mode", "pointwise", "--format", "json", "-q")
    )
    assert summary["kind"] == "pointwise"
    assert summary["pointwise"]["mean"]["value"] == pytest.approx((4 * 9 + 4 * 2) / 8)
    # Binned on the template's 1-10 scale: every whole point, zeros included.
    assert summary["pointwise"]["distribution"] == {str(point): {2: 4, 9: 4}.get(point, 0) for point in range(1, 11)}
    assert summary["human"]["spearman"]["value"] == pytest.approx(1.0)
    assert server.recorded[0].request.api == "anthropic"


def test_unparseable_verdicts_are_unscored_not_losses(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def sometimes_vague(request: Any) -> str:
        return (
            "I really cannot say."
            if "Question 1?" in request.prompt or "Question 3?" in request.prompt
            else marker_responder(request)
        )

    openai_judge(sometimes_vague)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    result = run("eval", str(data), "-j", "openai/x", "--format", "json", "-q")
    summary = summary_of(result)
    assert summary["counts"]["unscored"] == 2 and summary["counts"]["scored"] == 4
    assert summary["counts"]["unscored_reasons"] == {"no verdict found": 2}
    assert summary["pairwise"]["wins_a"] + summary["pairwise"]["wins_b"] + summary["pairwise"]["ties"] == 4
    assert summary["pairwise"]["win_rate"]["n"] == 4
    assert sorted(summary["unscored_items"]) == ["item-1", "item-3"]
    raw = [row for row in rows_of(summary["run_dir"]) if row["status"] == "unscored"]
    assert raw[0]["completion"]["texts"] == ["I really cannot say."]
    assert "verdict" not in raw[0]


def test_retries_honour_retry_after_and_are_counted(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge(faults=Faults(script=["rate_limit", "server_error", "rate_limit"], retry_after=0.05))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    summary = summary_of(run("eval", str(data), "-j", "openai/x", "--format", "json", "-q", "-c", "1"))
    assert summary["counts"]["scored"] == 4
    assert summary["counts"]["retries"] == {"rate_limit": 2, "server_error": 1}
    assert summary["counts"]["requests"] == 7 and server.count() == 7
    assert max(server.served().values()) == 1


def test_failures_beyond_retries_exit_3_and_a_rerun_retries_only_them(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = openai_judge(faults=Faults(script=["server_error"] * 3))
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    result = run("eval", str(data), "-j", "openai/x", "-q", "-c", "1", "--max-retries", "2", "--format", "json")
    assert result.exit_code == 3
    assert "1 items failed after retries" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["errors"] == 1 and summary["status"] == "incomplete"
    assert summary["counts"]["failures"] == {"server_error": 1}
    server.reset_records()
    again = run("eval", str(data), "-j", "openai/x", "-q", "--format", "json")
    assert again.exit_code == 0, again.output
    assert server.count() == 1  # only the failed item was asked again
    assert json.loads(again.stdout)["counts"]["errors"] == 0


def test_rerun_resumes_without_new_calls_even_without_cache(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(5))
    first = summary_of(run("eval", str(data), "-j", "openai/x", "--no-cache", "--format", "json", "-q"))
    assert server.count() == 5
    second = run("eval", str(data), "-j", "openai/x", "--no-cache", "--format", "json", "-q")
    assert server.count() == 5
    assert "5 resumed" in second.stderr
    assert json.loads(second.stdout)["pairwise"] == first["pairwise"]


def test_cache_serves_a_new_run_directory(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(5))
    summary_of(run("eval", str(data), "-j", "openai/x", "--format", "json", "-q"))
    second = summary_of(run("eval", str(data), "-j", "openai/x", "--format", "json", "-q", "--out", "elsewhere"))
    assert server.count() == 5
    assert second["counts"]["cached"] == 5 and second["counts"]["calls"] == 0


def test_report_rebuilds_the_summary_without_calls(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    summary = summary_of(run("eval", str(data), "-j", "openai/x", "--format", "json", "-q"))
    (Path(summary["run_dir"]) / "summary.json").unlink()
    rebuilt = summary_of(run("report", summary["run_dir"], "--format", "json"))
    assert server.count() == 6
    for key in ("pairwise", "bias", "human", "counts"):
        assert rebuilt[key] == summary[key]


def test_table_output_and_run_directory(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    result = run("eval", str(data), "-j", "openai/judge-1", "--out", "myrun")
    assert result.exit_code == 0, result.output
    assert "Win rate of A over B" in result.stdout and "Agreement with humans" in result.stdout
    assert "judging with openai/judge-1" in result.stderr  # progress goes to stderr
    names = sorted(path.name for path in Path("myrun").iterdir())
    assert names == ["items.jsonl", "judgments.jsonl", "outcomes.jsonl", "run.json", "summary.json", "template.jinja"]
    manifest = json.loads(Path("myrun/run.json").read_text())
    assert manifest["template"]["hash"] and manifest["versions"]["judgekit"] and manifest["dataset"]["sha256"]
    row = rows_of("myrun")[0]
    assert {"item_id", "swapped", "template_hash", "completion", "status", "verdict", "latency_s"} <= set(row)
    assert row["completion"]["prompt_tokens"] > 0


def test_public_dataset_in_its_own_field_names(openai_judge: Callable[..., FakeProvider]) -> None:
    server = openai_judge(lambda request: "Fine.\n[[A]]")
    summary = summary_of(
        run(
            "eval",
            str(BUNDLED / "mt_bench_human_200.jsonl"),
            "-j",
            "openai/x",
            "--limit",
            "10",
            "--format",
            "json",
            "-q",
        )
    )
    assert summary["counts"]["items"] == 10 and server.count() == 10
    assert summary["human"]["n"] == 10
    assert "Explain what's base rate fallacy" in server.recorded[0].request.prompt or any(
        "base rate fallacy" in entry.request.prompt for entry in server.recorded
    )


def test_alpacaeval_annotations_with_field_mapping(openai_judge: Callable[..., FakeProvider]) -> None:
    path = BUNDLED / "alpaca_eval" / "annotations_alpaca_eval_gpt4_alpaca-7b.jsonl"
    openai_judge(lambda request: "ok\n[[B]]")
    summary = summary_of(
        run(
            "eval",
            str(path),
            "-j",
            "openai/x",
            "-f",
            "answer_a=output_2",
            "-f",
            "answer_b=output_1",
            "-n",
            "6",
            "--format",
            "json",
            "-q",
        )
    )
    assert summary["counts"]["scored"] == 6
    assert summary["dataset"]["mapping"]["answer_a"] == "output_2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-j", "opnai/x"], "unknown provider 'opnai'"),
        (["-j", "openai/x"], "OPENAI_API_KEY is not set"),
        (["-j", "anthropic/x"], "ANTHROPIC_API_KEY is not set"),
        (["-j", "openai/x", "--prompt", "nonexistent"], "no template named 'nonexistent'"),
        (["-j", "openai/x", "--mode", "pointwise"], "needs an 'answer' column"),
        (["-j", "mock/random", "-f", "question"], "--field expects NAME=COLUMN"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    result = run("eval", str(data), *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not Path("runs").exists()


def test_bad_file_exit_2_names_file_line_and_field(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"question": "q", "answer_a": "a", "answer_b": "b"}\n{"question": "q", "answer_a": 3}\n')
    result = run("eval", str(data), "-j", "mock/random")
    assert result.exit_code == 2
    assert f"{data}:2: field 'answer_b': missing" in result.stderr
    assert not Path("runs").exists()


def test_mock_backend_dry_run(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    summary = summary_of(run("eval", str(data), "-j", "mock/first", "--positions", "swap", "--format", "json", "-q"))
    assert summary["bias"]["p_first"]["value"] == 1.0
    assert summary["judge"] == "mock/first"


def test_settings_file_supplies_defaults(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    Path("judgekit.toml").write_text('[eval]\njudge = "mock/tie"\npositions = "fixed"\n')
    summary = summary_of(run("eval", str(data), "--format", "json", "-q"))
    assert summary["judge"] == "mock/tie" and summary["config"]["positions"] == "fixed"
    Path("judgekit.toml").write_text('[eval]\njudgee = "mock/tie"\n')
    result = run("eval", str(data))
    assert result.exit_code == 2 and "unknown setting 'eval.judgee'" in result.stderr


def test_version_and_help() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("judgekit ")
    assert run("eval", "--help").exit_code == 0


def test_unknown_mock_behaviour_is_a_usage_error_before_anything_is_written(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(3))
    result = run("eval", str(data), "-j", "mock/bogus")
    assert result.exit_code == 2 and "unknown mock behaviour 'bogus'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not Path("runs").exists()


def test_a_fully_cached_run_never_imports_the_sdk(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    openai_judge()
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    summary_of(run("eval", str(data), "-j", "openai/x", "--format", "json", "-q"))
    script = (
        "import sys; from judgekit.cli import app\n"
        "try:\n    app(['eval', sys.argv[1], '-j', 'openai/x', '--out', 'again', '-q'])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "assert 'openai' not in sys.modules, 'the SDK was imported for a fully cached run'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(data)], env=dict(os.environ), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "4 from cache" in done.stderr
