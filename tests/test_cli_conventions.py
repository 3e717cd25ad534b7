"""One voice across commands, and the edges of the command line: every option explained, one
placeholder style, `--format json` and `-q` everywhere, usage errors in one line with exit 2,
pipes that close quietly, confirmations that need a terminal or `--yes`, and template mistakes
named by the file's own line number."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from judgekit.cli import app
from tests.helpers import pairwise_rows, write_jsonl
from tests.processes import environment

runner = CliRunner()


def run(*args: str, **kwargs: Any) -> Any:
    return runner.invoke(app, list(args), **kwargs)


def commands() -> Iterator[tuple[str, Any]]:
    """(path, click command) for every leaf command of the judgekit tree."""

    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    yield from walk(typer.main.get_command(app), [])


ALL_COMMANDS = sorted(path for path, _ in commands())
PLACEHOLDER = re.compile(r"^([A-Z][A-Z0-9_]*(=[A-Z][A-Z0-9_:]*)?|[a-z0-9_-]+(\|[a-z0-9_-]+)+)$")


# -- one voice ------------------------------------------------------------------------------
def test_every_option_and_argument_of_every_command_says_what_it_is_for() -> None:
    missing = [
        f"{path} {param.name}"
        for path, command in commands()
        for param in command.params
        if not (getattr(param, "help", None) or "").strip()
    ]
    assert len(ALL_COMMANDS) >= 19
    assert missing == []


def test_every_placeholder_is_in_one_style() -> None:
    root = typer.main.get_command(app)
    odd = {}
    for path, command in commands():
        for param in command.params:
            if getattr(param, "is_flag", False):
                continue
            if not PLACEHOLDER.match(str(param.metavar)):
                odd[f"{path} {param.name}"] = param.metavar
    assert odd == {}
    # ... and the help shows them, not Python types.
    for path in ("eval", "compare", "prompts render", "agreement"):
        help_text = run(*path.split(), "--help").stdout
        assert "<str>" not in help_text and "<list[" not in help_text and "<int>" not in help_text, path
    assert "--judge MODEL" in run("eval", "--help").stdout
    assert "[DATASET]" in run("eval", "--help").stdout
    assert root is not None


def test_every_command_takes_quiet_and_every_listing_command_takes_format_json() -> None:
    without_quiet = [path for path, command in commands() if not any("-q" in param.opts for param in command.params)]
    assert without_quiet == []
    without_format = [
        path for path, command in commands() if not any("--format" in param.opts for param in command.params)
    ]
    assert without_format == []


@pytest.mark.parametrize(
    "args",
    [
        ["prompts", "list"],
        ["prompts", "criteria"],
        ["prompts", "show", "pairwise/verdict"],
        ["prompts", "validate", "pairwise/verdict"],
        ["cache", "stats"],
        ["models", "list"],
    ],
)
def test_format_json_prints_pure_json(args: list[str]) -> None:
    result = run(*args, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)


def test_prompts_render_takes_format_json_and_keeps_json_as_a_hidden_alias(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(2))
    new = run("prompts", "render", "pairwise/verdict", "-d", str(data), "--format", "json")
    old = run("prompts", "render", "pairwise/verdict", "-d", str(data), "--json")
    assert new.exit_code == old.exit_code == 0
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert json.loads(new.stdout)[-1]["role"] == "user"
    assert "--json" not in run("prompts", "render", "--help").stdout


def test_quiet_drops_passing_notes_but_not_results(tmp_path: Path) -> None:
    loud = run("prompts", "show", "pairwise/verdict")
    quiet = run("prompts", "show", "pairwise/verdict", "-q")
    assert "sha256:" in loud.stderr and quiet.stderr == ""
    assert quiet.stdout == loud.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["eval", "d.jsonl", "--no-such-option"], "judgekit: error: no such option: --no-such-option"),
        (["eval", "d.jsonl", "--limit", "many"], "judgekit: error: invalid value for '--limit'"),
        (["eval", "d.jsonl", "--mode", "sideways"], "judgekit: error: invalid value for '--mode'"),
        (["prompts", "render"], "judgekit: error: missing argument 'NAME'"),
        (["evaluate"], "judgekit: error: no such command 'evaluate'"),
        (["cache", "prune"], "judgekit: error: missing option '--older-than'"),
    ],
)
def test_option_errors_are_one_line_with_exit_2(args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert "--help" in lines[0] and "╭" not in result.stderr and "Usage:" not in result.stderr


def test_option_errors_are_one_line_from_the_installed_command_too(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "judgekit", "eval", "--limit", "x"],
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "judgekit: error: invalid value for '--limit' / '-n': Input should be a valid integer, unable to parse "
        "string as an integer (see `judgekit eval --help`)"
    ]


def test_compare_takes_several_base_urls_like_eval() -> None:
    (option,) = [param for param in dict(commands())["compare"].params if param.name == "base_url"]
    assert option.multiple
    (option,) = [param for param in dict(commands())["eval"].params if param.name == "base_url"]
    assert option.multiple


# -- edges ----------------------------------------------------------------------------------
@pytest.mark.parametrize("limit", ["-5", "0"])
def test_limit_must_be_at_least_one(limit: str, tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))
    result = run("eval", str(data), "-j", "mock/random", "--limit", limit, "-o", str(tmp_path / "run"))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("judgekit: error: invalid value for '--limit'") and "islice" not in result.stderr
    assert not (tmp_path / "run").exists()


def test_limit_must_be_at_least_one_in_the_library_too(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from judgekit.config import EvalConfig

    for limit in (0, -5):
        with pytest.raises(ValidationError):
            EvalConfig(dataset="d.jsonl", judge="mock/random", limit=limit)


def _closed_stdout(*args: str) -> subprocess.CompletedProcess[str]:
    """Run judgekit with a stdout pipe whose reader has already gone (as `| head` leaves it)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "judgekit", *args],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, "", stderr)


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))
    done = _closed_stdout("prompts", "render", "pairwise/verdict", "-d", str(data))
    assert done.returncode == 0 and done.stderr == ""
    listed = _closed_stdout("prompts", "list", "--long")
    assert listed.returncode == 0 and listed.stderr == ""


