"""Find a backend for a `provider/model` spec.

Built-in providers are listed as import paths so their SDKs load only when used (keeping
`judgekit --help` fast); third-party packages add providers through the `judgekit.backends`
entry-point group, whose entries point at a factory `(BackendOptions) -> Backend`.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple, cast

from judgekit.backends.base import Backend, BackendOptions
from judgekit.errors import UnknownProviderError, UsageError

BackendFactory = Callable[[BackendOptions], Backend]

ENTRY_POINT_GROUP = "judgekit.backends"

BUILTIN: dict[str, str] = {
    "openai": "judgekit.backends.openai:create",
    "anthropic": "judgekit.backends.anthropic:create",
    "azure": "judgekit.backends.azure:create",
    "gemini": "judgekit.backends.gemini:create",
    "bedrock": "judgekit.backends.bedrock:create",
    "vertex": "judgekit.backends.vertex:create",
    "local": "judgekit.backends.local:create",
    "mock": "judgekit.backends.mock:create",
}
"""Provider name -> "module:factory". A new built-in backend is one module plus one line here."""

_REGISTERED: dict[str, BackendFactory] = {}


class ModelSpec(NamedTuple):
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


def register_backend(provider: str, factory: BackendFactory) -> None:
    """Register a backend factory at run time (tests and embedding applications use this)."""
    _REGISTERED[provider] = factory


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, str]:
    if os.environ.get("JUDGEKIT_DISABLE_PLUGINS"):
        return {}
    from importlib.metadata import entry_points

    return {entry.name: entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)}


def known_providers() -> list[str]:
    return sorted(set(BUILTIN) | set(_entry_points()) | set(_REGISTERED))


def parse_spec(spec: str) -> ModelSpec:
    """Split `provider/model` on the first `/` (so `openai/meta-llama/Llama-3` keeps its slashes).

    `provider:model` is accepted too when the prefix is a known provider, since colons also
    appear inside model names (`llama3:8b`).
    """
    provider, sep, model = spec.partition("/")
    if not sep:
        prefix, colon, rest = spec.partition(":")
        if colon and prefix in known_providers():
            provider, model = prefix, rest
        else:
            raise UsageError(f"judge {spec!r} must look like provider/model, e.g. openai/gpt-4o-mini")
    if not model:
        raise UsageError(f"judge {spec!r} names no model after '{provider}/'")
    providers = known_providers()
    if provider not in providers:
        close = difflib.get_close_matches(provider, providers, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise UnknownProviderError(
            f"unknown provider '{provider}' in {spec!r}; known providers: {', '.join(providers)}{hint}"
        )
    return ModelSpec(provider, model)


def _load(target: str) -> BackendFactory:
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return cast(BackendFactory, getattr(module, attribute))


def create_backend(provider: str, options: BackendOptions | None = None) -> Backend:
    """Build the backend for `provider` (one per run; it owns the SDK client)."""
    options = options or BackendOptions()
    if provider in _REGISTERED:
        return _REGISTERED[provider](options)
    target = BUILTIN.get(provider) or _entry_points().get(provider)
    if target is None:
        parse_spec(f"{provider}/x")  # raises the friendly unknown-provider error
        raise UnknownProviderError(provider)
    return _load(target)(options)
