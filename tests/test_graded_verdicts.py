"""Graded pairwise verdicts (A>>B, A>B, A=B, B>A, B>>A) as Arena-Hard reads them, through the real
openai SDK against the local fake server: mapping under swapped orders, per-grade counts, and
win rates and Bradley-Terry strengths in which a strong preference counts `strong_weight` votes."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit.errors import TemplateError
from judgekit.inputs.parsing import Reading
from judgekit.inputs.template_files import load
from judgekit.judging.calls import JudgeSetup, plan, to_judgment
from judgekit.metrics.graded import graded_metrics, item_credit
from judgekit.schema import Completion, Item, Message, SamplingParams
from judgekit.stats import bradley_terry
from judgekit.stats.weighted import weighted_share
from judgekit.testing.server import FakeProvider
from tests.helpers import rows_of, run, summary_of, write_jsonl

GRADE_IN_QUESTION = re.compile(r"grade (\S+) please")


def scripted(request: Any) -> str:
    """Answers the grade the question asks for, in the order shown (or no verdict at all)."""
    wanted = GRADE_IN_QUESTION.search(request.prompt)
    if wanted is None or wanted.group(1) == "none":
        return "I cannot tell these apart."
    return f"My own answer first, then the comparison.\n[[{wanted.group(1)}]]"


def strongly_good(request: Any) -> str:
    """Strongly prefers the answer holding GOOD, wherever it is shown."""
    prompt = request.prompt
    first_good = prompt.find("GOOD") < prompt.find("BAD")
    return "Compared.\n[[A>>B]]" if first_good else "Compared.\n[[B>>A]]"


def graded_rows(grades: list[str], systems: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    rows = []
    for index, grade in enumerate(grades):
        row: dict[str, Any] = {
            "id": f"g{index}",
            "question": f"Item {index}: grade {grade} please",
            "answer_a": f"first answer {index}",
            "answer_b": f"second answer {index}",
        }
        if systems:
            row["model_a"], row["model_b"] = systems[index]
        rows.append(row)
    return rows


def graded_run(data: Path, *extra: Any) -> dict[str, Any]:
    result = run("eval", data, "-j", "openai/judge", "-p", "pairwise/graded", "--format", "json", "-q", *extra)
    return summary_of(result)


# -- hand-computed win rate -----------------------------------------------------------------------
def test_win_rate_counts_a_strong_preference_as_three_votes(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(scripted)
    data = write_jsonl(tmp_path / "graded.jsonl", graded_rows(["A>>B", "A>B", "A=B", "B>>A", "none"]))
    summary = graded_run(data, "--positions", "fixed", "--out", "run")
    graded = summary["pairwise"]["graded"]
    # Votes: 3 (A>>B) + 1 (A>B) + 1 (A=B) + 3 (B>>A) = 8; A wins 3 + 1 + 1/2 = 4.5 of them.
    assert graded["win_rate"]["value"] == pytest.approx(4.5 / 8)
    assert graded["win_rate"]["n"] == 4
    assert graded["counts"] == {"A>>B": 1, "A>B": 1, "A=B": 1, "B>A": 0, "B>>A": 1}
    assert graded["strong_weight"] == 3
    # The unparseable item is unscored, never a loss or a tie; the plain win rate ignores grades.
    assert summary["counts"]["unscored"] == 1
    assert summary["pairwise"]["win_rate"]["value"] == pytest.approx(2.5 / 4)
    stored = {row["item_id"]: row for row in rows_of("run")}
    assert stored["g0"]["strong"] is True and stored["g1"]["strong"] is False
    assert stored["g4"]["status"] == "unscored" and stored["g4"].get("verdict") is None


def test_strong_weight_from_the_command_line_and_report_keeps_it(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(scripted)
    data = write_jsonl(tmp_path / "graded.jsonl", graded_rows(["A>>B", "B>A", "B>A"]))
    summary = graded_run(data, "--positions", "fixed", "--out", "run", "--strong-weight", "5")
    # 5 votes for A against 1 + 1 for B.
    assert summary["pairwise"]["graded"]["win_rate"]["value"] == pytest.approx(5 / 7)
    reported = summary_of(run("report", "run", "--format", "json"))
    assert reported["pairwise"]["graded"] == summary["pairwise"]["graded"]
    # Resuming with another weight re-aggregates the same judgments (no call is made again).
    resumed = summary_of(run("eval", "--resume", "run", "--strong-weight", "1", "--format", "json", "-q"))
    assert resumed["pairwise"]["graded"]["win_rate"]["value"] == pytest.approx(1 / 3)
    assert resumed["counts"]["calls"] == 3


def test_strong_weight_is_refused_for_an_ungraded_template(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "graded.jsonl", graded_rows(["A>B"]))
    result = run("eval", data, "-j", "mock/first", "--strong-weight", "3", "-q")
    assert result.exit_code == 2
    assert "--strong-weight applies to graded templates" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- swapped orders ---------------------------------------------------------------------------------
def test_swap_maps_strong_verdicts_back_to_the_dataset_answers(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(strongly_good)
    rows = [
        {"id": f"s{index}", "question": f"Q{index}", "answer_a": "GOOD one", "answer_b": "BAD one"}
        if index % 2 == 0
        else {"id": f"s{index}", "question": f"Q{index}", "answer_a": "BAD one", "answer_b": "GOOD one"}
        for index in range(4)
    ]
    data = write_jsonl(tmp_path / "swap.jsonl", rows)
    summary = graded_run(data, "--positions", "swap", "--out", "run")
    graded = summary["pairwise"]["graded"]
    # Both orders of each item name the GOOD answer strongly: two games per item.
    assert graded["counts"] == {"A>>B": 4, "A>B": 0, "A=B": 0, "B>A": 0, "B>>A": 4}
    assert graded["win_rate"]["value"] == pytest.approx(0.5)
    for row in rows_of("run"):
        good_is_a = int(row["item_id"][1:]) % 2 == 0
        assert row["verdict"] == ("A" if good_is_a else "B")
        assert row["strong"] is True
        assert row["shown"] == ("first" if good_is_a != row["swapped"] else "second")


def test_to_judgment_maps_a_strong_first_under_swap() -> None:
    template = load("pairwise/graded")
    setup = JudgeSetup(judge="mock/first", model="first", template=template, params=SamplingParams(), positions="swap")
    item = Item(id="x", line=1, turns=(Message(role="user", content="q"),), answer_a="a", answer_b="b")
    straight, swapped = plan(item, setup)
    completion = Completion(texts=["[[A>>B]]"])
    for planned, verdict in ((straight, "A"), (swapped, "B")):
        row = to_judgment(planned, setup, "hash", completion, Reading("ok", value="first_strong"))
        assert (row.verdict, row.shown, row.strong) == (verdict, "first", True)
    tie = to_judgment(swapped, setup, "hash", completion, Reading("ok", value="tie"))
    assert (tie.verdict, tie.strong) == ("tie", False)


def test_swap_with_one_order_unparseable_leaves_the_item_unscored(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    def beta_second_unparseable(request: Any) -> str:
        prompt = request.prompt
        if "beta" in prompt and prompt.find("beta") < prompt.find("alpha"):
            return "Hmm."
        return "Compared.\n[[A>>B]]"

    judge(beta_second_unparseable)
    rows = [
        {"id": "u", "question": "Q", "answer_a": "alpha", "answer_b": "beta"},
        {"id": "v", "question": "Q", "answer_a": "gamma", "answer_b": "delta"},
    ]
    data = write_jsonl(tmp_path / "two.jsonl", rows)
    summary = graded_run(data, "--positions", "swap", "--out", "run")
    assert summary["counts"]["unscored"] == 1
    # Only item v's two games count: A>>B shown first, then B>>A once swapped (the judge likes position 1).
    assert summary["pairwise"]["graded"]["counts"] == {"A>>B": 1, "A>B": 0, "A=B": 0, "B>A": 0, "B>>A": 1}
    assert summary["pairwise"]["graded"]["win_rate"]["value"] == pytest.approx(0.5)


# -- Bradley-Terry with weights -----------------------------------------------------------------------
LEADERBOARD = [
    # X v Y: X wins 3 of 4 votes; Y v Z: Y wins 3 of 4; X v Z: X wins 9 of 10.
    ("A>>B", ("X", "Y")),
    ("B>A", ("X", "Y")),
    ("A>>B", ("Y", "Z")),
    ("B>A", ("Y", "Z")),
    ("A>>B", ("X", "Z")),
    ("A>>B", ("X", "Z")),
    ("A>>B", ("X", "Z")),
    ("B>A", ("X", "Z")),
]


def test_leaderboard_strengths_and_win_rates_use_the_votes(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(scripted)
    data = write_jsonl(
        tmp_path / "board.jsonl",
        graded_rows([grade for grade, _ in LEADERBOARD], [systems for _, systems in LEADERBOARD]),
    )
    summary = graded_run(data, "--positions", "fixed", "--out", "run")
    board = {row["system"]: row for row in summary["leaderboard"]["rows"]}
    # The vote shares are exactly expit(s_i - s_j) for s = (ln 3, 0, -ln 3): 3/4, 3/4 and 9/10,
    # so the maximum-likelihood strengths are those (already averaging zero).
    assert board["X"]["strength"]["value"] == pytest.approx(math.log(3), abs=1e-6)
    assert board["Y"]["strength"]["value"] == pytest.approx(0.0, abs=1e-6)
    assert board["Z"]["strength"]["value"] == pytest.approx(-math.log(3), abs=1e-6)
    # Win rates are shares of votes: X won 3 + 9 of 4 + 10, Y 1 + 3 of 4 + 4, Z 1 + 1 of 4 + 10.
    assert board["X"]["win_rate"]["value"] == pytest.approx(12 / 14)
    assert board["Y"]["win_rate"]["value"] == pytest.approx(4 / 8)
    assert board["Z"]["win_rate"]["value"] == pytest.approx(2 / 14)
    assert [row["system"] for row in summary["leaderboard"]["rows"]] == ["X", "Y", "Z"]
    assert summary["leaderboard"]["notes"][0].startswith(
        "graded verdicts: win rates and Bradley-Terry strengths count votes"
    )


def test_weighted_strengths_equal_a_fit_on_repeated_comparisons() -> None:
    """A weight of k is k copies of the comparison: checked against statsmodels' logistic fit."""
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    names = ["p", "q", "r", "s"]
    first, second, values, weights = [], [], [], []
    for _ in range(60):
        a, b = rng.choice(4, size=2, replace=False)
        first.append(names[a])
        second.append(names[b])
        values.append(float(rng.choice([0.0, 0.5, 1.0])))
        weights.append(float(rng.choice([1.0, 3.0])))
    ours = bradley_terry.strengths_values(first, second, values, weights)
    design = np.zeros((len(values), len(names)))
    for row, (a, b) in enumerate(zip(first, second, strict=True)):
        design[row, names.index(a)] += 1.0
        design[row, names.index(b)] -= 1.0
    # A tie is half a win and half a loss, so each comparison is a weighted binomial trial.
    endog = np.column_stack([np.asarray(values) * weights, (1 - np.asarray(values)) * weights])
    fitted = sm.GLM(endog, design[:, 1:], family=sm.families.Binomial()).fit()
    theirs = np.concatenate([[0.0], fitted.params])
    theirs -= theirs.mean()
    assert [ours[name] for name in names] == pytest.approx(list(theirs), abs=1e-6)
    # Weights of one give the unweighted fit.
    assert bradley_terry.strengths_values(first, second, values, [1.0] * 60) == pytest.approx(
        bradley_terry.strengths_values(first, second, values)
    )


