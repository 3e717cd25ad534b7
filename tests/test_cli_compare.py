"""`judgekit compare`, `judgekit agreement` and judge panels end to end, against local fake judges."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit.testing.server import FakeProvider
from tests.helpers import FEW_RESAMPLES, pairwise_rows, run, write_jsonl

BUNDLED = Path(__file__).resolve().parents[1] / "datasets"
ANSWER = re.compile(r"\[Start of Answer ([AB])\]\n(.*?)\n\[End of Answer \1\]", re.S)


def json_of(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def planted_rows(n: int = 40) -> list[dict[str, Any]]:
    """Pairs whose better answer says GOOD (the human label), with lengths unrelated to quality."""
    rng = np.random.default_rng(12)
    rows = []
    for index in range(n):
        good = "GOOD " + "g" * int(rng.integers(10, 400))
        bad = "BAD " + "b" * int(rng.integers(10, 400))
        good_first = bool(index % 2)
        rows.append(
            {
                "id": f"q{index}",
                "question": f"Question {index}?",
                "answer_a": good if good_first else bad,
                "answer_b": bad if good_first else good,
                "label": "A" if good_first else "B",
            }
        )
    return rows


def planted_judges(request: Any) -> str:
    """Three judges told apart by model name: fair (GOOD wins), position (first wins), length (longer wins)."""
    first, second = (text for _, text in ANSWER.findall(request.prompt))
    if request.model == "fair":
        first_wins = "GOOD" in first
    elif request.model == "position":
        first_wins = True
    else:  # length: the longer answer, unless the two are within 40 characters (then the GOOD one)
        first_wins = len(first) > len(second) if abs(len(first) - len(second)) >= 40 else "GOOD" in first
    if "score of A" in request.prompt:
        return "Scored.\n[[8, 5]]" if first_wins else "Scored.\n[[4, 7]]"
    return "Compared.\n[[A]]" if first_wins else "Compared.\n[[B]]"


@pytest.fixture
def judges(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    server = fake_provider(planted_judges)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
    return server


def test_compare_finds_the_planted_position_and_length_bias(judges: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", planted_rows())
    args = ["compare", str(data), "-p", "pairwise/verdict", "-p", "pairwise/scores", "-q", "--out", "cmp"]
    args += ["-j", "openai/fair", "-j", "openai/position", "-j", "openai/length", "--resamples", "500"]
    comparison = json_of(run(*args, "--format", "json", "--price", "openai/fair=1:2"))
    assert judges.count() == 2 * 3 * 40 * 2  # every combination, both orders
    rows = {row["name"]: row for row in comparison["rows"]}
    assert len(rows) == 6
    for prompt in ("pairwise/verdict", "pairwise/scores"):
        fair, position, length = (rows[f"{prompt} · openai/{name}"] for name in ("fair", "position", "length"))
        assert fair["agreement"]["value"] == 1.0 and fair["position_consistency"]["value"] == 1.0
        assert fair["p_first"]["value"] == 0.5
        # The position-biased judge always prefers what it saw first, so every verdict flips with the order.
        assert position["p_first"]["value"] == 1.0 and position["position_consistency"]["value"] == 0.0
        # Its exact (Clopper-Pearson) lower bound for 80 of 80 decisive calls: 0.025 ** (1 / 80).
        assert position["p_first"]["low"] == pytest.approx(0.025 ** (1 / 80))
        # The length-biased judge is consistent across orders but favours the longer answer.
        assert length["position_consistency"]["value"] == 1.0 and length["p_first"]["value"] == 0.5
        assert length["p_longer"]["value"] >= 0.8 and length["p_longer"]["low"] > 0.5
        assert length["length_coefficient"]["low"] > 0
        fair_ci = fair["p_longer"]
        assert fair_ci["low"] < 0.5 < fair_ci["high"] or fair_ci["value"] < 0.8
        assert fair["cost_usd"] == pytest.approx((fair["prompt_tokens"] * 1 + fair["completion_tokens"] * 2) / 1e6)
        assert length["cost_usd"] is None and fair["calls"] == 80
    assert [row["rank"] for row in comparison["rows"]][:2] == [1, 2]
    assert comparison["rows"][0]["judge"] == "openai/fair" and comparison["ranked_by"] == "agreement"
    test = comparison["best_vs_runner_up"]
    assert test["method"] == "McNemar exact test" and test["significant"] is False  # both fair rows are perfect
    assert json.loads(Path("cmp/compare.json").read_text())["rows"] == comparison["rows"]
    # Run again as a table: everything comes from the run directories, nothing is asked twice.
    judges.reset_records()
    table = run(*args)
    assert table.exit_code == 0, table.output
    assert judges.count() == 0
    assert "is not significantly better than" in table.stdout and "P(first)" in table.stdout
    # Existing run directories, no model call: fair against the length-biased judge is significant.
    fair_dir, length_dir = (rows[f"pairwise/verdict · openai/{name}"]["run_dir"] for name in ("fair", "length"))
    pair = json_of(run("agreement", fair_dir, length_dir, "--format", "json", "--resamples", "500"))
    assert judges.count() == 0
    assert pair["rows"][0]["agreement"] == rows["pairwise/verdict · openai/fair"]["agreement"]
    assert pair["best_vs_runner_up"]["significant"] is True
    expected = sum(
        (("GOOD" in row["answer_a"]) == (row["label"] == "A")) for row in planted_rows()
    )  # sanity: labels follow GOOD
    assert expected == 40


def test_eval_with_three_judges_is_a_majority_panel_with_fleiss_kappa(judges: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", planted_rows(24))
    result = run(
        "eval", str(data), "-j", "openai/fair", "-j", "openai/position", "-j", "openai/length",
        "--positions", "fixed", "--format", "json", "-q", "--out", "panel",
    )  # fmt: skip
    comparison = json_of(result)
    panel = next(row for row in comparison["rows"] if "panel" in row["name"])
    members = {row["judge"]: row for row in comparison["rows"] if row["judge"]}
    # Independent majority vote from each member's stored verdicts.
    verdicts = {}
    for judge, row in members.items():
        lines = (Path(row["run_dir"]) / "judgments.jsonl").read_text().splitlines()
        verdicts[judge] = {json.loads(line)["item_id"]: json.loads(line)["verdict"] for line in lines}
    labels = {row["id"]: row["label"] for row in planted_rows(24)}
    majority = {}
    for item in labels:
        votes = [verdicts[judge][item] for judge in verdicts]
        top = max(set(votes), key=votes.count)
        majority[item] = top if votes.count(top) >= 2 else "tie"
    assert panel["agreement"]["value"] == pytest.approx(np.mean([majority[i] == labels[i] for i in labels]))
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    table, _ = aggregate_raters(np.array([[verdicts[j][i] for j in verdicts] for i in labels]))
    [agreement] = comparison["panels"]
    assert agreement["method"] == "fleiss" and agreement["items"] == 24
    assert agreement["kappa"]["value"] == pytest.approx(fleiss_kappa(table))
    assert Path("panel/compare.json").exists()


def test_agreement_rederives_alpacaeval_win_rate_from_released_annotations() -> None:
    path = BUNDLED / "alpaca_eval" / "annotations_alpaca_eval_gpt4_alpaca-7b.jsonl"
    args = ["agreement", str(path), "--pred", "preference", "--kind", "pairwise", *FEW_RESAMPLES]
    result = json_of(run(*args, "--format", "json"))
    [row] = result["rows"]
    # preference 1 = output_1 (text_davinci_003, answer A) preferred; alpaca-7b is B.
    assert (row["wins_b"], row["wins_a"], row["ties"]) == (205, 584, 16)
    assert round((1 - row["win_rate"]["value"]) * 100, 4) == 26.4596
    assert round(row["standard_error"] * 100, 4) == 1.5357
    table = run(*args)
    assert table.exit_code == 0 and "26.46" in table.stdout and "1.5357" in table.stdout


def test_agreement_on_score_columns_at_item_group_and_system_level(tmp_path: Path) -> None:
    from scipy import stats

    rng = np.random.default_rng(3)
    rows = []
    for doc in range(12):
        for system in range(5):
            human = float(rng.integers(1, 6))
            rows.append(
                {
                    "doc_id": f"d{doc}",
                    "system_id": f"s{system}",
                    "human_score": human,
                    "judge_score": human + system * 0.3 + float(rng.normal(0, 1)),
                }
            )
    rows.append({"doc_id": "flat", "system_id": "s0", "human_score": 3.0, "judge_score": 1.0})
    rows.append({"doc_id": "flat", "system_id": "s1", "human_score": 3.0, "judge_score": 2.0})
    data = write_jsonl(tmp_path / "scores.jsonl", rows)
    judge = np.array([r["judge_score"] for r in rows])
    human = np.array([r["human_score"] for r in rows])
    base = ["agreement", str(data), "--pred", "judge_score", "--format", "json", "--resamples", "200"]
    item = json_of(run(*base, "--human", "human_score"))["rows"][0]
    assert item["kendall"]["value"] == pytest.approx(stats.kendalltau(judge, human).statistic)
    group = json_of(run(*base, "--group-by", "doc_id"))["rows"][0]
    per_doc = [
        stats.spearmanr(judge[idx], human[idx]).statistic
        for doc in sorted({r["doc_id"] for r in rows})
        if (idx := [i for i, r in enumerate(rows) if r["doc_id"] == doc])
        and len(set(human[idx])) > 1
        and len(set(judge[idx])) > 1
    ]
    assert group["spearman"]["value"] == pytest.approx(np.mean(per_doc))
    assert group["correlation_level"] == "group" and group["groups_skipped"] >= 1
    system = json_of(run(*base, "--group-by", "system_id", "--level", "system"))["rows"][0]
    systems = sorted({r["system_id"] for r in rows})
    means = [
        (judge[[r["system_id"] == s for r in rows]].mean(), human[[r["system_id"] == s for r in rows]].mean())
        for s in systems
    ]
    assert system["pearson"]["value"] == pytest.approx(np.corrcoef(np.array(means).T)[0, 1])
    bad = run(*base, "--group-by", "nope")
    assert bad.exit_code == 2 and "--group-by nope" in bad.stderr


def test_agreement_reproduces_summeval_summary_level_method() -> None:
    """Humans as the judge give exactly 1.0 per document, on the bundled SummEval sample."""
    path = Path(__file__).resolve().parents[1] / "datasets" / "summeval_20.jsonl"
    result = json_of(
        run(
            "agreement",
            str(path),
            "--pred",
            "scores.coherence",
            "--human",
            "scores.coherence",
            "--group-by",
            "doc_id",
            "--format",
            "json",
        )
    )
    row = result["rows"][0]
    assert row["spearman"]["value"] == pytest.approx(1.0) and row["kendall"]["value"] == pytest.approx(1.0)
    assert row["groups"] == 20


def test_agreement_input_errors_name_the_problem(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": "1", "j": "A", "h": "maybe"}])
    result = run("agreement", str(data), "--pred", "j", "--human", "h")
    assert result.exit_code == 2 and "d.jsonl:1: field 'h'" in result.stderr
    result = run("agreement", str(data), "--pred", "missing")
    assert result.exit_code == 2 and "field 'missing': no row has this column" in result.stderr
    result = run("agreement", str(data))
    assert result.exit_code == 2 and "--pred" in result.stderr


def test_compare_usage_errors(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", planted_rows(4))
    result = run("compare", str(data))
    assert result.exit_code == 2 and "--judge" in result.stderr
    result = run("compare", str(data), "-j", "mock/first", "--rank-by", "spearman")
    assert result.exit_code == 2 and "--level system" in result.stderr
    result = run("compare", str(data), "-j", "mock/first", "--price", "mock/first=cheap")
    assert result.exit_code == 2 and "--price expects" in result.stderr
    result = run("compare", str(data), "-j", "mock/first", "-p", "pairwise/verdict", "-p", "pointwise/score")
    assert result.exit_code == 2
    result = run("agreement", str(data), "--pred", "label", "--level", "system")
    assert result.exit_code == 2 and "--level system needs --group-by" in result.stderr


def test_eval_summary_has_length_control_leaderboard_and_self_preference_warning(
    judges: FakeProvider, tmp_path: Path
) -> None:
    rng = np.random.default_rng(2)
    rows = []
    skill = {"gpt-4-0613": 0.8, "claude-v1": 0.6, "vicuna-13b": 0.3}
    for index in range(60):
        system = list(skill)[index % 3]
        good_is_system = bool(rng.random() < skill[system])
        own = ("GOOD " if good_is_system else "BAD ") + "x" * int(rng.integers(5, 300))
        baseline = ("BAD " if good_is_system else "GOOD ") + "y" * int(rng.integers(5, 300))
        rows.append(
            {
                "id": f"i{index}",
                "question": "Q?",
                "answer_a": own,
                "answer_b": baseline,
                "model_a": system,
                "model_b": "davinci-003",
            }
        )
    data = write_jsonl(tmp_path / "systems.jsonl", rows)
    result = run("eval", str(data), "-j", "openai/fair", "--format", "json", "-q", "--fresh")
    summary = json_of(result)
    controlled = summary["pairwise"]["length_controlled"]
    assert controlled["n"] == 60 and controlled["win_rate"] is not None
    board = summary["leaderboard"]
    assert board["baseline"] == "davinci-003" and board["systems"] == 4
    by_system = {row["system"]: row for row in board["rows"]}
    for system in skill:
        own = [r for r in rows if r["model_a"] == system]
        wins = sum(r["answer_a"].startswith("GOOD") for r in own)
        assert (by_system[system]["wins"], by_system[system]["losses"]) == (wins, len(own) - wins)
    assert by_system["gpt-4-0613"]["rank"] < by_system["vicuna-13b"]["rank"]
    # The judge name "fair" has no family; a GPT judge grading GPT-4 answers gets a warning.
    assert not any("self-preference" in w for w in summary["warnings"])
    gpt = json_of(run("eval", str(data), "-j", "openai/gpt-4o-mini", "--format", "json", "-q", "--limit", "3"))
    assert any("same model family (openai)" in w and "gpt-4-0613" in w for w in gpt["warnings"])
    table = run("eval", str(data), "-j", "openai/fair", "-q")
    assert "Leaderboard (4 systems, each against davinci-003" in table.stdout
    assert "Length-controlled win rate of A" in table.stdout


def test_eval_pointwise_correlation_per_group(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scipy import stats

    def rate(request: Any) -> str:
        digits = re.findall(r"answer (\d+)", request.prompt)
        return f"Fine.\nRating: [[{int(digits[-1]) % 10 + 1}]]"

    server = fake_provider(rate)
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop")
    rng = np.random.default_rng(1)
    rows = [
        {
            "id": f"r{i}",
            "question": "Summarise.",
            "answer": f"answer {i}",
            "human_score": float(rng.integers(1, 6)),
            "doc": f"d{i // 6}",
        }
        for i in range(36)
    ]
    data = write_jsonl(tmp_path / "points.jsonl", rows)
    summary = json_of(run("eval", str(data), "-j", "openai/rater", "--group-by", "doc", "--format", "json", "-q"))
    human = summary["human"]
    assert human["level"] == "group" and human["group_by"] == "doc" and human["groups"] == 6
    judge = np.array([i % 10 + 1 for i in range(36)], dtype=float)
    humans = np.array([r["human_score"] for r in rows])
    expected = np.mean([stats.pearsonr(judge[g : g + 6], humans[g : g + 6]).statistic for g in range(0, 36, 6)])
    assert human["pearson"]["value"] == pytest.approx(expected)
    # `report` keeps the level; `agreement` on the run directory recomputes it at system level with no call.
    server.reset_records()
    assert json_of(run("report", summary["run_dir"], "--format", "json"))["human"] == human
    system = json_of(run("agreement", summary["run_dir"], "--group-by", "doc", "--level", "system", "--format", "json"))
    means = [(judge[g : g + 6].mean(), humans[g : g + 6].mean()) for g in range(0, 36, 6)]
    assert system["rows"][0]["spearman"]["value"] == pytest.approx(stats.spearmanr(*np.array(means).T).statistic)
    assert server.count() == 0


def test_compare_writes_its_html_page(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    result = run("compare", str(data), "-j", "mock/first", "-j", "mock/random", "--html", "cmp.html", "-q")
    assert result.exit_code == 0, result.output
    page = Path("cmp.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "mock/first" in page and "mock/random" in page
    before = sorted(Path("runs").iterdir())
    bad = run("compare", str(data), "-j", "mock/tie", "--html", str(tmp_path / "missing" / "x.html"), "-q")
    assert bad.exit_code == 2 and "x.html" in bad.stderr
    assert sorted(Path("runs").iterdir()) == before  # checked before any judging


def test_a_comparison_of_mock_judges_claims_no_significance() -> None:
    """mock/random under two prompts differs "significantly" (McNemar p = 0.002 on MT-Bench): made-up data."""
    data = str(BUNDLED / "mt_bench_human_200.jsonl")
    args = ["compare", data, "-j", "mock/random", "-p", "pairwise/verdict", "-p", "pairwise/scores"]
    comparison = json_of(run(*args, "--resamples", "200", "--format", "json", "--out", "cmp"))
    test = comparison["best_vs_runner_up"]
    assert test["p_value"] < 0.05  # the arithmetic is there...
    assert test["significant"] is False and "mock judges" in test["caveat"]  # ...the claim is not
    assert "significantly better" not in test["statement"] and "no significance is claimed" in test["statement"]
    assert comparison["warnings"][0].startswith("mock judge (mock/random): no model was called")
    console = run(*args, "--resamples", "200", "--out", "cmp")  # the same rows again, from the cache, as tables
    assert console.exit_code == 0, console.output
    text = " ".join(console.stdout.split())
    assert "no significance is claimed" in text and "is significantly better" not in text
    assert "warning: mock judge (mock/random)" in text
