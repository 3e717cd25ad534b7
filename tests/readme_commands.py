"""Read the commands a Markdown file shows: every `judgekit ...` (and `make ...`) it asks a user to type.

Fenced blocks are found the CommonMark way: a closing fence is a run of backticks (or tildes) at
least as long as the opening one with nothing after it, so a stray word after a closing fence
leaves the block open, which `fence_problems` reports. In shell blocks (bash, sh, shell, zsh,
console) each logical line (`\\` continuations joined) is split the shell's way: `#` comments
dropped, `|`, `||`, `&&`, `;` and `$(...)` separating commands, leading `NAME=value` assignments
and a `$ ` prompt skipped. YAML blocks contribute their `run:` steps. A block without a language
is shown output, so only lines in it that start with `judgekit ` count as commands.

`parse` then takes a command's arguments through the Typer app's own parser, without running it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from judgekit.cli import app

SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "zsh", "console"})
OPERATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")"})
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


@dataclass(frozen=True)
class Block:
    """A fenced block: its language (the info string's first word, lowercased) and numbered lines."""

    language: str
    opened_at: int
    lines: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Command:
    """One command as a user would type it: where it starts, its text, and its words."""

    line: int
    text: str
    words: tuple[str, ...]
    comment: str = ""

    @property
    def expects_usage_error(self) -> bool:
        """The README shows this mistake on purpose: its comment says it exits with code 2."""
        return re.search(r"\bexit 2\b", self.comment) is not None

    @property
    def program(self) -> str:
        """The program's name without a directory (`.venv/bin/judgekit` -> `judgekit`)."""
        return self.words[0].rsplit("/", 1)[-1]

    @property
    def judgekit_args(self) -> tuple[str, ...] | None:
        """The arguments after `judgekit` (or `python -m judgekit`); None for another program."""
        if self.program == "judgekit":
            return self.words[1:]
        if self.program.startswith("python") and self.words[1:3] == ("-m", "judgekit"):
            return self.words[3:]
        return None


def fenced_blocks(text: str) -> tuple[list[Block], list[str]]:
    """Every fenced block, and a note for each line that looks like a closing fence but is not one."""
    blocks: list[Block] = []
    problems: list[str] = []
    opening: tuple[str, str, int] | None = None  # fence, language, line number
    body: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if opening is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                opening = (match.group(1), (match.group(2).split() or [""])[0].lower(), number)
                body = []
            continue
        fence, language, start = opening
        if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            if not match.group(2).strip():
                blocks.append(Block(language, start, tuple(body)))
                opening = None
                continue
            problems.append(f"README.md:{number}: text after a closing fence leaves the block of line {start} open")
        body.append((number, line))
    if opening is not None:
        problems.append(f"README.md:{opening[2]}: the fenced block never closes")
    return blocks, problems


def logical_lines(lines: tuple[tuple[int, str], ...]) -> Iterator[tuple[int, str]]:
    """Join `\\`-continued lines; each result carries the number of its first line."""
    pending: list[str] = []
    start = 0
    for number, line in lines:
        if not pending:
            start = number
        code = line.rstrip()
        if code.endswith("\\") and _comment_start(code) == len(code):  # a `\` inside a comment joins nothing
            pending.append(code[:-1])
            continue
        pending.append(line)
        yield start, " ".join(part.strip() for part in pending)
        pending = []
    if pending:
        yield start, " ".join(part.strip() for part in pending)


def _comment_start(line: str) -> int:
    """Where an unquoted `#` that starts a word begins a comment (len(line) when there is none)."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return index
    return len(line)


def split_commands(number: int, line: str) -> Iterator[Command]:
    """The simple commands of one shell line: pipes, `&&`/`||`/`;` chains and `$(...)` taken apart."""
    cut = _comment_start(line)
    code, comment = line[:cut].strip(), line[cut:].lstrip("# ").strip()
    if code.startswith("$ "):  # a console prompt
        code = code[2:]
    lexer = shlex.shlex(code, posix=True, punctuation_chars="|&;()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    segment: list[str] = []
    for word in [*lexer, ";"]:
        if word == "(" and segment and segment[-1] == "$":
            segment.pop()  # `$(` opens a command substitution
        if word in OPERATORS:
            command = _command_of(number, segment, comment)
            if command is not None:
                yield command
            segment = []
        else:
            segment.append(word)


def _command_of(number: int, words: list[str], comment: str) -> Command | None:
    kept: list[str] = []
    skip_next = False
    for index, word in enumerate(words):
        if skip_next:
            skip_next = False
        elif set(word) <= set("<>&"):  # a redirection: `>`, `>>`, `<`, `>&` and its target
            skip_next = True
            if index > 0 and words[index - 1].isdigit() and kept and kept[-1] == words[index - 1]:
                kept.pop()  # the `2` of `2>` (shlex splits it off; a bare number before `>` reads the same)
        else:
            kept.append(word)
    while len(kept) > 1 and ASSIGNMENT.match(kept[0]):
        kept.pop(0)  # `NAME=value` before the program
    if not kept or ASSIGNMENT.match(kept[0]) or kept[0] in {"export", "cd"}:
        return None
    return Command(number, shlex.join(kept), tuple(kept), comment)


def yaml_run_lines(block: Block) -> Iterator[tuple[int, str]]:
    """The shell lines of a YAML block's `run:` steps, inline (`run: judgekit ...`) or `run: |`."""
    lines = block.lines
    index = 0
    while index < len(lines):
        number, line = lines[index]
        match = re.match(r"^(\s*)(?:-\s+)?run:\s*(.*)$", line)
        index += 1
        if not match:
            continue
        value = match.group(2).strip()
        if value and value[0] not in "|>":
            yield number, value.strip("'\"") if value[0] in "'\"" and value[-1] == value[0] else value
            continue
        indent = len(match.group(1))
        while index < len(lines) and (not lines[index][1].strip() or _indent(lines[index][1]) > indent):
            if lines[index][1].strip():
                yield lines[index][0], lines[index][1].strip()
            index += 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def commands_in(block: Block) -> Iterator[Command]:
    """Every command a block shows."""
    if block.language in SHELL_LANGUAGES:
        lines = block.lines
        if block.language == "console":  # only prompted lines are typed; the rest is output
            lines = tuple((number, line) for number, line in lines if line.lstrip().startswith("$ "))
        for number, line in logical_lines(lines):
            yield from split_commands(number, line.lstrip())
    elif block.language in {"yaml", "yml"}:
        for number, line in logical_lines(tuple(yaml_run_lines(block))):
            yield from split_commands(number, line)
    elif block.language == "":
        for number, line in block.lines:
            if line.startswith(("judgekit ", "$ judgekit ")):
                yield from split_commands(number, line)


def readme_commands(path: Path) -> list[Command]:
    """Every command in the file's fenced blocks, in the order they appear."""
    blocks, _ = fenced_blocks(path.read_text(encoding="utf-8"))
    return [command for block in blocks for command in commands_in(block)]


def inline_spans(text: str, prefix: str) -> Iterator[tuple[int, str]]:
    """Code spans in the prose (outside fenced blocks) that start with `prefix`, with their line numbers."""
    blocks, _ = fenced_blocks(text)
    inside = {number for block in blocks for number, _ in block.lines} | {block.opened_at for block in blocks}
    for number, line in enumerate(text.splitlines(), start=1):
        if number in inside or FENCE.match(line):
            continue
        for span in re.findall(r"`([^`]+)`", line):
            if span.startswith(prefix):
                yield number, span


# Parsing a command line the way the CLI would, without running it.


def parse(args: Iterable[str]) -> Any:
    """The context the real CLI builds for these arguments, walking groups to the leaf command.

    A group stops parsing at its first positional word (click never intersperses a group's
    arguments), so what follows its own options is the suffix the group leaves in `ctx.args`
    plus the subcommand's name before it.
    """
    command: Any = typer.main.get_command(app)
    name, parent, words = "judgekit", None, list(args)
    while hasattr(command, "resolve_command"):
        context = command.make_context(name, words, parent=parent, resilient_parsing=False)
        rest = words[len(words) - len(context.args) - 1 :]
        name, command, words = command.resolve_command(context, rest)
        parent = context
    return command.make_context(name, words, parent=parent, resilient_parsing=False)


def parse_or_explain(where: str, args: Iterable[str]) -> Any:
    """`parse`, with a failure that names the README line and the command as written."""
    try:
        return parse(args)
    except Exception as exc:  # the CLI's usage errors; any other error is a failure too
        message = exc.format_message() if hasattr(exc, "format_message") else repr(exc)
        pytest.fail(f"{where}\n  does not parse: {message}", pytrace=False)
