"""Human labels brought back into a dataset (`judgekit labels merge`).

A labelling file (written by `judgekit labels plan`) holds one JSON object per drawn item: its
`id`, its `stratum`, the texts, and `human_label` (pairwise: A, B or tie; 1, 2 or 0 also read)
or `human_score` (pointwise) for a person to fill in. Merging writes the dataset again as JSONL
with the labels in one column (by default `human_label` or `human_score`, the names judgekit
reads first) on every row: the label where one was given, empty elsewhere. Rows of a plan drawn
per category also get `label_stratum` on every row, so that the estimate can weight the strata;
for a plan drawn by judge confidence the caller passes every item's band (from the run).

`from_column` takes the labels from a column of the dataset instead of the file: on data that is
already fully labelled, it shows what the planned sample alone would have given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.columns import resolve_mapping
from judgekit.inputs.datasets import Dataset, ReadOptions
from judgekit.inputs.field_values import LABEL_ALIASES, lookup_path

STRATUM_COLUMN = "label_stratum"
"""The column naming each row's stratum when the labels were drawn per stratum."""
NO_CATEGORY = "(none)"
UNBANDED = "(not scored when the plan was drawn)"
"""The confidence band of rows the judge had not scored when a confidence plan was drawn."""


@dataclass
class Merged:
    """What a merge wrote."""

    rows: list[dict[str, Any]]
    column: str
    labelled: int
    """Rows given a label from the labelling file (or from `from_column`)."""
    waiting: int = 0
    """Labelling-file rows still without a label (left out)."""
    kept: int = 0
    """Rows outside the labelling file that already had a value in the column (kept as they were)."""
    stratified_by: str | None = None
    notes: list[str] = field(default_factory=list)


def read_labelling_file(path: str) -> list[tuple[int, dict[str, Any]]]:
    rows = list(Dataset(path).raw_rows())
    seen: dict[str, int] = {}
    for line, row in rows:
        if "id" not in row:
            raise DatasetError(path, line, "id", "missing (each row of a labelling file names its item)")
        key = str(row["id"])
        if key in seen:
            raise DatasetError(path, line, "id", f"duplicate id {key!r} (first seen on line {seen[key]})")
        seen[key] = line
    return rows


def merge_labels(
    labels_path: str,
    data_path: str,
    *,
    fields: Mapping[str, str] | None = None,
    column: str | None = None,
    from_column: str | None = None,
    bands: Mapping[str, str] | None = None,
) -> Merged:
    """The dataset's rows with the labels of the labelling file written into `column`.

    `bands` (item id -> confidence band) is needed for a plan drawn by judge confidence.
    """
    planned = read_labelling_file(labels_path)
    if not planned:
        raise DatasetError(labels_path, None, None, "no rows")
    pairwise = "human_label" in planned[0][1] or "answer_a" in planned[0][1]
    target = column or ("human_label" if pairwise else "human_score")
    data = list(Dataset(data_path, ReadOptions(fields=dict(fields or {}))).raw_rows())
    ids = _row_ids(data, fields or {})
    index_of = {key: index for index, key in enumerate(ids)}
    labels: dict[int, Any] = {}
    waiting = 0
    for line, row in planned:
        position = index_of.get(str(row["id"]))
        if position is None:
            raise DatasetError(labels_path, line, "id", f"no row of {data_path} has the id {row['id']!r}")
        if from_column:
            raw = lookup_path(data[position][1], from_column)
            where, at, name = data_path, data[position][0], from_column
        else:
            raw = row.get(_field(pairwise))
            where, at, name = labels_path, line, _field(pairwise)
        if raw is None or raw == "":
            if from_column:
                raise DatasetError(where, at, name, "empty: no label to take")
            waiting += 1
            continue
        labels[position] = checked_label(raw, pairwise, where, at, name)
    merged = Merged(rows=[], column=target, labelled=len(labels), waiting=waiting)
    stratify = plan_design(labels_path, planned)[0]
    if bands is not None and stratify != "confidence":
        raise UsageError(f"--run applies to plans drawn with --stratify confidence; {labels_path} was not")
    if stratify == "confidence":
        _check_bands(labels_path, planned, bands)
    merged.stratified_by = stratify
    for index, (_, row) in enumerate(data):
        out = dict(row)
        if index in labels:
            out[target] = labels[index]
        elif out.get(target) not in (None, ""):
            merged.kept += 1
        else:
            out[target] = None
        if stratify == "category":
            out[STRATUM_COLUMN] = _category(row, fields or {}) or NO_CATEGORY
        elif stratify == "confidence" and bands is not None:
            out[STRATUM_COLUMN] = bands.get(ids[index], UNBANDED)
        merged.rows.append(out)
    merged.notes = _notes(merged, data, fields or {}, pairwise)
    return merged


