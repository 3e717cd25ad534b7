"""Checklist grading end to end, through the real openai SDK against the local fake server: item
scores worked by hand, negative points, unscored criteria (fail-closed), per-criterion pass rates
with exact intervals, per-criterion gates and exit codes, and agreement with human verdicts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint

from judgekit.testing.server import FakeProvider
from tests.checklist_helpers import FRUIT, MET, ROWS, SCORES, checklist_responder
from tests.clustered_reference import korn_graubard
from tests.helpers import rows_of, run, summary_of, write_jsonl

TEMPLATES = ["pointwise/checklist", "pointwise/checklist_all"]


@pytest.fixture
def server(judge: Callable[..., FakeProvider]) -> FakeProvider:
    return judge(checklist_responder)


def evaluate(data: Path, *extra: Any, out: str = "run") -> Any:
    return run("eval", data, "-j", "openai/judge", "--format", "json", "-q", "--out", out, *extra)


def item_scores(run_dir: str) -> dict[str, float | None]:
    items = [json.loads(line) for line in (Path(run_dir) / "items.jsonl").read_text().splitlines()]
    from judgekit.metrics.aggregate import ItemFacts, item_outcome
    from judgekit.schema import Item, Judgment

    rows: dict[str, dict[str, Judgment]] = {}
    for row in rows_of(run_dir):
        rows.setdefault(row["item_id"], {})[row["call"]] = Judgment.model_validate(row)
    facts = [ItemFacts.of(Item.model_validate(item)) for item in items]
    return {fact.id: item_outcome(fact, rows.get(fact.id, {})).score for fact in facts}


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_checklist_is_scored_by_hand(server: FakeProvider, tmp_path: Path, template: str) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    summary = summary_of(evaluate(data, "--prompt", template))
    assert item_scores("run") == pytest.approx(SCORES)
    mean = sum(SCORES.values()) / len(SCORES)
    assert summary["pointwise"]["mean"]["value"] == pytest.approx(mean)
    assert summary["checklist"]["score"]["value"] == pytest.approx(mean)  # 0.3125: inside [0, 1]
    assert summary["checklist"]["mean_item_score"]["value"] == pytest.approx(mean)
    assert summary["checklist"]["calls"] == ("all" if template.endswith("_all") else "each")
    criteria = {criterion["name"]: criterion for criterion in summary["checklist"]["criteria"]}
    assert list(criteria) == ["apples", "pears", "poison", "figs", "dates", "mold"]
    for name, (met, graded) in MET.items():
        rate = criteria[name]["pass_rate"]
        assert (criteria[name]["met"], criteria[name]["graded"]) == (met, graded)
        assert rate["value"] == pytest.approx(met / graded)
        exact = binomtest(met, graded).proportion_ci(confidence_level=0.95, method="exact")
        assert (rate["low"] or 0.0, rate["high"] or 1.0) == pytest.approx((exact.low, exact.high)), name
    assert criteria["poison"]["points"] == -8
    calls = server.count(None)
    assert calls == (4 if template.endswith("_all") else 12)  # one call per item, or one per criterion


def test_negative_points_take_points_away() -> None:
    from judgekit.metrics.checklist import checklist_score

    points = [5, 3, -8]
    assert checklist_score(points, [True, True, False]) == 1.0
    assert checklist_score(points, [True, True, True]) == pytest.approx(0.0)  # (8 - 8) / 8
    assert checklist_score(points, [True, False, True]) == pytest.approx(-3 / 8)
    assert checklist_score(points, [False, False, True]) == pytest.approx(-1.0)
    assert checklist_score(points, [False, True, False]) == pytest.approx(3 / 8)
    assert checklist_score([2, 2, -1], [True, True, True]) == pytest.approx(3 / 4)
    # Only positive points are possible: a negative criterion never raises the ceiling.
    assert checklist_score([4, -4], [False, False]) == 0.0
    with pytest.raises(ValueError):
        checklist_score([-1, -2], [True, False])


def test_the_run_score_is_the_mean_clipped_to_0_1(server: FakeProvider, tmp_path: Path) -> None:
    # Twelve items, ten of which meet only the penalty: item scores -8/8 and 8/8.
    rows = [
        {"id": str(i), "question": "Q?", "answer": "poison" if i < 10 else "apples pears", "rubric_items": FRUIT}
        for i in range(12)
    ]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    summary = summary_of(evaluate(data))
    raw = summary["checklist"]["mean_item_score"]
    assert raw["value"] == pytest.approx((10 * -1.0 + 2 * 1.0) / 12)
    score = summary["checklist"]["score"]
    assert score["value"] == 0.0 and summary["pointwise"]["mean"] == score
    assert raw["high"] is not None and raw["high"] < 0  # the whole interval is below 0: clipped to [0, 0]
    assert score["low"] is None and score["no_interval"]  # a zero-width interval is not reported


@pytest.mark.parametrize("template", TEMPLATES)
def test_all_criteria_unscored(server: FakeProvider, tmp_path: Path, template: str) -> None:
    skipping = [{"criterion": f"Mentions skip{index}.", "points": 1, "name": f"c{index}"} for index in range(2)]
    rows = [{"id": str(i), "question": "Q?", "answer": "A.", "rubric_items": skipping} for i in range(3)]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    result = evaluate(data, "--prompt", template, "--min-criterion-pass", "c0=0.5", "--min-items", "1")
    # No item got a valid verdict: the judge does not answer in the template's format (exit 3),
    # and the gate on a criterion measured on nothing fails rather than passes.
    assert result.exit_code == 3, result.output
    assert "gate FAILED: --min-criterion-pass c0" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["scored"] == 0 and summary["counts"]["unscored"] == 3
    assert summary["pointwise"]["mean"] is None and summary["checklist"]["score"] is None
    assert summary["checklist"]["unscored_criteria"] == 6
    for criterion in summary["checklist"]["criteria"]:
        assert criterion["graded"] == 0 and criterion["unscored"] == 3 and criterion["pass_rate"] is None
    assert "not measured" in result.stderr


def test_one_item(server: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", ROWS[:1])
    summary = summary_of(evaluate(data))
    assert summary["checklist"]["score"]["value"] == 1.0
    assert summary["checklist"]["score"]["low"] is None  # no bootstrap interval on one item
    apples = summary["checklist"]["criteria"][0]
    exact = binomtest(1, 1).proportion_ci(method="exact")
    assert apples["pass_rate"]["value"] == 1.0 and apples["pass_rate"]["low"] == pytest.approx(exact.low)


def test_no_rows_is_a_usage_error(server: FakeProvider, tmp_path: Path) -> None:
    data = tmp_path / "empty.jsonl"
    data.write_text("\n")
    result = evaluate(data, "--checklist", _criteria_file(tmp_path))
    assert result.exit_code == 2 and "empty" in result.stderr


def test_the_all_in_one_reply_missing_a_criterion_is_unscored_for_that_criterion_only() -> None:
    from judgekit.inputs.checklist_verdicts import read_checklist
    from judgekit.inputs.template_files import load

    spec = load("pointwise/checklist_all").meta.verdict
    text = "Reasons.\nCriterion 1: [[MET]]\nCriterion 3: [[not met]]\nCriterion 9: [[MET]]"
    reading = read_checklist(text, spec, 3)
    assert reading.verdicts == (1.0, None, 0.0)
    assert not reading.complete and "criterion 2: no verdict found" in str(reading.reason)
    # The last verdict for a criterion counts; two different ones on one line are ambiguous.
    assert read_checklist("Criterion 1: [[MET]]\nCriterion 1: [[NOT MET]]", spec, 1).verdicts == (0.0,)
    assert read_checklist("Criterion 1: [[MET]] Criterion 1: [[NOT MET]]", spec, 1).verdicts == (None,)
    # A verdict copied from the prompt's instructions is not the judge's.
    prompt = "write exactly as Criterion 1: [[MET]] or Criterion 1: [[NOT MET]], where N is"
    assert read_checklist("as Criterion 1: [[MET]] or Criterion", spec, 1, [prompt]).verdicts == (None,)


def test_a_missing_criterion_makes_its_item_unscored_fail_closed(server: FakeProvider, tmp_path: Path) -> None:
    criteria = [*FRUIT, {"name": "skip", "criterion": "Mentions skipme.", "points": 1}]
    rows = [{**ROWS[0], "rubric_items": criteria}, ROWS[1]]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    summary = summary_of(evaluate(data, "--prompt", "pointwise/checklist_all"))
    assert summary["counts"]["unscored"] == 1 and summary["unscored_items"] == ["a"]
    # Never scored over the criteria that happened to be read: only item b counts in the mean.
    assert summary["checklist"]["mean_item_score"]["value"] == SCORES["b"] == -3 / 8
    assert summary["checklist"]["score"]["value"] == 0.0
    criteria_out = {criterion["name"]: criterion for criterion in summary["checklist"]["criteria"]}
    assert (criteria_out["apples"]["met"], criteria_out["apples"]["graded"]) == (2, 2)  # a's graded verdicts count
    assert criteria_out["skip"]["unscored"] == 1 and criteria_out["skip"]["graded"] == 0
    row = next(row for row in rows_of("run") if row["item_id"] == "a")
    assert row["status"] == "unscored" and row["criteria"] == [1.0, 1.0, 0.0, None]


@pytest.mark.parametrize(
    ("gate", "code"),
    [
        (["--min-criterion-pass", "apples=0.6"], 0),  # 2/3
        (["--min-criterion-pass", "apples=0.7"], 1),
        (["--min-criterion-pass", "0.3"], 1),  # every criterion: dates is 0/1
        (["--min-criterion-pass", "apples=0.5", "--min-criterion-pass", "figs=1"], 0),
        (["--min-criterion-pass", "apples=0.5", "--on-ci-bound", "lower"], 1),  # exact lower bound 9.4%
        (["--min-criterion-pass", "nosuch=0.1"], 1),
        (["--min-criterion-pass", "apples=1.5"], 2),
        (["--min-criterion-pass", "apples=x"], 2),
        (["--min-criterion-pass", "=0.5"], 2),
    ],
)
def test_per_criterion_gates(server: FakeProvider, tmp_path: Path, gate: list[str], code: int) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    result = evaluate(data, *gate, "--min-items", "1")
    assert result.exit_code == code, result.output
    if code == 2:
        assert len(result.stderr.strip().splitlines()) == 1 and "--min-criterion-pass" in result.stderr
    if code in (0, 1):
        gated = run("gate", "run", *gate, "--min-items", "1")  # the same verdict on the run directory
        assert gated.exit_code == code, gated.output


def test_criterion_gates_refused_where_they_cannot_apply(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    judge()
    plain = write_jsonl(tmp_path / "plain.jsonl", [{"question": "Q?", "answer": "GOOD"}])
    result = run("eval", plain, "-j", "openai/judge", "-q", "--min-criterion-pass", "0.5")
    assert result.exit_code == 2 and "applies to checklist runs" in result.stderr
    checklist = write_jsonl(tmp_path / "data.jsonl", ROWS)
    panel = run("eval", checklist, "-j", "mock/first", "-j", "mock/second", "-q", "--min-criterion-pass", "0.5")
    assert panel.exit_code == 2 and "with a panel that averages" in panel.stderr


def test_agreement_with_human_verdicts_per_criterion(server: FakeProvider, tmp_path: Path) -> None:
    humans = {"a": [True, True, False], "b": [True, True, True], "c": [False, True, False], "d": [True, False, True]}
    rows = [{**row, "human_rubric": humans[row["id"]]} for row in ROWS]
    rows[3]["human_rubric"] = {"figs": True, "mold": True}  # by name, dates not graded by a human
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    summary = summary_of(evaluate(data))
    criteria = {criterion["name"]: criterion for criterion in summary["checklist"]["criteria"]}
    # The judge: apples met in a, b; pears in a, c; poison in b.
    judge_pears, human_pears = [1, 0, 1], [1, 1, 1]
    assert criteria["pears"]["human"]["n"] == 3
    assert criteria["pears"]["human"]["agreement"]["value"] == pytest.approx(2 / 3)
    assert criteria["apples"]["human"]["agreement"]["value"] == 1.0
    assert criteria["dates"]["human"] is None
    pooled_judge = [1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1]  # a, b, c by criterion, then d's figs and mold
    pooled_human = [1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1]
    pooled = summary["checklist"]["human"]
    assert pooled["n"] == 11
    assert pooled["agreement"]["value"] == pytest.approx(10 / 11)
    assert pooled["kappa"]["value"] == pytest.approx(cohen_kappa_score(pooled_judge, pooled_human))
    # Clustered by item (only b's pears is wrong): a, b, c of three criteria, d of two.
    interval = korn_graubard([[1, 1, 1], [1, 0, 1], [1, 1, 1], [1, 1]])
    assert (pooled["agreement"]["low"], pooled["agreement"]["high"]) == pytest.approx(interval)
    pears = criteria["pears"]["human"]["agreement"]  # one pair per item: the plain exact interval
    assert (pears["low"], pears["high"]) == pytest.approx(proportion_confint(2, 3, method="beta"))
    assert pooled["agreement"]["interval"] == "korn-graubard (clustered by item)"
    # `report` on the run directory: the same figures, and its HTML page's pooled row shows the interval.
    assert summary_of(run("report", "run", "--format", "json"))["checklist"]["human"] == pooled
    assert run("report", "run", "--html", "report.html").exit_code == 0
    assert (
        f"90.9% [{interval[0] * 100:.1f}, {interval[1] * 100:.1f}] (n=11, interval clustered by item)"
        in Path("report.html").read_text()
    )
    assert judge_pears != human_pears


def _criteria_file(tmp_path: Path) -> Path:
    path = tmp_path / "criteria.yaml"
    path.write_text(
        "- {name: apples, criterion: Mentions apples., points: 5}\n- {name: pears, criterion: Mentions pears., points: 3}\n"
    )
    return path


def test_a_shared_checklist_file(server: FakeProvider, tmp_path: Path) -> None:
    rows = [{"id": row["id"], "question": row["question"], "answer": row["answer"]} for row in ROWS[:3]]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    criteria = _criteria_file(tmp_path)
    summary = summary_of(evaluate(data, "--checklist", criteria))
    assert item_scores("run") == pytest.approx({"a": 1.0, "b": 5 / 8, "c": 3 / 8})
    assert summary["config"]["checklist"] == str(criteria)
    # The criteria decide the judgments: another checklist in the same directory is another run.
    criteria.write_text("- {name: apples, criterion: Mentions apples., points: 1}\n")
    again = evaluate(data, "--checklist", criteria)
    assert again.exit_code == 2 and "different configuration" in again.stderr


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        ([{"question": "Q", "answer": "A", "rubric_items": [{"criterion": "x"}]}], [], "'points' must be a number"),
        ([{"question": "Q", "answer": "A", "rubric_items": [{"criterion": "x", "points": 0}]}], [], "is 0"),
        ([{"question": "Q", "answer": "A", "rubric_items": [{"criterion": "x", "points": -1}]}], [], "positive"),
        ([{"question": "Q", "answer": "A", "rubric_items": FRUIT, "human_rubric": [True]}], [], "has 1 verdicts"),
        ([{"question": "Q", "answer": "A", "rubric_items": FRUIT, "human_rubric": {"kiwi": True}}], [], "kiwi"),
        ([{"question": "Q", "answer": "A"}], ["--prompt", "pointwise/checklist"], "give the criteria"),
        ([{"question": "Q", "answer": "A", "rubric_items": FRUIT}], ["--prompt", "pointwise/score"], "checklist"),
        ([{"question": "Q", "answer_a": "A", "answer_b": "B", "rubric_items": FRUIT}], [], "pairwise"),
        ([{"question": "Q", "answer": "A", "rubric_items": FRUIT}], ["--score-method", "logprobs"], "--score-method"),
        (
            [{"question": "Q", "answer": "A", "rubric_items": FRUIT}, {"question": "Q", "answer": "A"}],
            [],
            "data.jsonl:2: field 'rubric_items'",
        ),
    ],
)
def test_bad_checklists_are_one_line_usage_errors(
    judge: Callable[..., FakeProvider], tmp_path: Path, rows: list[dict[str, Any]], extra: list[str], message: str
) -> None:
    judge(checklist_responder)
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    result = evaluate(data, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_rubric_items_mapped_with_field_from_a_csv_cell(server: FakeProvider, tmp_path: Path) -> None:
    import csv

    data = tmp_path / "data.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "answer", "checks"])
        for row in ROWS:
            writer.writerow([row["id"], row["question"], row["answer"], json.dumps(row["rubric_items"])])
    summary_of(evaluate(data, "--field", "rubric_items=checks"))
    assert item_scores("run") == pytest.approx(SCORES)


def test_each_tag_is_scored_over_its_own_criteria(server: FakeProvider, tmp_path: Path) -> None:
    tags = {"apples": ["axis:a"], "pears": ["axis:a", "axis:b"], "poison": ["axis:b"]}
    tagged = [{**criterion, "tags": tags[criterion["name"]]} for criterion in FRUIT]
    data = write_jsonl(tmp_path / "data.jsonl", [{**row, "rubric_items": tagged} for row in ROWS[:3]])
    by_tag = summary_of(evaluate(data))["checklist"]["by_tag"]
    # axis:a (apples 5, pears 3): a 8/8, b 5/8, c 3/8. axis:b (pears 3, poison -8): a 3/3, b -8/3, c 3/3.
    assert by_tag["axis:a"]["value"] == pytest.approx((1 + 5 / 8 + 3 / 8) / 3)
    assert by_tag["axis:b"]["value"] == 0.0  # (1 - 8/3 + 1) / 3 < 0: clipped, as the run's score is
    assert by_tag["axis:a"]["n"] == 3


def test_the_embedded_default_judge_keeps_the_checklist_templates(tmp_path: Path) -> None:
    from judgekit.judging.embedded import DEFAULT_JUDGE
    from judgekit.pipeline.setup import new_run_config

    data = write_jsonl(tmp_path / "data.jsonl", ROWS)
    config = new_run_config(str(data), {}, judges=[], field_options=[], base_urls=[], baseline=None)
    assert config.judge == DEFAULT_JUDGE
    assert config.prompt is None and config.score_method is None  # not the verdict-probability defaults
    from judgekit.judging.planning import plan_checklist

    assert plan_checklist(config, "pointwise").primary.name == "pointwise/checklist"


def test_human_verdicts_align_with_a_shared_checklist(server: FakeProvider, tmp_path: Path) -> None:
    rows = [
        {"id": "a", "question": "Q?", "answer": "apples", "human_rubric": [True, True]},
        {"id": "b", "question": "Q?", "answer": "pears", "human_rubric": {"pears": True}},
    ]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    summary = summary_of(evaluate(data, "--checklist", _criteria_file(tmp_path)))
    criteria = {criterion["name"]: criterion for criterion in summary["checklist"]["criteria"]}
    assert criteria["apples"]["human"]["n"] == 1  # b's human did not grade apples
    assert criteria["apples"]["human"]["agreement"]["value"] == 1.0
    assert criteria["pears"]["human"]["n"] == 2
    assert criteria["pears"]["human"]["agreement"]["value"] == 0.5  # the judge: a not met, b met
    missing = write_jsonl(tmp_path / "bad.jsonl", rows[:1])
    refused = evaluate(missing, out="other")  # human verdicts, but no checklist to align them with
    assert refused.exit_code == 2 and "need a checklist" in refused.stderr


VERDICTS = {
    "pairwise": "{type: choice, pattern: '(A|B)', format: '{choice}', choices: {A: first, B: second}}",
    "not 0/1": "{type: choice, pattern: '(Y|N)', format: '{choice}', choices: {Y: 2, N: 0}}",
    "two groups": "{type: choice, pattern: 'C(\\d+) (Y|N)', format: 'C{number} {choice}', choices: {Y: 1, N: 0}}",
    "one group": "{type: choice, pattern: '(Y|N)', format: '{choice}', choices: {Y: 1, N: 0}}",
}


@pytest.mark.parametrize(
    ("kind", "calls", "verdict", "message"),
    [
        ("pairwise", "each", "pairwise", "pointwise with a choice verdict"),
        ("pointwise", "each", "not 0/1", "map to 1 (met) and 0 (not met)"),
        ("pointwise", "all", "two groups", None),
        ("pointwise", "all", "one group", "needs 2 group(s)"),
    ],
)
def test_checklist_front_matter_is_checked(
    tmp_path: Path, kind: str, calls: str, verdict: str, message: str | None
) -> None:
    body = "{{ rubric_item }}" if calls == "each" else "{% for c in rubric_items %}{{ c }}{% endfor %}"
    front = [f"kind: {kind}", f"checklist: {calls}", f"verdict: {VERDICTS[verdict]}", "description: mine"]
    path = tmp_path / "mine.jinja"
    path.write_text("\n".join(["---", *front, "---", "{{ answer }} " + body, ""]))
    result = run("prompts", "validate", path)
    if message is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2 and message in result.output, result.output
