"""Rows out of data files: JSONL, a JSON array, CSV/TSV, each row with the line it starts on.

Every malformed row is an error naming the file and the line; nothing is skipped silently.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from judgekit.errors import DatasetError
from judgekit.inputs.field_values import type_name


def jsonl_rows(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
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
            raise DatasetError(name, line_number, None, f"expected a JSON object, got {type_name(row)}")
        yield line_number, row


def json_array_rows(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
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
            raise DatasetError(name, line, None, f"expected a JSON object, got {type_name(row)}")
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


def csv_rows(name: str, text: str, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
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
