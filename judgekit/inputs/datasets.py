"""Read JSONL, CSV and JSON-array files of model outputs into validated `Item`s.

Rows are read lazily so a run over 100,000 items never holds the whole file; `scan()` makes a
first full pass that checks every row (and duplicate ids) before anything is written, so a bad
file fails with one line naming the file, line and field instead of half a run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.errors import DatasetError, UsageError
from judgekit.inputs.pairing import AnswerOrder, answer_order, cannot_follow, flip, follow_answers, swap_paired
from judgekit.schema import Item, Kind, Label, Message

CANONICAL_FIELDS = (
    "id",
    "question",
    "answer",
    "answer_a",
    "answer_b",
    "model",
    "model_a",
    "model_b",
    "reference",
    "context",
    "category",
    "rubric",
    "human_label",
    "human_score",
)
"""Field names judgekit understands; `--field NAME=COLUMN` maps a file's columns onto them."""

DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "question": ("instruction", "input", "prompt"),
    "answer": ("output", "response"),
    "answer_a": ("output_1", "output_a", "response_a"),
    "answer_b": ("output_2", "output_b", "response_b"),
    "model": ("generator",),
    "model_a": ("generator_1",),
    "model_b": ("generator_2",),
    "human_label": ("label",),
}
"""Column names used when the canonical one is absent (AlpacaEval and LLMBar use these)."""

_ANSWER_FIELDS = ("answer", "answer_a", "answer_b")
_TEXT_FIELDS = ("answer", "answer_a", "answer_b", "reference", "context", "rubric")
_NAME_FIELDS = ("model", "model_a", "model_b", "category")

LABEL_ALIASES: dict[str, Label] = {
    "a": "A",
    "1": "A",
    "model_a": "A",
    "answer_a": "A",
    "b": "B",
    "2": "B",
    "model_b": "B",
    "answer_b": "B",
    "tie": "tie",
    "draw": "tie",
    "0": "tie",
    "1.5": "tie",
    "c": "tie",
    "tie (bothbad)": "tie",
}

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
            yield from _jsonl_rows(name, text)
        elif self.format == "json":
            yield from _json_array_rows(name, text)
        else:
            yield from _csv_rows(name, text, "\t" if self.format == "tsv" else ",")

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
        labels = scores = categories = False
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
        )

    def _item(self, index: int, line: int, row: dict[str, Any], mapping: dict[str, str], pairing: Pairing) -> Item:
        name = str(self.path)
        values: dict[str, Any] = {}
        for canonical, column in mapping.items():

            def miss(problem: str, column: str = column) -> DatasetError:
                return DatasetError(name, line, column, problem)

            value = _follow(row, column, miss)
            # An empty cell means "absent", except for answers: an empty answer is a real output.
            if value is not None and (value != "" or canonical in _ANSWER_FIELDS):
                values[canonical] = value
        used_roots = {column.split(".")[0] for column in mapping.values()} | set(mapping.values())
        metadata = pairing.row({key: value for key, value in row.items() if key not in used_roots})

        def fail(canonical: str, problem: str) -> DatasetError:
            column = mapping.get(canonical) or self.options.fields.get(canonical) or canonical
            return DatasetError(name, line, column, problem)

        if "question" not in values:
            raise fail("question", "missing (map a column to it with --field question=COLUMN)")
        turns = _turns(values["question"], fail)
        fields: dict[str, Any] = {"turns": turns}
        for key in _TEXT_FIELDS:
            if key in values:
                fields[key] = self._text_field(values[key], key, fail)
        for key in _NAME_FIELDS:
            if key in values:
                fields[key] = _scalar_text(values[key], key, fail)
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
                fields["human_label"] = pairing.label(_label(values["human_label"], fail), "human labels")
            except UsageError as exc:
                raise fail("human_label", str(exc)) from None
        if "human_score" in values:
            fields["human_score"], fields["human_scores"] = _human_scores(values["human_score"], fail)
        identifier = _scalar_text(values["id"], "id", fail) if "id" in values else str(index)
        return Item(id=identifier, line=line, metadata=metadata, **fields)

    def _text_field(self, value: Any, key: str, fail: Any) -> str:
        text = _scalar_text(value, key, fail)
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


