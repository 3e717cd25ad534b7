"""Read JSONL, CSV and JSON-array files of model outputs into validated `Item`s.

Rows are read lazily so a run over 100,000 items never holds the whole file; `scan()` makes a
first full pass that checks every row (and duplicate ids) before anything is written, so a bad
file fails with one line naming the file, line and field instead of half a run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.columns import CANONICAL_FIELDS, Pairing, resolve_mapping, resolve_pairing
from judgekit.inputs.conversations import conversation_fields
from judgekit.inputs.field_values import follow_path, human_scores_of, label_of, scalar_text, turns_of
from judgekit.inputs.listwise import listwise_fields
from judgekit.inputs.row_files import csv_rows, json_array_rows, jsonl_rows
from judgekit.schema import Item, Kind, RubricItem

_ANSWER_FIELDS = ("answer", "answer_a", "answer_b")
_TEXT_FIELDS = ("answer", "answer_a", "answer_b", "reference", "context", "rubric")
_NAME_FIELDS = ("model", "model_a", "model_b", "category")


DEFAULT_MAX_CHARS = 100_000
"""Longest text field accepted unless `--truncate` is given (about 25,000 tokens)."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a dataset file."""

    fields: Mapping[str, str] = field(default_factory=dict)
    """Canonical field -> source column (dotted paths reach into nested objects)."""
    max_chars: int = DEFAULT_MAX_CHARS
    """Longest text accepted; longer texts are an error unless `truncate` is set."""
    truncate: bool = False
    """Cut texts longer than `max_chars` instead of rejecting them."""
    checklist: tuple[RubricItem, ...] | None = None
    """Checklist criteria (`--checklist FILE`) for every row without its own `rubric_items`; an
    empty tuple says there is none. None (not told) lets a reader that never grades, e.g. a
    first look at the data's kind, pass over `human_rubric` in rows without criteria."""


@dataclass
class DatasetInfo:
    """What a full validation pass learned about a file."""

    path: str
    format: str
    rows: int
    kind: Kind
    sha256: str
    columns: list[str]
    mapping: dict[str, str]
    """Canonical field -> the column that supplied it (explicit or by alias)."""
    truncated: int = 0
    has_human_labels: bool = False
    has_human_scores: bool = False
    has_categories: bool = False
    has_checklists: bool = False
    has_human_rubric: bool = False


def parse_field_options(specs: list[str]) -> dict[str, str]:
    """Turn `["question=instruction", ...]` from the CLI into a mapping, checking the names."""
    mapping: dict[str, str] = {}
    for spec in specs:
        name, sep, column = spec.partition("=")
        name, column = name.strip(), column.strip()
        if name == "label":
            name = "human_label"
        if not sep or not name or not column:
            raise UsageError(f"--field expects NAME=COLUMN (e.g. question=instruction), got {spec!r}")
        if name not in CANONICAL_FIELDS:
            raise UsageError(f"--field {spec!r}: unknown field '{name}'; known fields: {', '.join(CANONICAL_FIELDS)}")
        mapping[name] = column
    return mapping


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    raise DatasetError(str(path), None, None, "unknown file type; use .jsonl, .json (an array) or .csv")


