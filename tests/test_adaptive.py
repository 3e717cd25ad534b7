"""--positions adaptive end to end: the openai SDK against the fake server, calls counted there.

The judge (`judgekit.testing.judges.QualityJudge`) reads a quality mark in each answer and has a
known position bias, so every expectation below is worked out here from the logistic formula:
which order each item is shown first in, how sure that verdict is, which items need the other
order, and the combined verdict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.judging.calls import shows_swapped
from judgekit.testing.judges import QualityJudge, answer_text
from judgekit.testing.server import FakeProvider
from judgekit.testing.wire import Reply
from tests.helpers import rows_of, run, write_jsonl

JUDGE = "openai/judge-model"
LOGPROBS = ["--score-method", "logprobs"]
GAPS = [3.0, 0.2, 2.5, 0.5, 4.0, 0.1, 1.2, 2.0]
"""Quality gap of the better answer over the worse one, per item (bias 1.0 below)."""
BIAS = 1.0
THRESHOLD = 0.8
"""The --swap-below these tests give: with GAPS, some first verdicts fall below it and some do not."""
ADAPTIVE = ["--positions", "adaptive", "--swap-below", str(THRESHOLD)]


def quality_rows(gaps: list[float]) -> list[dict[str, Any]]:
    rows = []
    for index, gap in enumerate(gaps):
        better_first = index % 2 == 0
        good, bad = answer_text(f"good {index}", gap), answer_text(f"weak {index}", 0.0)
        rows.append(
            {
                "id": f"item-{index}",
                "question": f"Question {index}?",
                "answer_a": good if better_first else bad,
                "answer_b": bad if better_first else good,
                "label": "A" if better_first else "B",
            }
        )
    return rows


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def expected(rows: list[dict[str, Any]], threshold: float, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per item: the first order's verdict and confidence, whether the other order is needed, and
    the final verdict (the mean of both orders' probabilities names the better answer)."""
    out = {}
    for row in rows:
        quality = {"A": _quality(row["answer_a"]), "B": _quality(row["answer_b"])}
        first_label = "B" if shows_swapped(seed, row["id"]) else "A"
        second_label = "A" if first_label == "B" else "B"
        p_first = logistic(quality[first_label] - quality[second_label] + BIAS)
        verdict = first_label if p_first >= 0.5 else second_label
        confidence = max(p_first, 1 - p_first)
        unsure = confidence < threshold
        p_a_shown_first = logistic(quality["A"] - quality["B"] + BIAS)
        p_a_shown_second = 1 - logistic(quality["B"] - quality["A"] + BIAS)
        mean_a = (p_a_shown_first + p_a_shown_second) / 2
        combined = "A" if mean_a > 0.5 else "B"
        out[row["id"]] = {
            "unsure": unsure,
            "verdict": combined if unsure else verdict,
            "confidence": (mean_a if combined == "A" else 1 - mean_a) if unsure else confidence,
            "flipped": unsure and (p_a_shown_first >= 0.5) != (p_a_shown_second >= 0.5),
        }
    return out


def _quality(text: str) -> float:
    return float(text.split("quality=")[1].rstrip(")"))


@pytest.fixture
def biased(judge: Callable[..., FakeProvider]) -> FakeProvider:
    return judge(QualityJudge(bias=BIAS))


def outcomes(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    return {line["item_id"]: line for line in rows_of(run_dir, "outcomes.jsonl")}


def summary(run_dir: str | Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(run_dir) / "summary.json").read_text())
    return data