# -- the statistics at their edges --------------------------------------------------------------------
def test_weighted_share_edges() -> None:
    assert weighted_share([], [], resamples=200, seed=0) is None
    one = weighted_share([1.0], [3.0], resamples=200, seed=0)
    assert one is not None and one.value == 1.0 and one.low is None and one.n == 1
    two = weighted_share([1.0, 0.0], [3.0, 1.0], resamples=200, seed=0)
    assert two is not None and two.value == pytest.approx(0.75)
    equal = weighted_share([0.5] * 12, [1.0] * 12, resamples=200, seed=0)
    assert equal is not None and equal.value == 0.5 and equal.low is None
    spread = weighted_share([1.0, 0.0] * 10, [3.0, 1.0] * 10, resamples=500, seed=1)
    assert spread is not None and spread.value == pytest.approx(0.75)
    assert spread.low is not None and spread.high is not None and spread.low < 0.75 < spread.high


def test_item_credit_and_metrics_by_hand() -> None:
    assert item_credit(["A>>B", "B>A"], 3.0) == (pytest.approx(0.75), 4.0)
    assert item_credit(["A=B"], 3.0) == (0.5, 1.0)
    metrics = graded_metrics([["A>>B"], None, ["B>>A", "B>>A"]], 2.0, resamples=100, seed=0)
    assert metrics.counts == {"A>>B": 1, "A>B": 0, "A=B": 0, "B>A": 0, "B>>A": 2}
    assert metrics.win_rate is not None and metrics.win_rate.value == pytest.approx(2 / 6)
    empty = graded_metrics([], 3.0, resamples=100, seed=0)
    assert empty.win_rate is None and sum(empty.counts.values()) == 0


