"""Errors judgekit raises on purpose, and the exit code each one maps to.

The hierarchy::

    JudgekitError                      exit 3 unless a subclass says otherwise
    ├── UsageError                     exit 2: bad options or configuration
    │   ├── UnknownProviderError       a model spec names a provider nobody registered
    │   ├── MissingDependencyError     an optional extra (SDK, local runtime) is not installed
    │   └── MissingCredentialsError    the provider's key variable is not set
    ├── InputError                     exit 2: a dataset, template or run directory is invalid
    │   ├── DatasetError               a row in a data file is invalid (names file, line, field)
    │   ├── TemplateError              a prompt template is invalid or cannot render an item
    │   └── RunDirError                a run directory is missing, foreign or damaged
    ├── ProviderError                  exit 3: a model call failed (carries a retry hint)
    │   └── FatalProviderError         retrying cannot help (bad key, unknown model, the same 400
    │                                  again and again, no server at the URL): stop the run
    ├── ErrorBudgetExceeded            exit 3: more items failed than --max-errors allows
    ├── RunStopped                     exit 3: a run stopped early (budget, fatal provider error)
    ├── RunIncomplete                  exit 3: gates were asked of a run with items never judged
    ├── NoVerdicts                     exit 3: the first answers, or all of them, had no valid verdict
    ├── Interrupted                    exit 130: Ctrl-C; what was judged is kept
    └── GenerationError                exit 3: G-Eval's evaluation steps could not be generated

Every message is one line meant for a person; none may contain an API key.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    PROVIDER = 3
    INTERRUPTED = 130


class JudgekitError(Exception):
    """Base class for every error judgekit raises deliberately."""

    exit_code: ExitCode = ExitCode.PROVIDER


class UsageError(JudgekitError):
    """Raised when options, the model spec or the configuration are wrong."""

    exit_code = ExitCode.USAGE


class UnknownProviderError(UsageError):
    """Raised when a `provider/model` spec names a provider that is not registered."""


class MissingDependencyError(UsageError):
    """Raised when a backend needs an optional package that is not installed."""

    def __init__(self, package: str, extra: str | None = None, purpose: str = "") -> None:
        hint = f"pip install 'judgekit-cli[{extra}]'" if extra else f"pip install {package}"
        what = f" for {purpose}" if purpose else ""
        super().__init__(f"the Python package '{package}' is needed{what}; install it with: {hint}")


class MissingCredentialsError(UsageError):
    """Raised when the environment variable holding a provider's key is not set."""


class InputError(JudgekitError):
    """Raised when a file the user gave judgekit is invalid."""

    exit_code = ExitCode.USAGE


class DatasetError(InputError):
    """Raised when a dataset row is invalid; the message names file, line and field."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str) -> None:
        where = path if line is None else f"{path}:{line}"
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {problem}")
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem


class TemplateError(InputError):
    """Raised when a prompt template is invalid or cannot be rendered for an item."""


class RunDirError(InputError):
    """Raised when a run directory is missing, belongs to another run, or is damaged."""


class ProviderError(JudgekitError):
    """Raised by a backend when one model call fails.

    `kind` is one of the failure kinds the runner counts (rate_limit, server_error, timeout,
    connection, malformed, bad_request, auth, not_found, other); `retryable` says whether
    trying again may help and `retry_after` carries the server's Retry-After, in seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class FatalProviderError(ProviderError):
    """Raised when every further call would fail the same way (bad key, unknown model)."""

    def __init__(self, message: str, *, kind: str, status: int | None = None) -> None:
        super().__init__(message, kind=kind, retryable=False, status=status)


class ErrorBudgetExceeded(JudgekitError):
    """Raised after a run when more items failed than the allowed error budget."""


class RunStopped(JudgekitError):
    """Raised at a run's end when it stopped before every item was judged (a budget, a fatal
    provider error); what was judged is kept and the same command resumes it."""


class RunIncomplete(JudgekitError):
    """Raised when gates are checked on a run directory whose items were not all judged."""


class NoVerdicts(JudgekitError):
    """Raised when a run's answers carry no valid verdict: its first answers all lacked one (the
    run stops early), or every judged item is unscored (the run ends with exit 3, never 0)."""


class Interrupted(JudgekitError):
    """Raised when the user interrupts a run (Ctrl-C); the message says what was kept."""

    exit_code = ExitCode.INTERRUPTED


class GenerationError(JudgekitError):
    """Raised when the judge cannot write G-Eval's evaluation steps (the call failed after every
    retry, or the answer held no numbered steps), so no item can be graded."""
