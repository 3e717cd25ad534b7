"""Per-model conversations (MT-Bench's second turn): rows holding conversation_a/conversation_b (or
conversation), checked one line per mistake, shown whole to the judge, swapped whole, remapped with
their models and labels, on every run path, through the real openai SDK against the local server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.inputs.datasets import Dataset, ReadOptions
from judgekit.schema import Message
from judgekit.testing.server import FakeProvider
from tests.helpers import rows_of, run, summary_of, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "datasets" / "mt_bench_turn2"
MARKED = re.compile(r"\[Turn under judgment\] ASSISTANT ([AB]):\n(.*?)\n", re.S)


def chat(first_reply: str, second_reply: str, follow_up: str = "And doubled?") -> list[dict[str, str]]:
    return [
        {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": first_reply},
        {"role": "user", "content": follow_up},
        {"role": "assistant", "content": second_reply},
    ]


def conversation_rows(n: int = 4) -> list[dict[str, Any]]:
    """A's second reply is RIGHT in even rows, B's in odd ones; the first replies differ too."""
    rows = []
    for index in range(n):
        right, wrong = chat("5", f"RIGHT 10 ({index})"), chat("6", f"WRONG 12 ({index})")
        a_right = index % 2 == 0
        rows.append(
            {
                "id": f"c{index}",
                "model_a": "alpha",
                "model_b": "beta",
                "conversation_a": right if a_right else wrong,
                "conversation_b": wrong if a_right else right,
                "winner": "model_a" if a_right else "model_b",
            }
        )
    return rows


def marked_turn_judge(request: Any) -> str:
    """Prefers the conversation whose marked (judged) reply is RIGHT, in the order shown."""
    marked = dict(MARKED.findall(request.prompt))
    if "RIGHT" in marked.get("A", ""):
        return "A's marked reply is right.\n[[A]]"
    if "RIGHT" in marked.get("B", ""):
        return "B's marked reply is right.\n[[B]]"
    if "Rating: [[" in request.prompt:
        return "Checked.\nRating: [[9]]" if "] ASSISTANT:\nRIGHT" in request.prompt else "Checked.\nRating: [[2]]"
    return "No marked reply found."


MULTI = ["-p", "pairwise/multi_turn"]


# -- reading rows -----------------------------------------------------------------------------------
def test_items_take_answers_and_shared_turns_from_the_conversations(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "c.jsonl", conversation_rows(2))
    first = next(iter(Dataset(data)))
    assert first.kind == "pairwise"
    assert (first.answer_a, first.answer_b) == ("RIGHT 10 (0)", "WRONG 12 (0)")
    assert first.turns == (Message(role="user", content="What is 2 + 3?"), Message(role="user", content="And doubled?"))
    assert first.question == "And doubled?"
    assert first.conversation_a is not None and first.conversation_a[1].content == "5"
    assert first.conversation_b is not None and first.conversation_b[1].content == "6"
    assert first.human_label == "A" and first.model_a == "alpha"


def test_a_pointwise_conversation_is_its_turns_and_its_last_reply(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "p.jsonl", [{"id": "p", "conversation": chat("5", "10"), "human_score": 7}])
    item = next(iter(Dataset(data)))
    assert item.kind == "pointwise" and item.answer == "10"
    assert [turn.content for turn in item.turns] == ["What is 2 + 3?", "5", "And doubled?"]
    assert item.history[1] == Message(role="assistant", content="5")


def test_csv_cells_hold_conversations_as_json(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    cell_a, cell_b = json.dumps(chat("5", "10")), json.dumps(chat("6", "12"))
    path.write_text("id,conversation_a,conversation_b\n" + f'x,"{cell_a.replace(chr(34), chr(34) * 2)}",'
                    f'"{cell_b.replace(chr(34), chr(34) * 2)}"\n', encoding="utf-8")  # fmt: skip
    item = next(iter(Dataset(path)))
    assert (item.answer_a, item.answer_b) == ("10", "12")


def test_dotted_field_paths_reach_nested_conversations(tmp_path: Path) -> None:
    row = {"id": "n", "game": {"left": chat("5", "10"), "right": chat("6", "12")}}
    data = write_jsonl(tmp_path / "n.jsonl", [row])
    fields = {"conversation_a": "game.left", "conversation_b": "game.right"}
    item = next(iter(Dataset(data, ReadOptions(fields=fields))))
    assert (item.answer_a, item.answer_b) == ("10", "12")


BAD_ROWS: list[tuple[str, dict[str, Any], str]] = [
    ("not a list", {"conversation_a": "hello", "conversation_b": chat("6", "12")}, "conversation_a"),
    ("empty", {"conversation_a": [], "conversation_b": chat("6", "12")}, "conversation_a"),
    ("no role", {"conversation_a": [{"content": "x"}, *chat("5", "10")], "conversation_b": chat("6", "12")}, "conversation_a"),
    ("odd role", {"conversation_a": chat("5", "10"), "conversation_b": [{"role": "bot", "content": "x"}]}, "conversation_b"),
    ("content", {"conversation_a": [{"role": "user", "content": 3}, {"role": "assistant", "content": "x"}], "conversation_b": chat("6", "12")}, "conversation_a"),
    ("ends with user", {"conversation_a": chat("5", "10")[:3], "conversation_b": chat("6", "12")}, "conversation_a"),
    ("no user first", {"conversation_a": [{"role": "assistant", "content": "x"}], "conversation_b": chat("6", "12")}, "conversation_a"),
    ("other user turns", {"conversation_a": chat("5", "10"), "conversation_b": chat("6", "12", "And tripled?")}, "conversation_b"),
    ("fewer turns", {"conversation_a": chat("5", "10"), "conversation_b": chat("6", "12")[2:]}, "conversation_b"),
    ("one side", {"conversation_a": chat("5", "10")}, "conversation_b"),
    ("with answers", {"conversation_a": chat("5", "10"), "conversation_b": chat("6", "12"), "answer_a": "x"}, "answer_a"),
    ("with listwise answers", {"conversation_a": chat("5", "10"), "conversation_b": chat("6", "12"), "answers": ["x", "y"]}, "answers"),
    ("with a question", {"conversation_a": chat("5", "10"), "conversation_b": chat("6", "12"), "question": "q"}, "question"),
    ("both kinds", {"conversation": chat("5", "10"), "conversation_a": chat("5", "10")}, "conversation"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "row", "field"), BAD_ROWS, ids=[case for case, _, _ in BAD_ROWS])
def test_a_bad_row_is_one_line_naming_file_line_and_field(
    tmp_path: Path, case: str, row: dict[str, Any], field: str
) -> None:
    good = conversation_rows(1)[0]
    data = write_jsonl(tmp_path / "bad.jsonl", [good, {"id": "bad", **row}])
    result = run("eval", data, "-j", "mock/first", *MULTI, "-q", "--out", "run")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"{data}:2: field '{field}'" in lines[0]
    assert "Traceback" not in result.output
    assert not Path("run").exists()


def test_templates_and_conversations_must_fit_together(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "c.jsonl", conversation_rows(2))
    plain = run("eval", data, "-j", "mock/first", "-q")  # pairwise/verdict shows one shared turn only
    assert plain.exit_code == 2
    assert "does not show conversation_a; use --prompt pairwise/multi_turn" in plain.stderr
    flat = write_jsonl(tmp_path / "flat.jsonl", [{"question": "q", "answer_a": "a", "answer_b": "b"}])
    wrong = run("eval", flat, "-j", "mock/first", *MULTI, "-q")
    assert wrong.exit_code == 2
    assert "template pairwise/multi_turn shows conversation_a, which the row does not hold" in wrong.stderr


# -- what the judge sees --------------------------------------------------------------------------------
def test_the_judge_sees_both_whole_conversations_swapped_whole(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    server = judge(marked_turn_judge)
    data = write_jsonl(tmp_path / "c.jsonl", conversation_rows(4))
    summary = summary_of(
        run("eval", data, "-j", "openai/judge", *MULTI, "--positions", "swap", "-q", "--format", "json")
    )
    # The right reply wins in both orders: every verdict agrees with the winner column.
    assert summary["human"]["agreement"]["value"] == 1.0
    assert summary["bias"]["flip_rate"]["value"] == 0.0
    prompts = [entry.request.prompt for entry in server.recorded]
    assert len(prompts) == 8
    for prompt in prompts:
        first_block, second_block = prompt.split("<<Conversation with assistant B>>")
        # Each block holds its own model's earlier reply and its own judged reply: never mixed.
        for block in (first_block, second_block):
            assert ("\n5\n" in block) == ("RIGHT" in block)
            assert ("\n6\n" in block) == ("WRONG" in block)
        assert prompt.count("[Turn under judgment]") >= 2
    assert {row["swapped"] for row in rows_of(summary["run_dir"])} == {False, True}


def test_remapping_the_conversations_moves_models_and_labels(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(marked_turn_judge)
    data = write_jsonl(tmp_path / "c.jsonl", conversation_rows(4))
    crossed = ["--field", "conversation_a=conversation_b", "--field", "conversation_b=conversation_a"]
    summary = summary_of(run("eval", data, "-j", "openai/judge", *MULTI, *crossed, "-q", "--format", "json"))
    assert (summary["pairwise"]["model_a"], summary["pairwise"]["model_b"]) == ("beta", "alpha")
    assert summary["human"]["agreement"]["value"] == 1.0  # the winner column flipped with the answers
    item = next(
        iter(
            Dataset(data, ReadOptions(fields={"conversation_a": "conversation_b", "conversation_b": "conversation_a"}))
        )
    )
    assert item.human_label == "B" and item.answer_a == "WRONG 12 (0)"


def test_pointwise_conversations_are_rated_on_their_last_reply(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(marked_turn_judge)
    rows = [{"id": "r", "conversation": chat("5", "RIGHT 10")}, {"id": "w", "conversation": chat("5", "WRONG 12")}]
    data = write_jsonl(tmp_path / "p.jsonl", rows)
    summary = summary_of(
        run("eval", data, "-j", "openai/judge", "-p", "pointwise/multi_turn", "-q", "--format", "json")
    )
    scores = {row["item_id"]: row["score"] for row in rows_of(summary["run_dir"])}
    assert scores == {"r": 9.0, "w": 2.0}


# -- every path -----------------------------------------------------------------------------------------
def test_panel_batch_resume_compare_and_report(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    from judgekit.testing.batches import BatchBehaviour

    judge(marked_turn_judge, batches=BatchBehaviour())  # the conftest fixture: server and OPENAI_* pointed at it
    data = write_jsonl(tmp_path / "c.jsonl", conversation_rows(4))
    base = ["eval", data, *MULTI, "--positions", "swap", "-q", "--format", "json"]

    batch = summary_of(run(*base, "-j", "openai/judge", "--batch", "--poll-interval", "0.02", "--out", "batch"))
    assert batch["human"]["agreement"]["value"] == 1.0

    partial = run(*base, "-j", "openai/judge", "--out", "resumed", "--max-calls", "3", "--no-cache")
    assert partial.exit_code == 3, partial.output
    resumed = summary_of(run("eval", "--resume", "resumed", "--max-calls", "100", "-q", "--format", "json"))
    assert resumed["counts"]["scored"] == 4 and resumed["human"]["agreement"]["value"] == 1.0

    panel = run(*base, "-j", "openai/one", "-j", "openai/two", "-j", "openai/three", "--out", "panel")
    assert panel.exit_code == 0, panel.output
    combined = json.loads(Path("panel/panel/summary.json").read_text())
    assert combined["human"]["agreement"]["value"] == 1.0

    compared = run("compare", data, "-j", "openai/judge", *MULTI, "-q", "--out", "cmp", "--format", "json")
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["rows"][0]["agreement"]["value"] == 1.0

    reported = summary_of(run("report", "batch", "--format", "json"))
    assert reported["human"] == batch["human"]


def test_the_python_api_takes_rows_with_conversations(judge: Callable[..., FakeProvider]) -> None:
    from judgekit import run_eval

    judge(marked_turn_judge)
    result = run_eval(conversation_rows(2), judge="openai/judge", prompt="pairwise/multi_turn", positions="fixed")
    assert result.summary.human is not None and result.summary.human.n == 2


# -- MT-Bench's own files ------------------------------------------------------------------------------
def _convert(*args: Any) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "mt_bench_conversations.py"
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True, check=False)


def test_the_bundled_example_is_the_converter_output(judge: Callable[..., FakeProvider]) -> None:
    converted = _convert(
        EXAMPLE / "question.jsonl",
        EXAMPLE / "answers_tutor-a.jsonl",
        EXAMPLE / "answers_tutor-b.jsonl",
        "--reference",
        EXAMPLE / "reference_gpt-4.jsonl",
    )
    assert converted.returncode == 0, converted.stderr
    assert converted.stdout == (EXAMPLE / "conversations.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in converted.stdout.splitlines()]
    questions = {json.loads(line)["question_id"]: json.loads(line) for line in (EXAMPLE / "question.jsonl").open()}
    for row in rows:
        users = [turn["content"] for turn in row["conversation_a"] if turn["role"] == "user"]
        assert users == questions[row["question_id"]]["turns"]
        assert row["conversation_a"][1]["content"] != row["conversation_b"][1]["content"]  # own first replies
    judge(lambda request: "Both marked replies read; the first is better.\n[[A]]")
    result = run("eval", EXAMPLE / "conversations.jsonl", "-j", "openai/judge", *MULTI, "-q", "--format", "json")
    assert summary_of(result)["counts"]["scored"] == 3


def test_the_converter_stops_on_a_missing_turn(tmp_path: Path) -> None:
    questions = write_jsonl(tmp_path / "q.jsonl", [{"question_id": 1, "turns": ["one", "two"]}])
    short = {"question_id": 1, "model_id": "m", "choices": [{"index": 0, "turns": ["only one"]}]}
    answers = write_jsonl(tmp_path / "a.jsonl", [short])
    result = _convert(questions, answers, answers)
    assert result.returncode == 2
    assert result.stderr.strip() == "mt_bench_conversations: question 1: m has 1 turn(s), fewer than --turn 2"
    first_turn = _convert(questions, answers, answers, "--turn", "1")
    assert first_turn.returncode == 0 and len(json.loads(first_turn.stdout)["conversation_a"]) == 2


def test_fingerprints_cover_every_turn_of_both_conversations(tmp_path: Path) -> None:
    """Run matching (compare, diff, agreement) tells data apart by a hash of what the judge saw:
    the same from a run's items and from a data file's rows, and changed by an earlier reply."""
    from judgekit.inputs.columns import resolve_mapping
    from judgekit.metrics.outcomes import _item_fingerprint, _row_fingerprint

    row = conversation_rows(1)[0]
    other = {**row, "conversation_b": chat("7", row["conversation_b"][3]["content"])}
    items = list(Dataset(write_jsonl(tmp_path / "c.jsonl", [row, {**other, "id": "o"}])))
    mapping = resolve_mapping(tuple(row), {})
    assert _item_fingerprint(items[0]) == _row_fingerprint(row, mapping)
    assert _item_fingerprint(items[1]) == _row_fingerprint(other, mapping)
    assert _item_fingerprint(items[0]) != _item_fingerprint(items[1])  # only B's first reply differs


def test_prompts_validate_checks_templates_against_conversation_rows() -> None:
    rows = EXAMPLE / "conversations.jsonl"
    assert run("prompts", "validate", "pairwise/multi_turn", "--dataset", rows).exit_code == 0
    refused = run("prompts", "validate", "pairwise/verdict", "--dataset", rows)
    assert refused.exit_code == 2
    assert f"{rows}:1: field 'conversation_a': the row holds per-model conversations" in refused.output


def test_baseline_joins_conversations_into_per_model_conversations(
    judge: Callable[..., FakeProvider], tmp_path: Path
) -> None:
    judge(marked_turn_judge)
    candidate = [{"id": "1", "conversation": chat("5", "RIGHT 10")}, {"id": "2", "conversation": chat("5", "WRONG 3")}]
    baseline = [{"id": "2", "conversation": chat("4", "RIGHT 10")}, {"id": "1", "conversation": chat("4", "WRONG 8")}]
    new, old = write_jsonl(tmp_path / "new.jsonl", candidate), write_jsonl(tmp_path / "old.jsonl", baseline)
    summary = summary_of(run("eval", new, "--baseline", old, "-j", "openai/judge", *MULTI, "-q", "--format", "json"))
    # The candidate's reply wins item 1, the baseline's item 2, each after its own first reply.
    assert (summary["pairwise"]["wins_a"], summary["pairwise"]["wins_b"]) == (1, 1)
    assert (summary["pairwise"]["model_a"], summary["pairwise"]["model_b"]) == ("new", "old")
    other = write_jsonl(
        tmp_path / "other.jsonl", [{**baseline[0]}, {"id": "1", "conversation": chat("4", "x", "Why?")}]
    )
    refused = run("eval", new, "--baseline", other, "-j", "openai/judge", *MULTI, "-q")
    assert refused.exit_code == 2
    assert f"{other}:2: field 'conversation': its user turns differ from those of {new}:1" in refused.stderr


def test_batch_collect_and_gate_on_conversations(judge: Callable[..., FakeProvider], tmp_path: Path) -> None:
    from judgekit.testing.batches import BatchBehaviour

    judge(marked_turn_judge, batches=BatchBehaviour())  # the conftest fixture: server and OPENAI_* pointed at it
    data = write_jsonl(tmp_path / "c.jsonl", conversation_rows(4))
    fast = ["--poll-interval", "0.02"]
    detached = run("eval", data, "-j", "openai/judge", *MULTI, "--batch", "--detach", *fast, "-q", "--out", "run")
    assert detached.exit_code == 0, detached.output
    collected = summary_of(run("batch", "collect", "run", *fast, "-q", "--format", "json"))
    assert collected["human"]["agreement"]["value"] == 1.0
    gated = run("gate", "run", "--min-agreement", "0.9", "--min-items", "1")
    assert gated.exit_code == 0, gated.output
