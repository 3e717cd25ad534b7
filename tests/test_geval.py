"""G-Eval end to end: steps written once and reused, probability-weighted and sampled scores."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from judgekit.testing.server import FakeProvider, FakeRequest
from tests.helpers import rows_of, run, summary_of, write_jsonl
from tests.library_helpers import (
    STEPS_TEXT,
    anthropic_judge,
    between,
    cycling_scores,
    geval_responder,
    is_steps_request,
    judge_rows,
    openai_judge,
)

__all__ = ["anthropic_judge", "openai_judge"]  # fixtures


def answers(n: int) -> list[dict[str, object]]:
    return [{"id": f"a{i}", "question": f"What is {i} + {i}?", "answer": f"It is {2 * i}."} for i in range(n)]


def test_steps_are_written_once_and_reused_by_items_reruns_and_new_runs(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    distribution = {"4": 0.5, "3": 0.3, "5": 0.15, "Good": 0.05}
    server = openai_judge(geval_responder(lambda request: 4, lambda request: distribution))
    data = write_jsonl(tmp_path / "answers.jsonl", answers(6))
    args = ("eval", str(data), "-j", "openai/judge-1", "--mode", "geval", "--criterion", "correctness")
    result = run(*args, "--format", "json", "-q")
    summary = summary_of(result)
    steps_requests = [entry for entry in server.recorded if is_steps_request(entry.request)]
    assert len(steps_requests) == 1 and server.count() == 1 + 6
    # Stage 2 shows the generated steps and the criterion; auto picked logprobs on the OpenAI wire.
    form = next(entry.request for entry in server.recorded if not is_steps_request(entry.request))
    assert STEPS_TEXT in form.prompt and "Correctness (1-5):" in form.prompt
    assert form.body["logprobs"] is True and form.body["top_logprobs"] == 20
    assert "score method: logprobs" in result.stderr
    # Weighted by hand: the valid mass 0.95 over 3, 4 and 5, renormalised.
    expected = (0.3 * 3 + 0.5 * 4 + 0.15 * 5) / 0.95
    assert summary["pointwise"]["mean"]["value"] == pytest.approx(expected)
    assert summary["scoring"]["method"] == "logprobs" and summary["scoring"]["requested"] == "auto"
    assert summary["scoring"]["valid_mass"] == pytest.approx(0.95)
    assert summary["scoring"]["verdicts_by_method"] == {"logprobs": 6}
    assert summary["grading"]["criterion"] == "correctness" and summary["grading"]["steps"] == STEPS_TEXT
    run_dir = Path(summary["run_dir"])
    assert (run_dir / "steps.txt").read_text() == STEPS_TEXT + "\n"
    steps_rows = [row for row in rows_of(str(run_dir)) if row["call"] == "steps"]
    assert len(steps_rows) == 1 and steps_rows[0]["role"] == "aux" and steps_rows[0]["item_id"] == "*"
    # Re-running resumes everything (even with the cache off); another directory hits the cache.
    again = summary_of(run(*args, "--format", "json", "-q", "--no-cache"))
    assert server.count() == 7 and again["pointwise"] == summary["pointwise"]
    rebuilt = summary_of(run("report", summary["run_dir"], "--format", "json"))
    assert rebuilt["scoring"] == summary["scoring"] and rebuilt["grading"] == summary["grading"]
    assert server.count() == 7
    elsewhere = summary_of(run(*args, "--format", "json", "-q", "--out", "elsewhere"))
    assert server.count() == 7 and elsewhere["counts"]["cached"] == 7
    # More items: the steps are still not asked for again.
    bigger = write_jsonl(tmp_path / "more.jsonl", answers(9))
    summary_of(run("eval", str(bigger), "-j", "openai/judge-1", "--criterion", "correctness", "--format", "json", "-q"))
    assert sum(is_steps_request(entry.request) for entry in server.recorded) == 1
    assert server.count() == 7 + 3  # only the 3 new items: the first 6 requests are in the cache


def test_user_steps_file_skips_stage_one(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge(geval_responder(lambda request: 3))
    steps = tmp_path / "steps.txt"
    steps.write_text("1. Check every number.\n2. Score 5 only if all are right.\n")
    data = write_jsonl(tmp_path / "answers.jsonl", answers(3))
    summary = summary_of(
        run(
            "eval", str(data), "-j", "openai/x", "--mode", "geval", "--criterion", "correctness",
            "--steps", str(steps), "--score-method", "parse", "--format", "json", "-q",
        )
    )  # fmt: skip
    assert server.count() == 3 and not any(is_steps_request(entry.request) for entry in server.recorded)
    assert "1. Check every number." in server.recorded[0].request.prompt
    assert summary["grading"]["steps_source"] == "file"
    assert summary["pointwise"]["mean"]["value"] == 3.0 and summary["scoring"]["method"] == "parse"


def test_a_judge_that_writes_no_steps_stops_the_run_with_a_way_out(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = openai_judge(lambda request: "I would rather just grade it." if is_steps_request(request) else "Score: 3")
    data = write_jsonl(tmp_path / "answers.jsonl", answers(2))
    result = run("eval", str(data), "-j", "openai/x", "--criterion", "correctness", "-q")
    assert result.exit_code == 3 and server.count() == 1
    assert "could not write evaluation steps for criterion correctness (no numbered steps" in result.stderr
    assert "--steps FILE" in result.stderr and "Traceback" not in result.output


def test_anthropic_falls_back_to_samples_as_separate_requests(
    anthropic_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    scores = [5, 4, 4, 2]
    server = anthropic_judge(geval_responder(cycling_scores(scores)))
    data = write_jsonl(tmp_path / "answers.jsonl", answers(3))
    result = run(
        "eval", str(data), "-j", "anthropic/claude-test", "--criterion", "helpfulness",
        "--score-method", "logprobs", "--samples", "4", "--format", "json", "-q",
    )  # fmt: skip
    summary = summary_of(result)
    # The requested method is unsupported: a visible warning, on stderr and in the summary.
    assert "returns no token log-probabilities" in result.stderr
    assert any("no token log-probabilities" in warning for warning in summary["warnings"])
    assert summary["scoring"]["method"] == "samples" and summary["scoring"]["sample_requests"] == "separate"
    # One steps call, then 4 separate requests per item at temperature 1 (G-Eval's).
    assert server.count() == 1 + 3 * 4
    sample_request = next(entry.request for entry in server.recorded if not is_steps_request(entry.request))
    assert sample_request.api == "anthropic" and sample_request.body["temperature"] == 1.0
    assert "n" not in sample_request.body
    # Every item saw the scores 5, 4, 4, 2 once each: the mean by hand is 3.75.
    assert summary["pointwise"]["mean"]["value"] == pytest.approx(sum(scores) / len(scores))
    rows = judge_rows(summary["run_dir"])
    assert {row["method"] for row in rows} == {"samples"} and all(row["score"] == 3.75 for row in rows)
    samples = [row for row in rows_of(summary["run_dir"]) if ":sample" in row["call"]]
    assert len(samples) == 12 and {row["role"] for row in samples} == {"aux"}


def test_separate_samples_resume_after_a_stop_mid_item(
    anthropic_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    scores = [1, 2, 3, 4, 5]
    server = anthropic_judge(geval_responder(cycling_scores(scores)))
    data = write_jsonl(tmp_path / "answers.jsonl", answers(1))
    args = (
        "eval", str(data), "-j", "anthropic/claude-test", "--criterion", "correctness",
        "--steps", str(write_steps(tmp_path)), "--samples", "5", "--no-cache", "--format", "json", "-q",
    )  # fmt: skip
    first = run(*args, "--max-calls", "3")
    assert first.exit_code == 3 and "stopped early" in first.stderr
    stopped = json.loads(first.stdout)
    assert stopped["status"] == "incomplete" and stopped["counts"]["pending"] == 1
    assert server.count() == 3
    assert len([row for row in rows_of(stopped["run_dir"]) if ":sample" in row["call"]]) == 3
    second = run(*args)
    summary = summary_of(second)
    assert server.count() == 5  # only the two missing samples were asked for
    assert "3 resumed" in second.stderr
    assert summary["pointwise"]["mean"]["value"] == pytest.approx(sum(scores) / len(scores))
    assert summary["counts"]["calls"] == 5


def write_steps(tmp_path: Path) -> Path:
    path = tmp_path / "my_steps.txt"
    path.write_text("1. Check the sum.\n2. Score it.\n")
    return path


def test_summeval_coherence_correlates_per_document_the_geval_way(
    openai_judge: Callable[..., FakeProvider],
) -> None:
    """A coherence G-Eval run on the bundled SummEval sample, correlated with the experts per document."""
    from scipy import stats

    from judgekit.stats.correlation import per_group

    data = Path(__file__).resolve().parents[1] / "datasets" / "summeval_20.jsonl"
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    expert = {row["system_output"].strip(): row["scores"]["coherence"] for row in rows}

    def distribution(request: FakeRequest) -> dict[str, float]:
        # A fake judge that leans towards the experts' score, blurred, with a little mass off-scale.
        summary = between(request.prompt, "[Start of Summary]", "[End of Summary]").strip()
        centre = expert[summary] + (hash_unit(summary) - 0.5) * 1.5
        weights = {str(k): math.exp(-((k - centre) ** 2) / 1.2) for k in range(1, 6)}
        total = sum(weights.values())
        spread = {token: 0.95 * weight / total for token, weight in weights.items()}
        spread["The"] = 0.05
        return spread

    def written(request: FakeRequest) -> int:
        spread = distribution(request)
        return int(max((token for token in spread if token.isdigit()), key=spread.__getitem__))

    server = openai_judge(geval_responder(written, distribution))
    summary = summary_of(
        run(
            "eval", str(data), "-j", "openai/gpt-judge", "--mode", "geval", "--criterion", "coherence",
            "--field", "question=source", "--field", "answer=system_output",
            "--field", "human_score=scores.coherence", "--field", "model=system_id", "--format", "json", "-q",
        )
    )  # fmt: skip
    distinct = len({(row["source"], row["system_output"]) for row in rows})  # some summaries repeat
    assert distinct < 320
    assert server.count() == 1 + distinct and summary["counts"]["scored"] == 320  # a repeat is paid once
    run_dir = Path(summary["run_dir"])
    items = {item["id"]: item for item in map(json.loads, (run_dir / "items.jsonl").read_text().splitlines())}
    scores = {row["item_id"]: row["score"] for row in judge_rows(str(run_dir))}
    ids = sorted(scores, key=int)
    judge = [scores[item_id] for item_id in ids]
    human = [items[item_id]["human_score"] for item_id in ids]
    documents = [items[item_id]["metadata"]["doc_id"] for item_id in ids]
    # The run's scores are the probability-weighted means of the fake judge's distributions.
    for item_id in ids[:5]:
        spread = distribution_for(items[item_id]["answer"], distribution)
        valid = {k: v for k, v in spread.items() if k.isdigit()}
        assert scores[item_id] == pytest.approx(sum(int(k) * v for k, v in valid.items()) / sum(valid.values()))
    assert summary["scoring"]["valid_mass"] == pytest.approx(0.95)
    # G-Eval's summary-level correlation: per document, skip constant documents, then average.
    estimate, used, skipped = per_group("spearman", judge, human, documents, resamples=200)
    by_hand = []
    for document in dict.fromkeys(documents):
        picked = [index for index, name in enumerate(documents) if name == document]
        a, b = [judge[i] for i in picked], [human[i] for i in picked]
        if len(set(a)) > 1 and len(set(b)) > 1:
            by_hand.append(stats.spearmanr(a, b).statistic)
    assert used == len(by_hand) == 20 and skipped == 0
    assert estimate is not None and estimate.value == pytest.approx(sum(by_hand) / len(by_hand))
    assert 0.3 < estimate.value < 1.0  # a judge that leans towards the experts correlates, imperfectly
    perfect, _, _ = per_group("spearman", human, human, documents, resamples=200)
    assert perfect is not None and perfect.value == pytest.approx(1.0)


def hash_unit(text: str) -> float:
    import hashlib

    return hashlib.sha256(text.encode()).digest()[0] / 255


def distribution_for(answer: str, distribution: Callable[[FakeRequest], dict[str, float]]) -> dict[str, float]:
    prompt = f"[Start of Summary]\n{answer}\n[End of Summary]"
    return distribution(FakeRequest(api="openai", model="x", messages=[], system=prompt, body={}))
