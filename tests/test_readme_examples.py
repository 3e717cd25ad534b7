"""The README's other examples hold too: the scripts and pytest options it shows, its settings file,
its GitHub Action step and the `JUDGEKIT_*` variables it names (tests/test_readme_commands.py does
the `judgekit` commands). Nothing is run: each program's own parser reads the arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from judgekit.cli import app
from judgekit.pytest_plugin import pytest_addoption
from tests.readme_commands import Block, Command, fenced_blocks, parse_or_explain, readme_commands

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COMMANDS = readme_commands(README)
SCRIPTS = [command for command in COMMANDS if command.program.startswith("python") and command.judgekit_args is None]


def _id(command: Command) -> str:
    return f"README.md:{command.line}"


def test_the_readme_shows_scripts_and_pytest_runs() -> None:
    assert SCRIPTS, "no `python scripts/...` command found: is README.md read right?"
    assert any(command.program == "pytest" for command in COMMANDS)


class _Parsed(Exception):
    """Raised in place of running a script, once its arguments are parsed."""


@pytest.mark.parametrize("command", SCRIPTS, ids=_id)
def test_script_arguments_parse(command: Command, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python scripts/x.py ...`: the script's own argparse parser takes the arguments (the script does not run)."""
    script = ROOT / command.words[1]
    assert script.is_file(), f"README.md:{command.line}: {command.text}"
    if "argparse" not in script.read_text(encoding="utf-8"):
        assert command.words[2:] == (), f"README.md:{command.line}: {script.name} takes no arguments"
        return
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(parser: argparse.ArgumentParser, args: Any = None, namespace: Any = None) -> Any:
        raise _Parsed(original(parser, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    spec = importlib.util.spec_from_file_location(f"readme_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(_Parsed):
        try:
            module.main(list(command.words[2:]))
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"README.md:{command.line}: {command.text}\n  refused (exit {exc.code})", pytrace=False)


class _OptionRecorder:
    """Stands in for pytest's option parser: the plugin's options land on a plain argparse parser."""

    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser(exit_on_error=False, add_help=False, allow_abbrev=False)
        self.names: set[str] = set()

    def getgroup(self, *args: Any, **kwargs: Any) -> _OptionRecorder:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.parser.add_argument(*names, **kwargs)
        self.names.update(names)

    def addini(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.program == "pytest"], ids=_id)
def test_pytest_plugin_options_parse(command: Command) -> None:
    recorder = _OptionRecorder()
    pytest_addoption(recorder)  # type: ignore[arg-type]
    ours = [word for word in command.words[1:] if not word.startswith("-") or word.startswith("--judgekit")]
    try:
        _, unknown = recorder.parser.parse_known_args(ours)
    except (argparse.ArgumentError, SystemExit) as exc:
        pytest.fail(f"README.md:{command.line}: {command.text}\n  refused: {exc}", pytrace=False)
    assert [word for word in unknown if word.startswith("--judgekit")] == [], f"README.md:{command.line}"


def _yaml_blocks(language: str) -> list[Block]:
    blocks, _ = fenced_blocks(README.read_text(encoding="utf-8"))
    return [block for block in blocks if block.language == language]


def test_settings_file_examples_name_real_options() -> None:
    """Each `[tool.judgekit.<command>]` key is an option of that command, and its value one the option takes."""
    blocks = _yaml_blocks("toml")
    assert blocks, "the README shows no settings file"
    for block in blocks:
        settings = tomllib.loads("\n".join(line for _, line in block.lines))["tool"]["judgekit"]
        for command_name, values in settings.items():
            for key, value in values.items():
                leaf = typer.main.get_command(app).commands[command_name]  # type: ignore[attr-defined]
                [param] = [param for param in leaf.params if param.name == key.replace("-", "_")] or [None]
                assert param is not None, f"README.md:{block.opened_at}: [{command_name}] {key}"
                if not isinstance(value, bool):
                    where = f"README.md:{block.opened_at}: [{command_name}] {key} = {value!r}"
                    parse_or_explain(where, [command_name, "data.jsonl", param.opts[0], str(value)])


def test_action_example_uses_real_inputs() -> None:
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"])
    steps = [
        step
        for block in _yaml_blocks("yaml")
        for step in (yaml.safe_load("\n".join(line for _, line in block.lines)) or [])
        if isinstance(step, dict) and "/judgekit@" in str(step.get("uses", ""))
    ]
    assert steps, "the README shows no use of the action"
    assert [key for step in steps for key in step.get("with", {}) if key not in inputs] == []


def test_environment_variables_named_are_read_somewhere() -> None:
    """A `JUDGEKIT_*` variable the README names is read by the package, its tests, scripts or Makefile."""
    named = set(re.findall(r"\bJUDGEKIT_[A-Z0-9_]*[A-Z0-9]", README.read_text(encoding="utf-8")))
    sources = [*ROOT.glob("judgekit/**/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("scripts/*"), ROOT / "Makefile"]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources if path != Path(__file__) and path.is_file())
    assert named
    assert sorted(name for name in named if name not in text) == []


OTHER_TOOLS = {
    "--help": "every program",
    "--no-deps": "pip",
    "--strict": "mypy",
    "--port": "the vLLM and llama.cpp servers",
    "--model-path": "SGLang's server",
    "--max-logprobs": "vLLM's server",
    "--served-model-name": "the vLLM and SGLang servers",
}
"""Options of other programs the README mentions; anything else spelled `--x` must be one of ours."""


def _our_options() -> set[str]:
    options: set[str] = set()
    stack: list[Any] = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        options.update(name for param in command.params for name in (*param.opts, *param.secondary_opts))
        stack.extend(getattr(command, "commands", {}).values())
    recorder = _OptionRecorder()
    pytest_addoption(recorder)  # type: ignore[arg-type]
    options.update(recorder.names)
    for script in [*ROOT.glob("scripts/*.py"), *ROOT.glob("benchmarks/*.py"), *ROOT.glob("examples/**/*.py")]:
        options.update(re.findall(r"add_argument\(\s*\"(--[a-z0-9-]+)\"", script.read_text(encoding="utf-8")))
    return options


def test_every_option_the_readme_names_exists() -> None:
    """An option renamed or removed is caught wherever the prose still names it, not only in commands."""
    ours = _our_options()
    named = [
        (number, option)
        for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), start=1)
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line)
    ]
    assert len(named) > 100, "too few options found: is README.md read right?"
    unknown = sorted(
        {f"README.md:{number}: {option}" for number, option in named if option not in ours | set(OTHER_TOOLS)}
    )
    assert unknown == []
