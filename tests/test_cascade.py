"""`judgekit eval --cascade`: a cheap judge first, a strong one only where the cheap one was unsure.

Each judge is scripted per item on the fake OpenAI server (its verdict and the probability its
log-probabilities give it), and the server counts the calls each judge received, so escalation,
resuming and abstention are checked on what was actually sent."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from judgekit.testing.server import FakeProvider, FakeRequest, Reply
from tests.helpers import run, write_jsonl
from tests.test_cascade_guarantee import binomial_bound, reference_scan

CHEAP, STRONG = "openai/gpt-4o-mini", "openai/gpt-4o"
Script = Mapping[int, "tuple[str, float] | None"]
"""Item number -> (verdict letter, its probability), or None for an answer without a verdict."""


def rows(n: int, *, labels: bool = True) -> list[dict[str, Any]]:
    """Answer A is the better one in every item (the humans say A)."""
    made = []
    for index in range(n):
        row: dict[str, Any] = {
            "id": f"item-{index}",
            "question": f"Question {index}?",
            "answer_a": f"GOOD answer {index}",
            "answer_b": f"BAD answer {index}",
        }
        if labels:
            row["human_label"] = "A"
        made.append(row)
    return made


def scripted(by_model: Mapping[str, Script]) -> Callable[[FakeRequest], Reply | str]:
    def respond(request: FakeRequest) -> Reply | str:
        found = re.search(r"Question (\d+)\?", request.prompt)
        assert found is not None
        answer = by_model[request.model][int(found.group(1))]
        if answer is None:
            return "I cannot tell which is better."
        letter, probability = answer
        other = "B" if letter == "A" else "A"
        return Reply(f"Compared.\n[[{letter}]]", at=letter, distribution={letter: probability, other: 1 - probability})

    return respond


def calls(server: FakeProvider) -> Counter[str]:
    return Counter(record.request.model for record in server.recorded)


def judged_questions(server: FakeProvider, model: str) -> set[int]:
    found = set()
    for record in server.recorded:
        if record.request.model == model:
            match = re.search(r"Question (\d+)\?", record.request.prompt)
            assert match is not None
            found.add(int(match.group(1)))
    return found


def cascade(data: Path, *extra: Any, judges: str = f"{CHEAP},{STRONG}") -> Any:
    return run(
        "eval", data, "--cascade", judges, "--score-method", "logprobs", "--positions", "fixed", "--out", "out",
        "-q", *extra,
    )  # fmt: skip


def report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path("out/cascade.json").read_text())
    return data


def cascade_rows() -> dict[str, dict[str, Any]]:
    lines = Path("out/cascade/judgments.jsonl").read_text().splitlines()
    return {row["item_id"]: row for row in map(json.loads, lines)}


SURE_STRONG: Script = dict.fromkeys(range(10), ("A", 0.99))


def test_only_items_below_the_threshold_reach_the_next_judge(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    cheap: Script = {0: ("A", 0.95), 1: ("A", 0.81), 2: ("B", 0.79), 3: ("A", 0.6), 4: ("B", 0.99), 5: ("A", 0.5)}
    server = judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(6))
    result = cascade(data, "--escalate-below", "0.8")
    assert result.exit_code == 0, result.output
    assert calls(server) == {"gpt-4o-mini": 6, "gpt-4o": 3}
    assert judged_questions(server, "gpt-4o") == {2, 3, 5}  # 0.79, 0.6 and 0.5 are below 0.8
    verdicts = cascade_rows()
    assert {item: row["judge"] for item, row in verdicts.items()} == {
        "item-0": CHEAP, "item-1": CHEAP, "item-2": STRONG, "item-3": STRONG, "item-4": CHEAP, "item-5": STRONG,
    }  # fmt: skip
    assert verdicts["item-4"]["verdict"] == "B" and verdicts["item-2"]["verdict"] == "A"
    stages = report()["stages"]
    assert [(stage["items"], stage["escalated"], stage["calls"]) for stage in stages] == [(6, 3, 6), (3, 0, 3)]
    assert report()["sources"] == {CHEAP: 3, STRONG: 3}
    assert "cascade stage 1 openai/gpt-4o-mini: 6 items, 3 escalated (confidence below 0.8)" in result.stderr
    page = run("report", "out/cascade", "--html", "page.html")
    assert page.exit_code == 0, page.output
    sources_shown = Counter(re.findall(r"cascade verdict, from (openai/[\w.-]+)", Path("page.html").read_text()))
    assert sources_shown == {CHEAP: 3, STRONG: 3}  # each item's call names the judge its verdict came from


def test_cost_per_judge_is_what_each_stage_was_charged(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    cheap: Script = {0: ("A", 0.95), 1: ("A", 0.6)}
    judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(2))
    assert cascade(data).exit_code == 0
    for stage in report()["stages"]:
        charged = [json.loads(line)["cost_usd"] for line in (Path(stage["run_dir"]) / "judgments.jsonl").open()]
        assert stage["cost_usd"] > 0
        assert stage["cost_usd"] == pytest.approx(sum(charged), abs=1e-6)  # the summary rounds to $0.000001
    first, second = report()["stages"]
    assert (first["judge"], second["judge"]) == (CHEAP, STRONG)


def test_the_cascades_summary_counts_the_calls_its_stages_made(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    cheap: Script = {0: ("A", 0.95), 1: ("A", 0.6), 2: ("B", 0.5), 3: ("A", 0.9)}
    server = judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(4))
    result = cascade(data, "--format", "json", "--markdown", "run.md")
    assert result.exit_code == 0, result.output
    assert calls(server) == {"gpt-4o-mini": 4, "gpt-4o": 2}
    stages = report()["stages"]
    completions = [
        json.loads(line)["completion"]
        for stage in stages
        for line in (Path(stage["run_dir"]) / "judgments.jsonl").read_text().splitlines()
    ]
    tokens = {name: sum(one[name] for one in completions) for name in ("prompt_tokens", "completion_tokens")}
    for shown in (json.loads(result.stdout), json.loads(Path("out/cascade/summary.json").read_text())):
        counts = shown["counts"]
        assert (counts["calls"], counts["cached"], counts["requests"]) == (6, 0, 6)
        assert (counts["prompt_tokens"], counts["completion_tokens"]) == (
            tokens["prompt_tokens"],
            tokens["completion_tokens"],
        )
        assert [(one["judge"], one["items"], one["calls"]) for one in shown["stages"]] == [
            (CHEAP, 4, 4),
            (STRONG, 2, 2),
        ]
        assert [one["cost_usd"] for one in shown["stages"]] == [stage["cost_usd"] for stage in stages]
        assert shown["cost"]["usd"] == pytest.approx(sum(stage["cost_usd"] for stage in stages), abs=2e-6)
        assert shown["cost"]["price_in"] is None
    said = f"6 made, 0 from cache (stage 1 {CHEAP}: 4 made; stage 2 {STRONG}: 2 made)"
    assert said in Path("run.md").read_text()
    again = run("report", "out/cascade", "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["counts"]["calls"] == 6 and len(json.loads(again.stdout)["stages"]) == 2
    table = run("report", "out/cascade", "--html", "page.html")
    assert table.exit_code == 0, table.output
    assert "6 made, 0 from cache" in table.stdout
    page = Path("page.html").read_text()
    assert f"{CHEAP}: 4 items, 4 calls made, 0 from the cache" in page and "6 (6 made)" in page
    gated = run("gate", "out/cascade", "--max-unscored", "0.5", "--min-items", "1", "--markdown", "gate.md")
    assert gated.exit_code == 0, gated.output
    assert "come from another judge" not in gated.stderr  # each row names its stage's judge, as the record says
    assert said in Path("gate.md").read_text()


def test_a_stage_without_a_price_leaves_the_cascades_cost_unknown(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    options = ["--cascade", "mock/random,mock/first", "--positions", "swap", "--abstain-below", "0.9"]
    result = run("eval", data, *options, "--out", "out", "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["cost"] is None and shown["counts"]["calls"] == sum(one["calls"] for one in shown["stages"]) > 0
    assert all(one["cost_usd"] is None for one in shown["stages"])
    gated = run("gate", "out/cascade", "--max-unscored", "1", "--min-items", "1", "--markdown", "gate.md")
    assert gated.exit_code == 0, gated.output
    assert (
        "| Cost | unknown (stage 1 mock/random: no price known; stage 2 mock/first: no price known) |"
        in Path("gate.md").read_text()
    )


@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_running_it_again_repeats_no_call(judge: Callable[..., FakeProvider], tmp_path: Path, cache: list[str]) -> None:
    cheap: Script = {0: ("A", 0.95), 1: ("A", 0.6), 2: None, 3: ("B", 0.7)}
    server = judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(4))
    assert cascade(data, *cache).exit_code == 0
    first = calls(server)
    again = cascade(data, *cache)
    assert again.exit_code == 0, again.output
    assert calls(server) == first == {"gpt-4o-mini": 4, "gpt-4o": 3}
    assert "3 escalated" in again.stderr


def test_abstained_items_go_to_a_file_labels_plan_reads(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    cheap: Script = dict.fromkeys(range(5), ("A", 0.5))
    strong: Script = {0: ("A", 0.99), 1: ("B", 0.6), 2: None, 3: ("A", 0.95), 4: ("A", 0.7)}
    judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": strong}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(5))
    result = cascade(data, "--abstain-below", "0.9")
    assert result.exit_code == 0, result.output
    abstained = [json.loads(line) for line in Path("out/abstained.jsonl").read_text().splitlines()]
    assert [row["id"] for row in abstained] == ["item-1", "item-2", "item-4"]
    assert [row["cascade_verdict"] for row in abstained] == ["B", None, "A"]
    assert report()["sources"] == {STRONG: 2, "abstained": 3}
    verdicts = cascade_rows()
    assert verdicts["item-1"]["status"] == "unscored" and verdicts["item-1"]["reason"].startswith("abstained")
    plan = run("labels", "plan", "out/abstained.jsonl", "--pred", "cascade_verdict", "--n", "2", "-o", "plan.jsonl")
    assert plan.exit_code == 0, plan.output
    drawn = [json.loads(line) for line in Path("plan.jsonl").read_text().splitlines()]
    # The two abstained items that still carry an (untrusted) verdict are the ones a plan can draw.
    assert {row["id"] for row in drawn} == {"item-1", "item-4"}
    assert all(row["human_label"] is None for row in drawn)


def test_target_agreement_chooses_guaranteed_thresholds(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    # 200 items the humans all call A. The cheap judge's confidence falls from 0.99 by 0.002 per item and it
    # is wrong on every tenth item from item 67 on; the strong judge is sure (0.97 down by 0.001) and wrong on
    # every fourth item from item 180 on. Seed 0 splits the labelled items; the thresholds must be what a scan written from the
    # definition (tests/test_cascade_guarantee.py, bound by root-finding on scipy's binomial tail) finds at
    # error level 0.1 / 2 judges.
    n = 200
    cheap: Script = {i: ("B" if i >= 60 and i % 10 == 7 else "A", round(0.99 - 0.002 * i, 4)) for i in range(n)}
    strong: Script = {i: ("B" if i >= 180 and i % 4 == 0 else "A", round(0.97 - 0.001 * i, 4)) for i in range(n)}
    server = judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": strong}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(n))
    result = cascade(data, "--target-agreement", "0.9")
    assert result.exit_code == 0, result.output

    order = np.random.default_rng(0).permutation(n)
    calibration = {int(index) for index in order[:100]}
    pairs_one = [(confidence_of(cheap, i), says_a(cheap, i)) for i in sorted(calibration)]
    first = reference_scan(pairs_one, 0.9, 0.05)
    escalated = {i for i in range(n) if confidence_of(cheap, i) < first}
    pairs_two = [(confidence_of(strong, i), says_a(strong, i)) for i in sorted(calibration & escalated)]
    second = reference_scan(pairs_two, 0.9, 0.05)
    assert first < 1 and second < 1  # the scenario keeps verdicts from both judges
    assert reference_scan(pairs_one, 0.9, 0.05, every_confidence=True) != first  # the candidates matter here
    assert judged_questions(server, "gpt-4o") == escalated

    target = report()["target"]
    assert target["thresholds"] == [pytest.approx(first), pytest.approx(second)]
    assert (target["error_level"], target["stage_error_level"], target["fewest"]) == (0.1, 0.05, 29)
    kept = [sum(value >= first for value, _ in pairs_one), sum(value >= second for value, _ in pairs_two)]
    assert target["kept"] == kept and target["evidence"] == [len(pairs_one), len(pairs_two)]
    wrong = [
        sum(not right for value, right in pairs if value >= threshold)
        for pairs, threshold in ((pairs_one, first), (pairs_two, second))
    ]
    bounds = [binomial_bound(k, m, 0.05) for k, m in zip(wrong, kept, strict=True)]
    assert target["disagreement_bounds"] == [pytest.approx(bound, abs=1e-9) for bound in bounds]
    assert all(bound <= 0.1 for bound in bounds)
    assert [stage["disagreement_bound"] for stage in report()["stages"]] == target["disagreement_bounds"]

    held = [i for i in range(n) if i not in calibration]
    kept_held = [i for i in held if confidence_of(cheap, i) >= first or confidence_of(strong, i) >= second]
    right = [i for i in kept_held if says_a(cheap if confidence_of(cheap, i) >= first else strong, i)]
    assert target["coverage"]["value"] == pytest.approx(len(kept_held) / 100)
    assert target["agreement"]["value"] == pytest.approx(len(right) / len(kept_held))
    assert f"disagreement <= {bounds[0]:.3f} with 95% confidence" in result.stderr
    assert "--target-agreement 0.9 at error level 0.1 (each stage at 0.05)" in result.stderr


def confidence_of(script: Script, item: int) -> float:
    answer = script[item]
    assert answer is not None
    return answer[1]


def says_a(script: Script, item: int) -> bool:
    answer = script[item]
    assert answer is not None
    return answer[0] == "A"


def test_every_item_confident_never_calls_the_next_judge(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(scripted({"gpt-4o-mini": dict.fromkeys(range(4), ("A", 0.9)), "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(4))
    result = cascade(data)
    assert result.exit_code == 0, result.output
    assert calls(server) == {"gpt-4o-mini": 4}
    assert [stage["judge"] for stage in report()["stages"]] == [CHEAP]
    assert not Path("out/stage2-openai_gpt-4o").exists()


@pytest.mark.parametrize("unsure", [("A", 0.51), None], ids=["none-confident", "all-unscored"])
def test_every_item_unsure_or_unscored_goes_on(
    judge: Callable[..., FakeProvider], tmp_path: Path, unsure: tuple[str, float] | None
) -> None:
    server = judge(scripted({"gpt-4o-mini": dict.fromkeys(range(4), unsure), "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(4))
    result = cascade(data, "--format", "json")
    assert result.exit_code == 0, result.output
    assert calls(server) == {"gpt-4o-mini": 4, "gpt-4o": 4}
    assert json.loads(result.stdout)["counts"]["scored"] == 4
    assert report()["sources"] == {STRONG: 4}


def test_one_item(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(scripted({"gpt-4o-mini": {0: ("B", 0.6)}, "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(1))
    result = cascade(data, "--format", "json")
    assert result.exit_code == 0, result.output
    assert calls(server) == {"gpt-4o-mini": 1, "gpt-4o": 1}
    assert cascade_rows()["item-0"]["verdict"] == "A"


def test_no_items_is_a_data_error(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(scripted({}))
    empty = tmp_path / "d.jsonl"
    empty.write_text("")
    result = cascade(empty)
    assert result.exit_code == 2
    assert server.recorded == []


def test_unscored_everywhere_with_abstention_leaves_every_item_to_humans(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    nothing: Script = dict.fromkeys(range(3))
    judge(scripted({"gpt-4o-mini": nothing, "gpt-4o": nothing}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    result = cascade(data, "--abstain-below", "0.5")
    assert result.exit_code == 3  # no item got a verdict: the judges do not write what the template reads
    assert report()["sources"] == {"abstained": 3}
    assert len(Path("out/abstained.jsonl").read_text().splitlines()) == 3


SERVER_OPTIONS: list[tuple[list[str], str]] = [
    (["--batch"], "--batch cannot be used with --cascade"),
    (["-j", CHEAP], "--judge cannot be used with --cascade"),
    (["--panel-rule", "majority"], "--panel-rule cannot be used with --cascade"),
    (["--price-in", "1", "--price-out", "2"], "--price-in/--price-out cannot be used with --cascade"),
    (["--escalate-below", "1.5"], "--escalate-below 1.5"),
    (["--target-agreement", "0.9", "--abstain-below", "0.5"], "cannot be used with --target-agreement"),
    (["--error-level", "0.05"], "--error-level cannot be used without --target-agreement"),
    (["--target-agreement", "0.9", "--error-level", "1"], "--error-level 1: give a chance above 0 and below 1"),
    (["--target-agreement", "0.9", "--error-level", "0"], "--error-level 0: give a chance above 0 and below 1"),
    (["--target-agreement", "1"], "no finite number of labels can guarantee agreement 1"),
    (["--resume", "elsewhere"], "--resume cannot be used with --cascade"),
]


@pytest.mark.parametrize(("extra", "said"), SERVER_OPTIONS)
def test_options_that_cannot_apply_are_refused_before_any_call(
    judge: Callable[..., FakeProvider], tmp_path: Path, extra: list[str], said: str
) -> None:
    server = judge(scripted({}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    result = cascade(data, *extra)
    assert result.exit_code == 2, result.output
    assert said in result.stderr
    assert server.recorded == []


def test_cascade_options_without_a_cascade_are_refused(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(scripted({}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    result = run("eval", data, "-j", CHEAP, "--abstain-below", "0.5")
    assert result.exit_code == 2
    assert "--abstain-below cannot be used without --cascade" in result.stderr
    level = run("eval", data, "-j", CHEAP, "--error-level", "0.05")
    assert level.exit_code == 2
    assert "--error-level cannot be used without --cascade" in level.stderr
    assert server.recorded == []


def test_a_judge_without_confidence_cannot_be_escalated_from(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(scripted({}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    result = run("eval", data, "--cascade", f"{CHEAP},{STRONG}", "--positions", "fixed", "--out", "out")
    assert result.exit_code == 2
    assert "openai/gpt-4o-mini gives no confidence for its verdicts" in result.stderr
    assert server.recorded == []


def test_target_agreement_needs_human_labels(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(scripted({}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3, labels=False))
    result = cascade(data, "--target-agreement", "0.9")
    assert result.exit_code == 2
    assert "--target-agreement needs pairwise data with human labels" in result.stderr
    assert server.recorded == []


def test_items_all_left_to_humans_is_not_a_failed_run(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    unsure: Script = dict.fromkeys(range(3), ("A", 0.55))
    judge(scripted({"gpt-4o-mini": unsure, "gpt-4o": unsure}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    result = cascade(data, "--abstain-below", "0.9")
    assert result.exit_code == 0, result.output
    assert report()["sources"] == {"abstained": 3}


def test_one_budget_for_every_stage(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    # The cheap judge's four calls fit in $0.005 (at most ~$0.0007 each); the strong judge's first call could
    # cost up to 1024 output tokens x $10 per million, more than what is left: stage 2 stops before calling.
    server = judge(scripted({"gpt-4o-mini": dict.fromkeys(range(4), ("A", 0.6)), "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(4))
    stopped = cascade(data, "--max-cost", "0.005", "--concurrency", "1")
    assert stopped.exit_code == 3, stopped.output
    assert calls(server) == {"gpt-4o-mini": 4}
    assert "stage 2 (openai/gpt-4o) stopped early" in stopped.stderr
    finished = cascade(data, "--max-cost", "1")
    assert finished.exit_code == 0, finished.output
    assert calls(server) == {"gpt-4o-mini": 4, "gpt-4o": 4}


@pytest.mark.parametrize("where", ["out", "out/cascade"])
def test_resume_names_the_cascade_and_repeats_no_call(
    judge: Callable[..., FakeProvider], tmp_path: Path, where: str
) -> None:
    server = judge(scripted({"gpt-4o-mini": dict.fromkeys(range(4), ("A", 0.6)), "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(4))
    assert cascade(data, "--max-cost", "0.005", "--concurrency", "1", "--abstain-below", "0.9").exit_code == 3
    resumed = run("eval", "--resume", where, "--max-cost", "1", "-q", "--format", "json")
    assert resumed.exit_code == 0, resumed.output
    assert calls(server) == {"gpt-4o-mini": 4, "gpt-4o": 4}  # the first stage's calls were not made again
    assert report()["abstain_below"] == 0.9 and json.loads(resumed.stdout)["counts"]["scored"] == 4
    again = run("eval", "--resume", where, "-q")
    assert again.exit_code == 0 and calls(server) == {"gpt-4o-mini": 4, "gpt-4o": 4}
    for option, value in (("--escalate-below", "0.5"), ("--error-level", "0.2"), ("--abstain-below", "0")):
        refused = run("eval", "--resume", where, option, value)
        assert refused.exit_code == 2
        assert f"{option} cannot be used with --resume" in refused.stderr
        assert "a cascade keeps its judges and thresholds" in refused.stderr


def test_a_pointwise_cascade_reads_the_likeliest_score(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    def respond(request: FakeRequest) -> Reply:
        found = re.search(r"Question (\d+)\?", request.prompt)
        assert found is not None
        index = int(found.group(1))
        if request.model == "gpt-4o" or index == 0:
            return Reply("Fine.\nRating: [[8]]", at="8", distribution={"8": 0.9, "7": 0.1})
        return Reply("Hmm.\nRating: [[3]]", at="3", distribution={"3": 0.5, "9": 0.5})

    server = judge(respond)
    data = write_jsonl(
        tmp_path / "d.jsonl", [{"id": f"p{i}", "question": f"Question {i}?", "answer": "x"} for i in range(3)]
    )
    result = run("eval", data, "--cascade", f"{CHEAP},{STRONG}", "--score-method", "logprobs", "--out", "out", "-q")
    assert result.exit_code == 0, result.output
    assert judged_questions(server, "gpt-4o") == {1, 2}  # P(likeliest score) 0.5 < 0.8
    assert {row["judge"] for row in cascade_rows().values()} == {CHEAP, STRONG}
    assert cascade_rows()["p1"]["score"] == pytest.approx(8 * 0.9 + 7 * 0.1)


def test_later_stages_read_the_same_items_from_a_csv_without_ids(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    cheap: Script = {1: ("A", 0.95), 2: ("A", 0.6), 3: ("B", 0.95), 4: ("A", 0.5)}
    server = judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": SURE_STRONG}))
    data = tmp_path / "d.csv"
    lines = ["q,first,second,topic"] + [f"Question {index}?,GOOD {index},BAD {index},t{index}" for index in range(1, 5)]
    data.write_text("\n".join(lines) + "\n")
    fields = ["-f", "question=q", "-f", "answer_a=first", "-f", "answer_b=second"]
    result = cascade(data, *fields)
    assert result.exit_code == 0, result.output
    assert judged_questions(server, "gpt-4o") == {2, 4}
    verdicts = cascade_rows()
    # Ids come from the rows' places in the file (1-based); the escalated rows keep theirs.
    assert {item: row["judge"] for item, row in verdicts.items()} == {"1": CHEAP, "2": STRONG, "3": CHEAP, "4": STRONG}
    stage_two = [json.loads(line) for line in Path("out/subsets/stage2.jsonl").read_text().splitlines()]
    assert stage_two == [
        {"id": "2", "q": "Question 2?", "first": "GOOD 2", "second": "BAD 2", "topic": "t2"},
        {"id": "4", "q": "Question 4?", "first": "GOOD 4", "second": "BAD 4", "topic": "t4"},
    ]


def test_a_fallback_that_multiplies_calls_is_asked_for_once(tmp_path: Path) -> None:
    # The mock judges return no log-probabilities: --score-method logprobs falls back to 20 samples a call.
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    options = ["--cascade", "mock/random,mock/first", "--score-method", "logprobs", "--out", "out", "-q"]
    refused = run("eval", data, *options)
    assert refused.exit_code == 2
    assert "mock/random:" in refused.stderr and "mock/first:" in refused.stderr
    assert not Path("out/stage1-mock_random").exists()
    agreed = run("eval", data, *options, "--yes")
    assert agreed.exit_code == 0, agreed.output
    assert report()["stages"][0]["calls"] == 3  # one request per item, 20 samples in it


@pytest.mark.parametrize(("n", "said"), [(1, "no labelled item was held apart"), (2, "coverage 0.000 (0 of 1)")])
def test_target_agreement_on_one_or_two_labelled_items(
    judge: Callable[..., FakeProvider], tmp_path: Path, n: int, said: str
) -> None:
    judge(scripted({"gpt-4o-mini": dict.fromkeys(range(n), ("A", 0.7)), "gpt-4o": SURE_STRONG}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(n))
    result = cascade(data, "--target-agreement", "0.9", "--error-level", "0.2")
    assert result.exit_code == 0, result.output
    target = report()["target"]
    assert (target["calibration_items"], target["held_apart_items"]) == (1, n - 1)
    assert target["thresholds"] == [None, None]  # one right verdict guarantees nothing
    assert target["kept"] == [0, 0] and target["disagreement_bounds"] == [None, None]
    assert report()["sources"] == {"abstained": n}
    assert said in result.stderr
    lines = [line for line in result.stderr.splitlines() if "no threshold of stage" in line]
    assert len(lines) == 2  # one line per stage that trusts nothing
    # Each of the two judges at 0.2 / 2 = 0.1: 22 agreeing items are the fewest (0.9^22 <= 0.1 < 0.9^21).
    assert "1 calibration items reached it with a verdict and a confidence; at least 22 are needed" in lines[0]
    assert "(the items it judged escalated)" in lines[0] and "were left for humans" in lines[1]
    resumed = run("eval", "--resume", "out", "-q")
    assert resumed.exit_code == 0, resumed.output
    assert report()["error_level"] == 0.2 and report()["target"]["stage_error_level"] == pytest.approx(0.1)


def test_target_agreement_that_no_threshold_passes_says_where_it_stopped(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    # The cheap judge's 30 most confident verdicts are all wrong: its first test (the 22 most confident calibration
    # verdicts, the fewest that can pass for one judge at error level 0.1) fails, so nothing of it is kept although
    # its other 30 are right.
    cheap: Script = {i: ("B" if i < 30 else "A", round(0.99 - 0.005 * i, 3)) for i in range(60)}
    judge(scripted({"gpt-4o-mini": cheap}))
    data = write_jsonl(tmp_path / "d.jsonl", rows(60))
    result = cascade(data, "--target-agreement", "0.9", judges=CHEAP)
    assert result.exit_code == 0, result.output
    target = report()["target"]
    assert target["thresholds"] == [None] and (target["stage_error_level"], target["fewest"]) == (0.1, 22)
    (line,) = [line for line in result.stderr.splitlines() if "no threshold of stage 1" in line]
    calibration = {int(index) for index in np.random.default_rng(0).permutation(60)[:30]}
    top = sorted(calibration)[:22]  # confidence falls with the item number: the 22 most confident
    wrong = sum(i < 30 for i in top)
    assert (
        f"its 22 most confident calibration verdicts (confidence >= {confidence_of(cheap, top[-1]):g}) include {wrong}"
        in line
    )
    assert report()["sources"] == {"abstained": 60}


def test_a_default_judge_from_the_environment_gives_way_to_the_cascade(
    judge: Callable[..., FakeProvider], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = judge(scripted({"gpt-4o-mini": dict.fromkeys(range(2), ("A", 0.9)), "gpt-4o": SURE_STRONG}))
    monkeypatch.setenv("JUDGEKIT_JUDGE", "openai/some-default")
    data = write_jsonl(tmp_path / "d.jsonl", rows(2))
    result = cascade(data)
    assert result.exit_code == 0, result.output
    assert calls(server) == {"gpt-4o-mini": 2}
    assert run("eval", "--resume", "out", "-q").exit_code == 0


def test_a_failed_item_is_retried_before_it_escalates(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    from judgekit.testing.server import Faults

    cheap: Script = dict.fromkeys(range(3), ("A", 0.6))
    server = judge(scripted({"gpt-4o-mini": cheap, "gpt-4o": SURE_STRONG}), faults=Faults(script=["server_error"]))
    data = write_jsonl(tmp_path / "d.jsonl", rows(3))
    failed = cascade(data, "--max-retries", "0", "--concurrency", "1")
    assert failed.exit_code == 3, failed.output
    assert len(judged_questions(server, "gpt-4o")) == 2  # the failed item was not sent on
    assert report()["sources"] == {"error": 1, STRONG: 2}
    again = cascade(data, "--max-retries", "0", "--concurrency", "1")
    assert again.exit_code == 0, again.output
    assert "other items reached openai/gpt-4o than last time" in again.stderr
    # The strong judge saw each item once: the two it had already judged came from the cache.
    assert calls(server)["gpt-4o"] == 3 and judged_questions(server, "gpt-4o") == {0, 1, 2}
    assert report()["sources"] == {STRONG: 3}
