"""Every command README.md shows works as written: it parses against the real CLI, names files that exist.

Nothing is run: each `judgekit ...` line goes through the Typer app's own parser (unknown options,
missing values and invalid choices fail there), the judges, templates and criteria it names are
resolved the way a run resolves them, and every repository path and `make` target it names must
exist. A command whose comment says `exit 2` shows a mistake on purpose and must be refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import typer

from judgekit.backends.mock import BEHAVIOURS
from judgekit.backends.registry import parse_spec
from judgekit.cli import app
from judgekit.cli.common import set_quiet
from judgekit.inputs.criteria import resolve as resolve_criterion
from judgekit.inputs.template_files import load_any
from tests.readme_commands import (
    Command,
    commands_in,
    fenced_blocks,
    inline_spans,
    parse,
    parse_or_explain,
    readme_commands,
    split_commands,
)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
REPOSITORY_FOLDERS = ("datasets/", "prompts/", "benchmarks/", "scripts/", "examples/", "docs/", "judgekit/", "tests/")
COMMANDS = readme_commands(README)
INLINE = list(inline_spans(README.read_text(encoding="utf-8"), "judgekit "))
JUDGEKIT = [command for command in COMMANDS if command.judgekit_args is not None]


def _id(command: Command) -> str:
    return f"README.md:{command.line}"


@pytest.fixture(autouse=True)
def _loud_again() -> Iterable[None]:
    yield
    set_quiet(False)  # a README command with -q turns the process-wide quiet flag on while parsing


def test_the_readme_shows_commands_and_its_fences_close() -> None:
    assert len(JUDGEKIT) >= 50, "the extractor found too few judgekit commands: is README.md read right?"
    _, problems = fenced_blocks(README.read_text(encoding="utf-8"))
    assert problems == []


@pytest.mark.parametrize("command", JUDGEKIT, ids=_id)
def test_command_parses(command: Command) -> None:
    where = f"README.md:{command.line}: {command.text}"
    if command.expects_usage_error:
        try:
            parse(command.judgekit_args or ())
        except Exception as exc:
            assert getattr(exc, "exit_code", None) == 2, f"{where}\n  refused, but not as a usage error: {exc!r}"
        else:
            pytest.fail(f"{where}\n  its comment says exit 2, but the CLI takes it", pytrace=False)
        return
    context = parse_or_explain(where, command.judgekit_args or ())
    assert list(_value_problems(context)) == [], where


def _value_problems(context: Any) -> Iterable[str]:
    """Judges, templates and criteria the parsed command names, resolved as a run would."""
    params: dict[str, Any] = context.params
    judges = [*_listed(params.get("judge")), *(_listed(params.get("cascade")))]
    for spec in (part for value in judges for part in value.split(",")):
        try:
            provider, model = parse_spec(spec)
        except Exception as exc:
            yield f"judge {spec}: {exc}"
            continue
        if provider == "mock" and model not in BEHAVIOURS:
            yield f"judge {spec}: the mock judge knows {', '.join(BEHAVIOURS)}"
    templates = _listed(params.get("prompt"))
    if context.parent is not None and context.parent.info_name == "prompts" and context.info_name in {"show", "render"}:
        templates.append(params["name"])
    for name in templates:
        if name.endswith(".jinja"):
            continue  # the user's own file
        try:
            load_any(name)
        except Exception as exc:
            yield f"template {name}: {exc}"
    for criterion in _listed(params.get("criterion")):
        try:
            resolve_criterion(criterion)
        except Exception as exc:
            yield f"criterion {criterion}: {exc}"


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]


@pytest.mark.parametrize("command", COMMANDS, ids=_id)
def test_named_repository_paths_exist(command: Command) -> None:
    named = [part for word in command.words for part in word.split("=") if part.startswith(REPOSITORY_FOLDERS)]
    missing = [path for path in named if not (ROOT / path).exists()]
    assert missing == [], f"README.md:{command.line}: {command.text}"


def test_repository_paths_in_the_prose_exist() -> None:
    """A path in a code span (`datasets/...`, `scripts/...`) names a file or folder of this repository."""
    named = [
        (line, word.strip("(),;:."))
        for line, span in inline_spans(README.read_text(encoding="utf-8"), "")
        for word in span.split()
        if word.startswith(REPOSITORY_FOLDERS) and not set(word) & set("<>*{}[]")
    ]
    assert named, "no repository path found in the prose: is README.md read right?"
    assert [f"README.md:{line}: {path}" for line, path in named if not (ROOT / path).exists()] == []


def _make_targets() -> set[str]:
    targets: set[str] = set()
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-/$() ]+):(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def test_make_targets_exist() -> None:
    named = [(command.line, word) for command in COMMANDS if command.program == "make" for word in command.words[1:]]
    spans = inline_spans(README.read_text(encoding="utf-8"), "make ")
    named += [(line, word) for line, span in spans for word in span.split()[1:]]
    assert named, "the README names no make target: is README.md read right?"
    targets = _make_targets()
    missing = [f"README.md:{line}: make {word}" for line, word in named if "=" not in word and word not in targets]
    assert missing == []


@pytest.mark.parametrize(("line", "span"), INLINE, ids=[f"README.md:{line} {span}" for line, span in INLINE])
def test_inline_commands_name_real_commands_and_options(line: int, span: str) -> None:
    """`judgekit ...` in the prose is often a fragment (no dataset), so only its names are checked:
    the subcommand exists and every option it shows is one of that command's options."""
    args = next(iter(split_commands(line, span))).judgekit_args
    assert args is not None, f"README.md:{line}: `{span}`"
    leaf: Any = typer.main.get_command(app)
    words = list(args)
    while hasattr(leaf, "commands") and words and not words[0].startswith("-"):
        assert words[0] in leaf.commands, f"README.md:{line}: `{span}`: no command '{words[0]}'"
        leaf = leaf.commands[words.pop(0)]
    known = {"-h", "--help"} | {name for param in leaf.params for name in (*param.opts, *param.secondary_opts)}
    unknown = [word for word in words if word.startswith("-") and word.split("=")[0] not in known]
    assert unknown == [], f"README.md:{line}: `{span}`"


