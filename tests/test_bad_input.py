"""A corpus of broken inputs through `judgekit eval`: one line naming file, line and field, exit 2,
no call made and nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.testing.server import FakeProvider
from tests.helpers import pairwise_rows, write_jsonl

runner = CliRunner()

GOOD = {"question": "q", "answer_a": "a", "answer_b": "b"}


def _jsonl(*rows: object) -> bytes:
    return b"".join((row if isinstance(row, bytes) else json.dumps(row).encode()) + b"\n" for row in rows)


# name, file name, content, text the one error line must hold (after the file path)
CORPUS: list[tuple[str, str, bytes, str]] = [
    ("empty file", "d.jsonl", b"", ": the file is empty"),
    ("blank lines only", "d.jsonl", b"\n  \n\n", ": the file is empty"),
    ("invalid JSON on a line", "d.jsonl", _jsonl(GOOD, GOOD, b'{"question": "q", "answer_a": '), ":3: invalid JSON"),
    ("two values on a line", "d.jsonl", _jsonl(GOOD, b'{"question": "q"} {"x": 1}'), ":2: invalid JSON"),
    ("a row that is not an object", "d.jsonl", _jsonl(GOOD, [1, 2]), ":2: expected a JSON object, got a list"),
    (
        "answer of the wrong type",
        "d.jsonl",
        _jsonl(GOOD, {**GOOD, "answer_a": {"text": "a"}}),
        ":2: field 'answer_a': expected text, got an object",
    ),
    (
        "question of the wrong type",
        "d.jsonl",
        _jsonl({**GOOD, "question": True}),
        ":1: field 'question': expected text or a list",
    ),
    ("label of the wrong type", "d.jsonl", _jsonl({**GOOD, "label": False}), ":1: field 'label': expected A, B or tie"),
    (
        "score that is not a number",
        "d.jsonl",
        _jsonl({"question": "q", "answer": "a", "human_score": "high"}),
        ":1: field 'human_score': expected a number",
    ),
    (
        "score that is not finite",
        "d.jsonl",
        _jsonl({"question": "q", "answer": "a"}, b'{"question": "q", "answer": "b", "human_score": NaN}'),
        ":2: field 'human_score': expected a finite number",
    ),
    ("missing question", "d.jsonl", _jsonl(GOOD, {"answer_a": "a", "answer_b": "b"}), ":2: field 'question': missing"),
    ("missing second answer", "d.jsonl", _jsonl({"question": "q", "answer_a": "a"}), ":1: field 'answer_b': missing"),
    ("null answer", "d.jsonl", _jsonl(GOOD, {**GOOD, "answer_b": None}), ":2: field 'answer_b': missing"),
    (
        "duplicate ids",
        "d.jsonl",
        _jsonl({**GOOD, "id": "x"}, {**GOOD, "id": "y"}, {**GOOD, "id": "x"}),
        ":3: field 'id': duplicate id 'x' (first seen on line 1)",
    ),
    (
        "non-UTF-8 bytes",
        "d.jsonl",
        _jsonl(GOOD, b'{"question": "caf\xe9", "answer_a": "a", "answer_b": "b"}'),
        ":2: not valid UTF-8",
    ),
    ("UTF-16 file", "d.jsonl", json.dumps(GOOD).encode("utf-16"), ":1: not valid UTF-8"),
    (
        "a 1 MB answer",
        "d.jsonl",
        _jsonl(GOOD, {**GOOD, "answer_b": "x" * 1_000_000}),
        ":2: field 'answer_b': 1,000,000 characters is over the limit of 100,000; pass --truncate",
    ),
    (
        "mixed kinds",
        "d.jsonl",
        _jsonl(GOOD, {"question": "q", "answer": "a"}),
        ":2: field 'answer': row is pointwise but earlier rows are pairwise",
    ),
    ("JSON that is not an array", "d.json", b'{"question": "q"}', ":1: a .json dataset must be an array"),
    (
        "broken JSON array",
        "d.json",
        b'[\n {"question": "q", "answer_a": "a", "answer_b": "b"},\n {"question": ]',
        ":3: invalid JSON",
    ),
    (
        "CSV row with too many cells",
        "d.csv",
        b"question,answer_a,answer_b\nq,a,b\nq,a,b,c\n",
        ":3: expected 3 columns, found 4",
    ),
    (
        "CSV with a repeated column",
        "d.csv",
        b"question,answer_a,answer_a\nq,a,b\n",
        ":1: field 'answer_a': the header names this column twice",
    ),
    ("CSV with only a header", "d.csv", b"question,answer_a,answer_b\n", ": no rows"),
    ("unknown file type", "d.parquet", b"PAR1", ": unknown file type"),
]


@pytest.fixture
def server(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    provider = fake_provider()
    monkeypatch.setenv("OPENAI_BASE_URL", provider.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-badinput-0123456789")
    return provider


def _rejected(result: Any, server: FakeProvider) -> str:
    """The checks every rejection must pass; returns the one error line."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("judgekit: error: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert server.count() == 0, "a call was made before the input was checked"
    assert not Path("runs").exists() and not Path("out").exists(), "a run directory was left behind"
    return lines[0]


