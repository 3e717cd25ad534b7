"""The `judgekit` command line: one module per command, joined here.

Only typer is imported at start-up; each command imports what it needs when it runs, so
`judgekit --help` answers at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from judgekit.cli import agreement as agreement_command
from judgekit.cli import batch as batch_command
from judgekit.cli import cache as cache_command
from judgekit.cli import compare as compare_command
from judgekit.cli import diff as diff_command
from judgekit.cli import eval as eval_command
from judgekit.cli import gate as gate_command
from judgekit.cli import labels as labels_command
from judgekit.cli import models as models_command
from judgekit.cli import prompts as prompts_command
from judgekit.cli import prompts_validate
from judgekit.cli import report as report_command
from judgekit.cli.common import OneLineGroup, QuietPipe, fail, help_markup, set_quiet
from judgekit.version import __version__

app = typer.Typer(
    cls=OneLineGroup,
    rich_markup_mode=help_markup(),
    name="judgekit",
    help="LLM-as-a-judge evaluation: judge model outputs pairwise or pointwise, with honest statistics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("eval")(eval_command.eval_command)
app.command("report")(report_command.report_command)
app.command("gate")(gate_command.gate_command)
app.command("diff")(diff_command.diff_command)
prompts_command.app.command("validate")(prompts_validate.validate_command)
app.add_typer(prompts_command.app, name="prompts")
app.command("compare")(compare_command.compare_command)
app.command("agreement")(agreement_command.agreement_command)
app.add_typer(cache_command.app, name="cache")
app.add_typer(batch_command.app, name="batch")
app.add_typer(models_command.app, name="models")
app.add_typer(labels_command.app, name="labels")


def _version(value: bool) -> None:
    if value:
        print(f"judgekit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Load option defaults from judgekit.toml or [tool.judgekit] in pyproject.toml."""
    set_quiet(False)  # each invocation starts loud; a command's -q turns it down
    from judgekit.config import load_settings
    from judgekit.errors import JudgekitError

    try:
        settings, path = load_settings(Path.cwd())
    except JudgekitError as exc:
        raise fail(str(exc), exc.exit_code) from None
    if settings:
        ctx.default_map = _checked_defaults(ctx, settings, path)


def _checked_defaults(ctx: typer.Context, settings: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """Reject unknown commands and options in the settings file, naming the file and key."""
    group: Any = ctx.command
    for command_name, values in settings.items():
        command = group.commands.get(command_name) if hasattr(group, "commands") else None
        if command is None or not isinstance(values, dict):
            raise fail(f"{path}: unknown section '{command_name}'; use e.g. [tool.judgekit.eval]", 2)
        known = {param.name for param in command.params}
        repeatable = {param.name for param in command.params if getattr(param, "multiple", False)}
        for key in list(values):
            if key.replace("-", "_") not in known:
                raise fail(f"{path}: unknown setting '{command_name}.{key}'; known: {', '.join(sorted(known))}", 2)
            if key.replace("-", "_") in repeatable and isinstance(values[key], str):
                values[key] = [values[key]]  # judge = "x" in a settings file means one --judge x
    return {
        command: {key.replace("-", "_"): value for key, value in values.items()} for command, values in settings.items()
    }


def main() -> None:
    """Entry point of the `judgekit` script."""
    sys.stdout = QuietPipe(sys.stdout)
    try:
        app()
    except KeyboardInterrupt:
        print("judgekit: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # an error the commands did not map: keep tracebacks (and their locals) out
        if os.environ.get("JUDGEKIT_DEBUG"):
            raise
        from judgekit.redact import redact

        print(f"judgekit: internal error: {type(exc).__name__}: {redact(str(exc))}", file=sys.stderr)
        sys.exit(3)