def plan_design(path: str, planned: list[tuple[int, dict[str, Any]]]) -> tuple[str | None, int | None]:
    """How the plan was drawn: its stratification (None, category or confidence) and number of bands."""
    if not planned:
        return None, None
    line, first = planned[0]
    stratify = first.get("stratified_by")
    if stratify not in (None, "category", "confidence"):
        raise DatasetError(path, line, "stratified_by", f"unknown stratification {stratify!r}")
    count = first.get("confidence_bands")
    if stratify == "confidence" and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise DatasetError(path, line, "confidence_bands", f"expected the number of bands, got {count!r}")
    return stratify, count if stratify == "confidence" else None


def _check_bands(path: str, planned: list[tuple[int, dict[str, Any]]], bands: Mapping[str, str] | None) -> None:
    """A confidence plan's bands come from its run: every drawn row must be in the band it was drawn from."""
    if bands is None:
        raise UsageError(
            f"{path} was drawn by judge confidence: pass --run RUN_DIR (the run it was drawn from) "
            "so that every row gets its confidence band"
        )
    for line, row in planned:
        band = bands.get(str(row["id"]))
        if band != row.get("stratum"):
            raise DatasetError(
                path,
                line,
                "stratum",
                f"{row.get('stratum')!r}, but the run puts item {row['id']!r} in {band!r}: "
                "is --run the run this plan was drawn from?",
            )


def _field(pairwise: bool) -> str:
    return "human_label" if pairwise else "human_score"


def _row_ids(data: list[tuple[int, dict[str, Any]]], fields: Mapping[str, str]) -> list[str]:
    ids = []
    for index, (_, row) in enumerate(data, start=1):
        value = lookup_path(row, resolve_mapping(tuple(row), fields).get("id", "id"))
        ids.append(str(index) if value is None else str(value))
    return ids


def _category(row: dict[str, Any], fields: Mapping[str, str]) -> str | None:
    column = resolve_mapping(tuple(row), fields).get("category")
    value = lookup_path(row, column) if column else None
    return None if value is None or value == "" else str(value)


def checked_label(raw: Any, pairwise: bool, path: str, line: int, column: str) -> Any:
    """A filled-in label as merged: A, B or tie (pairwise), else a finite number; a DatasetError otherwise."""
    if pairwise:
        key = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        label = LABEL_ALIASES.get(key.lower())
        if label is None or isinstance(raw, bool):
            raise DatasetError(path, line, column, f"expected a human label A, B or tie (or 1, 2, 0), got {raw!r}")
        return label
    try:
        number = float(raw)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(raw, bool) or not math.isfinite(number):
        raise DatasetError(path, line, column, f"expected a number, got {raw!r}")
    return number


def _notes(
    merged: Merged, data: list[tuple[int, dict[str, Any]]], fields: Mapping[str, str], pairwise: bool
) -> list[str]:
    notes = []
    if merged.kept:
        notes.append(
            f"{merged.kept} rows outside the labelling file already had a value in '{merged.column}' and keep it; "
            "the estimates take every labelled row as part of one random sample"
        )
    canonical = _field(pairwise)
    if merged.column != canonical or fields.get(canonical, merged.column) != merged.column:
        notes.append(f"read the merged labels with --field {canonical}={merged.column}")
    elif data:
        shadowed = resolve_mapping(tuple(c for c in data[0][1] if c != canonical), fields).get(canonical)
        if shadowed:
            notes.append(
                f"the data's column '{shadowed}' also holds human labels; judgekit reads '{canonical}' first, "
                "so it is ignored in the merged file"
            )
    return notes


def write_jsonl(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """The merged rows as JSONL (written whole, then moved into place)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        temporary.replace(target)
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror or exc})") from None