def test_only_unsure_items_get_the_other_order(biased: FakeProvider, tmp_path: Path) -> None:
    rows = quality_rows(GAPS)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    result = run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "run")
    assert result.exit_code == 0, result.output
    want = expected(rows, THRESHOLD)
    unsure = sum(item["unsure"] for item in want.values())
    assert 0 < unsure < len(rows)  # the data exercises both branches
    assert biased.count() == len(rows) + unsure
    got = outcomes("run")
    for item_id, item in want.items():
        assert got[item_id]["verdict"] == item["verdict"], item_id
        assert got[item_id]["confidence"] == pytest.approx(item["confidence"], abs=1e-5)
        assert got[item_id]["confidence_source"] == "logprobs"
        assert got[item_id].get("flipped", False) == item["flipped"]
    calls: dict[str, list[str]] = {row["id"]: [] for row in rows}
    for row in rows_of("run"):
        calls[row["item_id"]].append(row["call"])
    for item_id, made in calls.items():
        first = "BA" if shows_swapped(0, item_id) else "AB"
        assert made[0] == first
        assert len(made) == (2 if want[item_id]["unsure"] else 1)
    info = summary("run")["adaptive"]
    assert info["items"] == len(rows) and info["both_orders"] == unsure
    assert info["calls"] == len(rows) + unsure and info["full_swap_calls"] == 2 * len(rows)
    assert info["saved"] == len(rows) - unsure
    flips = [item["flipped"] for item in want.values() if item["unsure"]]
    assert info["flip_rate"]["value"] == pytest.approx(sum(flips) / len(flips))
    confidence = summary("run")["confidence"]
    values = [item["confidence"] for item in want.values()]
    assert confidence["n"] == len(rows)
    assert confidence["mean"] == pytest.approx(sum(values) / len(values), abs=1e-5)
    assert confidence["below"] == sum(value < THRESHOLD for value in values)


def test_agrees_with_full_swap_where_it_matters(biased: FakeProvider, tmp_path: Path) -> None:
    """Every item's verdict equals the truth here, as full swap's does, for fewer calls."""
    rows = quality_rows(GAPS)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    swap = run("eval", data, "-j", JUDGE, *LOGPROBS, "--positions", "swap", "-q", "--out", "swap")
    adaptive = run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "adaptive")
    assert swap.exit_code == 0 and adaptive.exit_code == 0
    truth = {row["id"]: row["label"] for row in rows}
    swapped = {key: line["verdict"] for key, line in outcomes("swap").items()}
    assert swapped == truth
    adaptive_verdicts = {key: line["verdict"] for key, line in outcomes("adaptive").items()}
    wrong_alone = [key for key, item in expected(rows, THRESHOLD).items() if item["verdict"] != truth[key]]
    assert {key for key in truth if adaptive_verdicts[key] != truth[key]} == set(wrong_alone)


@pytest.mark.parametrize(("threshold", "second_orders"), [("0", 0), ("1", len(GAPS))])
def test_threshold_edges(biased: FakeProvider, tmp_path: Path, threshold: str, second_orders: int) -> None:
    """0: nothing is unsure (no tie here); 1: every verdict short of certainty is."""
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    result = run("eval", data, "-j", JUDGE, *LOGPROBS, "--positions", "adaptive", "--swap-below", threshold, "-q")
    assert result.exit_code == 0, result.output
    assert biased.count() == len(GAPS) + second_orders


def test_a_run_that_saved_no_call_says_why(biased: FakeProvider, tmp_path: Path) -> None:
    """Every first verdict below the threshold: adaptive cost what swap costs, and the table says so."""
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    all_unsure = ["--positions", "adaptive", "--swap-below", "1"]
    every = run("eval", data, "-j", JUDGE, *LOGPROBS, *all_unsure, "-q", "--out", "all", "--markdown", "all.md")
    assert every.exit_code == 0, every.output
    text = Path("all.md").read_text()  # the same rows as the console table, unwrapped
    assert f"{len(GAPS)} items got both orders" in text
    assert "| Adaptive order: no call saved | every first verdict was a tie, unscored or below --swap-below 1;" in text
    some = run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "some", "--markdown", "some.md")
    assert some.exit_code == 0, some.output
    assert "Adaptive order" in Path("some.md").read_text() and "no call saved" not in Path("some.md").read_text()
    # An audit of every sure item judges them all twice too, but not because they were unsure: no such line.
    audited = [*ADAPTIVE, "--swap-audit", "1", "-q", "--out", "audited", "--markdown", "audited.md"]
    assert run("eval", data, "-j", JUDGE, *LOGPROBS, *audited).exit_code == 0
    assert "no call saved" not in Path("audited.md").read_text()
    assert summary("audited")["adaptive"]["saved"] == 0


def test_one_item(biased: FakeProvider, tmp_path: Path) -> None:
    rows = quality_rows([0.1])
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    result = run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "run")
    assert result.exit_code == 0, result.output
    assert biased.count() == 2  # a gap of 0.1 under a bias of 1 is unsure in either order
    info = summary("run")["adaptive"]
    assert (info["items"], info["both_orders"], info["calls"], info["calls_per_item"]) == (1, 1, 2, 2.0)


