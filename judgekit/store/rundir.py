"""A run directory: everything needed to resume, re-parse or re-aggregate a run offline.

    runs/<name>/
      run.json          manifest: full configuration, dataset hash, template hash, versions
      template.jinja    a copy of the template used (re-rendering needs no original file)
      items.jsonl       the validated items, in judgekit's field names
      judgments.jsonl   one row per model call, appended and flushed as each call finishes
      summary.json      the metrics (rebuilt by `judgekit report` at any time)
      outcomes.jsonl    one line per item: its final verdict or score and confidence (rebuilt with the summary)

`judgments.jsonl` is append-only: a run killed at any moment (SIGKILL included) loses at most
the line being written, and a resumed run reuses every completed row whose request hash still
matches, so no paid call is repeated. While a process writes a run directory it holds an
advisory lock on it, so a second judgekit process on the same directory stops with a clear
error instead of making the same calls again; the kernel drops the lock when a process dies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from judgekit.errors import RunDirError
from judgekit.redact import redact_data
from judgekit.schema import Item, Judgment

MANIFEST = "run.json"
ITEMS = "items.jsonl"
JUDGMENTS = "judgments.jsonl"
SUMMARY = "summary.json"
OUTCOMES = "outcomes.jsonl"
TEMPLATE_COPY = "template.jinja"


def atomic_write(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_json(path: Path, data: Any) -> None:
    """Write a JSON document atomically, credentials redacted (a base URL such as
    `http://user:pass@host/v1` reaches the manifest through the judge's endpoint)."""
    atomic_write(path, json.dumps(redact_data(data), indent=2, ensure_ascii=False) + "\n")


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def judgments_path(self) -> Path:
        return self.path / JUDGMENTS

    @property
    def items_path(self) -> Path:
        return self.path / ITEMS

    @property
    def summary_path(self) -> Path:
        return self.path / SUMMARY

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory (created if needed) for this process while it writes there."""
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, no check
            yield
            return
        descriptor = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise RunDirError(
                    f"{self.path} is in use by another judgekit process; wait for it to finish or choose another --out"
                ) from None
            yield
        finally:
            os.close(descriptor)  # closing the descriptor releases the lock

    def read_manifest(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunDirError(f"{self.path}: not a judgekit run directory (no {MANIFEST})") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise RunDirError(f"{self.manifest_path}: cannot read the run manifest ({exc})") from None
        if not isinstance(data, dict):
            raise RunDirError(f"{self.manifest_path}: the run manifest is not a JSON object")
        return data

    def follow(
        self, run_id: str, limit: int | None, order_disagreement: str | None = None, strong_weight: float | None = None
    ) -> None:
        """Record a resumed session's run id, --limit and --order-disagreement in run.json when they
        changed (a run grown from `--limit 5` to every item, or made before the run id left the
        limit out; the rule for swapped orders that disagree decides no judgment, only how the
        two orders are combined when the run is aggregated; so does a graded template's --strong-weight)."""
        manifest = self.read_manifest()
        config = manifest.setdefault("config", {})
        same = (
            config.get("limit") == limit
            and config.get("order_disagreement") == order_disagreement
            and config.get("strong_weight") == strong_weight
        )
        if manifest.get("run_id") == run_id and same:
            return
        manifest["run_id"] = run_id
        config["limit"] = limit
        config["order_disagreement"] = order_disagreement
        config["strong_weight"] = strong_weight
        write_json(self.manifest_path, manifest)

    def start(self, manifest: dict[str, Any], template_source: str, items: Iterable[Item]) -> None:
        """Create the directory for a new run (or replace a run being started afresh)."""
        self.path.mkdir(parents=True, exist_ok=True)
        for name in (JUDGMENTS, SUMMARY, OUTCOMES):
            (self.path / name).unlink(missing_ok=True)
        atomic_write(self.path / TEMPLATE_COPY, template_source)
        self.write_items(items)
        # The manifest goes last: a directory with run.json is a complete, resumable run.
        write_json(self.manifest_path, manifest)

    def write_items(self, items: Iterable[Item]) -> None:
        temporary = self.items_path.with_name(f".{ITEMS}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for item in items:
                handle.write(item.model_dump_json(exclude_defaults=True) + "\n")
        os.replace(temporary, self.items_path)

    def iter_items(self) -> Iterator[Item]:
        try:
            handle = self.items_path.open(encoding="utf-8")
        except FileNotFoundError:
            raise RunDirError(f"{self.path}: {ITEMS} is missing") from None
        with handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield Item.model_validate_json(line)
                    except ValueError as exc:
                        raise RunDirError(
                            f"{self.items_path}:{number}: damaged item ({exc.__class__.__name__})"
                        ) from None

    def load_judgments(self, repair: bool = False, lean: bool = False) -> list[Judgment]:
        """Every complete row; a torn last line (a kill mid-write) is dropped, and cut off if `repair`.

        `lean` drops the judge's raw texts and log-probabilities from judge rows once parsed
        (keeping token counts), for aggregation over runs too large to hold every answer.
        """
        path = self.judgments_path
        if not path.exists():
            return []
        rows: list[Judgment] = []
        good_bytes = 0
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    break  # torn final line
                try:
                    row = Judgment.model_validate_json(raw)
                except ValueError:
                    raise RunDirError(f"{path}:{number}: damaged judgment row") from None
                if lean and row.role == "judge" and row.completion is not None:
                    row.completion = row.completion.model_copy(update={"texts": [], "logprobs": None})
                rows.append(row)
                good_bytes += len(raw)
        if repair and good_bytes < path.stat().st_size:
            with path.open("r+b") as handle:
                handle.truncate(good_bytes)
        return rows

    def open_writer(self) -> JudgmentWriter:
        return JudgmentWriter(self.judgments_path)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json(self.summary_path, summary)

    def write_outcomes(self, lines: Iterable[dict[str, Any]]) -> None:
        """Replace outcomes.jsonl: one JSON object per item (readers see the old or the new file)."""
        atomic_write(self.path / OUTCOMES, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))

    def read_summary(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.summary_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunDirError(f"{self.path}: no {SUMMARY}; rebuild it with `judgekit report {self.path}`") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise RunDirError(f"{self.summary_path}: cannot read ({exc})") from None
        return data

    def rewrite_judgments(self, rows: Iterable[Judgment]) -> None:
        """Replace judgments.jsonl as a whole (readers see the old or the new file, never half)."""
        temporary = self.judgments_path.with_name(f".{JUDGMENTS}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(row.model_dump_json(exclude_none=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.judgments_path)

    def rebuild_from(self, source: RunDir, manifest: dict[str, Any], rows: Iterable[Judgment]) -> None:
        """Make this directory anew from `source`'s items and template with `manifest` and `rows`:
        derived data (a panel's or a cascade's combined verdicts), replaced whole every time."""
        if self.path.exists():
            shutil.rmtree(self.path)
        template = source.path / "template.jinja"
        self.start(manifest, template.read_text(encoding="utf-8") if template.exists() else "", source.iter_items())
        self.rewrite_judgments(rows)


class JudgmentWriter:
    """Appends judgment rows, one flushed line each, so a crash keeps every finished call."""

    def __init__(self, path: Path) -> None:
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def write(self, row: Judgment) -> None:
        self._handle.write(row.model_dump_json(exclude_none=True) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def latest_rows(rows: Iterable[Judgment]) -> dict[tuple[str, str], Judgment]:
    """The last row per (item, call): a retried call's newer row replaces the failed one."""
    latest: dict[tuple[str, str], Judgment] = {}
    for row in rows:
        latest[(row.item_id, row.call)] = row
    return latest


def slug(text: str) -> str:
    """A file-name-safe form of a name (data stems, judges, prompts) for run directories."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:60]
