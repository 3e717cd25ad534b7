"""Reading data files: formats, field mapping, multi-turn questions and precise errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.datasets import Dataset, ReadOptions, parse_field_options
from tests.helpers import write_jsonl

BUNDLED = Path(__file__).resolve().parents[1] / "datasets"


def test_jsonl_pairwise_with_labels_and_defaults(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"question": "q1", "answer_a": "a", "answer_b": "b", "label": "A", "doc": 7},
            {"question": "q2", "answer_a": "a", "answer_b": "b", "label": "2"},
            {"question": "q3", "answer_a": "a", "answer_b": "b", "label": "tie"},
        ],
    )
    items = list(Dataset(path))
    assert [item.id for item in items] == ["1", "2", "3"]
    assert [item.human_label for item in items] == ["A", "B", "tie"]
    assert items[0].kind == "pairwise"
    assert items[0].metadata == {"doc": 7}
    info = Dataset(path).scan()
    assert info.rows == 3 and info.kind == "pairwise" and info.has_human_labels


def test_csv_and_json_array_give_the_same_items(tmp_path: Path) -> None:
    rows = [
        {"id": "x", "question": "What?", "answer": "This, with a comma\nand a newline", "human_score": "4.5"},
        {"id": "y", "question": "Why?", "answer": "Because", "human_score": "2"},
    ]
    csv_path = tmp_path / "d.csv"
    lines = ["id,question,answer,human_score"]
    for row in rows:
        answer = '"' + row["answer"].replace('"', '""') + '"'
        lines.append(f"{row['id']},{row['question']},{answer},{row['human_score']}")
    csv_path.write_text("\n".join(lines) + "\n")
    json_path = tmp_path / "d.json"
    json_path.write_text(json.dumps(rows, indent=2))
    from_csv = list(Dataset(csv_path))
    from_json = list(Dataset(json_path))
    assert [(i.id, i.answer, i.human_score) for i in from_csv] == [(i.id, i.answer, i.human_score) for i in from_json]
    assert from_csv[0].answer == "This, with a comma\nand a newline"
    assert from_csv[1].line == 4  # the first record spans lines 2-3
    assert from_json[1].line > from_json[0].line


def test_field_mapping_with_dotted_paths(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            {
                "doc_id": "d1",
                "system_id": "M1",
                "source": "Article.",
                "system_output": "Sum.",
                "scores": {"coherence": 3.5},
            }
        ],
    )
    fields = parse_field_options(
        ["question=source", "answer=system_output", "human_score=scores.coherence", "model=system_id"]
    )
    (item,) = list(Dataset(path, ReadOptions(fields=fields)))
    assert item.question == "Article." and item.answer == "Sum." and item.human_score == 3.5
    assert item.model == "M1" and item.metadata["doc_id"] == "d1"


def test_alpacaeval_annotations_load_in_their_own_field_names() -> None:
    path = BUNDLED / "alpaca_eval" / "annotations_alpaca_eval_gpt4_alpaca-7b.jsonl"
    items = list(Dataset(path))
    assert len(items) == 805
    first = items[0]
    assert first.kind == "pairwise" and first.model_a == "text_davinci_003" and first.model_b == "alpaca-7b"
    assert first.question.startswith("What are the names of some famous actors")
    assert first.metadata["preference"] == 1  # the GPT-4 verdict is not mistaken for a human label
    assert first.human_label is None


def test_multi_turn_question(tmp_path: Path) -> None:
    conversation = [
        {"role": "user", "content": "Write a haiku."},
        {"role": "assistant", "content": "Snow on pine."},
        {"role": "user", "content": "Now in French."},
    ]
    path = write_jsonl(tmp_path / "m.jsonl", [{"question": conversation, "answer": "Neige."}])
    (item,) = list(Dataset(path))
    assert item.question == "Now in French."
    assert [turn.content for turn in item.history] == ["Write a haiku.", "Snow on pine."]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b'{"question": "q", "answer": "a"}\n{"question": \n', ":2: invalid JSON"),
        (b'{"question": "q", "answer": "a"}\n[1, 2]\n', ":2: expected a JSON object"),
        (b'{"question": "q"}\n', ":1: field 'answer': missing"),
        (b'{"answer": "a"}\n', ":1: field 'question': missing"),
        (b'{"question": "q", "answer": {"x": 1}}\n', ":1: field 'answer': expected text, got an object"),
        (b'{"question": "q", "answer_a": "a"}\n', ":1: field 'answer_b': missing"),
        (b'{"question": "q", "answer": "a", "human_score": "high"}\n', ":1: field 'human_score': expected a number"),
        (
            b'{"question": "q", "answer_a": "a", "answer_b": "b", "label": "maybe"}\n',
            ":1: field 'label': expected A, B or tie",
        ),
        (
            b'{"id": 1, "question": "q", "answer": "a"}\n{"id": "1", "question": "q", "answer": "b"}\n',
            ":2: field 'id': duplicate id",
        ),
        (
            b'{"question": "q", "answer": "a"}\n{"question": "q", "answer_a": "a", "answer_b": "b"}\n',
            ":2: field 'answer_a': row is pairwise",
        ),
        (b'{"question": "caf\xe9", "answer": "a"}\n', ":1: not valid UTF-8 (byte 0xe9)"),
        (
            b'{"question": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "answer": "a"}\n',
            "the last message",
        ),
    ],
)
def test_bad_files_name_file_line_and_field(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(DatasetError) as caught:
        Dataset(path).scan()
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_csv_errors_name_the_record_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("question,answer\nq1,a1\nq2,a2,extra\n")
    with pytest.raises(DatasetError, match=r"bad\.csv:3: expected 2 columns, found 3"):
        Dataset(path).scan()


def test_huge_field_is_rejected_or_truncated_on_request(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", [{"question": "q", "answer": "x" * 1_000_000}])
    with pytest.raises(DatasetError, match=r"big\.jsonl:1: field 'answer': 1,000,000 characters is over the limit"):
        Dataset(path).scan()
    (item,) = list(Dataset(path, ReadOptions(max_chars=1000, truncate=True)))
    assert item.answer is not None and item.answer.startswith("x" * 1000) and "999,000 characters cut" in item.answer


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown file type"):
        Dataset(tmp_path / "data.parquet")
    with pytest.raises(DatasetError, match="file not found"):
        Dataset(tmp_path / "nope.jsonl").scan()


def test_field_option_validation() -> None:
    assert parse_field_options(["label=preference"]) == {"human_label": "preference"}
    with pytest.raises(UsageError, match="NAME=COLUMN"):
        parse_field_options(["question"])
    with pytest.raises(UsageError, match="unknown field 'questoin'"):
        parse_field_options(["questoin=x"])


def test_mapping_to_a_missing_column_is_an_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [{"question": "q", "answer": "a"}, {"question": "q2", "answer": "b"}])
    with pytest.raises(DatasetError, match=r"field 'ref': no row has this column \(from --field reference=ref\)"):
        Dataset(path, ReadOptions(fields={"reference": "ref"})).scan()
    with pytest.raises(DatasetError, match=r"d\.jsonl:1: field 'output': missing"):
        Dataset(path, ReadOptions(fields={"answer": "output"})).scan()


def test_optional_fields_may_appear_on_later_rows_only(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [{"question": "q", "answer": "a"}, {"question": "q2", "answer": "b", "reference": "r", "category": "c"}],
    )
    first, second = list(Dataset(path))
    assert first.reference is None and second.reference == "r" and second.category == "c"


def test_bundled_datasets_load() -> None:
    files = sorted(p for p in BUNDLED.rglob("*") if p.suffix in (".jsonl", ".csv", ".json"))
    assert files, "datasets/ holds no data files"
    for path in files:
        if path.name.startswith("summeval") or path.parent.name == "summeval":
            continue  # needs a field mapping; covered by the SummEval tests
        if path.parent.name == "mt_bench_turn2" and path.name != "conversations.jsonl":
            continue  # MT-Bench's own question and answer files, the converter's input (test_conversations.py)
        if path.name.endswith("_verdicts.jsonl"):
            continue  # released judge verdicts without texts, for `judgekit agreement` (test_order_conventions.py)
        assert Dataset(path).scan().rows > 0, path


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"question": "q\\ud800", "answer": "broken \\udc00 text", "id": "x"}\n', encoding="utf-8")
    (item,) = list(Dataset(path))
    assert item.answer == "broken \ufffd text" and item.question == "q\ufffd"
    item.model_dump_json()  # writable as UTF-8 JSON


def test_a_dotted_path_must_exist_below_its_first_part(tmp_path: Path) -> None:
    rows = [
        {"question": "q1", "answer": "a", "scores": {"coherence": 3}},
        {"question": "q2", "answer": "b", "scores": None},  # a null object: no value, as a null cell
        {"question": "q3", "answer": "c"},  # no such column on this row: as any absent column
        {"question": "q4", "answer": "d", "scores": {"coherance": 4}},
    ]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    options = ReadOptions(fields={"human_score": "scores.coherence"})
    with pytest.raises(DatasetError, match=r"d\.jsonl:4: field 'scores\.coherence': no key 'coherence' under 'scores'"):
        Dataset(path, options).scan()
    items = list(Dataset(write_jsonl(tmp_path / "ok.jsonl", rows[:3]), options))
    assert [item.human_score for item in items] == [3.0, None, None]
    strings = write_jsonl(tmp_path / "s.jsonl", [{"question": "q", "answer": "a", "scores": "high"}])
    with pytest.raises(DatasetError, match=r"s\.jsonl:1: field 'scores\.coherence': 'scores' is str, not an object"):
        list(Dataset(strings, options))


def test_several_human_scores_per_item_from_a_list_column(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"question": "q1", "answer": "a", "human_score": [4, 5, 3]},
            {"question": "q2", "answer": "b", "human_score": [2, None, "3"]},
            {"question": "q3", "answer": "c", "human_score": 5},
        ],
    )
    items = list(Dataset(path))
    assert [item.human_score for item in items] == [4.0, 2.5, 5.0]
    assert [item.human_scores for item in items] == [(4.0, 5.0, 3.0), (2.0, 3.0), None]
    csv_path = tmp_path / "d.csv"
    csv_path.write_text('question,answer,human_score\nq,a,"[1, 2]"\n', encoding="utf-8")
    [item] = list(Dataset(csv_path))
    assert item.human_score == 1.5 and item.human_scores == (1.0, 2.0)
    for bad, problem in (([None], "holds no number"), ([4, "x"], "expected a number, got 'x'")):
        broken = write_jsonl(tmp_path / "bad.jsonl", [{"question": "q", "answer": "a", "human_score": bad}])
        with pytest.raises(DatasetError, match=rf"bad\.jsonl:1: field 'human_score': .*{problem}"):
            list(Dataset(broken))