def resolve_mapping(columns: tuple[str, ...], explicit: Mapping[str, str]) -> dict[str, str]:
    """Decide which column feeds each canonical field: explicit mapping, then name, then alias.

    An explicit mapping whose column (or the root of its dotted path) is absent from these
    columns is left out; `Dataset.scan` reports a mapped column that no row has. When the
    mapping moves the answers, the model columns move with them (see `judgekit.inputs.pairing`).
    """
    return resolve_pairing(columns, explicit)[0]


def resolve_pairing(columns: tuple[str, ...], explicit: Mapping[str, str]) -> tuple[dict[str, str], Pairing]:
    """The mapping and how it moved the file's answers (what labels and paired columns must do)."""
    default, chosen = _plain_mapping(columns, {}), _plain_mapping(columns, explicit)
    pairing = Pairing(answer_order(default, chosen), default, chosen)
    return follow_answers(columns, default, chosen, explicit), pairing


@dataclass(frozen=True)
class Pairing:
    """How a --field mapping placed the file's answers as A and B."""

    order: AnswerOrder
    default: Mapping[str, str]
    """The mapping without any --field (the file's own answer columns)."""
    chosen: Mapping[str, str]

    def label(self, label: Label, what: str) -> Label:
        """A label or verdict about the file's answers, seen from the mapped order."""
        if self.order == "swapped":
            return flip(label)
        if self.order == "other":
            raise UsageError(cannot_follow(what, self.default, self.chosen))
        return label

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The row's paired columns (X_1/X_2, X_a/X_b) following the answers."""
        return swap_paired(row) if self.order == "swapped" else dict(row)


def _plain_mapping(columns: tuple[str, ...], explicit: Mapping[str, str]) -> dict[str, str]:
    available = set(columns)
    mapping: dict[str, str] = {}
    for canonical in CANONICAL_FIELDS:
        if canonical in explicit:
            column = explicit[canonical]
            if column in available or column.split(".")[0] in available:
                mapping[canonical] = column
        elif canonical in available:
            mapping[canonical] = canonical
        else:
            for alias in DEFAULT_ALIASES.get(canonical, ()):
                if alias in available and alias not in explicit.values():
                    mapping[canonical] = alias
                    break
    return mapping


def _kind_mismatch(wanted: Kind, found: Kind) -> str:
    if wanted == "pairwise":
        return "pairwise judging needs answer_a and answer_b; map them with --field answer_a=COLUMN"
    return f"pointwise judging needs an 'answer' column but the row is {found}"


def _follow(row: Mapping[str, Any], column: str, fail: Callable[[str], DatasetError]) -> Any:
    """The value a mapped column names; a dotted path must exist at every depth below its root.

    A row without the path's first part lacks the column, as a row may lack any column; a row that
    has it but misses a deeper key is a mistake in the path (a typo such as scores.coherance), and
    fails naming the row instead of passing as "no value".
    """
    if column in row or "." not in column:
        return row.get(column)
    value: Any = row
    walked: list[str] = []
    for part in column.split("."):
        if value is None:
            return None  # a null object on the way: no value, as a null cell
        if not isinstance(value, Mapping):
            raise fail(f"'{'.'.join(walked)}' is {_type_name(value)}, not an object with a key '{part}'")
        if part not in value:
            where = f"under '{'.'.join(walked)}'" if walked else "in the row"
            keys = ", ".join(sorted(str(key) for key in value)) or "none"
            raise fail(f"no key '{part}' {where} (its keys: {keys})")
        value = value[part]
        walked.append(part)
    return value


