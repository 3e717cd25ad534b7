"""GitHub Actions integration: error annotations for failed gates and the job's step summary.

Both are read from the environment when they are used, never at import: `GITHUB_ACTIONS=true`
turns on `::error` workflow commands (written to stderr, which the runner reads like stdout,
so `--format json` output stays pure JSON), and `GITHUB_STEP_SUMMARY` names the file a step's
Markdown summary is appended to.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from judgekit.ci.gates import GateResult
from judgekit.errors import InputError


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF are percent-encoded so one line stays one."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: additionally encodes ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotate(gates: Sequence[GateResult], stream: TextIO | None = None) -> int:
    """Print an `::error` annotation per failed gate when running on GitHub Actions."""
    from judgekit.redact import redact

    if not in_github_actions():
        return 0
    out = stream or sys.stderr
    failed = [gate for gate in gates if not gate.passed]
    for gate in failed:
        title = escape_property(f"judgekit gate {gate.option} failed")
        out.write(f"::error title={title}::{escape_data(redact(gate.line()))}\n")
    out.flush()
    return len(failed)


def publish_markdown(text: str, markdown_file: str | None) -> list[Path]:
    """Write the Markdown to `--markdown FILE` (replacing it) and append it to the step summary.

    A step summary that cannot be written only warns (the gate result matters more); a
    `--markdown` file the user asked for is an error.
    """
    from judgekit.redact import redact

    written = []
    text = redact(text).rstrip("\n") + "\n\n"  # a blank line keeps the next step's section apart
    if markdown_file:
        target = Path(markdown_file)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--markdown {markdown_file}: cannot write ({exc.strerror or exc})") from None
        written.append(target)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        try:
            with Path(step_summary).open("a", encoding="utf-8") as handle:
                handle.write(text)
            written.append(Path(step_summary))
        except OSError as exc:
            print(f"judgekit: cannot append to GITHUB_STEP_SUMMARY ({exc.strerror or exc})", file=sys.stderr)
    return written
