"""Read the metadata header of a GGUF model file without loading the model.

GGUF (the llama.cpp model format) starts with the magic `GGUF`, a version, the tensor count
and a list of typed key/value pairs: architecture, name, quantisation, context length, the
tokenizer and the chat template. judgekit reads them to check that a model file is what it
claims to be before a run starts, and to fail early with a clear message when it is not.
Only little-endian files of format versions 2 and 3 are read (every current file is one).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from judgekit.errors import InputError

MAGIC = b"GGUF"

_SCALARS: dict[int, str] = {
    0: "<B",  # uint8
    1: "<b",  # int8
    2: "<H",  # uint16
    3: "<h",  # int16
    4: "<I",  # uint32
    5: "<i",  # int32
    6: "<f",  # float32
    7: "<?",  # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_STRING = 8
_ARRAY = 9
SMALL_ARRAY = 64
"""Arrays up to this length are kept; longer ones (the tokenizer's vocabulary) are skipped."""


class GGUFError(InputError):
    """Raised when a file is not a readable GGUF model."""


@dataclass(frozen=True)
class SkippedArray:
    """A long metadata array that was skipped; only its element type and length are kept."""

    element_type: int
    length: int


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None


def is_gguf(path: Path) -> bool:
    """True when the file starts with the GGUF magic."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == MAGIC
    except OSError:
        return False


def read_header(path: Path) -> GGUFHeader:
    """The metadata of a GGUF file; raises GGUFError naming the file when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return _read(handle)
    except GGUFError as exc:
        raise GGUFError(f"{path}: {exc}") from None
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except (struct.error, UnicodeDecodeError, MemoryError):
        raise GGUFError(f"{path}: the GGUF header is damaged or cut short") from None


def _read(handle: IO[bytes]) -> GGUFHeader:
    if handle.read(4) != MAGIC:
        raise GGUFError("not a GGUF model file (it does not start with 'GGUF')")
    (version,) = _unpack(handle, "<I")
    if version not in (2, 3):
        raise GGUFError(f"GGUF version {version} is not supported (only 2 and 3)")
    tensor_count, kv_count = _unpack(handle, "<QQ")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = _string(handle)
        (value_type,) = _unpack(handle, "<I")
        metadata[key] = _value(handle, value_type)
    return GGUFHeader(version=version, tensor_count=tensor_count, metadata=metadata)


def _unpack(handle: IO[bytes], fmt: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) != size:
        raise GGUFError("the GGUF header is cut short")
    return struct.unpack(fmt, data)


def _string(handle: IO[bytes]) -> str:
    (length,) = _unpack(handle, "<Q")
    data = handle.read(length)
    if len(data) != length:
        raise GGUFError("the GGUF header is cut short")
    return data.decode("utf-8")


def _value(handle: IO[bytes], value_type: int) -> Any:
    if value_type in _SCALARS:
        return _unpack(handle, _SCALARS[value_type])[0]
    if value_type == _STRING:
        return _string(handle)
    if value_type == _ARRAY:
        element_type, length = _unpack(handle, "<IQ")
        if length > SMALL_ARRAY:
            _skip_array(handle, element_type, length)
            return SkippedArray(element_type, length)
        return [_value(handle, element_type) for _ in range(length)]
    raise GGUFError(f"unknown GGUF value type {value_type}")


def _skip_array(handle: IO[bytes], element_type: int, length: int) -> None:
    if element_type in _SCALARS:
        handle.seek(struct.calcsize(_SCALARS[element_type]) * length, 1)
        return
    if element_type == _STRING:
        for _ in range(length):
            (size,) = _unpack(handle, "<Q")
            handle.seek(size, 1)
        return
    for _ in range(length):  # nested arrays: rare, read them element by element
        _value(handle, element_type)
