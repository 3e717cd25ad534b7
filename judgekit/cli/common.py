"""Helpers shared by the commands: error-to-exit-code mapping and the two consoles."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import typer

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


def warn(message: str) -> None:
    from judgekit.reporting.messages import say

    say(message)


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
