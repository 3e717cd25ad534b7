"""The offline labelling page (`judgekit labels page`): one self-contained HTML file to label a plan in.

The page shows the rows of a labelling file (written by `judgekit labels plan`) one at a time,
blind: only the conversation, the question and the answers, never a model name. For pairwise
rows the two answers appear in a seeded random order per item ("Answer 1" may be the data's B);
the page maps the choice back to A or B itself, so the labels it stores and exports are in the
data's terms. Labels are kept in the browser's IndexedDB, one record per item under a key made
of the rows' ids and texts, and shown as saved only once the browser confirms the write, so a
closed tab or a reload loses nothing (where the browser keeps nothing, the page says so). The
export is the labelling file again with `human_label` (or `human_score`) filled in: `judgekit
labels merge` reads it unchanged.

As in the report, the script is inline and allowed by its hash, and a Content-Security-Policy
forbids every network request. The rows travel as JSON in a data block (never run as script,
`<` escaped so no text can close it); the script writes every text with `textContent`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.labels import checked_label, read_labelling_file
from judgekit.reporting.html.render import asset, html_environment
from judgekit.version import __version__

LABEL_FIELDS = ("human_label", "human_score")


@dataclass
class LabelPage:
    """What a labelling page holds: its rows, how many are labelled already, its storage key."""

    html: str
    rows: int
    labelled: int
    pairwise: bool
    storage_key: str


def first_shown(seed: int, item_id: str) -> str:
    """Which of the data's answers ("A" or "B") the page shows first for one item (seeded)."""
    digest = hashlib.sha256(f"{seed}\x00{item_id}".encode()).digest()
    return "B" if digest[0] & 1 else "A"


def storage_key(rows: list[dict[str, Any]]) -> str:
    """The page's storage key: the same ids and texts give the same key, whatever labels are filled in."""
    blank = [{key: value for key, value in row.items() if key not in LABEL_FIELDS} for row in rows]
    text = json.dumps(blank, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "judgekit-labels:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def build_label_page(path: str, *, seed: int = 0, scale: tuple[float, float] | None = None) -> LabelPage:
    """The labelling page of a labelling file; a DatasetError (file, line, field) for a bad row."""
    planned = read_labelling_file(path)
    if not planned:
        raise DatasetError(path, None, None, "no rows")
    first = planned[0][1]
    pairwise = "answer_a" in first or "human_label" in first
    if pairwise and scale is not None:
        raise UsageError("--scale applies to pointwise labelling files (with human_score); this one is pairwise")
    field = "human_label" if pairwise else "human_score"
    items, labelled = [], 0
    for line, row in planned:
        _check_texts(path, line, row, pairwise)
        raw = row.get(field)
        if raw is not None and raw != "":
            row[field] = checked_label(raw, pairwise, path, line, field)
            labelled += 1
        item: dict[str, Any] = {"row": row}
        if pairwise:
            item["first"] = first_shown(seed, str(row["id"]))
        items.append(item)
    rows = [row for _, row in planned]
    key = storage_key(rows)
    data = {
        "key": key,
        "kind": "pairwise" if pairwise else "pointwise",
        "field": field,
        "file": Path(path).name,
        "scale": list(scale) if scale is not None else _row_scale(path, planned),
        "items": items,
    }
    html = _render(Path(path).name, data)
    return LabelPage(html=html, rows=len(rows), labelled=labelled, pairwise=pairwise, storage_key=key)


def write_label_page(path: str, out: str, *, seed: int = 0, scale: tuple[float, float] | None = None) -> LabelPage:
    """Write the page to `out` (atomically; checked before the labelling file is read)."""
    from judgekit.redact import redact

    target = Path(out)
    if target.is_dir():
        raise UsageError(f"--out {target}: is a directory; give a file name such as labels.html")
    if not target.parent.is_dir():
        raise UsageError(f"--out {target}: the folder {target.parent} does not exist")
    page = build_label_page(path, seed=seed, scale=scale)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(redact(page.html), encoding="utf-8")
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise UsageError(f"--out {target}: cannot write the page ({exc.strerror or exc})") from None
    return page


def _check_texts(path: str, line: int, row: dict[str, Any], pairwise: bool) -> None:
    needed = ("question", "answer_a", "answer_b") if pairwise else ("question", "answer")
    for name in needed:
        if not isinstance(row.get(name), str):
            raise DatasetError(path, line, name, "missing (a labelling row shows the question and the answers)")


def _row_scale(path: str, planned: list[tuple[int, dict[str, Any]]]) -> list[float] | None:
    """The scale a pointwise plan recorded in its rows (`scale`: [low, high]), or None."""
    line, row = planned[0]
    scale = row.get("scale")
    if scale is None:
        return None
    if (
        not isinstance(scale, list)
        or len(scale) != 2
        or not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in scale)
        or scale[0] >= scale[1]
    ):
        raise DatasetError(path, line, "scale", f"expected [low, high] with low < high, got {scale!r}")
    return [float(scale[0]), float(scale[1])]


def _render(name: str, data: dict[str, Any]) -> str:
    from markupsafe import Markup

    script = asset("labelling_store.js") + asset("labelling.js")  # one inline script, allowed by its hash
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Inside <script type="application/json"> only "</script" could end the block: escape every <, > and &.
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    template = html_environment().from_string(asset("labelling.html.jinja"))
    html = template.render(
        title=f"Labelling {name}",
        data=Markup(payload),
        css=Markup(asset("labelling.css")),
        script=Markup(script),
        script_hash=f"sha256-{digest}",
        version=__version__,
    )
    return str(html).lstrip()