# -- templates ------------------------------------------------------------------------------------------
def _template(tmp_path: Path, verdict: str, kind: str = "pairwise") -> Path:
    path = tmp_path / "t.jinja"
    path.write_text(f"---\nkind: {kind}\ndescription: test\nverdict: {verdict}\n---\n{{{{ question }}}}\n")
    return path


@pytest.mark.parametrize(
    ("verdict", "problem"),
    [
        (
            "{type: choice, pattern: '\\[\\[(A|B)\\]\\]', format: '[[{choice}]]', choices: {A: first, B: second}, "
            "strong_weight: 3}",
            "strong_weight needs choices",
        ),
        (
            "{type: choice, pattern: '\\[\\[(A|B)\\]\\]', format: '[[{choice}]]', "
            "choices: {A: first_strong, B: second_strong}}",
            "need first and second too",
        ),
        (
            "{type: choice, pattern: '\\[\\[(A|B|C)\\]\\]', format: '[[{choice}]]', "
            "choices: {A: first_strong, B: first, C: second}, strong_weight: 0}",
            "greater than 0",
        ),
    ],
)
def test_graded_front_matter_is_checked(tmp_path: Path, verdict: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        load(str(_template(tmp_path, verdict)))


def test_the_bundled_template_reads_its_own_grades() -> None:
    from judgekit.inputs.template_inputs import self_test

    template = load("pairwise/graded")
    assert template.meta.verdict.graded and template.meta.verdict.strong_weight == 3
    assert self_test(template) == []
    assert json.loads(json.dumps(template.meta.verdict.choices))["A>>B"] == "first_strong"


# -- every path ---------------------------------------------------------------------------------------
def _good_bad_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"p{index}", "question": f"Q{index}", "answer_a": "GOOD one", "answer_b": f"BAD one {index}"}
        for index in range(n)
    ]


