"""Per-order accuracy (LLMBar), positional agreement and the rules for orders that disagree
(MT-Bench's tie, JudgeBench's decisive, drop): hand-worked items, independent scorers, the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import binomtest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.metrics.aggregate import ItemFacts, aggregate, combine_orders
from judgekit.metrics.order_effects import order_accuracy
from judgekit.schema import Item, Judgment, Label, Message, Shown
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, write_jsonl

runner = CliRunner()
LABELS: tuple[Label, ...] = ("A", "B", "tie")


def row(item_id: str, call: str, verdict: Label | None, probabilities: dict[str, float] | None = None) -> Judgment:
    swapped = call == "BA"
    if verdict is None:
        return Judgment(item_id=item_id, call=call, judge="t", request_hash="h", swapped=swapped, status="unscored")
    first = "B" if swapped else "A"
    shown: Shown = "tie" if verdict == "tie" else "first" if verdict == first else "second"
    return Judgment(
        item_id=item_id,
        call=call,
        judge="t",
        request_hash="h",
        swapped=swapped,
        status="ok",
        verdict=verdict,
        shown=shown,
        probabilities=probabilities,
    )


def item(item_id: str, label: Label | None, a: str = "a", b: str = "b") -> Item:
    return Item(
        id=item_id, line=1, turns=(Message(role="user", content="q"),), answer_a=a, answer_b=b, human_label=label
    )


@pytest.mark.parametrize(
    ("ab", "ba", "tie", "decisive", "drop"),
    [
        ("A", "A", "A", "A", "A"),
        ("B", "B", "B", "B", "B"),
        ("tie", "tie", "tie", "tie", "tie"),
        ("A", "B", "tie", "tie", None),
        ("B", "A", "tie", "tie", None),
        ("A", "tie", "tie", "A", None),
        ("tie", "B", "tie", "B", None),
    ],
)
def test_each_rule_on_every_kind_of_pair(ab: Label, ba: Label, tie: Label, decisive: Label, drop: Label | None) -> None:
    first, second = row("1", "AB", ab), row("1", "BA", ba)
    assert combine_orders(first, second, "tie")[0] == tie
    assert combine_orders(first, second, "decisive")[0] == decisive
    assert combine_orders(first, second, "drop")[0] == drop
    assert combine_orders(first, second)[0] == tie  # no probabilities: the default is MT-Bench's tie
    assert combine_orders(first, second, "mean")[0] == tie  # mean falls back to tie without probabilities
    assert combine_orders(first, second)[1] == (ab != ba)


def test_probabilities_are_averaged_by_default_and_a_named_rule_wins() -> None:
    first = row("1", "AB", "A", {"A": 0.9, "B": 0.1, "tie": 0.0})
    second = row("1", "BA", "B", {"A": 0.3, "B": 0.7, "tie": 0.0})
    verdict, flipped, mean = combine_orders(first, second)
    assert (verdict, flipped) == ("A", True) and mean == pytest.approx({"A": 0.6, "B": 0.4, "tie": 0.0})
    assert combine_orders(first, second, "tie")[0] == "tie"
    assert combine_orders(first, second, "drop")[0] is None


def llmbar_like(both: int, only_ab: int, only_ba: int, neither: int) -> tuple[list[Item], list[Judgment]]:
    """Items labelled A or B, right in the given orders (a wrong verdict picks the other answer)."""
    items, rows = [], []
    kinds = [(True, True)] * both + [(True, False)] * only_ab + [(False, True)] * only_ba + [(False, False)] * neither
    for index, (right_ab, right_ba) in enumerate(kinds):
        label: Label = "A" if index % 2 else "B"
        other: Label = "B" if label == "A" else "A"
        items.append(item(str(index), label))
        rows += [
            row(str(index), "AB", label if right_ab else other),
            row(str(index), "BA", label if right_ba else other),
        ]
    return items, rows


def test_llmbar_figures_from_the_counts_behind_its_published_gpt4_mt_bench_entry() -> None:
    # LLMBar's statistics.json for GPT-4 (Vanilla_NoRules) on its 200 MT-Bench pairs: correct 159 / 200 with
    # the data's order, 165 / 200 swapped, 149 right in both, 174 / 200 equal. So 10 pairs are right only in
    # the data's order, 16 only swapped, and 200 - 149 - 10 - 16 = 25 wrong in both.
    items, rows = llmbar_like(149, 10, 16, 25)
    orders = order_accuracy(items, rows)
    assert orders is not None and orders.n == 200
    assert orders.a_first is not None and orders.a_first.value == pytest.approx(0.795)
    assert orders.b_first is not None and orders.b_first.value == pytest.approx(0.825)
    assert orders.mean is not None and orders.mean.value == pytest.approx(0.81)  # published: 81.0%
    assert orders.positional_agreement is not None and orders.positional_agreement.value == pytest.approx(0.87)
    assert orders.both_right is not None and orders.both_right.value == pytest.approx(0.745)
    # MT-Bench's tie: a pair whose orders disagree is a tie, wrong against an A/B label.
    assert orders.rule == "tie" and orders.combined is not None and orders.combined.value == pytest.approx(0.745)
    dropped = order_accuracy(items, rows, rule="drop")
    assert dropped is not None and dropped.dropped == 26
    assert dropped.combined is not None and dropped.combined.value == pytest.approx(149 / 174)
    assert dropped.combined.n == 174


def judgebench_score(label: Label, first: Label | None, second: Label | None) -> bool:
    """JudgeBench's published scorer (utils/metrics.py), restated: +1 for each order that names the
    right answer, -1 for each that names the wrong one, a tie or no answer 0; right when the sum is > 0."""
    wrong = "B" if label == "A" else "A"
    total = sum(1 if decision == label else -1 if decision == wrong else 0 for decision in (first, second))
    return total > 0


def test_decisive_rule_scores_pairs_as_judgebench_does() -> None:
    pairs = list(itertools.product(LABELS, repeat=2))
    items, rows = [], []
    for index, (label, (ab, ba)) in enumerate(itertools.product(("A", "B"), pairs)):
        items.append(item(str(index), label))  # type: ignore[arg-type]
        rows += [row(str(index), "AB", ab), row(str(index), "BA", ba)]
    orders = order_accuracy(items, rows, rule="decisive")
    expected = [judgebench_score(label, ab, ba) for label, (ab, ba) in itertools.product(("A", "B"), pairs)]  # type: ignore[arg-type]
    assert orders is not None and orders.combined is not None
    assert orders.combined.value == pytest.approx(np.mean(expected))
    assert orders.combined.value == pytest.approx(6 / 18)  # (A,A) (A,tie) (tie,A) and the same three for B
    # Random pairs, with an independent scorer each time.
    rng = np.random.default_rng(5)
    for trial in range(5):
        drawn = rng.choice(LABELS, size=(40, 3))
        items = [item(f"{trial}-{i}", "A" if d[0] == "tie" else d[0]) for i, d in enumerate(drawn)]
        rows = [
            r for i, d in enumerate(drawn) for r in (row(f"{trial}-{i}", "AB", d[1]), row(f"{trial}-{i}", "BA", d[2]))
        ]
        got = order_accuracy(items, rows, rule="decisive")
        want = np.mean([judgebench_score(it.human_label, d[1], d[2]) for it, d in zip(items, drawn, strict=True)])  # type: ignore[arg-type]
        assert got is not None and got.combined is not None and got.combined.value == pytest.approx(want)


def test_mt_bench_tie_with_tie_labels() -> None:
    # A tie label is matched by a tie verdict: a pair whose orders disagree becomes a tie and is right.
    items = [item("1", "tie"), item("2", "tie"), item("3", "A")]
    rows = [row("1", "AB", "A"), row("1", "BA", "B"), row("2", "AB", "A"), row("2", "BA", "A")]
    rows += [row("3", "AB", "A"), row("3", "BA", "tie")]
    orders = order_accuracy(items, rows)
    assert orders is not None and orders.combined is not None
    assert orders.combined.value == pytest.approx(1 / 3)  # item 1 right (tie), 2 wrong (A), 3 wrong (tie)
    assert orders.a_first is not None and orders.a_first.value == pytest.approx(1 / 3)  # only item 3's A
    assert orders.b_first is not None and orders.b_first.value == 0.0


def test_edges_no_labelled_item_one_item_and_unscored_orders() -> None:
    assert order_accuracy([], []) is None
    assert order_accuracy([item("1", None)], [row("1", "AB", "A"), row("1", "BA", "A")]) is None
    # An unscored order leaves the item out: it has no pair of verdicts.
    assert order_accuracy([item("1", "A")], [row("1", "AB", "A"), row("1", "BA", None)]) is None
    one = order_accuracy([item("1", "A")], [row("1", "AB", "A"), row("1", "BA", "B")])
    assert one is not None and one.n == 1 and one.mean is not None and one.mean.value == 0.5
    assert one.positional_agreement is not None and one.positional_agreement.value == 0.0
    # One item is still evidence, with the exact binomial interval (1 of 1 right: [2.5%, 100%]).
    exact = binomtest(1, 1).proportion_ci(confidence_level=0.95, method="exact")
    assert one.a_first is not None and (one.a_first.low, one.a_first.high) == pytest.approx((exact.low, exact.high))
    # Every item dropped: the combined accuracy has nothing to stand on.
    dropped = order_accuracy([item("1", "A")], [row("1", "AB", "A"), row("1", "BA", "B")], rule="drop")
    assert dropped is not None and dropped.combined is None and dropped.dropped == 1


def test_aggregate_counts_dropped_items_and_leaves_them_out_of_every_rate() -> None:
    items = [item("1", "A", "long answer", "b"), item("2", "B"), item("3", "A")]
    rows = [row("1", "AB", "A"), row("1", "BA", "A"), row("2", "AB", "A"), row("2", "BA", "B")]
    rows += [row("3", "AB", "tie"), row("3", "BA", "A")]
    result = aggregate(items, rows, resamples=200, positions="swap", disagreement="drop")
    assert result.counts.dropped == 2 and result.counts.scored == 1
    assert [o.status for o in result.outcomes] == ["ok", "dropped", "dropped"]
    assert result.pairwise is not None and result.pairwise.win_rate is not None and result.pairwise.win_rate.n == 1
    assert result.bias is not None and result.bias.flip_rate is not None and result.bias.flip_rate.value == 2 / 3
    decisive = aggregate(items, rows, resamples=200, positions="swap", disagreement="decisive")
    assert [o.verdict for o in decisive.outcomes] == ["A", "tie", "A"]
    assert decisive.pairwise is not None and decisive.pairwise.combine == "decisive"
    facts = [ItemFacts.of(i) for i in items]
    assert facts[0].length_a > facts[0].length_b


# Through the CLI ---------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def result_json(rows: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """Rows shaped as LLMBar's released result.json: label 1/2 and a winner "1"/"2" per order."""
    return [
        {
            "input": f"question {index}",
            "output_1": f"first answer {index}",
            "output_2": f"second answer {index}",
            "label": label,
            "results": [{"swap = False": {"winner": ab}, "swap = True": {"winner": ba}}],
        }
        for index, (label, ab, ba) in enumerate(rows)
    ]