def test_all_ties_get_both_orders(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(QualityJudge(tie=0.9))
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS[:4]))
    result = run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "run")
    assert result.exit_code == 0, result.output
    assert server.count() == 8
    assert {line["verdict"] for line in outcomes("run").values()} == {"tie"}
    assert summary("run")["adaptive"]["flip_rate"]["value"] == 0.0
    # Without a probability (parse) the same ties swap, and the line says lowering the threshold won't help.
    parsed = run("eval", data, "-j", JUDGE, "--positions", "adaptive", "-q", "--out", "p", "--markdown", "p.md")
    assert parsed.exit_code == 0, parsed.output
    assert "| Adaptive order: no call saved | every first verdict was a tie or unscored; without a probability" in (
        Path("p.md").read_text()
    )


def test_all_unscored_get_both_orders_and_stay_unscored(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    server = judge(lambda request: "I would rather not say.")
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS[:3]))
    result = run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "run")
    assert result.exit_code == 3, result.output  # no item got a verdict: the run failed (documented)
    assert server.count() == 6
    assert summary("run")["counts"]["unscored"] == 3
    assert summary("run")["confidence"] is None
    assert all("confidence" not in line for line in outcomes("run").values())


def test_without_a_probability_it_warns_once_and_swaps_only_ties(biased: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    result = run("eval", data, "-j", JUDGE, "--positions", "adaptive", "--out", "run", "-q")
    assert result.exit_code == 0, result.output
    assert biased.count() == len(GAPS)
    assert result.stderr.count("--positions adaptive has no verdict probability") == 1
    assert any("no verdict probability" in warning for warning in summary("run")["warnings"])


def test_batch_is_refused_before_any_call(biased: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    result = run("eval", data, "-j", JUDGE, "--positions", "adaptive", "--batch", "-q")
    assert result.exit_code == 2
    assert "--batch cannot be used with --positions adaptive" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert biased.count() == 0


def test_stopped_between_the_orders_is_pending_and_resumes_without_paying_twice(
    biased: FakeProvider, tmp_path: Path
) -> None:
    rows = quality_rows([0.1, 3.0, 0.2])
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    args = ["-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--concurrency", "1"]
    stopped = run("eval", data, *args, "--out", "run", "--max-calls", "1")
    assert stopped.exit_code == 3, stopped.output
    assert outcomes("run")["item-0"]["status"] == "pending"  # its first order was unsure
    assert summary("run")["counts"]["pending"] == 3
    finished = run("eval", "--resume", "run", "-q", "--max-calls", "100")
    assert finished.exit_code == 0, finished.output
    assert max(biased.served().values()) == 1  # no request answered twice
    assert biased.count() == 3 + 2
    again = run("eval", "--resume", "run", "-q", "--max-calls", "100")
    assert again.exit_code == 0 and biased.count() == 5
    assert summary("run")["adaptive"]["calls"] == 5


def test_resume_keeps_the_threshold(biased: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS[:2]))
    assert run("eval", data, "-j", JUDGE, *LOGPROBS, "--positions", "adaptive", "-q", "--out", "run").exit_code == 0
    changed = run("eval", "--resume", "run", "--swap-below", "0.9", "-q")
    assert changed.exit_code == 2
    assert f"swap-below {DEFAULT_SWAP_BELOW} -> 0.9" in changed.stderr


def test_report_rebuilds_the_same_outcomes_offline(biased: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    assert run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "run").exit_code == 0
    before, calls = (Path("run") / "outcomes.jsonl").read_text(), biased.count()
    (Path("run") / "outcomes.jsonl").unlink()
    report = run("report", "run", "--format", "json", "--html", "page.html")
    assert report.exit_code == 0, report.output
    assert (Path("run") / "outcomes.jsonl").read_text() == before
    page = Path("page.html").read_text()
    assert 'data-type="number">confidence</button>' in page
    for line in outcomes("run").values():  # each item's confidence, as outcomes.jsonl has it
        assert f'data-sort="{line["confidence"]:.2f}">{line["confidence"]:.2f}</td>' in page
    assert json.loads(report.stdout)["adaptive"] == summary("run")["adaptive"]
    assert biased.count() == calls


def test_panel_members_judge_adaptively(biased: FakeProvider, tmp_path: Path) -> None:
    rows = quality_rows(GAPS)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    result = run("eval", data, "-j", JUDGE, "-j", "openai/other-model", *LOGPROBS, *ADAPTIVE, "-q")
    assert result.exit_code == 0, result.output
    unsure = sum(item["unsure"] for item in expected(rows, THRESHOLD).values())
    assert biased.count() == 2 * (len(rows) + unsure)
    members = [path for path in Path("runs").rglob("summary.json") if path.parent.name != "panel"]
    assert len(members) == 2
    assert all(json.loads(path.read_text())["adaptive"]["both_orders"] == unsure for path in members)
    panel = next(Path("runs").rglob("panel/summary.json"))
    assert json.loads(panel.read_text())["counts"]["scored"] == len(rows)


def test_compare_judges_adaptively(biased: FakeProvider, tmp_path: Path) -> None:
    rows = quality_rows(GAPS)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    result = run("compare", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "cmp")
    assert result.exit_code == 0, result.output
    unsure = sum(item["unsure"] for item in expected(rows, THRESHOLD).values())
    assert biased.count() == len(rows) + unsure
    member = next(Path("cmp").rglob("summary.json"))
    assert json.loads(member.read_text())["adaptive"]["calls"] == len(rows) + unsure


def test_vote_share_of_samples_decides_the_other_order(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    """Item 0's four samples split 3 to 1 for the answer shown first (share 0.75 < 0.8): both orders,
    a flip, and averaged shares of 1/2 each, so a tie. The others are unanimous: one order each."""

    def responder(request: Any) -> Reply:
        if "Question 0?" in request.prompt:
            return Reply("[[A]]", samples=("Hm.\n[[A]]", "Hm.\n[[A]]", "Hm.\n[[B]]", "Hm.\n[[A]]"))
        return Reply("Sure.\n[[A]]")

    server = judge(responder)
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS[:3]))
    args = ["--score-method", "samples", "--samples", "4", "--positions", "adaptive", "--swap-below", "0.8"]
    args += ["-q", "--out", "run"]
    result = run("eval", data, "-j", JUDGE, *args)
    assert result.exit_code == 0, result.output
    assert server.count() == 3 + 1
    got = outcomes("run")
    assert (got["item-0"]["verdict"], got["item-0"]["flipped"]) == ("tie", True)
    assert got["item-0"]["confidence"] == pytest.approx(0.0)  # P(tie) = 0: the tie came from a draw
    assert (got["item-1"]["confidence"], got["item-1"]["confidence_source"]) == (1.0, "samples")