@pytest.mark.parametrize(("name", "file_name", "content", "expected"), CORPUS, ids=[case[0] for case in CORPUS])
def test_bad_data_files(
    server: FakeProvider, tmp_path: Path, name: str, file_name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / file_name
    path.write_bytes(content)
    result = runner.invoke(app, ["eval", str(path), "-j", "openai/x"])
    line = _rejected(result, server)
    assert f"{path}{expected}" in line, line


def test_missing_file_and_directory(server: FakeProvider, tmp_path: Path) -> None:
    assert f"{tmp_path / 'nope.jsonl'}: file not found" in _rejected(
        runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl"), "-j", "openai/x"]), server
    )
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    assert "is a directory" in _rejected(runner.invoke(app, ["eval", str(folder), "-j", "openai/x"]), server)


def test_a_huge_answer_is_cut_on_request(server: FakeProvider, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD, {**GOOD, "answer_b": "x" * 1_000_000}])
    result = runner.invoke(app, ["eval", str(path), "-j", "openai/x", "--truncate", "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert any("1 texts were cut" in warning for warning in summary["warnings"])
    longest = max(len(entry.request.prompt) for entry in server.recorded)
    assert longest < 110_000
    assert "characters cut by judgekit" in server.recorded[-1].request.prompt or any(
        "characters cut by judgekit" in entry.request.prompt for entry in server.recorded
    )


TEMPLATE = """---
kind: pairwise
description: A user's own template.
verdict: {{type: choice, pattern: '\\[\\[([AB])\\]\\]', format: '[[{{choice}}]]', choices: {{A: first, B: second}}}}
---
Question: {{{{ question }}}}
{body}
Answer one: {{{{ answer_a }}}}
Answer two: {{{{ answer_b }}}}
"""


def test_unknown_template_variable_is_caught_before_any_call(server: FakeProvider, tmp_path: Path) -> None:
    template = tmp_path / "mine.jinja"
    template.write_text(TEMPLATE.format(body="Notes: {{ nonexistent }}"))
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))
    line = _rejected(runner.invoke(app, ["eval", str(data), "-j", "openai/x", "-p", str(template)]), server)
    # The body starts on line 6 of the file; the unknown variable is on its second line.
    assert f"{template}:7: template {template} uses unknown variable 'nonexistent'" in line, line
    assert "known variables: question" in line


def test_unknown_variable_in_the_system_message(server: FakeProvider, tmp_path: Path) -> None:
    template = tmp_path / "sys.jinja"
    source = TEMPLATE.format(body="").replace("description:", "system: 'You grade for {{ audience }}.'\ndescription:")
    template.write_text(source)
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(2))
    line = _rejected(runner.invoke(app, ["eval", str(data), "-j", "openai/x", "-p", str(template)]), server)
    assert "front matter 'system'" in line and "unknown variable 'audience'" in line


def test_an_optional_field_used_unguarded_is_caught_on_the_row_that_lacks_it(
    server: FakeProvider, tmp_path: Path
) -> None:
    template = tmp_path / "ref.jinja"
    template.write_text(TEMPLATE.format(body="Reference: {{ reference }}"))
    rows = [dict(row, reference="r") for row in pairwise_rows(4)]
    del rows[2]["reference"]
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    line = _rejected(runner.invoke(app, ["eval", str(data), "-j", "openai/x", "-p", str(template)]), server)
    assert f"{data}:3: field 'reference': cannot render" in line and "'reference' is undefined" in line
    guarded = tmp_path / "guarded.jinja"
    guarded.write_text(TEMPLATE.format(body="{% if reference is defined %}Reference: {{ reference }}{% endif %}"))
    result = runner.invoke(app, ["eval", str(data), "-j", "openai/x", "-p", str(guarded), "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (TEMPLATE.format(body="{% if question %}unclosed"), ":9: Jinja syntax error: Unexpected end of template"),
        (
            TEMPLATE.format(body="").replace("description:", "descripton:"),
            "unknown field (did you mean 'description'?)",
        ),
        ("no front matter at all\n", ":1: a template starts with a '---' line"),
        (
            TEMPLATE.format(body="").replace("pattern: '\\[\\[([AB])\\]\\]'", "pattern: '(['"),
            "not a valid regular expression",
        ),
    ],
)
def test_bad_templates(server: FakeProvider, tmp_path: Path, source: str, expected: str) -> None:
    template = tmp_path / "bad.jinja"
    template.write_text(source)
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(2))
    line = _rejected(runner.invoke(app, ["eval", str(data), "-j", "openai/x", "-p", str(template)]), server)
    assert str(template) in line and expected in line, line
