"""Which batch adapter serves which provider: a registry, as backends have one.

Adapters are imported only when a run uses them. A third party can add a provider's batch API
with `register_batch_adapter("name", loader)`.
"""

from __future__ import annotations

from collections.abc import Callable

from judgekit.backends.base import Backend, BuildsRequestBodies
from judgekit.batch.base import BatchAPI
from judgekit.errors import UsageError

BatchAdapter = Callable[[Backend], BatchAPI]
_ADAPTERS: dict[str, Callable[[], BatchAdapter]] = {}
"""provider -> a function that imports and returns its adapter class (imported only when used)."""


def register_batch_adapter(provider: str, loader: Callable[[], BatchAdapter]) -> None:
    """Add (or replace) the batch adapter of a provider; the loader imports it lazily."""
    _ADAPTERS[provider] = loader


def _openai() -> BatchAdapter:
    from judgekit.batch.openai import OpenAIBatches

    return OpenAIBatches


def _anthropic() -> BatchAdapter:
    from judgekit.batch.anthropic import AnthropicBatches

    return AnthropicBatches


register_batch_adapter("openai", _openai)
register_batch_adapter("anthropic", _anthropic)


def batch_api_for(backend: Backend) -> BatchAPI:
    """The batch adapter for a run's backend; only providers with a registered adapter have one."""
    loader = _ADAPTERS.get(backend.provider)
    if loader is None:
        names = " and ".join(f"{name}/" for name in _ADAPTERS)
        raise UsageError(
            f"--batch works with {names} judges (their batch APIs); "
            f"judgekit has no batch adapter for {backend.provider}/ judges, so run without --batch"
        )
    if not isinstance(backend, BuildsRequestBodies):
        raise UsageError("--batch sends its batches to one server: give one --base-url, not several")
    return loader()(backend)