def test_gate_on_an_adaptive_run(biased: FakeProvider, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", quality_rows(GAPS))
    assert run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "run").exit_code == 0
    calls = biased.count()
    passed = run("gate", "run", "--min-win-rate", "0.01", "--min-items", "1", "--max-position-bias", "0.5")
    assert passed.exit_code == 0, passed.output
    refused = run("gate", "run", "--max-flip-rate", "0.5")
    assert refused.exit_code == 2 and "--positions swap" in refused.stderr  # the unsure items' flips are no rate
    assert biased.count() == calls


def test_the_cache_serves_calls_a_random_run_already_made(biased: FakeProvider, tmp_path: Path) -> None:
    rows = quality_rows(GAPS)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    assert run("eval", data, "-j", JUDGE, *LOGPROBS, "--positions", "random", "-q", "--out", "r").exit_code == 0
    assert biased.count() == len(rows)
    assert run("eval", data, "-j", JUDGE, *LOGPROBS, *ADAPTIVE, "-q", "--out", "a").exit_code == 0
    unsure = sum(item["unsure"] for item in expected(rows, THRESHOLD).values())
    assert biased.count() == len(rows) + unsure  # only the second orders were new


def test_listwise_data_is_refused_before_any_call(biased: FakeProvider, tmp_path: Path) -> None:
    rows = [{"id": "q0", "question": "Which?", "answers": ["one", "two", "three"]}]
    data = write_jsonl(tmp_path / "l.jsonl", rows)
    result = run("eval", data, "-j", JUDGE, *ADAPTIVE, "-q")
    assert result.exit_code == 2, result.output
    assert "--positions adaptive judges pairs" in result.stderr
    assert biased.count() == 0
