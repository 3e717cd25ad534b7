"""Helpers shared by the commands: error-to-exit-code mapping, the two consoles, and the
conventions every command follows (one-line errors, quiet pipes, `-q`, `--format`, `--yes`)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import IO, Annotated, Any, Literal, TypeVar

import typer
from typer.core import TyperGroup

from judgekit.cli.choices import FormatChoice
from judgekit.errors import ExitCode, JudgekitError

F = TypeVar("F", bound=Callable[..., Any])


def help_markup() -> Literal["rich"] | None:
    """Rich help (panels, colour) on a terminal; plain help when piped or captured.

    Typer's rich help costs about 100 ms of imports and rendering, which a script reading
    `--help` through a pipe has no use for.
    """
    return "rich" if sys.stdout.isatty() else None


def fail(message: str, code: int) -> typer.Exit:
    """Print one error line on stderr and return the Exit to raise."""
    from judgekit.redact import redact

    print(f"judgekit: error: {redact(message)}", file=sys.stderr)
    return typer.Exit(code)


_quiet = False
"""Set by `-q/--quiet` on any command: progress and passing notes on stderr are left out."""


def set_quiet(value: bool) -> bool:
    global _quiet
    _quiet = bool(value)
    return value


def is_quiet() -> bool:
    return _quiet


def _quiet_callback(value: bool) -> bool:
    return set_quiet(value) if value else value


def warn(message: str) -> None:
    """A line on stderr: a warning, or what a command did (the run directory, files written)."""
    from judgekit.reporting.messages import say

    say(message)


def note(message: str) -> None:
    """A passing remark on stderr (progress of a slow step, a hint); `-q` leaves it out."""
    if not _quiet:
        warn(message)


Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_quiet_callback,
        help="No progress display and no passing notes on stderr (results, warnings and errors still print).",
    ),
]
"""`-q/--quiet`, the same on every command."""

OutputFormat = Annotated[
    FormatChoice,
    typer.Option("--format", help="table (for people) or json (for programs, on stdout)."),
]
"""`--format table|json`, for commands whose result is a listing."""


def print_json(data: Any) -> None:
    """A command's result as JSON on stdout (`--format json`)."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def confirm(question: str, yes: bool) -> bool:
    """Ask before a destructive step; without a terminal to ask on, refuse and name `--yes`."""
    if yes:
        return True
    if not stdin_is_terminal():
        raise fail(f"{question.rstrip('?')}: there is no terminal to confirm on; pass --yes to go ahead", 2)
    try:
        return bool(typer.confirm(question, err=True))
    except typer.Abort:
        return False


def handles_errors(function: F) -> F:
    """Turn judgekit's own errors into one line on stderr and their documented exit code.

    Unexpected exceptions become exit code 3 with a one-line message; JUDGEKIT_DEBUG=1 shows
    the traceback instead (never with local variables, which may hold keys).
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except typer.Exit:
            raise
        except JudgekitError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            print("judgekit: interrupted", file=sys.stderr)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except BrokenPipeError:
            # The reader of stdout went away (`| head`): nothing more to say to it.
            silence_stdout()
            raise typer.Exit(ExitCode.OK) from None
        except Exception as exc:
            if os.environ.get("JUDGEKIT_DEBUG"):
                raise
            raise fail(
                f"internal error: {type(exc).__name__}: {exc} (set JUDGEKIT_DEBUG=1 to see the traceback)",
                ExitCode.PROVIDER,
            ) from None

    return wrapper  # type: ignore[return-value]


def stdout_console(wide: bool = False) -> Any:
    """The result console (see `judgekit.reporting.results`)."""
    from judgekit.reporting.results import stdout_console as console

    return console(wide)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


# -- pipes ----------------------------------------------------------------------------------
def silence_stdout() -> None:
    """Send whatever is still written to stdout to /dev/null (its reader has gone)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class QuietPipe:
    """stdout that goes quiet when its reader closes the pipe (`judgekit ... | head`).

    The command carries on, so its exit code still reports the run and its gates; only the
    output nobody reads is dropped.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        self._closed = True
        silence_stdout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# -- usage errors -------------------------------------------------------------------------------
class OneLineGroup(TyperGroup):
    """The root command: option and argument mistakes become judgekit's one line and exit 2,
    and every option shows its placeholder in one style (see `placeholders.py`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from judgekit.cli.placeholders import apply_placeholders

        apply_placeholders(self)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except typer.Abort:
            print("judgekit: aborted", file=sys.stderr)
            sys.exit(ExitCode.GATE_FAILED)
        except typer.TyperException as exc:
            sys.exit(_usage_error(exc))
        sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: Exception) -> int:
    """Print a parsing error in one line (help asked for by a bare command is printed whole)."""
    context = getattr(exc, "ctx", None)
    code = int(getattr(exc, "exit_code", ExitCode.USAGE))
    if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
        print(context.get_help(), file=sys.stderr)
        return code
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    message = " ".join(str(message).split()).rstrip(".")
    if message and message[0].isupper() and not message[:2].isupper():
        message = message[0].lower() + message[1:]
    hint = ""
    if context is not None:
        names = []
        while context.parent is not None:  # the root's own name is however judgekit was started
            names.append(context.info_name)
            context = context.parent
        hint = f" (see `{' '.join(['judgekit', *reversed(names)])} --help`)"
    print(f"judgekit: error: {message}{hint}", file=sys.stderr)
    return code