def test_a_closed_pipe_keeps_the_exit_code_of_the_gates(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(6))
    args = ("eval", str(data), "-j", "mock/second", "--positions", "fixed", "-o", str(tmp_path / "run"))
    done = _closed_stdout(*args, "--min-win-rate", "0.5")
    assert done.returncode == 1, done.stderr
    assert "BrokenPipe" not in done.stderr and "gate FAILED" in done.stderr


def test_confirmation_without_a_terminal_asks_for_yes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "judgekit", "cache", "clear"],
        env=environment(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "judgekit: error: Delete every cached completion: there is no terminal to confirm on; pass --yes to go ahead"
    ]
    assert run("cache", "clear", "--yes").exit_code == 0


def test_agreement_names_a_missing_source(tmp_path: Path) -> None:
    for args in (["missing.jsonl"], ["missing.jsonl", "--pred", "verdict"], ["no-such-run/"]):
        result = run("agreement", *args)
        assert result.exit_code == 2
        assert result.stderr.strip().splitlines() == [
            f"judgekit: error: {args[0]}: not found (give a data file with --pred COLUMN, or a run directory)"
        ]


def test_models_list_says_when_the_runtime_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *rest: None if name == "llama_cpp" else real_find_spec(name, *rest)
    )
    listed = run("models", "list")
    assert listed.exit_code == 0
    statuses = [line.strip() for line in listed.stdout.splitlines() if line.strip().startswith("status:")]
    assert statuses and all(
        status == "status: not installed" or "llama-cpp-python is missing" in status for status in statuses
    )
    assert not any(status == "status: ready" for status in statuses)
    as_json = json.loads(run("models", "list", "--format", "json").stdout)
    assert as_json["runtime_installed"] is False


UNKNOWN_FILTER = """---
kind: pairwise
description: A template with an unknown filter.
verdict: {type: choice, pattern: '\\[\\[(A|B|C)\\]\\]', format: '[[{choice}]]', choices: {A: first, B: second, C: tie}}
---
Question: {{ question }}

First: {{ answer_a }}

Second: {{ answer_b | shout }}

Answer [[A]], [[B]] or [[C]].
"""


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (UNKNOWN_FILTER, 10, "Jinja error: No filter named 'shout'"),
        (UNKNOWN_FILTER.replace("| shout", "is shouting"), 10, "Jinja error: No test named 'shouting'"),
        (UNKNOWN_FILTER.replace("Second:", "{% if x %}Second:"), 10, "Jinja syntax error: Unexpected end of template"),
    ],
)
def test_jinja_mistakes_name_the_files_own_line_in_eval_and_in_validate(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    template = tmp_path / "bad.jinja"
    template.write_text(body)
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(2))
    expected = f"judgekit: error: {template}:{line}: {message}"
    for args in (
        ["eval", str(data), "-j", "mock/random", "-p", str(template), "-o", str(tmp_path / "run")],
        ["prompts", "validate", str(template)],
        ["prompts", "render", str(template), "-d", str(data)],
    ):
        result = run(*args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected), (args, result.stderr)
        assert "<introspection>" not in result.stderr and "internal error" not in result.stderr