def test_agreement_reads_both_orders_from_released_outputs(tmp_path: Path) -> None:
    # The same 149 / 10 / 16 / 25 split as LLMBar's GPT-4 entry, in its released file layout.
    split = [(True, True)] * 149 + [(True, False)] * 10 + [(False, True)] * 16 + [(False, False)] * 25
    rows = []
    for index, (right_ab, right_ba) in enumerate(split):
        label = 1 + index % 2
        wrong = 3 - label
        rows.append((label, str(label if right_ab else wrong), str(label if right_ba else wrong)))
    path = tmp_path / "result.json"
    path.write_text(json.dumps(result_json(rows)))
    args = ["agreement", str(path), "--pred", "results.0.swap = False.winner"]
    args += ["--swapped", "results.0.swap = True.winner", "--resamples", "200"]
    comparison = json.loads(invoke(*args, "--format", "json").stdout)
    [only] = comparison["rows"]
    orders = only["orders"]
    assert (orders["a_first"]["value"], orders["b_first"]["value"], orders["mean"]["value"]) == pytest.approx(
        (0.795, 0.825, 0.81)
    )
    assert only["position_consistency"]["value"] == pytest.approx(0.87)
    assert only["agreement"]["value"] == pytest.approx(0.745)  # MT-Bench's tie rule
    table = invoke(*args)
    assert table.exit_code == 0 and "79.50 / 82.50" in table.stdout and "81.00" in table.stdout
    decisive = json.loads(invoke(*args, "--order-disagreement", "decisive", "--format", "json").stdout)
    assert decisive["rows"][0]["agreement"]["value"] == pytest.approx(0.745)  # no ties: A against B stays a tie
    dropped = json.loads(invoke(*args, "--order-disagreement", "drop", "--format", "json").stdout)
    assert dropped["rows"][0]["agreement"]["value"] == pytest.approx(149 / 174)


