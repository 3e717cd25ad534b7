"""Panel rules and quorum: hand-worked items, an independent vote count, the edges, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.compare.panel import combine, default_quorum, resolve, vote_counts
from judgekit.compare.runs import analyse
from judgekit.errors import UsageError
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.metrics.outcomes import JudgedSet
from judgekit.testing.server import FakeProvider, Faults
from tests.helpers import marker_responder, pairwise_rows, write_jsonl

runner = CliRunner()


def facts(n: int, kind: str = "pairwise") -> list[ItemFacts]:
    return [
        ItemFacts(str(i), kind, "A" if kind == "pairwise" else None, None, None, None, None, None, 1, 1)
        for i in range(n)
    ]


def judged(name: str, outcomes: Sequence[ItemOutcome], kind: str = "pairwise") -> JudgedSet:
    return JudgedSet(name=name, kind=kind, facts=facts(len(outcomes), kind), outcomes=list(outcomes), judge=name)


def verdict(item: int, label: str | None, status: str = "ok", **extra: Any) -> ItemOutcome:
    if status != "ok":
        return ItemOutcome(str(item), status, reason="failed")
    return ItemOutcome(str(item), "ok", verdict=label, **extra)  # type: ignore[arg-type]


def score(item: int, value: float | None, status: str = "ok") -> ItemOutcome:
    if status != "ok" or value is None:
        return ItemOutcome(str(item), status if status != "ok" else "unscored", reason="no score")
    return ItemOutcome(str(item), "ok", score=value)


def panel_of(columns: list[list[ItemOutcome]], kind: str = "pairwise", **options: Any) -> JudgedSet:
    return combine([judged(f"j{k}", column, kind) for k, column in enumerate(columns)], **options)


def test_default_quorum_is_a_majority_of_the_panel() -> None:
    assert [default_quorum(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert resolve("pairwise", 3, None, None) == ("majority", 2)
    assert resolve("pointwise", 3, None, None) == ("mean", 2)
    assert resolve("pairwise", 3, "unanimous", 3) == ("unanimous", 3)
    for quorum in (0, 4, -1):
        with pytest.raises(UsageError, match="quorum from 1 to 3"):
            resolve("pairwise", 3, None, quorum)
    with pytest.raises(UsageError, match="choose one of majority, unanimous, mean"):
        resolve("pairwise", 3, "median", None)


def test_two_failed_judges_of_three_leave_the_item_without_a_panel_verdict() -> None:
    # The case: one valid vote out of three is not the panel's verdict.
    columns = [[verdict(0, "A")], [verdict(0, None, "error")], [verdict(0, None, "error")]]
    [outcome] = panel_of(columns).outcomes
    assert outcome.status == "error" and outcome.verdict is None and outcome.votes == 1
    assert outcome.reason == "1 of 3 judges gave a valid verdict; the panel's quorum is 2"
    # Unscored members are non-votes too; a retry cannot help, so the item is unscored.
    columns = [[verdict(0, "A")], [verdict(0, None, "unscored")], [verdict(0, None, "unscored")]]
    assert panel_of(columns).outcomes[0].status == "unscored"
    # Asked for explicitly, a quorum of one lets the single vote stand.
    [outcome] = panel_of(
        [[verdict(0, "A")], [verdict(0, None, "error")], [verdict(0, None, "error")]], quorum=1
    ).outcomes
    assert (outcome.status, outcome.verdict, outcome.votes) == ("ok", "A", 1)


def test_majority_and_unanimous_on_hand_worked_items() -> None:
    votes = [
        ("A", "A", "B"),  # majority A; not unanimous -> tie
        ("A", "B", "tie"),  # no majority -> tie
        ("B", "B", "B"),  # B either way
        ("A", "B", None),  # two votes, split: tie under both rules
        ("tie", "tie", "A"),  # majority tie
    ]
    columns = [
        [verdict(i, row[k]) if row[k] else verdict(i, None, "unscored") for i, row in enumerate(votes)]
        for k in range(3)
    ]
    majority = panel_of(columns, rule="majority").outcomes
    unanimous = panel_of(columns, rule="unanimous").outcomes
    assert [o.verdict for o in majority] == ["A", "tie", "B", "tie", "tie"]
    assert [o.verdict for o in unanimous] == ["tie", "tie", "B", "tie", "tie"]
    assert [o.votes for o in majority] == [3, 3, 3, 2, 3]


def test_mean_of_probabilities_against_hand_sums() -> None:
    columns = [
        [
            verdict(0, "A", probabilities={"A": 0.6, "B": 0.3, "tie": 0.1}),
            verdict(1, "A", probabilities={"A": 0.5, "B": 0.5}),
        ],
        [verdict(0, "B", probabilities={"A": 0.2, "B": 0.7, "tie": 0.1}), verdict(1, "B")],
        [verdict(0, "B", probabilities={"A": 0.7, "B": 0.2, "tie": 0.1}), verdict(1, "tie")],
    ]
    first, second = panel_of(columns, rule="mean").outcomes
    # Item 0: A (0.6 + 0.2 + 0.7) / 3 = 0.5, B (0.3 + 0.7 + 0.2) / 3 = 0.4: A, although two judges said B.
    assert first.verdict == "A" and first.probabilities == pytest.approx({"A": 0.5, "B": 0.4, "tie": 0.1})
    # Item 1: the judges without probabilities count their verdict as certain:
    # A 0.5/3, B 1.5/3, tie 1/3 -> B.
    assert second.verdict == "B" and second.probabilities == pytest.approx({"A": 1 / 6, "B": 0.5, "tie": 1 / 3})
    # An exact draw between the leaders is a tie (0.1 + 0.2 style float sums included).
    draw = panel_of(
        [
            [verdict(0, "A", probabilities={"A": 0.1 + 0.2, "B": 0.7})],
            [verdict(0, "B", probabilities={"A": 0.7, "B": 0.3})],
        ],
        rule="mean",
    )
    assert draw.outcomes[0].verdict == "tie"


def test_pointwise_rules() -> None:
    columns = [
        [score(0, 4), score(1, 2), score(2, 5), score(3, None)],
        [score(0, 4), score(1, 3), score(2, 5), score(3, None)],
        [score(0, 1), score(1, 4), score(2, 5), score(3, 3)],
    ]
    mean = panel_of(columns, "pointwise").outcomes
    assert [o.score for o in mean[:3]] == pytest.approx([3.0, 3.0, 5.0])
    assert mean[3].status == "unscored" and mean[3].votes == 1  # one vote, quorum 2
    majority = panel_of(columns, "pointwise", rule="majority").outcomes
    assert [o.score for o in majority] == [4.0, None, 5.0, None]
    assert majority[1].status == "unscored" and "do not give one score by a majority" in str(majority[1].reason)
    unanimous = panel_of(columns, "pointwise", rule="unanimous").outcomes
    assert [o.score for o in unanimous] == [None, None, 5.0, None]


@pytest.mark.parametrize("n", [0, 1, 2, 57])
def test_majority_matches_an_independent_count(n: int) -> None:
    rng = np.random.default_rng(n)
    labels = np.array(["A", "B", "tie", "none", "error"])
    drawn = rng.choice(labels, size=(n, 4), p=[0.35, 0.3, 0.1, 0.15, 0.1])
    columns = [
        [
            verdict(i, str(drawn[i, k]))
            if drawn[i, k] in ("A", "B", "tie")
            else verdict(i, None, "unscored" if drawn[i, k] == "none" else "error")
            for i in range(n)
        ]
        for k in range(4)
    ]
    panel = panel_of(columns)
    assert len(panel.outcomes) == n
    for i, outcome in enumerate(panel.outcomes):
        valid = [str(v) for v in drawn[i] if v in ("A", "B", "tie")]
        assert outcome.votes == len(valid)
        if len(valid) < 3:  # quorum of a 4-judge panel
            assert outcome.verdict is None and outcome.status in ("unscored", "error")
            continue
        counts = {label: valid.count(label) for label in set(valid)}
        winners = [label for label, count in counts.items() if count * 2 > len(valid)]
        assert outcome.verdict == (winners[0] if winners else "tie")
    expected: dict[int, int] = {}
    for i in range(n):
        count = int(np.isin(drawn[i], ["A", "B", "tie"]).sum())
        expected[count] = expected.get(count, 0) + 1
    assert vote_counts(panel) == {str(k): expected[k] for k in sorted(expected, reverse=True)}


def test_all_judges_failed_and_all_unscored() -> None:
    failed = panel_of([[verdict(i, None, "error") for i in range(3)] for _ in range(3)])
    assert {o.status for o in failed.outcomes} == {"error"} and {o.votes for o in failed.outcomes} == {0}
    unscored = panel_of([[verdict(i, None, "unscored") for i in range(3)] for _ in range(2)], rule="mean")
    assert {o.status for o in unscored.outcomes} == {"unscored"}
    comparison = analyse(
        [judged(f"j{k}", [verdict(i, None, "unscored") for i in range(3)]) for k in range(3)],
        dataset="x",
        panel=True,
        resamples=200,
    )
    [agreement] = comparison.panels
    assert agreement.votes == {"0": 3} and agreement.below_quorum == 3 and agreement.quorum == 2
    panel_row = next(row for row in comparison.rows if "panel" in row.name)
    assert panel_row.scored == 0 and panel_row.agreement is None


def test_rule_and_quorum_without_a_panel_are_refused() -> None:
    sets = [judged("j0", [verdict(0, "A")])]
    with pytest.raises(UsageError, match="go with --panel"):
        analyse(sets, dataset="x", quorum=1)


# Through the CLI -----------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture
def broken_anthropic(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """An Anthropic judge whose every call fails (HTTP 500)."""
    server = fake_provider(marker_responder, faults=Faults(server_error=1.0))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.anthropic_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789")
    return server


def panel_json(result: Any) -> dict[str, Any]:
    assert result.output.startswith("{") or result.stdout.startswith("{"), result.output
    return dict(json.loads(result.stdout))


def test_eval_panel_with_two_failing_judges_reports_votes_and_quorum(
    openai_server: FakeProvider, broken_anthropic: FakeProvider, tmp_path: Path
) -> None:
    openai_server.responder = marker_responder
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(6))
    base = ["eval", str(data), "-j", "openai/good", "-j", "anthropic/broken", "-j", "mock/unparseable"]
    base += ["--positions", "fixed", "--max-retries", "0", "--max-errors", "100", "-q", "--format", "json"]
    comparison = panel_json(invoke(*base, "--out", "default"))
    panel = next(row for row in comparison["rows"] if "panel" in row["name"])
    assert "majority of 3 judges, quorum 2" in panel["name"]
    # Every item has one valid vote (openai/good) and a failed call: no panel verdict, retry possible.
    assert (panel["scored"], panel["errors"], panel["agreement"]) == (0, 6, None)
    [agreement] = comparison["panels"]
    assert agreement["votes"] == {"1": 6} and agreement["below_quorum"] == 6
    assert (agreement["rule"], agreement["quorum"]) == ("majority", 2)
    # A quorum of one accepts the single vote: the good judge's verdicts, all right.
    single = panel_json(invoke(*base, "--out", "quorum1", "--quorum", "1"))
    panel = next(row for row in single["rows"] if "panel" in row["name"])
    assert panel["scored"] == 6 and panel["agreement"]["value"] == 1.0
    # The panel's own run directory (what gates and CI reports read) records how it was combined.
    record = json.loads(Path("quorum1/panel/run.json").read_text())["panel"]
    assert (record["rule"], record["quorum"]) == ("majority", 1)
    table = invoke(*base[:-2], "--out", "quorum1", "--quorum", "1")
    assert "Panel rule: majority, quorum 1 of 3; items by valid votes: 1 votes: 6" in table.stdout


def test_panel_options_refused_where_they_cannot_apply(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(2))
    single = invoke("eval", str(data), "-j", "mock/first", "--quorum", "1", "-q")
    assert single.exit_code == 2 and "repeat --judge" in single.stderr
    too_big = invoke("eval", str(data), "-j", "mock/first", "-j", "mock/second", "--quorum", "3", "-q")
    assert too_big.exit_code == 2 and "quorum from 1 to 2" in too_big.stderr
    assert not Path("runs").exists() or not any(Path("runs").rglob("judgments.jsonl"))  # refused before judging
    no_panel = invoke("compare", str(data), "-j", "mock/first", "-j", "mock/second", "--panel-rule", "mean", "-q")
    assert no_panel.exit_code == 2 and "go with --panel" in no_panel.stderr


def test_compare_panel_unanimous_against_member_verdicts(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(8))
    args = ["compare", str(data), "-j", "mock/first", "-j", "mock/random", "-j", "mock/second", "--panel"]
    args += ["--panel-rule", "unanimous", "--positions", "random", "-q", "--format", "json", "--out", "cmp"]
    comparison = panel_json(invoke(*args, "--html", "cmp.html"))
    assert (
        "Rule: unanimous, quorum 2; items by valid votes: 3 votes: 8; 0 below the quorum"
        in Path("cmp.html").read_text()
    )
    members = [row for row in comparison["rows"] if row["judge"]]
    verdicts = []
    for row in members:
        lines = (Path(row["run_dir"]) / "judgments.jsonl").read_text().splitlines()
        verdicts.append({json.loads(line)["item_id"]: json.loads(line)["verdict"] for line in lines})
    ids = [row["id"] for row in pairwise_rows(8)]
    expected = [v[0] if len(set(v)) == 1 else "tie" for v in ([m[i] for m in verdicts] for i in ids)]
    panel = next(row for row in comparison["rows"] if "panel" in row["name"])
    assert (panel["wins_a"], panel["wins_b"], panel["ties"]) == (
        expected.count("A"),
        expected.count("B"),
        expected.count("tie"),
    )
    assert comparison["panels"][0]["votes"] == {"3": 8}


def test_fixed_order_panel_leaves_p_first_out(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "pairs.jsonl", pairwise_rows(4))
    result = invoke(
        "eval", str(data), "-j", "mock/first", "-j", "mock/second", "--positions", "fixed", "-q", "--format", "json"
    )
    comparison = panel_json(result)
    assert all(row["p_first"] is None for row in comparison["rows"])
    assert any("P(first) is left out" in warning for warning in comparison["warnings"])