def test_panel_members_and_compare_runs_report_grades(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge(strongly_good)
    data = write_jsonl(tmp_path / "p.jsonl", _good_bad_rows(4))
    judges = ["-j", "openai/one", "-j", "openai/two", "-j", "openai/three"]
    result = run("eval", data, *judges, "-p", "pairwise/graded", "--positions", "fixed", "-q", "--out", "pan")
    assert result.exit_code == 0, result.output
    member = json.loads(Path("pan/pairwise_graded--openai_one/summary.json").read_text())
    assert member["pairwise"]["graded"]["counts"]["A>>B"] == 4
    # Every judge said A>>B, so the panel's verdict keeps that grade (`metrics.graded.panel_grade`).
    panel = json.loads(Path("pan/panel/summary.json").read_text())["pairwise"]["graded"]
    assert panel["counts"]["A>>B"] == 4 and panel["win_rate"]["value"] == 1.0
    compared = run(
        "compare", data, "-j", "openai/one", "-p", "pairwise/graded", "-q", "--out", "cmp", "--format", "json"
    )
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["rows"][0]["graded_win_rate"]["value"] == 1.0
    row = json.loads(Path("cmp/pairwise_graded--openai_one/summary.json").read_text())
    assert row["pairwise"]["graded"]["win_rate"]["value"] == 1.0
    # The table and the Markdown report name the weighted win rate and the grades.
    shown = run("gate", "cmp/pairwise_graded--openai_one", "--markdown", "r.md")
    assert shown.exit_code == 0, shown.output
    markdown = Path("r.md").read_text()
    assert "| Win rate of A by votes (strong = 3) | 100.0%" in markdown
    grades = "| Grades A&gt;&gt;B / A&gt;B / A=B / B&gt;A / B&gt;&gt;A | 8 / 0 / 0 / 0 / 0 |"
    assert grades in markdown  # compare judges both orders: eight games
    page = run("report", "cmp/pairwise_graded--openai_one", "--html", "g.html", "-q")
    assert page.exit_code == 0, page.output
    html = Path("g.html").read_text()
    assert "Win rate of A by votes (strong = 3)" in html and "A&gt;&gt;B 8, A&gt;B 0" in html


def test_batch_reads_grades(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> None:
    from judgekit.testing.batches import BatchBehaviour

    server = fake_provider(strongly_good, batches=BatchBehaviour())
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-graded-0123456789")
    data = write_jsonl(Path("b.jsonl"), _good_bad_rows(3))
    result = run(
        "eval", data, "-j", "openai/judge", "-p", "pairwise/graded", "--batch", "--poll-interval", "0.02",
        "--positions", "swap", "-q", "--format", "json", "--out", "run",
    )  # fmt: skip
    graded = summary_of(result)["pairwise"]["graded"]
    # Answer A holds GOOD in every item: both orders of all three map back to A>>B.
    assert graded["counts"] == {"A>>B": 6, "A>B": 0, "A=B": 0, "B>A": 0, "B>>A": 0}
    assert graded["win_rate"]["value"] == 1.0


def test_weighted_strengths_at_the_edges() -> None:
    assert bradley_terry.strengths([], [], [], weights=[]) is None
    assert bradley_terry.strengths(["x"], ["y"], [1.0], weights=[3.0]) is None
    # x wins every vote it plays: no finite maximum, so no strengths rather than an infinite one.
    assert bradley_terry.strengths(["x", "y", "x"], ["y", "z", "z"], [1.0, 0.5, 1.0], weights=[3.0, 1.0, 1.0]) is None
    # Two systems: the strength gap is the log-odds of the vote share, split evenly around zero.
    two = bradley_terry.strengths(["x", "x"], ["y", "y"], [1.0, 0.0], weights=[3.0, 1.0], resamples=200)
    assert two is not None
    assert two["x"].value == pytest.approx(math.log(3) / 2) and two["y"].value == pytest.approx(-math.log(3) / 2)


def test_graded_verdicts_of_conversations_through_the_anthropic_sdk(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The two formats together, through the other SDK: a graded template of our own over
    per-model conversations, judged in both orders."""
    server = fake_provider(strongly_good)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-graded-0123456789")
    template = tmp_path / "graded_turns.jinja"
    source = load("pairwise/graded").source
    body_start = source.index("---", 3) + 3
    front = source[:body_start].replace("kind: pairwise", "kind: pairwise\nrequires: [conversation_a, conversation_b]")
    body = "{% for t in conversation_a %}{{ t.role }}: {{ t.content }}\n{% endfor %}\n---\n"
    body += (
        "{% for t in conversation_b %}{{ t.role }}: {{ t.content }}\n{% endfor %}\nGrade as [[A>>B]] ... [[B>>A]].\n"
    )
    template.write_text(front + "\n" + body, encoding="utf-8")
    chats = {
        "good": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "GOOD reply"}],
        "bad": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "BAD reply"}],
    }
    rows = [
        {"id": "1", "conversation_a": chats["good"], "conversation_b": chats["bad"]},
        {"id": "2", "conversation_a": chats["bad"], "conversation_b": chats["good"]},
        {"id": "3", "conversation_a": chats["good"], "conversation_b": chats["bad"]},
    ]
    data = write_jsonl(tmp_path / "turns.jsonl", rows)
    result = run("eval", data, "-j", "anthropic/judge", "-p", template, "--positions", "swap", "-q", "--format", "json")
    graded = summary_of(result)["pairwise"]["graded"]
    assert graded["counts"] == {"A>>B": 4, "A>B": 0, "A=B": 0, "B>A": 0, "B>>A": 2}
    assert graded["win_rate"]["value"] == pytest.approx(12 / 18)  # 4 strong games for A, 2 for B, 3 votes each


def test_a_cascade_s_stages_report_grades_and_its_combined_verdict_claims_none(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "c.jsonl", _good_bad_rows(4))
    result = run(
        "eval", data, "--cascade", "mock/first,mock/second", "-p", "pairwise/graded", "--positions", "swap",
        "-q", "--out", "cas",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    stage = json.loads(Path("cas/stage1-mock_first/summary.json").read_text())
    assert stage["pairwise"]["graded"]["counts"] == {"A>>B": 0, "A>B": 4, "A=B": 0, "B>A": 4, "B>>A": 0}
    assert json.loads(Path("cas/cascade/summary.json").read_text())["pairwise"]["graded"] is None