def lookup_path(row: Mapping[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _scalar_text(value: Any, key: str, fail: Any) -> str:
    if isinstance(value, str):
        return _without_lone_surrogates(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(key, f"expected text, got {_type_name(value)}")
    return str(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(text: str) -> str:
    """JSON may escape half of a surrogate pair ("\\ud800"), which no file encoding can hold;
    such a code point becomes U+FFFD, as a UTF-8 decoder would make of a broken byte."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _turns(value: Any, fail: Any) -> tuple[Message, ...]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (Message(role="user", content=_without_lone_surrogates(str(value))),)
    if not isinstance(value, list) or not value:
        raise fail("question", f"expected text or a list of {{role, content}} messages, got {_type_name(value)}")
    turns = []
    for position, message in enumerate(value, start=1):
        if (
            not isinstance(message, Mapping)
            or message.get("role") not in ("system", "user", "assistant")
            or not isinstance(message.get("content"), str)
        ):
            raise fail(
                "question",
                f"message {position} must be an object with role (system, user or assistant) and text content",
            )
        turns.append(Message(role=message["role"], content=_without_lone_surrogates(message["content"])))
    if turns[-1].role != "user":
        raise fail("question", "the last message of a conversation must be the user turn being answered")
    return tuple(turns)


def _label(value: Any, fail: Any) -> Label:
    if isinstance(value, bool):
        raise fail("human_label", "expected A, B or tie, got true/false")
    key = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        key = str(int(value))
    label = LABEL_ALIASES.get(key.lower())
    if label is None:
        raise fail("human_label", f"expected A, B or tie (or 1, 2, 0), got {value!r}")
    return label


def _human_scores(value: Any, fail: Any) -> tuple[float, tuple[float, ...] | None]:
    """One human score, or several raters' scores as a list (their mean is the item's human score).

    A CSV cell holds a list as JSON text ("[4, 5, 3]"); null entries are raters who did not rate.
    """
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise fail("human_score", f"expected a number or a list of numbers, got {value!r}") from None
    if not isinstance(value, list):
        return _score(value, fail), None
    ratings = tuple(_score(rating, fail) for rating in value if rating is not None)
    if not ratings:
        raise fail("human_score", "the list of human scores holds no number")
    return math.fsum(ratings) / len(ratings), ratings


def _score(value: Any, fail: Any) -> float:
    if isinstance(value, bool):
        raise fail("human_score", "expected a number, got true/false")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise fail("human_score", f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise fail("human_score", f"expected a finite number, got {value!r}")
    return number


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _jsonl_rows(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    decoder = json.JSONDecoder()
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        try:
            row, end = decoder.raw_decode(stripped)
        except json.JSONDecodeError as exc:
            raise DatasetError(name, line_number, None, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        if stripped[end:].strip():
            raise DatasetError(name, line_number, None, "invalid JSON (more than one value on the line)")
        if not isinstance(row, dict):
            raise DatasetError(name, line_number, None, f"expected a JSON object, got {_type_name(row)}")
        yield line_number, row


def _json_array_rows(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text[position : position + 1] != "[":
        raise DatasetError(name, 1, None, "a .json dataset must be an array of objects (use .jsonl for one per line)")
    position = _skip_space(text, position + 1)
    if text[position : position + 1] == "]":
        return
    while True:
        line = text.count("\n", 0, position) + 1
        try:
            row, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise DatasetError(name, exc.lineno, None, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise DatasetError(name, line, None, f"expected a JSON object, got {_type_name(row)}")
        yield line, row
        position = _skip_space(text, position)
        token = text[position : position + 1]
        if token == "]":
            if text[position + 1 :].strip():
                raise DatasetError(name, text.count("\n", 0, position) + 1, None, "invalid JSON after the array")
            return
        if token != ",":
            raise DatasetError(name, text.count("\n", 0, position) + 1, None, "invalid JSON (expected ',' or ']')")
        position = _skip_space(text, position + 1)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _csv_rows(name: str, text: str, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DatasetError(name, 1, None, "no header row") from None
    except csv.Error as exc:
        raise DatasetError(name, 1, None, f"invalid CSV ({exc})") from None
    header = [column.strip() for column in header]
    if len(set(header)) != len(header):
        duplicate = next(column for column in header if header.count(column) > 1)
        raise DatasetError(name, 1, duplicate, "the header names this column twice")
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DatasetError(name, previous_end + 1, None, f"invalid CSV ({exc})") from None
        start = previous_end + 1
        previous_end = reader.line_num
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise DatasetError(name, start, None, f"expected {len(header)} columns, found {len(cells)}")
        yield start, dict(zip(header, cells, strict=True))
