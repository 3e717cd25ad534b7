"""Read what a run report needs from a run directory: manifest, summary, items and outcomes.

Item outcomes are rebuilt from `judgments.jsonl` with the same function `aggregate` uses, so
the per-item table shows exactly the verdicts the summary counted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from judgekit.choices import DEFAULT_RESAMPLES
from judgekit.errors import RunDirError
from judgekit.manifest import load_manifest
from judgekit.metrics.items import ItemFacts, ItemOutcome, judge_rows_by_item, stored_outcomes
from judgekit.reporting.html.derive import Bootstrap
from judgekit.schema import Item, Judgment
from judgekit.stats.intervals import Estimate
from judgekit.store.rundir import RunDir
from judgekit.summary import Summary

CALL_ORDER = {"steps": 0, "reference": 1, "single": 2, "AB": 3, "BA": 4}


@dataclass
class RunData:
    path: Path
    manifest: dict[str, Any]
    summary: Summary
    items: list[Item]
    facts: list[ItemFacts]
    outcomes: list[ItemOutcome]
    calls: dict[str, list[Judgment]]
    """Each item's latest row per call (aux rows included), in the order the calls are made."""
    bootstrap: Bootstrap


def load_run(path: str | Path, summary: Summary | None = None) -> RunData:
    """Everything the page shows about one run; `summary` defaults to the run's summary.json."""
    run_dir = RunDir(Path(path))
    record = load_manifest(run_dir)
    manifest = record.as_dict()  # checked by the one loader; the page walks it by key
    if summary is None:
        try:
            summary = Summary.model_validate(run_dir.read_summary())
        except ValidationError as exc:
            raise RunDirError(
                f"{run_dir.summary_path}: not a summary this judgekit can read ({exc.error_count()} problems); "
                f"rebuild it with `judgekit report {run_dir.path}`"
            ) from None
    config = manifest.get("config", {})
    limit = config.get("limit")
    items = list(islice(run_dir.iter_items(), limit) if limit else run_dir.iter_items())
    rows = run_dir.load_judgments()
    latest: dict[str, dict[str, Judgment]] = defaultdict(dict)
    for row in rows:
        latest[row.item_id][row.call] = row  # a retried call's newer row replaces the failed one
    facts = [ItemFacts.of(item) for item in items]
    outcomes = stored_outcomes(record.config, facts, judge_rows_by_item(rows))
    calls = {
        item_id: sorted(rows.values(), key=lambda row: (CALL_ORDER.get(row.call, 9), row.call))
        for item_id, rows in latest.items()
    }
    bootstrap = Bootstrap(int(config.get("bootstrap_resamples", DEFAULT_RESAMPLES)), int(config.get("seed", 0)))
    return RunData(run_dir.path, manifest, summary, items, facts, outcomes, calls, bootstrap)


def as_estimate(value: Any) -> Estimate | None:
    """An Estimate from an Estimate, a pydantic model or a dict with value/low/high/n; else None."""
    if isinstance(value, Estimate):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict) and "value" in value and "n" in value:
        try:
            return Estimate.model_validate({key: value.get(key) for key in ("value", "low", "high", "n")})
        except ValidationError:
            return None
    return None


def as_plain(value: Any) -> Any:
    """A JSON-ready form of a summary field (pydantic models dumped)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


def pretty_json(value: Any) -> str:
    return json.dumps(as_plain(value), indent=2, ensure_ascii=False, default=str)
