"""`judgekit cache`: inspect and trim the on-disk completion cache."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import OutputFormat, Quiet, confirm, fail, handles_errors, help_markup, print_json

app = typer.Typer(rich_markup_mode=help_markup(), help="Inspect and trim the completion cache.", no_args_is_help=True)

CacheDir = Annotated[
    Optional[str],
    typer.Option("--cache-dir", envvar="JUDGEKIT_CACHE_DIR", help="Cache directory (default: the user cache dir)."),
]


def _directory(cache_dir: Optional[str]) -> Path:
    from judgekit.store.cache import default_cache_dir

    return Path(cache_dir).expanduser() if cache_dir else default_cache_dir()


def _open(cache_dir: Optional[str]):  # type: ignore[no-untyped-def]
    import sqlite3

    from judgekit.store.cache import CACHE_FILE, CompletionCache

    directory = _directory(cache_dir)
    try:
        return CompletionCache(directory)
    except sqlite3.DatabaseError as exc:
        raise fail(
            f"{directory / CACHE_FILE}: the cache is damaged ({exc}); `judgekit cache clear --yes` deletes it",
            3,
        ) from None


@app.command("stats")
@handles_errors
def stats_command(
    cache_dir: CacheDir = None, output_format: OutputFormat = FormatChoice.table, quiet: Quiet = False
) -> None:
    """How many completions are cached, how big the cache is, and for which judges."""
    cache = _open(cache_dir)
    stats = cache.stats()
    cache.close()
    if output_format is FormatChoice.json:
        print_json(
            {
                "path": str(stats.path),
                "entries": stats.entries,
                "bytes": stats.bytes,
                "oldest": stats.oldest,
                "newest": stats.newest,
                "by_model": stats.by_model,
            }
        )
        return
    print(f"cache: {stats.path}")
    print(f"entries: {stats.entries}")
    print(f"size: {stats.bytes / 1_048_576:.1f} MiB")
    if stats.oldest is not None and stats.newest is not None:
        age = (time.time() - stats.oldest) / 86400
        print(f"oldest entry: {age:.1f} days ago")
    for judge, count in stats.by_model.items():
        print(f"  {judge}: {count}")


@app.command("clear")
@handles_errors
def clear_command(
    cache_dir: CacheDir = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Delete every cached completion (asks first; without a terminal, pass --yes)."""
    import sqlite3

    from judgekit.store.cache import CompletionCache, remove_files

    if not confirm("Delete every cached completion?", yes):
        raise typer.Exit(1)
    directory = _directory(cache_dir)
    try:
        cache = CompletionCache(directory)
    except sqlite3.DatabaseError:
        # A damaged file cannot be emptied through SQLite; remove it (a new one starts empty).
        removed_files = [str(path) for path in remove_files(directory)]
        if output_format is FormatChoice.json:
            print_json({"removed": None, "removed_files": removed_files})
        for path in removed_files if output_format is FormatChoice.table else []:
            print(f"removed the damaged cache file {path}")
        return
    removed = cache.clear()
    cache.close()
    if output_format is FormatChoice.json:
        print_json({"removed": removed})
    else:
        print(f"removed {removed} cached completions")


@app.command("prune")
@handles_errors
def prune_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age such as 30d, 12h or 45m.")],
    cache_dir: CacheDir = None,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Delete cached completions older than an age."""
    from judgekit.store.cache import parse_age

    try:
        seconds = parse_age(older_than)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    cache = _open(cache_dir)
    removed = cache.prune(seconds)
    cache.close()
    if output_format is FormatChoice.json:
        print_json({"removed": removed, "older_than": older_than})
    else:
        print(f"removed {removed} cached completions older than {older_than}")