# The checks themselves can fail.


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["eval", "data.jsonl", "--no-such-option"], "No such option"),
        (["eval", "data.jsonl", "--positions", "sideways"], "sideways"),
        (["eval", "data.jsonl", "--judge"], "requires an argument"),
        (["labels", "no-such-command"], "No such command"),
        (["batch", "collect", "runs/x", "--no-such-flag"], "No such option"),
    ],
)
def test_parse_refuses_what_the_cli_refuses(args: list[str], says: str) -> None:
    with pytest.raises(Exception) as refused:
        parse(args)
    assert getattr(refused.value, "exit_code", None) == 2
    assert says in refused.value.format_message()  # type: ignore[attr-defined]


def test_parse_reaches_a_group_s_subcommand() -> None:
    context = parse(["labels", "plan", "RUN_DIR", "--n", "100", "--seed", "1", "-o", "to-label.jsonl"])
    assert (context.parent.info_name, context.info_name) == ("labels", "plan")
    assert context.params["n"] == 100


def test_value_checks_catch_a_wrong_judge_template_and_criterion() -> None:
    context = parse(["eval", "d.jsonl", "-j", "mock/sideways", "-j", "nowhere/x", "--prompt", "pairwise/nope"])
    problems = list(_value_problems(context))
    assert [problem.split(":")[0] for problem in problems] == [
        "judge mock/sideways",
        "judge nowhere/x",
        "template pairwise/nope",
    ]
    assert list(_value_problems(parse(["eval", "d.jsonl", "--criterion", "coherense"]))) != []


SAMPLE = """\
Some prose with `judgekit eval --resume DIR`.

```bash
# a comment line
JUDGEKIT_JUDGE=mock/first judgekit eval data.jsonl \\
  --field question=source   # the question column
.venv/bin/judgekit prompts list --format json | head -3 && make lint
echo $(python -m judgekit --version) > version.txt 2>&1
export OPENAI_API_KEY=...
judgekit eval 'a b.jsonl' --prompt pairwise/verdict --out runs/x#1
```

```
judgekit: error: shown output, not a command
```

```console
$ judgekit gate runs/x --min-win-rate 0.5
gate passed
```

```yaml
steps:
  - run: judgekit gate runs/x --format json
  - run: |
      judgekit report runs/x \\
        --html report.html
```
"""


def test_extraction_reads_shell_the_way_a_shell_does() -> None:
    blocks, problems = fenced_blocks(SAMPLE)
    assert problems == []
    found = [(command.line, command.words) for block in blocks for command in commands_in(block)]
    assert found == [
        (5, ("judgekit", "eval", "data.jsonl", "--field", "question=source")),
        (7, (".venv/bin/judgekit", "prompts", "list", "--format", "json")),
        (7, ("head", "-3")),
        (7, ("make", "lint")),
        (8, ("echo",)),
        (8, ("python", "-m", "judgekit", "--version")),
        (10, ("judgekit", "eval", "a b.jsonl", "--prompt", "pairwise/verdict", "--out", "runs/x#1")),
        (18, ("judgekit", "gate", "runs/x", "--min-win-rate", "0.5")),
        (24, ("judgekit", "gate", "runs/x", "--format", "json")),
        (26, ("judgekit", "report", "runs/x", "--html", "report.html")),
    ]


def test_a_word_after_a_closing_fence_is_reported() -> None:
    _, problems = fenced_blocks("```\noutput\n``` and prose\n\n```bash\njudgekit eval x\n```\n")
    assert problems == [
        "README.md:3: text after a closing fence leaves the block of line 1 open",
        "README.md:5: text after a closing fence leaves the block of line 1 open",
    ]
