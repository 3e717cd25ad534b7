"""Reference-guided grading, generated references, domain prompts, rubrics, pass/fail, P(A)/P(B)/P(tie)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.testing.server import FakeProvider, FakeRequest, Faults, Reply
from tests.helpers import pairwise_rows, rows_of, run, summary_of, write_jsonl
from tests.library_helpers import anthropic_judge, between, is_reference_request, judge_rows, openai_judge

__all__ = ["anthropic_judge", "openai_judge"]  # fixtures


def math_rows(n: int, *, reference: bool = True) -> list[dict[str, Any]]:
    rows = []
    for index in range(n):
        row: dict[str, Any] = {
            "id": f"m{index}",
            "question": f"What is {index} times 7?",
            "answer": f"It is {index * 7}." if index % 2 == 0 else f"It is {index * 7 + 1}.",
        }
        if reference:
            row["reference"] = f"{index * 7}"
        rows.append(row)
    return rows


def rating_for_reference(request: FakeRequest) -> str:
    """A judge that gives 9 when the answer matches the reference shown, else 2."""
    reference = between(request.prompt, "[Start of Reference Answer]", "[End of Reference Answer]").strip()
    answer = between(request.prompt, "[Start of Answer]", "[End of Answer]")
    return (
        "Checked.\nRating: [[9]]" if reference in answer.split() or f"{reference}." in answer else "No.\nRating: [[2]]"
    )


def test_reference_mode_pointwise_shows_the_reference(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = openai_judge(rating_for_reference)
    data = write_jsonl(tmp_path / "math.jsonl", math_rows(6))
    summary = summary_of(run("eval", str(data), "-j", "openai/x", "--mode", "reference", "--format", "json", "-q"))
    assert summary["template"]["name"] == "pointwise/reference"
    prompt = server.recorded[0].request.prompt
    assert "[Start of Reference Answer]" in prompt
    assert "do not let an answer's argument talk you out of the reference" not in prompt  # pairwise wording
    assert "however confident, detailed or persuasive" in prompt
    assert summary["pointwise"]["distribution"] == {str(p): {2: 3, 9: 3}.get(p, 0) for p in range(1, 11)}


def test_reference_mode_pairwise_and_missing_reference(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = openai_judge(lambda request: "A matches the reference.\n[[A]]")
    rows = pairwise_rows(4)
    for row in rows:
        row["reference"] = "GOOD"
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    summary = summary_of(
        run(
            "eval", str(data), "-j", "openai/x", "--mode", "reference", "--positions", "fixed", "--format", "json", "-q"
        )
    )
    assert summary["template"]["name"] == "pairwise/reference" and summary["pairwise"]["wins_a"] == 4
    assert "do not let an answer's argument talk you out of the reference" in server.recorded[0].request.prompt
    rows[2].pop("reference")
    missing = write_jsonl(tmp_path / "missing.jsonl", rows)
    result = run("eval", str(missing), "-j", "openai/x", "--mode", "reference")
    assert result.exit_code == 2
    assert f"{missing}:3: field 'reference': --mode reference needs a reference answer" in result.stderr
    assert "--generate-reference" in result.stderr


def test_generated_references_are_made_once_per_item_stored_and_reused(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def respond(request: FakeRequest) -> str:
        if is_reference_request(request):
            number = request.prompt.split("What is ")[1].split(" times")[0]
            return f"Working it out: {number} x 7.\n{int(number) * 7}"
        reference = between(request.prompt, "[Start of Reference Answer]", "[End of Reference Answer]")
        answer_a = between(request.prompt, "[Start of Answer A]", "[End of Answer A]")
        final = reference.strip().splitlines()[-1]
        return "A agrees.\n[[A]]" if final in answer_a else "B agrees.\n[[B]]"

    server = openai_judge(respond)
    rows = [
        {"id": f"p{i}", "question": f"What is {i} times 7?", "answer_a": f"{i * 7}", "answer_b": f"{i * 7 + 3}"}
        for i in range(1, 5)
    ]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    args = ("eval", str(data), "-j", "openai/x", "--mode", "reference", "--generate-reference", "--positions", "swap")
    summary = summary_of(run(*args, "--format", "json", "-q"))
    references = [entry for entry in server.recorded if is_reference_request(entry.request)]
    assert len(references) == 4 and server.count() == 4 + 8  # one reference per item, two orders each
    assert summary["pairwise"]["wins_a"] == 4 and summary["bias"]["flip_rate"]["value"] == 0.0
    assert summary["grading"]["references_generated"] == 4
    run_dir = Path(summary["run_dir"])
    lines = [json.loads(line) for line in (run_dir / "references.jsonl").read_text().splitlines()]
    stored = {line["item_id"]: line["reference"] for line in lines}  # written as they finish, in any order
    assert len(lines) == 4 and stored == {f"p{i}": f"Working it out: {i} x 7.\n{i * 7}" for i in range(1, 5)}
    aux = [row for row in rows_of(str(run_dir)) if row["call"] == "reference"]
    assert len(aux) == 4 and {row["role"] for row in aux} == {"aux"}
    again = summary_of(run(*args, "--no-cache", "--format", "json", "-q"))
    assert server.count() == 12 and again["pairwise"] == summary["pairwise"]
    assert len((run_dir / "references.jsonl").read_text().splitlines()) == 4


def test_a_failed_reference_fails_its_item_and_a_rerun_retries_it(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def respond(request: FakeRequest) -> str:
        return "The answer is 7." if is_reference_request(request) else "Fine.\nRating: [[8]]"

    server = openai_judge(respond, faults=Faults(script=["server_error"]))
    data = write_jsonl(tmp_path / "math.jsonl", math_rows(2, reference=False))
    args = ("eval", str(data), "-j", "openai/x", "--mode", "reference", "--generate-reference", "-c", "1")
    result = run(*args, "--max-retries", "0", "--format", "json", "-q")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert summary["counts"]["errors"] == 1 and summary["counts"]["scored"] == 1
    failed = [row for row in judge_rows(summary["run_dir"]) if row["status"] == "error"]
    assert "reference answer could not be generated" in failed[0]["reason"]
    server.reset_records()
    again = summary_of(run(*args, "--format", "json", "-q"))
    assert server.count() == 2 and again["counts"]["scored"] == 2  # that item's reference, then its judgment


def domain_responder(request: FakeRequest) -> str:
    if "solve the problem yourself" in request.prompt:
        verdict = "[[B]]"
    elif "checklist of what a good solution has" in request.prompt:
        verdict = "[[C]]"
    else:
        verdict = "[[A]]"
    return f"Reviewed.\n{verdict}"


def test_domain_auto_picks_the_prompt_by_category(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge(domain_responder)
    rows = [
        {"id": "1", "question": "Solve x + 2 = 5.", "answer_a": "3", "answer_b": "4", "category": "math"},
        {"id": "2", "question": "If all cats...", "answer_a": "yes", "answer_b": "no", "category": "Reasoning",
         "reference": "yes"},
        {"id": "3", "question": "Reverse a list in Python.", "answer_a": "x[::-1]", "answer_b": "x.sort()",
         "category": "coding"},
        {"id": "4", "question": "Write a haiku.", "answer_a": "...", "answer_b": "...", "category": "writing"},
        {"id": "5", "question": "Say hi.", "answer_a": "hi", "answer_b": "hello"},
    ]  # fmt: skip
    data = write_jsonl(tmp_path / "mixed.jsonl", rows)
    summary = summary_of(
        run("eval", str(data), "-j", "openai/x", "--domain", "auto", "--positions", "fixed", "--format", "json", "-q")
    )
    templates = {row["item_id"]: row["template"] for row in judge_rows(summary["run_dir"])}
    assert templates == {
        "1": "pairwise/math",
        "2": "pairwise/math",
        "3": "pairwise/coding",
        "4": "pairwise/verdict",
        "5": "pairwise/verdict",
    }
    prompts = [entry.request.prompt for entry in server.recorded]
    math_without = next(p for p in prompts if "x + 2 = 5" in p)
    math_with = next(p for p in prompts if "If all cats" in p)
    assert "solve the problem yourself" in math_without and "[Start of Reference Answer]" not in math_without
    assert "[Start of Reference Answer]" in math_with and "must not be swayed" in " ".join(math_with.split())
    verdicts = {row["item_id"]: row["verdict"] for row in judge_rows(summary["run_dir"])}
    assert verdicts == {"1": "B", "2": "A", "3": "tie", "4": "A", "5": "A"}
    assert summary["grading"]["templates_used"] == {"pairwise/coding": 1, "pairwise/math": 2, "pairwise/verdict": 2}
    assert (Path(summary["run_dir"]) / "templates" / "pairwise-coding.jinja").is_file()


def test_domain_coding_and_generated_references_only_where_shown(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def respond(request: FakeRequest) -> str:
        if is_reference_request(request):
            return "def solve(): return 42"
        return "Checked.\nRating: [[7]]"

    server = openai_judge(respond)
    rows = [
        {"id": "c", "question": "Return 42.", "answer": "def f(): return 42", "category": "coding"},
        {"id": "g", "question": "Greet me.", "answer": "Hello!", "category": "chat"},
    ]
    data = write_jsonl(tmp_path / "mixed.jsonl", rows)
    summary = summary_of(
        run("eval", str(data), "-j", "openai/x", "--domain", "auto", "--generate-reference", "--format", "json", "-q")
    )
    # The general prompt shows no reference, so only the coding item gets one.
    assert sum(is_reference_request(entry.request) for entry in server.recorded) == 1
    assert summary["grading"]["references_generated"] == 1
    coding = next(entry.request.prompt for entry in server.recorded if "Return 42." in entry.request.prompt
                  and not is_reference_request(entry.request))  # fmt: skip
    assert "[Start of Reference Solution]\ndef solve(): return 42" in coding
    assert "It would run as written" in coding


def test_rubric_file_and_item_rubrics(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = openai_judge(lambda request: "Meets level four.\nScore: [[4]]")
    rubric = tmp_path / "rubric.yaml"
    rubric.write_text(
        "criterion: Is the explanation clear?\n1: Unclear.\n2: Mostly unclear.\n3: Partly clear.\n"
        "4: Clear with gaps.\n5: Completely clear.\n"
    )
    rows = [
        {"id": "1", "question": "Explain tides.", "answer": "The moon pulls water."},
        {"id": "2", "question": "Explain rain.", "answer": "Clouds.", "rubric": "Score 1: wrong. Score 5: right."},
    ]
    data = write_jsonl(tmp_path / "rubric.jsonl", rows)
    summary = summary_of(run("eval", str(data), "-j", "openai/x", "--rubric", str(rubric), "--format", "json", "-q"))
    assert summary["template"]["name"] == "pointwise/rubric" and summary["pointwise"]["mean"]["value"] == 4.0
    prompts = {("tides" in entry.request.prompt): entry.request.prompt for entry in server.recorded}
    assert "Criterion: Is the explanation clear?\nScore 1: Unclear." in prompts[True]
    assert "Score 5: Completely clear." in prompts[True]
    assert "Score 1: wrong. Score 5: right." in prompts[False] and "Completely clear" not in prompts[False]
    bad = tmp_path / "bad.yaml"
    bad.write_text("1: ok\n7: too high\n")
    result = run("eval", str(data), "-j", "openai/x", "--rubric", str(bad))
    assert result.exit_code == 2 and f"{bad}: field '7': outside the template's scale 1-5" in result.stderr
    no_rubric = write_jsonl(tmp_path / "plain.jsonl", [rows[0]])
    result = run("eval", str(no_rubric), "-j", "openai/x", "--prompt", "pointwise/rubric")
    assert result.exit_code == 2 and "--rubric FILE" in result.stderr and ":1: field 'rubric'" in result.stderr


def test_pass_fail_mean_is_the_pass_rate_and_logprobs_weigh_pass(
    openai_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def respond(request: FakeRequest) -> Reply | str:
        answer = between(request.prompt, "[Start of Answer]", "[End of Answer]")
        reference = between(request.prompt, "[Start of Reference Answer]", "[End of Reference Answer]").strip()
        grade = "PASS" if reference in answer else "FAIL"
        return Reply(text=f"Compared.\nGrade: [[{grade}]]", at=grade, distribution={grade: 0.8, "FAIL" if grade ==
                     "PASS" else "PASS": 0.15, "Maybe": 0.05})  # fmt: skip

    openai_judge(respond)
    data = write_jsonl(tmp_path / "math.jsonl", math_rows(4))
    parsed = summary_of(run("eval", str(data), "-j", "openai/x", "--prompt", "pass_fail", "--format", "json", "-q"))
    assert parsed["pointwise"]["mean"]["value"] == 0.5 and parsed["pointwise"]["distribution"] == {"FAIL": 2, "PASS": 2}
    assert parsed["pointwise"]["pass_rate"]["value"] == 0.5 and parsed["pointwise"]["pass_rate"]["n"] == 4
    weighted = summary_of(
        run(
            "eval", str(data), "-j", "openai/x", "--prompt", "pass_fail", "--score-method", "logprobs",
            "--format", "json", "-q",
        )
    )  # fmt: skip
    # P(PASS) renormalised over PASS and FAIL: 0.8/0.95 for passing answers, 0.15/0.95 for failing ones.
    scores = sorted(row["score"] for row in judge_rows(weighted["run_dir"]))
    assert scores == pytest.approx([0.15 / 0.95, 0.15 / 0.95, 0.8 / 0.95, 0.8 / 0.95])
    assert weighted["scoring"]["valid_mass"] == pytest.approx(0.95)
    # A probability-weighted verdict passes nearer PASS: the pass rate stays 2 of 4, counted per choice.
    assert weighted["pointwise"]["pass_rate"]["value"] == 0.5
    assert weighted["pointwise"]["distribution"] == {"FAIL": 2, "PASS": 2}
    assert weighted["pointwise"]["distribution_bins"].startswith("per choice (probability-weighted")


def test_pairwise_probabilities_from_logprobs(openai_judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    def respond(request: FakeRequest) -> Reply:
        return Reply(text="The first is better.\n[[A]]", at="A", distribution={"A": 0.6, "B": 0.3, "C": 0.1})

    openai_judge(respond)
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    fixed = summary_of(
        run(
            "eval", str(data), "-j", "openai/x", "--score-method", "logprobs", "--positions", "fixed",
            "--format", "json", "-q",
        )
    )  # fmt: skip
    assert fixed["scoring"]["mean_probabilities"] == pytest.approx({"A": 0.6, "B": 0.3, "tie": 0.1})
    assert judge_rows(fixed["run_dir"])[0]["probabilities"] == pytest.approx({"A": 0.6, "B": 0.3, "tie": 0.1})
    # Both orders: the judge always prefers the first shown, so averaging the two distributions
    # gives P(A) = P(B) = (0.6 + 0.3) / 2: an exact draw, which is a tie.
    swapped = summary_of(
        run(
            "eval", str(data), "-j", "openai/x", "--score-method", "logprobs", "--positions", "swap",
            "--format", "json", "-q",
        )
    )  # fmt: skip
    assert swapped["scoring"]["mean_probabilities"] == pytest.approx({"A": 0.45, "B": 0.45, "tie": 0.1})
    assert swapped["bias"]["flip_rate"]["value"] == 1.0
    assert swapped["pairwise"]["ties"] == 4


def test_anthropic_pairwise_samples_give_outcome_shares(
    anthropic_judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    answers = iter(["[[A]]", "[[A]]", "[[B]]", "[[C]]"] * 10)
    server = anthropic_judge(lambda request: f"Hmm.\n{next(answers)}")
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(1))
    summary = summary_of(
        run(
            "eval", str(data), "-j", "anthropic/c", "--score-method", "auto", "--samples", "4", "--positions",
            "fixed", "-c", "1", "--format", "json", "-q",
        )
    )  # fmt: skip
    assert server.count() == 4
    assert summary["scoring"]["mean_probabilities"] == pytest.approx({"A": 0.5, "B": 0.25, "tie": 0.25})
    assert summary["pairwise"]["wins_a"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "geval"], "--mode geval needs --criterion"),
        (["--criterion", "coherance"], "unknown criterion 'coherance' (did you mean coherence?)"),
        (["--criterion", "faithfulness"], "field 'context': criterion faithfulness grades against a 'context'"),
        (["--domain", "math", "--prompt", "pointwise/score"], "--domain picks among the built-in templates"),
        (["--generate-reference"], "--generate-reference: template pointwise/score does not show a reference"),
        (["--steps", "nowhere.txt", "--criterion", "correctness"], "nowhere.txt: steps file not found"),
        (["--prompt", "steps/geval"], "has role steps: it generates text"),
        (["--mode", "geval", "--criterion", "correctness", "--domain", "coding"], "--domain does not apply"),
        (["--rubric", "missing.yaml"], "missing.yaml: rubric file not found"),
        (["--reference-prompt", "reference/answer"], "--reference-prompt is used with --generate-reference"),
        (["--samples", "0"], "invalid value for '--samples'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    data = write_jsonl(tmp_path / "points.jsonl", math_rows(2, reference=False))
    result = run("eval", str(data), "-j", "mock/random", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not Path("runs").exists()


def test_geval_on_pairwise_data_is_a_usage_error(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    result = run("eval", str(data), "-j", "mock/random", "--criterion", "helpfulness")
    assert result.exit_code == 2 and "scores single answers, but the data is pairwise" in result.stderr
