"""Data given to the Python API as rows (a list of dicts, or a pandas DataFrame) instead of a file.

A run needs a file: its manifest records the data's path and hash, and a resumed run reads the
items again. Rows are therefore written once as JSONL under `<runs_root>/_rows/<hash>/rows.jsonl`,
named by a hash of their content: the same rows always give the same file (so the same run id,
and a second call resumes), different rows never overwrite each other's file.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judgekit.config import EvalConfig
from judgekit.errors import DatasetError, UsageError
from judgekit.store.rundir import atomic_write

ROWS_FOLDER = "_rows"
ROWS_FILE = "rows.jsonl"


def config_for(source: Any, options: Mapping[str, Any]) -> EvalConfig:
    """An `EvalConfig` from what `run_eval` was given: a config, a data file, or rows plus options."""
    if isinstance(source, EvalConfig):
        if options:
            return source.model_copy(update=dict(options))
        return source
    if "dataset" in options:
        raise UsageError("give the data once: as the first argument of run_eval, not also as dataset=")
    if isinstance(source, (str, Path)):
        return EvalConfig(dataset=str(source), **options)
    runs_root = Path(str(options.get("runs_root", "runs")))
    return EvalConfig(dataset=str(write_rows(source, runs_root / ROWS_FOLDER)), **options)


def records(source: Any) -> list[dict[str, Any]]:
    """The rows as plain dicts: a DataFrame's missing cells (NaN, NA, NaT) become absent values."""
    if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a pandas DataFrame, without importing pandas
        frame = source.astype(object).where(source.notna(), None)
        rows: list[dict[str, Any]] = frame.to_dict(orient="records")
        return [{str(key): value for key, value in row.items() if not _missing(value)} for row in rows]
    if isinstance(source, Mapping) or not isinstance(source, Sequence) or isinstance(source, (str, bytes)):
        raise UsageError(
            f"run_eval takes an EvalConfig, a data file path, a list of dicts or a pandas DataFrame, "
            f"not {type(source).__name__}"
        )
    found = []
    for number, row in enumerate(source, start=1):
        if not isinstance(row, Mapping):
            raise DatasetError("rows", number, None, f"a row must be a dict, not {type(row).__name__}")
        found.append({str(key): value for key, value in row.items() if not _missing(value)})
    return found


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def write_rows(source: Any, directory: Path) -> Path:
    """Write the rows as JSONL in a folder named by their hash; returns the file's path."""
    rows = records(source)
    if not rows:
        raise DatasetError("rows", None, None, "no rows")
    text = "".join(json.dumps(row, ensure_ascii=False, default=_plain, allow_nan=False) + "\n" for row in rows)
    folder = directory / hashlib.sha256(text.encode()).hexdigest()[:12]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ROWS_FILE
    if not path.is_file():
        atomic_write(path, text)
    return path


def _plain(value: Any) -> Any:
    """JSON for the values a DataFrame holds: numpy numbers, timestamps, NaN (as missing)."""
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