class Dataset:
    """A data file plus the options to read it; iterate it for `Item`s."""

    def __init__(self, path: str | Path, options: ReadOptions | None = None) -> None:
        self.path = Path(path)
        self.options = options or ReadOptions()
        self.format = detect_format(self.path)
        self.truncated = 0
        self.unmatched: set[str] = set()

    # -- raw rows -------------------------------------------------------------------------
    def _text(self) -> str:
        name = str(self.path)
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise DatasetError(name, None, None, "file not found") from None
        except IsADirectoryError:
            raise DatasetError(name, None, None, "is a directory, not a data file") from None
        except OSError as exc:
            raise DatasetError(name, None, None, f"cannot read ({exc.strerror})") from None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DatasetError(
                name, line, None, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8"
            ) from None

    def raw_rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield (line number, row object) pairs without validating fields."""
        name = str(self.path)
        text = self._text()
        if not text.strip():
            raise DatasetError(name, None, None, "the file is empty")
        if self.format == "jsonl":
            yield from jsonl_rows(name, text)
        elif self.format == "json":
            yield from json_array_rows(name, text)
        else:
            yield from csv_rows(name, text, "\t" if self.format == "tsv" else ",")

    # -- validated items --------------------------------------------------------------------
    def __iter__(self) -> Iterator[Item]:
        # Rows of a JSONL file need not share keys (an optional field may appear on row 5
        # only), so the mapping is worked out per distinct set of keys.
        mappings: dict[tuple[str, ...], tuple[dict[str, str], Pairing]] = {}
        self.truncated = 0
        self.unmatched = set(self.options.fields)
        for index, (line, row) in enumerate(self.raw_rows(), start=1):
            keys = tuple(row)
            found = mappings.get(keys)
            if found is None:
                found = mappings[keys] = resolve_pairing(keys, self.options.fields)
            mapping, pairing = found
            self.unmatched -= {name for name in self.unmatched if name in mapping}
            yield self._item(index, line, row, mapping, pairing)

    def scan(self, kind: Kind | None = None, check: Callable[[Item], None] | None = None) -> DatasetInfo:
        """Validate every row, check ids are unique and that all rows are of one kind.

        `check` is called with every item, for checks that depend on more than the file (e.g.
        fields the chosen template requires); it raises DatasetError to reject the file.
        """
        name = str(self.path)
        seen: dict[str, int] = {}
        rows = 0
        first: Item | None = None
        labels = scores = categories = checklists = human_rubric = False
        for item in self:
            if first is None:
                first = item
                if kind is not None and item.kind != kind:
                    raise DatasetError(name, item.line, None, _kind_mismatch(kind, item.kind))
            elif item.kind != first.kind:
                raise DatasetError(
                    name,
                    item.line,
                    "answer_a" if item.kind == "pairwise" else "answer",
                    f"row is {item.kind} but earlier rows are {first.kind}; a file holds one kind",
                )
            if item.id in seen:
                raise DatasetError(
                    name, item.line, "id", f"duplicate id {item.id!r} (first seen on line {seen[item.id]})"
                )
            seen[item.id] = item.line
            if check is not None:
                check(item)
            rows += 1
            labels = labels or item.human_label is not None
            scores = scores or item.human_score is not None
            categories = categories or item.category is not None
            checklists = checklists or item.rubric_items is not None
            human_rubric = human_rubric or item.human_rubric is not None
        if first is None:
            raise DatasetError(name, None, None, "no rows")
        if self.unmatched:
            canonical = sorted(self.unmatched)[0]
            column = self.options.fields[canonical]
            raise DatasetError(name, None, column, f"no row has this column (from --field {canonical}={column})")
        first_row = next(self.raw_rows())[1]
        return DatasetInfo(
            path=name,
            format=self.format,
            rows=rows,
            kind=first.kind,
            sha256=hashlib.sha256(self.path.read_bytes()).hexdigest(),
            columns=list(first_row.keys()),
            mapping=resolve_mapping(tuple(first_row), self.options.fields),
            truncated=self.truncated,
            has_human_labels=labels,
            has_human_scores=scores,
            has_categories=categories,
            has_checklists=checklists,
            has_human_rubric=human_rubric,
        )

    def _item(self, index: int, line: int, row: dict[str, Any], mapping: dict[str, str], pairing: Pairing) -> Item:
        name = str(self.path)
        values: dict[str, Any] = {}
        for canonical, column in mapping.items():

            def miss(problem: str, column: str = column) -> DatasetError:
                return DatasetError(name, line, column, problem)

            value = follow_path(row, column, miss)
            # An empty cell means "absent", except for answers: an empty answer is a real output.
            if value is not None and (value != "" or canonical in _ANSWER_FIELDS):
                values[canonical] = value
        used_roots = {column.split(".")[0] for column in mapping.values()} | set(mapping.values())
        metadata = pairing.row({key: value for key, value in row.items() if key not in used_roots})

        def fail(canonical: str, problem: str) -> DatasetError:
            column = mapping.get(canonical) or self.options.fields.get(canonical) or canonical
            return DatasetError(name, line, column, problem)

        fields: dict[str, Any] = conversation_fields(
            values, fail, lambda value, key: self._text_field(value, key, fail)
        )
        if not fields:
            if "question" not in values:
                raise fail("question", "missing (map a column to it with --field question=COLUMN)")
            fields["turns"] = turns_of(values["question"], fail)
        for key in _TEXT_FIELDS:
            if key in values:
                fields[key] = self._text_field(values[key], key, fail)
        for key in _NAME_FIELDS:
            if key in values:
                fields[key] = scalar_text(values[key], key, fail)
        if "answers" in values:
            fields.update(listwise_fields(values, fail, lambda value, key: self._text_field(value, key, fail)))
            identifier = scalar_text(values["id"], "id", fail) if "id" in values else str(index)
            return Item(id=identifier, line=line, metadata=metadata, **fields)
        if "models" in values:
            raise fail("models", "'models' names the answers of a listwise row; add 'answers' (a list)")
        has_a, has_b = "answer_a" in fields, "answer_b" in fields
        if has_a != has_b:
            missing = "answer_b" if has_a else "answer_a"
            raise fail(missing, "missing; a pairwise row needs both answer_a and answer_b")
        if not has_a and "answer" not in fields:
            raise fail(
                "answer",
                "missing; a row needs 'answer' (pointwise) or 'answer_a' and 'answer_b' (pairwise)",
            )
        if has_a and "answer" in fields:
            raise fail("answer", "a row has either 'answer' or 'answer_a'/'answer_b', not both")
        if "human_label" in values:
            try:
                fields["human_label"] = pairing.label(label_of(values["human_label"], fail), "human labels")
            except UsageError as exc:
                raise fail("human_label", str(exc)) from None
        if "human_score" in values:
            fields["human_score"], fields["human_scores"] = human_scores_of(values["human_score"], fail)
        fields.update(_checklist_fields(values, self.options.checklist, fail))
        identifier = scalar_text(values["id"], "id", fail) if "id" in values else str(index)
        return Item(id=identifier, line=line, metadata=metadata, **fields)

    def _text_field(self, value: Any, key: str, fail: Any) -> str:
        text = scalar_text(value, key, fail)
        limit = self.options.max_chars
        if len(text) > limit:
            if not self.options.truncate:
                raise fail(
                    key,
                    f"{len(text):,} characters is over the limit of {limit:,}; "
                    "pass --truncate to cut long texts to --max-chars, or raise --max-chars",
                )
            self.truncated += 1
            text = text[:limit] + f"\n[... {len(text) - limit:,} characters cut by judgekit]"
        return text


def _checklist_fields(
    values: Mapping[str, Any], shared: tuple[RubricItem, ...] | None, fail: Callable[[str, str], DatasetError]
) -> dict[str, Any]:
    """A row's checklist (its own `rubric_items`, else the shared one) and its human verdicts."""
    from judgekit.inputs.checklists import align_human, human_rubric_of, rubric_items_of

    fields: dict[str, Any] = {}
    items = rubric_items_of(values["rubric_items"], fail) if "rubric_items" in values else shared or None
    if items is not None:
        fields["rubric_items"] = items
    if "human_rubric" in values:
        if items is None and shared is None:
            return fields  # this reader was not told the shared checklist (see ReadOptions.checklist)
        if items is None:
            raise fail("human_rubric", "human verdicts per criterion need a checklist (rubric_items or --checklist)")
        fields["human_rubric"] = align_human(human_rubric_of(values["human_rubric"], fail), items, fail)
    return fields


def _kind_mismatch(wanted: Kind, found: Kind) -> str:
    if wanted == "listwise":
        return "listwise judging needs 'answers', a list of two or more answers (and 'models', one name each)"
    if wanted == "pairwise":
        return "pairwise judging needs answer_a and answer_b; map them with --field answer_a=COLUMN"
    return f"pointwise judging needs an 'answer' column but the row is {found}"