def test_agreement_refuses_swapped_options_that_cannot_apply(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "1", "v": "A", "w": "A", "label": "A"}])
    unpaired = invoke("agreement", str(path), "--pred", "v", "--pred", "w", "--swapped", "w")
    assert unpaired.exit_code == 2 and "one --swapped column per --pred column" in unpaired.stderr
    alone = invoke("agreement", str(path), "--pred", "v", "--order-disagreement", "drop")
    assert alone.exit_code == 2 and "needs --swapped" in alone.stderr
    pointwise = invoke("agreement", str(path), "--pred", "v", "--swapped", "w", "--kind", "pointwise")
    assert pointwise.exit_code == 2 and "applies to pairwise" in pointwise.stderr


def position_judge(request: Any) -> str:
    """Always prefers the answer shown first."""
    return "First.\n[[A]]"


def test_eval_swap_reports_per_order_accuracy_against_its_own_rows(openai_server: FakeProvider, tmp_path: Path) -> None:
    openai_server.responder = position_judge
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(8))
    result = invoke("eval", str(data), "-j", "openai/first", "--positions", "swap", "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    run_dir = Path(summary["run_dir"])
    judged = [json.loads(line) for line in (run_dir / "judgments.jsonl").read_text().splitlines()]
    labels = {r["id"]: r["label"] for r in pairwise_rows(8)}
    by_order = {call: {j["item_id"]: j["verdict"] for j in judged if j["call"] == call} for call in ("AB", "BA")}
    right_ab = [by_order["AB"][i] == labels[i] for i in labels]
    right_ba = [by_order["BA"][i] == labels[i] for i in labels]
    orders = summary["orders"]
    assert orders["a_first"]["value"] == pytest.approx(np.mean(right_ab)) == 0.5  # A always chosen: right on A labels
    assert orders["b_first"]["value"] == pytest.approx(np.mean(right_ba)) == 0.5
    assert orders["mean"]["value"] == 0.5 and orders["positional_agreement"]["value"] == 0.0
    assert orders["rule"] == "tie" and orders["combined"]["value"] == 0.0
    assert summary["pairwise"]["combine"].startswith("mean where both orders")
    # The same run, combined under drop: every item is dropped, nothing is left to rate. The rule
    # decides no judgment, so the run directory is the same one and no call is made again.
    openai_server.reset_records()
    dropped = invoke(
        "eval", str(data), "-j", "openai/first", "--positions", "swap", "--order-disagreement", "drop",
        "-q", "--format", "json", "--min-win-rate", "0.5",
    )  # fmt: skip
    assert dropped.exit_code == 1, dropped.output
    summary = json.loads(dropped.stdout)
    assert summary["run_dir"] == str(run_dir) and openai_server.count() == 0
    assert json.loads((run_dir / "run.json").read_text())["config"]["order_disagreement"] == "drop"
    assert summary["counts"]["dropped"] == 8 and summary["counts"]["scored"] == 0
    assert summary["pairwise"]["win_rate"] is None and summary["orders"]["dropped"] == 8
    assert any("8 of 8 items were dropped" in warning for warning in summary["warnings"])
    assert "no scored item to measure it on" in dropped.stderr
    junit = invoke("gate", summary["run_dir"], "--junit", "r.xml")
    assert junit.exit_code == 0 and Path("r.xml").exists()


def test_order_disagreement_needs_swap(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    result = invoke("eval", str(data), "-j", "mock/first", "--order-disagreement", "decisive", "-q")
    assert result.exit_code == 2 and "needs --positions swap" in result.stderr


def test_marker_judge_agrees_in_both_orders(openai_server: FakeProvider, tmp_path: Path) -> None:
    openai_server.responder = marker_responder
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    result = invoke("eval", str(data), "-j", "openai/good", "--positions", "swap", "-q", "--format", "json")
    orders = json.loads(result.stdout)["orders"]
    assert orders["a_first"]["value"] == orders["b_first"]["value"] == orders["combined"]["value"] == 1.0
    assert orders["positional_agreement"]["value"] == 1.0 and orders["n"] == 6


def test_llmbar_published_gpt4_figures_from_its_released_verdicts() -> None:
    """LLMBar's released GPT-4 verdicts on its 200 MT-Bench pairs (both orders; see datasets/README.md)
    give its published statistics: 79.5% with the data's order, 82.5% swapped, 81.0% their mean (the
    accuracy LLMBar reports), 87.0% the same verdict in both orders, 74.5% right in both."""
    path = Path(__file__).resolve().parents[1] / "datasets" / "mt_bench_gpt4_llmbar_verdicts.jsonl"
    args = ["agreement", str(path), "--pred", "gpt4_a_first", "--swapped", "gpt4_b_first", "--format", "json"]
    [row] = json.loads(invoke(*args, "--resamples", "200").stdout)["rows"]
    orders = row["orders"]
    assert orders["n"] == 200
    assert round(orders["a_first"]["value"] * 100, 1) == 79.5
    assert round(orders["b_first"]["value"] * 100, 1) == 82.5
    assert round(orders["mean"]["value"] * 100, 1) == 81.0
    assert round(orders["positional_agreement"]["value"] * 100, 1) == 87.0
    assert round(orders["both_right"]["value"] * 100, 1) == 74.5
    assert round(row["position_consistency"]["value"] * 100, 1) == 87.0
    # MT-Bench's tie for disagreeing orders: right only when both orders are (no tie labels here).
    assert round(row["agreement"]["value"] * 100, 1) == 74.5
    dropped = json.loads(invoke(*args, "--resamples", "200", "--order-disagreement", "drop").stdout)["rows"][0]
    assert dropped["agreement"]["n"] == 174 and dropped["agreement"]["value"] == pytest.approx(149 / 174)


def test_two_order_columns_follow_swapped_answers(tmp_path: Path) -> None:
    """With --field answer_a=output_2 the file's first-shown order is B first: the columns trade places."""
    rows = [
        {"id": "1", "output_1": "x", "output_2": "yy", "label": 1, "first": "1", "second": "1"},
        {"id": "2", "output_1": "x", "output_2": "yy", "label": 2, "first": "1", "second": "2"},
        {"id": "3", "output_1": "x", "output_2": "yy", "label": 1, "first": "2", "second": "2"},
        {"id": "4", "output_1": "x", "output_2": "yy", "label": 2, "first": "2", "second": "1"},
    ]
    path = write_jsonl(tmp_path / "both.jsonl", rows)
    args = ["agreement", str(path), "--pred", "first", "--swapped", "second", "--format", "json"]
    plain = json.loads(invoke(*args).stdout)["rows"][0]
    remapped = json.loads(invoke(*args, "-f", "answer_a=output_2", "-f", "answer_b=output_1").stdout)["rows"][0]
    # By hand, in the file's order: `first` is right on items 1 and 4, `second` on items 1 and 2.
    assert plain["orders"]["a_first"]["value"] == 0.5 and plain["orders"]["b_first"]["value"] == 0.5
    assert remapped["orders"]["a_first"] == plain["orders"]["b_first"]
    assert remapped["orders"]["b_first"] == plain["orders"]["a_first"]
    assert remapped["agreement"]["value"] == plain["agreement"]["value"] == 0.25  # only item 1 agrees in both
    # P(first): in the file's frame the first-shown answers won 4 of 8 decisive calls; after the remap too.
    assert remapped["p_first"]["value"] == plain["p_first"]["value"]
