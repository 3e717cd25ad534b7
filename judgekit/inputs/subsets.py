"""Some of a data file's rows, written again as JSONL that reads back into the same items.

A cascade's later judges see only the items escalated to them, and the items it leaves for
humans go to a file `judgekit labels plan` reads. Both are the data's own rows (every column
as it was, read with the same `--field` mapping), so an item reads back exactly as it did;
a row whose id came from its position in the file gets that id as an `id` column, since its
position changes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from judgekit.inputs.columns import resolve_pairing
from judgekit.inputs.datasets import Dataset
from judgekit.inputs.labels import write_jsonl


def write_subset(
    dataset: Dataset, ids: Collection[str], path: Path, extra: Mapping[str, Mapping[str, Any]] | None = None
) -> int:
    """Write the rows of the items in `ids` (data order) to `path`; `extra` adds columns per item id.
    Returns the rows written."""
    wanted = set(ids)
    rows: list[dict[str, Any]] = []
    for (_, raw), item in zip(dataset.raw_rows(), dataset, strict=True):
        if item.id not in wanted:
            continue
        row = dict(raw)
        mapping, _ = resolve_pairing(tuple(raw), dataset.options.fields)
        if "id" not in mapping:
            row = {"id": item.id, **row}
        row.update((extra or {}).get(item.id, {}))
        rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(path, rows)
    return len(rows)
